// CloudFormation's intrinsic functions as local mode resolves them (Ref, Fn::GetAtt, Fn::Join, Fn::Sub),
// one walk for the wiring (serverless.yml, where anything unknown is an error) and the packaged template
// (its IAM, where anything unknown must only ever deny).
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

export interface References {
  /** What `Ref` of a logical id or pseudo parameter means locally. */
  ref(id: string, where: string): string;
  /** What `Fn::GetAtt` of an attribute means locally. */
  attribute(id: string, attr: string, where: string): string;
  /** An intrinsic function this walk does not resolve. */
  unsupported(fn: string, where: string): Json;
}

export function resolveIntrinsics(v: Json | undefined, refs: References, where = ''): Json {
  if (v === undefined) return null;
  if (Array.isArray(v)) return v.map((x, i) => resolveIntrinsics(x, refs, `${where}[${i}]`));
  if (!v || typeof v !== 'object') return v;
  const keys = Object.keys(v);
  if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))) {
    const [fn] = keys as [string];
    const arg = v[fn]!;
    switch (fn) {
      case 'Ref':
        return refs.ref(String(arg), where);
      case 'Fn::GetAtt': {
        const [id, attr] = Array.isArray(arg) ? (arg as string[]) : String(arg).split('.');
        return refs.attribute(id!, attr!, where);
      }
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, Json[]];
        return parts.map((p, i) => String(resolveIntrinsics(p, refs, `${where}[${i}]`))).join(sep);
      }
      case 'Fn::Sub': {
        const [template, vars] = Array.isArray(arg) ? (arg as [string, Obj]) : [arg as string, {} as Obj];
        // `${!Literal}` is text, not a reference.
        return template.replace(/\$\{(!?)([^}]+)\}/g, (_m, bang: string, name: string) => {
          if (bang) return `\${${name}}`;
          if (vars[name] !== undefined) return String(resolveIntrinsics(vars[name], refs, where));
          const [id, attr] = name.split('.');
          return attr ? refs.attribute(id!, attr, where) : refs.ref(id!, where);
        });
      }
      default:
        return refs.unsupported(fn, where);
    }
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolveIntrinsics(x, refs, `${where}.${k}`)]));
}
