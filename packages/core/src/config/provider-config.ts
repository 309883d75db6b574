import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { formatConfigPath } from './load.js';
import { unknownKeyErrors } from './suggest-key.js';

/**
 * Validates a provider's `config:` block against its zod schema. Throws a ConfigError whose path
 * starts at `config` (e.g. `config.baseURL`); callers that know the provider's place in the file
 * prefix it (`providers[1].config.baseURL`).
 */
export function parseProviderConfig<S extends z.ZodType>(schema: S, config: unknown, providerId: string): z.output<S> {
  const result = schema.safeParse(config ?? {}, { error: unknownKeyErrors });
  if (result.success) return result.data;
  const [issue] = result.error.issues;
  throw new ConfigError({
    path: formatConfigPath(['config', ...(issue?.path ?? [])]),
    message: `${issue?.message ?? 'invalid'} (provider ${providerId})`,
  });
}
