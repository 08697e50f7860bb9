/**
 * EventBridge event patterns, validated and matched as AWS does it.
 *
 * The rules come from AWS's documentation ("Amazon EventBridge event patterns", "Content filtering in Amazon
 * EventBridge event patterns") and, where it is silent, from aws/event-ruler, the library EventBridge runs on:
 * - patterns and events are flattened to dotted paths, so `{ "detail": { "state": [...] } }` and
 *   `{ "detail.state": [...] }` name the same field;
 * - values under one array of objects in the event must all come from the same element ("array consistency");
 * - `$or` turns a pattern into alternative conjunctions (branches); fields outside it belong to every branch.
 *
 * compileEventPattern validates the pattern once and builds one test closure per match value; matches() flattens
 * the event and looks, for some branch, for one consistent choice of event value per field.
 */
import { BlockList, isIP } from 'node:net';

/**
 * Thrown for a pattern AWS would refuse; name matches AWS's exception so the local server can return it as
 * { __type: 'InvalidEventPatternException', message }.
 */
export class InvalidEventPatternError extends Error {
  override readonly name = 'InvalidEventPatternException';
}

export interface EventPattern {
  matches(event: unknown): boolean;
}

/**
 * Parses (JSON string or object) and validates; throws InvalidEventPatternError with a message that says what is
 * wrong and where (e.g. `detail.amount: unrecognized operator "gt"`).
 */
export function compileEventPattern(pattern: string | object): EventPattern {
  const branches = compileObject(parsePattern(pattern), undefined, [new Map()], false).map(absenceLast);
  return {
    matches(event) {
      if (!isObject(event)) return false;
      const values = flatten(event);
      return branches.some((fields) => matchBranch(fields, values));
    },
  };
}

/** Convenience: compileEventPattern(pattern).matches(event). */
export function matchesEventPattern(pattern: string | object, event: unknown): boolean {
  return compileEventPattern(pattern).matches(event);
}

// ---------------------------------------------------------------------------------------------------------------
// Compiling

type Scalar = string | number | boolean | null;
/** One match value of a field, as a test on one value of the event. */
type ValueTest = (value: Scalar) => boolean;
type StringTest = (value: string) => boolean;
/** A field matches if any of its tests accepts one of its values, or, with `exists: false`, if it has no value. */
interface Field {
  readonly tests: readonly ValueTest[];
  readonly matchesAbsence: boolean;
}
/** One alternative of the pattern after `$or` expansion, keyed by dotted path: every field must match. */
type Branch = Map<string, Field>;

/** How many alternatives the `$or`s of one pattern may expand to (a bound of local mode's, named in its error). */
const MAX_BRANCHES = 1000;

/** What `{ "exists": false }` compiles to: it is a property of the field, not a test on a value. */
const ABSENT = Symbol('absent');
type OperatorCompiler = (operand: unknown, path: string) => ValueTest | typeof ABSENT;

