import { defineConfig } from 'drizzle-kit';

/** drizzle-kit settings: `pnpm run db:generate` writes SQL migrations from src/schema.ts. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema.ts',
  out: './migrations',
});
