import type { Lab } from '@llm-lab/lab';

export interface StorageFlags {
  databaseUrl?: string;
  dataDir?: string;
}

/** Loads the library lazily, so `llm-lab --version` and `--help` start instantly. */
export async function openLab(flags: StorageFlags): Promise<Lab> {
  const { createLab } = await import('@llm-lab/lab');
  const { commandLogger } = await import('../logging.js');
  return createLab({
    logger: await commandLogger(flags.dataDir ? { dataDir: flags.dataDir } : {}),
    ...(flags.databaseUrl ? { databaseUrl: flags.databaseUrl } : {}),
    ...(flags.dataDir ? { dataDir: flags.dataDir } : {}),
  });
}
