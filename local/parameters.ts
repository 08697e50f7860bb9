// Local Parameter Store: what the functions read through SSM GetParameters. A Secrets Manager secret of
// serverless.yml is served under /aws/reference/secretsmanager/<name>, as in AWS; a secret that AWS would
// generate (GenerateSecretString) is generated here once and kept in the data folder.
import { randomInt } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type { SecretWiring } from './wiring.ts';

export interface Parameter {
  Name: string;
  Type: 'String' | 'SecureString';
  Value: string;
  Version: number;
  ARN: string;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const PUNCT = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

function generate(spec: NonNullable<SecretWiring['generate']>): string {
  const alphabet = ALNUM + (spec.excludePunctuation ? '' : PUNCT);
  return Array.from({ length: spec.length }, () => alphabet[randomInt(alphabet.length)]).join('');
}

export class LocalParameters {
  readonly #params = new Map<string, Parameter>();
  readonly #region: string;

  constructor(region: string) {
    this.#region = region;
  }

  /** Loads (or generates and saves) each secret's value from the data folder's secrets file. */
  async init(secrets: SecretWiring[], file: string): Promise<void> {
    const stored = JSON.parse(await readFile(file, 'utf8').catch(() => '{}')) as Record<string, string>;
    let changed = false;
    for (const s of secrets) {
      let value = stored[s.name] ?? s.value;
      if (value === undefined) {
        if (!s.generate) throw new Error(`secret ${s.name} has neither SecretString nor GenerateSecretString`);
        value = generate(s.generate);
        stored[s.name] = value;
        changed = true;
      }
      const name = `/aws/reference/secretsmanager/${s.name}`;
      this.#params.set(name, {
        Name: name,
        Type: 'SecureString',
        Value: value,
        Version: 1,
        ARN: `arn:aws:ssm:${this.#region}:000000000000:parameter${name}`,
      });
    }
    if (changed) await writeFile(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  }

  getParameters(names: string[]): { Parameters: Parameter[]; InvalidParameters: string[] } {
    const found = names.map((n) => this.#params.get(n)).filter((p): p is Parameter => Boolean(p));
    return { Parameters: found, InvalidParameters: names.filter((n) => !this.#params.has(n)) };
  }
}