function parsePattern(pattern: string | object): Record<string, unknown> {
  let parsed: unknown;
  try {
    // An object is read as AWS would receive it: serialised to JSON.
    parsed = JSON.parse(typeof pattern === 'string' ? pattern : JSON.stringify(pattern));
  } catch (error) {
    throw new InvalidEventPatternError(`pattern is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(parsed)) throw new InvalidEventPatternError(`pattern must be a JSON object, found ${show(parsed)}`);
  return parsed;
}

function compileObject(
  object: Record<string, unknown>,
  path: string | undefined,
  branches: Branch[],
  insideOr: boolean,
): Branch[] {
  const entries = Object.entries(object);
  if (entries.length === 0) fail(path, 'empty objects are not allowed');
  for (const [key, value] of entries) {
    if (key === '$or') {
      branches = compileOr(value, path, branches);
      // Each $or multiplies the alternatives: a bound keeps a short pattern from expanding without end.
      if (branches.length > MAX_BRANCHES)
        fail(join(path, '$or'), `the pattern expands to more than ${MAX_BRANCHES} alternatives; it is too complex`);
      continue;
    }
    const fieldPath = join(path, key);
    if (insideOr && RESERVED_IN_OR.has(key)) {
      fail(fieldPath, `"${key}" is an operator name and cannot be a field name inside $or`);
    }
    if (Array.isArray(value)) {
      const field = compileField(value, fieldPath);
      for (const branch of branches) branch.set(fieldPath, field); // a repeated path: the last one wins, as in AWS
    } else if (isObject(value)) {
      branches = compileObject(value, fieldPath, branches, insideOr);
    } else {
      fail(fieldPath, `must be an array of match values or a nested object, found ${show(value)}`);
    }
  }
  return branches;
}

function compileOr(alternatives: unknown, path: string | undefined, branches: Branch[]): Branch[] {
  const isAlternative = (value: unknown) => isObject(value) && Object.keys(value).length > 0;
  if (!Array.isArray(alternatives) || alternatives.length < 2 || !alternatives.every(isAlternative)) {
    fail(join(path, '$or'), `must be an array of at least two non-empty objects, found ${show(alternatives)}`);
  }
  return alternatives.flatMap((alternative) =>
    compileObject(
      alternative,
      path,
      branches.map((branch) => new Map(branch)),
      true,
    ),
  );
}

function compileField(values: unknown[], path: string): Field {
  if (values.length === 0) fail(path, 'empty arrays are not allowed');
  const tests: ValueTest[] = [];
  let matchesAbsence = false;
  for (const value of values) {
    const test = isObject(value) ? compileOperator(value, path) : compileExact(value, path);
    if (test === ABSENT) matchesAbsence = true;
    else tests.push(test);
  }
  return { tests, matchesAbsence };
}

function compileExact(value: unknown, path: string): ValueTest {
  if (typeof value === 'string') {
    const family = ipFamily(value);
    // AWS compares a value written as an IP address as an address: "2001:db8::1" matches "2001:0db8:0:0::1".
    return family ? inAddresses(family, (list) => list.addAddress(value, family)) : (candidate) => candidate === value;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) {
    return (candidate) => candidate === value; // numbers compare as numbers: 300 matches 300.0
  }
  fail(path, `match values must be strings, numbers, booleans, null or operator objects, found ${show(value)}`);
}

function compileOperator(operator: Record<string, unknown>, path: string): ValueTest | typeof ABSENT {
  const [name, operand] = onlyEntry(operator, path, 'an operator object');
  if (!Object.hasOwn(OPERATORS, name)) fail(path, `unrecognized operator "${name}"`);
  return OPERATORS[name]!(operand, path);
}

/** The string operators, also the ones anything-but can negate. */
const STRING_TESTS: Record<string, (text: string, path: string) => StringTest> = {
  prefix: (text) => (value) => value.startsWith(text),
  suffix: (text) => (value) => value.endsWith(text),
  'equals-ignore-case': (text) => ignoringCase(text, 'whole'),
  wildcard: (text, path) => wildcard(text, path),
};

const OPERATORS: Record<string, OperatorCompiler> = {
  prefix: (operand, path) => onStrings(affix('prefix', operand, path)),
  suffix: (operand, path) => onStrings(affix('suffix', operand, path)),
  'equals-ignore-case': (operand, path) => onStrings(ignoringCase(text('equals-ignore-case', operand, path), 'whole')),
  wildcard: (operand, path) => onStrings(wildcard(text('wildcard', operand, path), path)),
  numeric: compileNumeric,
  cidr: compileCidr,
  exists: (operand, path) => {
    if (typeof operand !== 'boolean') fail(path, `exists must be true or false, found ${show(operand)}`);
    return operand ? () => true : ABSENT;
  },
  'anything-but': compileAnythingBut,
};

/** Names AWS refuses as field names inside `$or` alternatives: its operators, and ones it keeps for later. */
const RESERVED_IN_OR = new Set([
  ...Object.keys(OPERATORS),
  'exactly',
  '=',
  '<',
  '<=',
  '>',
  '>=',
  'regex',
  'not-wildcard',
  'not-equals-ignore-case',
  'date-after',
  'date-on-or-after',
  'date-before',
  'date-on-or-before',
  'in-date-range',
  'ip-address-in-range',
  'ip-address-not-in-range',
]);

function affix(kind: 'prefix' | 'suffix', operand: unknown, path: string): StringTest {
  if (typeof operand === 'string') return STRING_TESTS[kind]!(operand, path);
  if (isObject(operand)) {
    const [name, value] = onlyEntry(operand, path, kind);
    if (name !== 'equals-ignore-case') {
      fail(path, `${kind} accepts a string or { "equals-ignore-case": string }, found "${name}"`);
    }
    return ignoringCase(text(`${kind} equals-ignore-case`, value, path), kind);
  }
  fail(path, `${kind} must be a string or { "equals-ignore-case": string }, found ${show(operand)}`);
}

/** Case-insensitive as AWS does it: each UTF-16 unit of the pattern matches its lower- or its upper-case form. */
function ignoringCase(text: string, anchor: 'prefix' | 'suffix' | 'whole'): StringTest {
  const body = text
    .split('')
    .map((unit) => {
      const [lower, upper] = [unit.toLowerCase(), unit.toUpperCase()];
      return lower === upper ? escapeRegExp(lower) : `(?:${escapeRegExp(lower)}|${escapeRegExp(upper)})`;
    })
    .join('');
  const regExp = new RegExp(anchor === 'prefix' ? `^${body}` : anchor === 'suffix' ? `${body}$` : `^${body}$`);
  return (value) => regExp.test(value);
}

/** `*` matches any run of characters; `\*` and `\\` are the literal characters; AWS refuses `**` and other escapes. */
function wildcard(text: string, path: string): StringTest {
  const literals = [''];
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '*') {
      if (text[i + 1] === '*') fail(path, `wildcard "${text}" has consecutive "*" at position ${i}`);
      literals.push('');
    } else if (char === '\\') {
      const escaped = text[i + 1];
      if (escaped !== '*' && escaped !== '\\') {
        fail(path, `wildcard "${text}" has an invalid escape at position ${i}: only \\* and \\\\ are allowed`);
      }
      literals[literals.length - 1] += escaped;
      i++;
    } else {
      literals[literals.length - 1] += char;
    }
  }
  const regExp = new RegExp(`^${literals.map(escapeRegExp).join('.*')}$`, 's');
  return (value) => regExp.test(value);
}

const COMPARISONS: Record<string, (value: number, bound: number) => boolean> = {
  '=': (value, bound) => value === bound,
  '<': (value, bound) => value < bound,
  '<=': (value, bound) => value <= bound,
  '>': (value, bound) => value > bound,
  '>=': (value, bound) => value >= bound,
};

/** `["=", 5]`, `["<", 10]`, `[">", 0]` or a range `[">", 0, "<=", 5]`: a lower bound, then an upper one. */
function compileNumeric(operand: unknown, path: string): ValueTest {
  if (!Array.isArray(operand)) {
    fail(path, `numeric must be an array such as [">", 0, "<=", 5], found ${show(operand)}`);
  }
  const [operator, bound, ...rest] = operand;
  const first = comparison(operator, bound, path);
  if (rest.length === 0) return (value) => typeof value === 'number' && first(value);
  if (operator !== '>' && operator !== '>=') {
    fail(path, `numeric "${operator}" takes a single number, found ${show(operand)}`);
  }
  const [upperOperator, upperBound, ...extra] = rest;
  if (upperOperator !== '<' && upperOperator !== '<=') {
    fail(path, `numeric lower bound must be followed by "<" or "<=", found ${show(upperOperator)}`);
  }
  const second = comparison(upperOperator, upperBound, path);
  if (extra.length > 0) fail(path, `numeric takes at most a lower and an upper bound, found ${show(operand)}`);
  if (!(bound < upperBound)) {
    fail(path, `numeric range is empty: lower bound ${bound} is not below upper bound ${upperBound}`);
  }
  return (value) => typeof value === 'number' && first(value) && second(value);
}

function comparison(operator: unknown, bound: unknown, path: string): (value: number) => boolean {
  if (typeof operator !== 'string' || !Object.hasOwn(COMPARISONS, operator)) {
    fail(path, `unrecognized numeric operator ${show(operator)}; use =, <, <=, > or >=`);
  }
  if (typeof bound !== 'number' || !Number.isFinite(bound)) {
    fail(path, `numeric "${operator}" needs a number, found ${show(bound)}`);
  }
  const compare = COMPARISONS[operator]!;
  return (value) => compare(value, bound);
}

function compileCidr(operand: unknown, path: string): ValueTest {
  if (typeof operand !== 'string') fail(path, `cidr must be a string such as "10.0.0.0/24", found ${show(operand)}`);
  const parts = operand.split('/');
  if (parts.length !== 2) fail(path, `cidr "${operand}" must have exactly one "/"`);
  const [address, bits] = parts as [string, string];
  if (!/^\d+$/.test(bits)) fail(path, `cidr "${operand}" mask bits must be a non-negative integer`);
  const family = ipFamily(address);
  if (!family) fail(path, `cidr "${operand}" has an invalid IP address`);
  // AWS's limits: a /32 or /128 block is refused (a single address is written as an exact value).
  const maxBits = family === 'ipv4' ? 31 : 127;
  if (Number(bits) > maxBits) fail(path, `cidr "${operand}" mask bits must be at most ${maxBits}`);
  return inAddresses(family, (list) => list.addSubnet(address, Number(bits), family));
}

function compileAnythingBut(operand: unknown, path: string): ValueTest {
  if (isObject(operand)) {
    const [name, value] = onlyEntry(operand, path, 'anything-but');
    if (!Object.hasOwn(STRING_TESTS, name)) {
      const accepted = 'a value, a list, prefix, suffix, equals-ignore-case or wildcard';
      fail(path, `anything-but does not accept "${name}"; use ${accepted}`);
    }
    const texts = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(texts) || !texts.every((item) => typeof item === 'string')) {
      fail(path, `anything-but ${name} must be a string or a list of strings, found ${show(value)}`);
    }
    if ((name === 'prefix' || name === 'suffix') && texts.includes('')) {
      fail(path, `anything-but ${name} must not be empty`);
    }
    const excluded = texts.map((item) => STRING_TESTS[name]!(item, path));
    return (candidate) => typeof candidate !== 'string' || !excluded.some((test) => test(candidate));
  }
  const values = typeof operand === 'string' || typeof operand === 'number' ? [operand] : operand;
  if (!Array.isArray(values)) {
    const accepted = 'a string, a number, a list, or an object with prefix, suffix, equals-ignore-case or wildcard';
    fail(path, `anything-but must be ${accepted}, found ${show(operand)}`);
  }
  if (values.length === 0) fail(path, 'anything-but list must not be empty');
  const excluded = new Set<unknown>(values);
  if (values.every((value) => typeof value === 'string')) {
    return (candidate) => typeof candidate !== 'string' || !excluded.has(candidate);
  }
  if (values.every((value) => typeof value === 'number')) {
    return (candidate) => typeof candidate !== 'number' || !excluded.has(candidate);
  }
  fail(path, `anything-but list must hold only strings or only numbers, found ${show(values)}`);
}

/** The address family of a string AWS reads as an IP address: plain dotted IPv4, or IPv6 of hex digits and colons. */
function ipFamily(text: string): 'ipv4' | 'ipv6' | undefined {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(text) && isIP(text) === 4) return 'ipv4';
  if (/^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/.test(text) && isIP(text) === 6) return 'ipv6';
  return undefined;
}

/** A test for addresses of one family: AWS never matches an IPv4 value against IPv6 ones, nor the reverse. */
function inAddresses(family: 'ipv4' | 'ipv6', build: (list: BlockList) => void): ValueTest {
  const list = new BlockList();
  build(list);
  return (value) => typeof value === 'string' && ipFamily(value) === family && list.check(value, family);
}

function text(operator: string, operand: unknown, path: string): string {
  if (typeof operand !== 'string') fail(path, `${operator} must be a string, found ${show(operand)}`);
  return operand;
}

function onlyEntry(object: Record<string, unknown>, path: string, what: string): [string, unknown] {
  const entries = Object.entries(object);
  if (entries.length !== 1) {
    const found = entries.length === 0 ? 'none' : entries.map(([key]) => `"${key}"`).join(', ');
    fail(path, `${what} must have exactly one key, found ${found}`);
  }
  return entries[0]!;
}

function onStrings(test: StringTest): ValueTest {
  return (value) => typeof value === 'string' && test(value);
}

/** Fields that may match by absence go last, so absence is judged within the array elements the others chose. */
function absenceLast(branch: Branch): [string, Field][] {
  return [...branch].sort(([, a], [, b]) => Number(a.matchesAbsence) - Number(b.matchesAbsence));
}

// ---------------------------------------------------------------------------------------------------------------
// Matching

/** For each array of the event (numbered as met) that a value sits in, the index of its element there. */
type Membership = ReadonlyMap<number, number>;
interface EventValue {
  readonly value: Scalar;
  readonly membership: Membership;
}

/** The event's scalar values by dotted path; arrays, nested or not, spread their elements on their own path. */
function flatten(event: Record<string, unknown>): Map<string, EventValue[]> {
  const values = new Map<string, EventValue[]>();
  let arrays = 0;
  const visit = (node: unknown, path: string, membership: Membership): void => {
    if (Array.isArray(node)) {
      const array = arrays++;
      node.forEach((element, index) => {
        visit(element, path, new Map(membership).set(array, index));
      });
    } else if (isObject(node)) {
      for (const [key, child] of Object.entries(node)) visit(child, join(path, key), membership);
    } else if (node === null || ['string', 'number', 'boolean'].includes(typeof node)) {
      const atPath = values.get(path);
      const value = { value: node as Scalar, membership };
      if (atPath) atPath.push(value);
      else values.set(path, [value]);
    }
  };
  for (const [key, child] of Object.entries(event)) visit(child, key, new Map());
  return values;
}

/** Looks for one value per field, all consistent with one another; absent fields must have no consistent value. */
function matchBranch(fields: readonly [string, Field][], values: ReadonlyMap<string, EventValue[]>): boolean {
  const candidatesOf = fields.map(([path]) => values.get(path) ?? []);
  // A choice affects the fields after it only through the arrays their values sit in.
  const laterArrays = candidatesOf.map(
    (_, index) =>
      new Set(
        candidatesOf
          .slice(index + 1)
          .flat()
          .flatMap((value) => [...value.membership.keys()]),
      ),
  );
  const search = (index: number, membership: Membership): boolean => {
    if (index === fields.length) return true;
    const field = fields[index]![1];
    const candidates = candidatesOf[index]!.filter((candidate) => consistent(candidate.membership, membership));
    const tried = new Set<string>();
    for (const candidate of candidates) {
      if (!field.tests.some((test) => test(candidate.value))) continue;
      const choice = [...candidate.membership].filter(([array]) => laterArrays[index]!.has(array)).join(';');
      if (tried.has(choice)) continue; // an equivalent choice has already failed
      tried.add(choice);
      if (search(index + 1, new Map([...membership, ...candidate.membership]))) return true;
    }
    return field.matchesAbsence && candidates.length === 0 && search(index + 1, membership);
  };
  return search(0, new Map());
}

/** Two values are consistent unless they sit in different elements of the same array. */
function consistent(a: Membership, b: Membership): boolean {
  for (const [array, element] of a) if (b.has(array) && b.get(array) !== element) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string | undefined, key: string): string {
  return path === undefined ? key : `${path}.${key}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function fail(path: string | undefined, message: string): never {
  throw new InvalidEventPatternError(`${path ?? 'pattern'}: ${message}`);
}
