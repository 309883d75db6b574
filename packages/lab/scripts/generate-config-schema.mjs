// Writes schema/llm-lab.schema.json, the JSON Schema of llm-lab.yaml, from the zod schemas that
// validate configs and the key tables of docs/config.md. Run by `build`, so the published file
// always matches the code; never edit the output by hand.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configJsonSchema, descriptionsFromConfigDocs } from '../dist/config-json-schema.js';

const here = dirname(fileURLToPath(import.meta.url));
let docs = '';
try {
  docs = readFileSync(join(here, '../../../docs/config.md'), 'utf8');
} catch {
  // Outside the repository (a packed copy): no descriptions to add.
}
const schema = configJsonSchema({ descriptions: descriptionsFromConfigDocs(docs) });
const out = join(here, '../schema/llm-lab.schema.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(schema, null, 2)}\n`);
