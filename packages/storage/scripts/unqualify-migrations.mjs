// drizzle-kit writes foreign keys as REFERENCES "public"."table"(...) even for tables declared
// without a schema. LLM Lab places its tables with search_path (a schema per team or per test run),
// so a hard-coded "public" would point a foreign key at the wrong schema. This strips it from the
// generated SQL; run it after every `drizzle-kit generate` (the `db:generate` script does).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const folder = new URL('../migrations/', import.meta.url).pathname;
let changed = 0;
for (const name of readdirSync(folder).filter((file) => file.endsWith('.sql'))) {
  const path = join(folder, name);
  const before = readFileSync(path, 'utf8');
  const after = before.replaceAll('"public".', '');
  if (after !== before) {
    writeFileSync(path, after);
    changed += 1;
    console.log(`unqualified "public". in ${name}`);
  }
}
if (changed === 0) console.log('migrations already schema-neutral');
