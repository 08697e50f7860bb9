// Reading CloudFormation intrinsics in tests: which logical ids a value refers to, and a string form
// (`${Id}`, `${Id.Attr}`) that lets a test compare an ARN built with Ref/GetAtt/Join/Sub to a pattern.
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Resource {
  Type: string;
  Properties?: JsonObject;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

export interface Template {
  Parameters?: Record<string, JsonObject>;
  Resources: Record<string, Resource>;
  Outputs?: Record<string, JsonObject>;
}

export const isObject = (v: Json | undefined): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `{ Ref: ... }` or `{ "Fn::...": ... }`: one key, the intrinsic's name. */
export function intrinsicName(v: Json | undefined): string | undefined {
  if (!isObject(v)) return undefined;
  const keys = Object.keys(v);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::')) ? keys[0] : undefined;
}

/** `${Name}` and `${Name.Attr}` in a Sub template; `${!Literal}` is text, not a reference. */
export function subVariables(template: string): string[] {
  return [...template.matchAll(/\$\{([^}!][^}]*)\}/g)].map((m) => m[1]!.trim());
}

export interface Reference {
  /** The logical id (or parameter) referred to. */
  id: string;
  /** Where in the template, for failure messages. */
  at: string;
}

/** Every logical id a value refers to through Ref, Fn::GetAtt and Fn::Sub, pseudo parameters left out. */
export function referencesIn(value: Json | undefined, at = ''): Reference[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => referencesIn(v, `${at}[${i}]`));
  if (!isObject(value)) return [];
  const fn = intrinsicName(value);
  const arg = fn ? value[fn] : undefined;
  const found: Reference[] = [];
  const add = (id: string) => id.startsWith('AWS::') || found.push({ id, at: `${at}.${fn}` });
  if (fn === 'Ref' && typeof arg === 'string') add(arg);
  else if (fn === 'Fn::GetAtt') add(Array.isArray(arg) ? String(arg[0]) : String(arg).split('.')[0]!);
  else if (fn === 'Fn::Sub') {
    const [template, vars] = Array.isArray(arg) ? [String(arg[0]), isObject(arg[1]) ? arg[1] : {}] : [String(arg), {}];
    for (const name of subVariables(template)) if (!(name in vars)) add(name.split('.')[0]!);
    return [...found, ...referencesIn(vars, `${at}.Fn::Sub.vars`)];
  }
  if (fn === 'Ref' || fn === 'Fn::GetAtt') return found;
  return Object.entries(value).flatMap(([k, v]) => referencesIn(v, `${at}.${k}`));
}

/**
 * The string an intrinsic value stands for, with references left as `${Id}` / `${Id.Attr}`:
 * `{ Fn::Join: ['/', [{ Fn::GetAtt: [T, Arn] }, index, '*']] }` -> `${T.Arn}/index/*`.
 */
export function render(value: Json | undefined): string {
  if (typeof value === 'string') return value;
  const fn = intrinsicName(value);
  if (!fn || !isObject(value)) return JSON.stringify(value);
  const arg = value[fn];
  switch (fn) {
    case 'Ref':
      return `\${${String(arg)}}`;
    case 'Fn::GetAtt':
      return `\${${Array.isArray(arg) ? arg.join('.') : String(arg)}}`;
    case 'Fn::Join': {
      const [sep, parts] = arg as [string, Json[]];
      return parts.map(render).join(sep);
    }
    case 'Fn::Sub': {
      const [template, vars] = Array.isArray(arg)
        ? [String(arg[0]), isObject(arg[1]) ? arg[1] : {}]
        : [String(arg), {}];
      return template.replace(/\$\{([^}!][^}]*)\}/g, (whole, name: string) =>
        name in vars ? render(vars[name]) : whole,
      );
    }
    default:
      return `<${fn}>`;
  }
}

/** Every IAM policy statement in the template: roles' trust and inline policies, managed and resource policies. */
export function policyStatements(template: Template): { at: string; statement: JsonObject }[] {
  const found: { at: string; statement: JsonObject }[] = [];
  const walk = (v: Json | undefined, at: string): void => {
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        walk(x, `${at}[${i}]`);
      });
      return;
    }
    if (!isObject(v)) return;
    for (const [key, x] of Object.entries(v)) {
      if (key.endsWith('PolicyDocument') && isObject(x))
        asList(x.Statement).forEach((s, i) => {
          if (isObject(s)) found.push({ at: `${at}.${key}[${i}]`, statement: s });
        });
      else walk(x, `${at}.${key}`);
    }
  };
  for (const [id, r] of Object.entries(template.Resources)) walk(r.Properties, id);
  return found;
}

export const asList = (v: Json | undefined): Json[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** `[logicalId, resource]` for every resource of a type. */
export const resourcesOfType = (template: Template, type: string): [string, Resource][] =>
  Object.entries(template.Resources).filter(([, r]) => r.Type === type);
