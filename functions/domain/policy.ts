// The declarative risk policy: which tier an action falls in and who must review it, by when.
// Pure: it compiles the values it is given (policy-yaml.ts reads the YAML files at the edges) and never
// touches the network or the disk. One entry point for the rest of the product; the parts live in policy/.
export * from './policy/model.ts';
export { compilePolicy, type ReadFile } from './policy/compile.ts';
export { formatMoney, toMinorUnits } from './money.ts';
export type { Calendar } from './calendar.ts';
export type { Tier } from '../../events/index.ts';
