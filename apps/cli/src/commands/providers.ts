import { createLab } from '@llm-lab/lab';
import { ExitCode } from '../errors.js';
import { renderTable } from '../output/format.js';

const CAPABILITIES = ['streaming', 'batch', 'embeddings', 'logprobs', 'tools'] as const;

/** `llm-lab providers list`: built-in providers and the plugins a config loads, with capabilities. */
export async function providersListCommand(flags: { config?: string; json?: boolean }): Promise<number> {
  const lab = createLab();
  const providers = await lab.listProviders(flags.config);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(providers, null, 2)}\n`);
    return ExitCode.ok;
  }
  const rows = providers.map((provider) => [
    `${provider.name}:<model>`,
    provider.source,
    CAPABILITIES.filter((capability) => provider.capabilities[capability]).join(', ') || '-',
    provider.description,
  ]);
  process.stdout.write(`${renderTable(['Provider', 'Source', 'Capabilities', 'Description'], rows)}\n`);
  return ExitCode.ok;
}
