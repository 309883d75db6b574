import { expect, it } from '@jest/globals';
import { resumeHint } from '../src/commands/run.js';

it('a resume hint names the storage given, with a database password shown as a placeholder wherever the URL holds it', () => {
  expect(resumeHint('llm-lab run cfg.yaml', 'run-1', { dataDir: 'kept/db' })).toBe('llm-lab run cfg.yaml --resume run-1 --data-dir kept/db');
  expect(resumeHint('llm-lab run cfg.yaml', 'run-1', { databaseUrl: 'postgres://me:s3cret@db:5432/lab' })).toBe(
    "llm-lab run cfg.yaml --resume run-1 --database-url 'postgres://me:<password>@db:5432/lab'",
  );
  const inQuery = resumeHint('llm-lab run cfg.yaml', 'run-1', { databaseUrl: 'postgres://me@db/lab?sslmode=require&password=s3cret' });
  expect(inQuery).not.toContain('s3cret');
  expect(inQuery).toContain('password=<password>');
  expect(resumeHint('llm-lab run cfg.yaml', 'run-1', { databaseUrl: 'postgres://me@db/lab' })).toBe('llm-lab run cfg.yaml --resume run-1 --database-url postgres://me@db/lab');
});
