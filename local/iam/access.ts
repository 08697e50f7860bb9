// Local IAM: who is calling and what their role allows, from the packaged template. Each function signs
// its calls with its own access key (set in its worker's environment), the state machines and the
// event bus act with their roles, and every call is evaluated before local mode answers it, so a grant
// missing from serverless.yml fails here as it would fail in AWS.
import { randomBytes } from 'node:crypto';
import { AwsError } from '../errors.ts';
import { ACCOUNT, type FunctionWiring } from '../wiring.ts';
import { evaluate, type Grant, type Json, type Request, type Statement } from './evaluate.ts';
import type { Obj, TemplateResolver } from './template.ts';

export interface Principal {
  /** How it appears in AWS's messages: `arn:aws:sts::000000000000:assumed-role/<role>/<session>`. */
  arn: string;
  /** serverless.yml key of a function, a state machine's or rule's role id, or a local user. */
  name: string;
  grants: Grant[];
  /** The developer's own key: allowed everything, as an account administrator. */
  admin?: boolean;
  /** A person's or an agent's key, not one of the stack's own roles (left out of the unused-grant report). */
  user?: boolean;
  /** What `aws:PrincipalArn` is for this caller: the role's ARN for a role session, else the user's. */
  principalArn?: string;
}

export class AccessDenied extends AwsError {
  constructor(message: string) {
    super('AccessDeniedException', message);
  }
}

const list = (v: Json | undefined): Json[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
const obj = (v: Json | undefined): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? v : {});

/** Actions the Lambda runtime and X-Ray use, never the function's own code: left out of the unused-grant report. */
const RUNTIME_ACTIONS = /^(logs|xray):/i;

export interface UnusedGrant {
  principal: string;
  grant: string;
  action: string;
}

export class LocalIam {
  readonly #resolver: TemplateResolver;
  readonly #keys = new Map<string, { secret: string; principal: Principal }>();
  /** Principals that act without a key of their own: the state machines' and the rules' roles. */
  readonly #tracked = new Map<string, Principal>();
  readonly #functionKeys = new Map<string, string>();
  readonly #roles = new Map<string, Principal>();
  /** `principal\0grant\0action pattern` of every grant that allowed a request. */
  readonly #used = new Set<string>();
  denials = 0;

  readonly #region: string;
  /** The Deny statements of the template's bus policies, by bus ARN (read once: every call consults them). */
  readonly #denies = new Map<string, Grant[]>();
  /** The template's Lambda permissions, resolved once. */
  readonly #permissions: { functionName: string; principal: string; action: string; sourceArn: string }[] = [];

