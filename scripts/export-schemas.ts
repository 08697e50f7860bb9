// `npm run schemas`: writes the JSON Schema of every event detail to events/schemas/ for consumers.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DETAIL_SCHEMAS, jsonSchemaOf, schemaFileName } from '../events/schemas.ts';

const dir = resolve(import.meta.dirname, '../events/schemas');
await mkdir(dir, { recursive: true });
for (const entry of DETAIL_SCHEMAS) {
  await writeFile(join(dir, schemaFileName(entry.detailType)), `${JSON.stringify(jsonSchemaOf(entry), null, 2)}\n`);
}
process.stdout.write(`wrote ${DETAIL_SCHEMAS.length} schemas to events/schemas/\n`);