  constructor(
    resolver: TemplateResolver,
    functions: FunctionWiring[],
    developer: { accessKeyId: string; secretAccessKey: string },
    region: string,
  ) {
    this.#resolver = resolver;
    this.#region = region;
    this.#readResourcePolicies();
    this.#keys.set(developer.accessKeyId, {
      secret: developer.secretAccessKey,
      principal: {
        arn: `arn:aws:iam::${ACCOUNT}:user/${developer.accessKeyId}`,
        name: developer.accessKeyId,
        grants: [],
        admin: true,
      },
    });
    for (const f of functions) {
      const id = this.#functionResourceId(f.name);
      const roleId = id ? this.#roleIdOf(obj(resolver.resource(id)?.Properties).Role) : undefined;
      const principal = roleId
        ? this.#rolePrincipal(roleId, f.name)
        : { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/none/${f.name}`, name: f.key, grants: [] };
      principal.name = f.key;
      // An access key per function, with a secret made for this run: no function can sign as another.
      const accessKeyId = `ASIALOCAL${f.key.toUpperCase().replace(/[^A-Z0-9]/g, '')}`;
      this.#keys.set(accessKeyId, { secret: randomBytes(20).toString('base64url'), principal });
      this.#functionKeys.set(f.key, accessKeyId);
    }
  }

  /** A local user with the statements of a managed policy of the template (e.g. the agents' policy). */
  addUser(accessKeyId: string, secretAccessKey: string, managedPolicyId: string): void {
    const doc = obj(this.#resolver.value(obj(this.#resolver.resource(managedPolicyId)?.Properties).PolicyDocument));
    const grants = list(doc.Statement).map((s, i) => ({
      id: `${managedPolicyId}.Statement[${i}]`,
      statement: s as unknown as Statement,
    }));
    this.#keys.set(accessKeyId, {
      secret: secretAccessKey,
      principal: { arn: `arn:aws:iam::${ACCOUNT}:user/${accessKeyId}`, name: accessKeyId, grants, user: true },
    });
  }

  credentialsFor(functionKey: string): { accessKeyId: string; secretAccessKey: string } {
    const accessKeyId = this.#functionKeys.get(functionKey);
    if (!accessKeyId) throw new Error(`no local credentials for function ${functionKey}`);
    return { accessKeyId, secretAccessKey: this.#keys.get(accessKeyId)!.secret };
  }

  secretOf = (accessKeyId: string): string | undefined => this.#keys.get(accessKeyId)?.secret;

  principalOf(accessKeyId: string): Principal {
    const p = this.#keys.get(accessKeyId)?.principal;
    if (!p) throw new Error(`unknown access key ${accessKeyId}`);
    return p;
  }

  /** The role a resource of the template names in `property` (a state machine's RoleArn, a rule target's RoleArn). */
  roleOf(resourceId: string, property: string, session: string): Principal {
    return this.rolePrincipal(obj(this.#resolver.resource(resourceId)?.Properties)[property], session);
  }

  /** The role a template value names (`Fn::GetAtt: [Role, Arn]` or a Ref), as a session of `session`. */
  rolePrincipal(roleValue: Json | undefined, session: string): Principal {
    const roleId = this.#roleIdOf(roleValue);
    return roleId
      ? this.#rolePrincipal(roleId, session)
      : { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/none/${session}`, name: session, grants: [] };
  }

  /** Throws AccessDeniedException, worded as AWS words it, unless the principal may make the request. */
  authorize(principal: Principal, request: Request): void {
    const req = {
      ...request,
      context: { 'aws:PrincipalArn': principal.principalArn ?? principal.arn, ...request.context },
    };
    // A resource policy's Deny binds every caller, an administrator too, as in AWS.
    const denied = evaluate(this.#resourceDenies(req.resource), req);
    if (!denied.allowed && denied.reason === 'explicit-deny') {
      this.denials++;
      throw new AccessDenied(
        `User: ${principal.arn} is not authorized to perform: ${req.action} on resource: ${req.resource} with an explicit deny in a resource-based policy (${denied.by?.id})`,
      );
    }
    if (principal.admin) return;
    const decision = evaluate(principal.grants, req);
    if (decision.allowed) {
      this.#record(principal, decision.by, req.action);
      return;
    }
    this.denials++;
    const why =
      decision.reason === 'explicit-deny'
        ? `with an explicit deny in ${decision.by?.id}`
        : `because no identity-based policy allows the ${req.action} action`;
    throw new AccessDenied(
      `User: ${principal.arn} is not authorized to perform: ${req.action} on resource: ${req.resource} ${why}`,
    );
  }

  /** Whether a resource-based Lambda permission of the template lets `service` invoke the function from `sourceArn`. */
  lambdaPermits(functionArn: string, service: string, sourceArn: string): boolean {
    return this.#permissions.some(
      (p) =>
        (p.functionName === functionArn || functionArn.endsWith(`:function:${p.functionName}`)) &&
        p.principal === service &&
        p.action.toLowerCase() === 'lambda:invokefunction' &&
        evaluate([{ id: 'permission', statement: { Effect: 'Allow', Action: '*', Resource: p.sourceArn } }], {
          action: 'x',
          resource: sourceArn,
        }).allowed,
    );
  }

  /** Every action of every grant of the stack's own roles that no request used (besides the runtime's logs and traces). */
  unusedGrants(): UnusedGrant[] {
    const out: UnusedGrant[] = [];
    const seen = new Set<string>();
    for (const principal of [...[...this.#keys.values()].map((k) => k.principal), ...this.#tracked.values()]) {
      if (principal.admin || principal.user || seen.has(principal.name)) continue;
      seen.add(principal.name);
      for (const g of principal.grants) {
        if (g.statement.Effect !== 'Allow') continue;
        for (const action of list(g.statement.Action as Json).map(String)) {
          if (RUNTIME_ACTIONS.test(action)) continue;
          if (!this.#used.has(`${principal.name}\0${g.id}\0${action}`))
            out.push({ principal: principal.name, grant: g.id, action });
        }
      }
    }
    return out;
  }

  /** Adds the principals of the state machines and rules (they sign nothing), so the unused-grant report covers them too. */
  track(principal: Principal): Principal {
    if (!this.#tracked.has(principal.name)) this.#tracked.set(principal.name, principal);
    return this.#tracked.get(principal.name)!;
  }

  /** The Deny statements of the template's resource policies on a resource (the bus's EventBusPolicy), for any principal. */
  #resourceDenies(resource: string): Grant[] {
    return this.#denies.get(resource) ?? [];
  }

  #readResourcePolicies(): void {
    for (const [id, r] of this.#resolver.resources) {
      if (r.Type === 'AWS::Lambda::Permission') {
        const p = obj(this.#resolver.value(r.Properties as Json));
        this.#permissions.push({
          functionName: String(p.FunctionName),
          principal: String(p.Principal),
          action: String(p.Action),
          sourceArn: p.SourceArn === undefined || p.SourceArn === null ? '*' : String(p.SourceArn),
        });
      }
      if (r.Type !== 'AWS::Events::EventBusPolicy') continue;
      const p = obj(this.#resolver.value(r.Properties as Json));
      const bus = String(p.EventBusName ?? 'default');
      const busArn = bus.startsWith('arn:') ? bus : `arn:aws:events:${this.#region}:${ACCOUNT}:event-bus/${bus}`;
      const statements =
        p.Statement !== undefined && p.Statement !== null ? list(p.Statement) : list(obj(p.Policy).Statement);
      statements.forEach((st, i) => {
        const statement = st as unknown as Statement & { Principal?: Json };
        if (statement.Effect === 'Deny' && (statement.Principal === '*' || obj(statement.Principal).AWS === '*')) {
          this.#denies.set(busArn, [...(this.#denies.get(busArn) ?? []), { id: `${id}.Statement[${i}]`, statement }]);
        }
      });
    }
  }

  #record(principal: Principal, grant: Grant, action: string): void {
    for (const pattern of list(grant.statement.Action as Json).map(String)) {
      if (
        evaluate([{ id: 'x', statement: { Effect: 'Allow', Action: pattern, Resource: '*' } }], {
          action,
          resource: '*',
        }).allowed
      )
        this.#used.add(`${principal.name}\0${grant.id}\0${pattern}`);
    }
  }

  #functionResourceId(name: string): string | undefined {
    return this.#resolver.resources.find(
      ([, r]) => r.Type === 'AWS::Lambda::Function' && this.#resolver.value(obj(r.Properties).FunctionName) === name,
    )?.[0];
  }

  #roleIdOf(roleValue: Json | undefined): string | undefined {
    const ga = obj(roleValue)['Fn::GetAtt'];
    if (Array.isArray(ga)) return String(ga[0]);
    if (typeof ga === 'string') return ga.split('.')[0];
    const ref = obj(roleValue).Ref;
    return typeof ref === 'string' ? ref : undefined;
  }

  #rolePrincipal(roleId: string, session: string): Principal {
    const cached = this.#roles.get(`${roleId}/${session}`);
    if (cached) return cached;
    const role = obj(this.#resolver.resource(roleId)?.Properties);
    const grants: Grant[] = [];
    list(role.Policies).forEach((policy, i) => {
      const doc = obj(this.#resolver.value(obj(policy).PolicyDocument));
      list(doc.Statement).forEach((s, j) => {
        grants.push({ id: `${roleId}.Policies[${i}].Statement[${j}]`, statement: s as unknown as Statement });
      });
    });
    // Customer managed policies of the same template; AWS managed ones are not modelled (none is used).
    for (const arn of list(role.ManagedPolicyArns)) {
      const ref = obj(arn).Ref;
      if (typeof ref !== 'string') continue;
      const doc = obj(this.#resolver.value(obj(this.#resolver.resource(ref)?.Properties).PolicyDocument));
      list(doc.Statement).forEach((s, j) => {
        grants.push({ id: `${ref}.Statement[${j}]`, statement: s as unknown as Statement });
      });
    }
    const name = this.#resolver.roleName(roleId);
    const principal = {
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${name}/${session}`,
      name: roleId,
      grants,
      principalArn: this.#resolver.arn(roleId),
    };
    this.#roles.set(`${roleId}/${session}`, principal);
    return principal;
  }
}
