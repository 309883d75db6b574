import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EmbeddingProvider, LanguageModelProvider, ModelCapabilities } from './contract/types.js';
import { CONTRACT_VERSION, majorOf } from './contract/version.js';
import { ConfigError, LLMLabError } from './errors.js';
import type { Logger } from './logging.js';

/** What a provider factory receives. */
export interface ProviderCreateOptions {
  /** The part of the id after the first colon, e.g. `gpt-4o-mini`. */
  model: string;
  /** The provider's `config:` block from the LLM Lab config (already env-interpolated). */
  config: Record<string, unknown>;
  logger?: Logger;
}

/**
 * A provider family: what a built-in provider registers and what a plugin package exports
 * (as its default export or as `provider`).
 */
export interface ProviderPlugin {
  /** The prefix of the ids it serves: `openai` serves `openai:<model>`. Lowercase. */
  name: string;
  /** The contract version it was built against, e.g. `'1.0.0'`. */
  contractVersion: string;
  /** One line shown by `llm-lab providers list`. */
  description?: string;
  /** What its models can do, for listing. */
  capabilities?: Partial<ModelCapabilities>;
  /**
   * Keys of its `config:` that only set the pace or the transport, not which answers come back
   * (e.g. an HTTP client's settings, a stand-in's delay). A run resumed with these changed is still
   * the same run. `timeoutMs` and `maxRetries` always count as pace keys.
   */
  paceConfigKeys?: readonly string[];
  /** Makes a provider for one model. May throw ConfigError for a bad `config`. */
  create(options: ProviderCreateOptions): LanguageModelProvider;
  /** Optional: makes an embedding model (`openai:text-embedding-3-small`), for similarity checks. */
  createEmbedding?(options: ProviderCreateOptions): EmbeddingProvider;
}

/** Keys of any provider's `config:` that only set the pace: the SDK's timeout and retries. */
export const COMMON_PACE_CONFIG_KEYS: readonly string[] = ['timeoutMs', 'maxRetries'];

/** Helps plugin authors get the shape right; returns its argument. */
export function defineProvider(plugin: ProviderPlugin): ProviderPlugin {
  return plugin;
}

/** A listed provider family and where it came from. */
export interface RegisteredProvider {
  name: string;
  description: string;
  contractVersion: string;
  capabilities: Partial<ModelCapabilities>;
  source: 'built-in' | string;
}

/** Splits `openai:gpt-4o-mini` into its provider and model (the model may contain colons). */
export function parseProviderId(id: string): { provider: string; model: string } {
  const colon = id.indexOf(':');
  if (colon <= 0 || colon === id.length - 1) {
    throw new ConfigError({
      message: `Provider id '${id}' is not of the form <provider>:<model> (for example 'openai:gpt-4o-mini' or 'mock:echo').`,
    });
  }
  return { provider: id.slice(0, colon).toLowerCase(), model: id.slice(colon + 1) };
}

const PLUGIN_NAME = /^(?:@[a-z0-9][\w.-]*\/)?llm-lab-provider-[a-z0-9][\w.-]*$/;

/** Holds the provider families LLM Lab knows, and makes providers from `<provider>:<model>` ids. */
export class ProviderRegistry {
  private readonly entries = new Map<string, { plugin: ProviderPlugin; source: string }>();
  /** Families whose code is imported on first use (see {@link registerLoader}). */
  private readonly loaders = new Map<string, { load: () => Promise<ProviderPlugin | readonly ProviderPlugin[]>; loading?: Promise<void> }>();

  /**
   * Announces provider families whose package is imported only when one of them is needed, so a
   * run that uses one vendor does not load every vendor's SDK. `load` resolves to the plugin (or
   * the plugins, for a package serving several names). Call {@link load} before {@link create}.
   */
  registerLoader(names: string | string[], load: () => Promise<ProviderPlugin | readonly ProviderPlugin[]>): this {
    const entry = { load };
    for (const name of Array.isArray(names) ? names : [names]) {
      if (!this.entries.has(name.toLowerCase())) this.loaders.set(name.toLowerCase(), entry);
    }
    return this;
  }

  /**
   * Imports the families announced with {@link registerLoader} for the given provider names or
   * `<provider>:<model>` ids (all of them when none are given). Names with no loader are ignored.
   */
  async load(namesOrIds?: Iterable<string>): Promise<void> {
    const wanted = namesOrIds === undefined ? [...this.loaders.keys()] : [...namesOrIds].map((name) => name.split(':')[0]?.toLowerCase() ?? '');
    const pending = new Set(wanted.map((name) => this.loaders.get(name)).filter((entry) => entry !== undefined));
    await Promise.all(
      [...pending].map((entry) => {
        entry.loading ??= entry.load().then((loaded) => {
          for (const plugin of (Array.isArray(loaded) ? loaded : [loaded]) as readonly ProviderPlugin[]) {
            if (this.loaders.get(plugin.name.toLowerCase()) === entry) this.loaders.delete(plugin.name.toLowerCase());
            if (!this.entries.has(plugin.name.toLowerCase())) this.register(plugin);
          }
        });
        return entry.loading;
      }),
    );
  }

  /**
   * Adds a provider family. Refuses one built for another contract major version, naming both.
   * Registering the same name again replaces it (a plugin may override a built-in).
   */
  register(plugin: ProviderPlugin, source = 'built-in'): this {
    if (!plugin || typeof plugin.name !== 'string' || typeof plugin.create !== 'function') {
      throw new LLMLabError(
        'provider_invalid',
        `${source === 'built-in' ? 'A provider' : `Plugin '${source}'`} is not a provider: expected an object with 'name', 'contractVersion' and 'create()'.`,
      );
    }
    const theirs = majorOf(String(plugin.contractVersion));
    const ours = majorOf(CONTRACT_VERSION);
    if (theirs !== ours) {
      throw new LLMLabError(
        'provider_contract_mismatch',
        `Provider '${plugin.name}'${source === 'built-in' ? '' : ` from '${source}'`} was built for provider contract ` +
          `${plugin.contractVersion || '(none declared)'}, but this @llm-lab/core implements contract ${CONTRACT_VERSION}. ` +
          `Install a version of the provider built for contract ${ours}.x, or an @llm-lab/core that implements ${plugin.contractVersion}.` +
          (theirs === 1 && ours === 2
            ? ' Contract 2.0 changed message content (text or parts), added tools, structured output and new stream parts and capability flags: docs/plugins.md says how to move a 1.x provider.'
            : ''),
      );
    }
    this.entries.set(plugin.name.toLowerCase(), { plugin, source });
    return this;
  }

  /** True when a provider family of that name is registered (or announced, to be loaded on use). */
  has(name: string): boolean {
    return this.entries.has(name.toLowerCase()) || this.loaders.has(name.toLowerCase());
  }

  /** Makes a provider for `<provider>:<model>`; throws ConfigError for an unknown provider. */
  create(id: string, config: Record<string, unknown> = {}, logger?: Logger): LanguageModelProvider {
    const { provider, model } = parseProviderId(id);
    const entry = this.entries.get(provider);
    if (!entry && this.loaders.has(provider)) {
      throw new LLMLabError('provider_not_loaded', `Provider '${provider}' is known but not loaded yet: await registry.load(['${id}']) before create().`);
    }
    if (!entry) {
      const known = [...new Set([...this.entries.keys(), ...this.loaders.keys()])].sort();
      throw new ConfigError({
        message:
          `Unknown provider '${provider}' in id '${id}'. Known providers: ${known.join(', ') || '(none)'}. ` +
          `A third-party provider is loaded by listing its package under 'plugins:' in the config.`,
      });
    }
    return entry.plugin.create({ model, config, ...(logger ? { logger } : {}) });
  }

  /**
   * Makes an embedding model for `<provider>:<model>` from a family that offers embeddings
   * (`createEmbedding`); throws ConfigError naming the families that do when this one does not.
   */
  createEmbedding(id: string, config: Record<string, unknown> = {}, logger?: Logger): EmbeddingProvider {
    const { provider, model } = parseProviderId(id);
    // An unknown or unloaded family fails as create() says.
    if (!this.entries.has(provider)) this.create(id, config, logger);
    const plugin = this.entries.get(provider)?.plugin as ProviderPlugin;
    if (!plugin.createEmbedding) {
      const offering = [...this.entries.values()].filter((entry) => entry.plugin.createEmbedding).map((entry) => entry.plugin.name).sort();
      throw new ConfigError({
        message: `Provider '${provider}' offers no embeddings (needed for '${id}'). Families with embeddings: ${offering.join(', ') || '(none loaded)'}, e.g. openai:text-embedding-3-small.`,
      });
    }
    return plugin.createEmbedding({ model, config, ...(logger ? { logger } : {}) });
  }

  /**
   * The pace keys of the family serving `id` ({@link ProviderPlugin.paceConfigKeys}, plus
   * {@link COMMON_PACE_CONFIG_KEYS}); only the common ones when the family is not loaded.
   */
  paceConfigKeys(id: string): ReadonlySet<string> {
    const colon = id.indexOf(':');
    const entry = this.entries.get((colon > 0 ? id.slice(0, colon) : id).toLowerCase());
    return new Set([...COMMON_PACE_CONFIG_KEYS, ...(entry?.plugin.paceConfigKeys ?? [])]);
  }

  /** Every registered provider family, sorted by name (announced ones after {@link load}). */
  list(): RegisteredProvider[] {
    return [...this.entries.values()]
      .map(({ plugin, source }) => ({
        name: plugin.name,
        description: plugin.description ?? '',
        contractVersion: plugin.contractVersion,
        capabilities: plugin.capabilities ?? {},
        source,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Loads a plugin package by name (resolved from `cwd`, as the config's folder) and registers
   * the provider it exports. Fails with a message saying which of these went wrong: the
   * package is missing, it exports no provider, or it was built for another contract version.
   */
  async loadPlugin(packageName: string, options: { cwd?: string } = {}): Promise<ProviderPlugin> {
    const cwd = resolve(options.cwd ?? process.cwd());
    if (!PLUGIN_NAME.test(packageName) && !packageName.startsWith('.') && !packageName.startsWith('/')) {
      throw new ConfigError({
        message: `Plugin '${packageName}' is not a provider plugin name: plugins are named 'llm-lab-provider-<name>' or '@scope/llm-lab-provider-<name>' (or given as a path).`,
      });
    }
    let entryUrl: string;
    try {
      const target = packageName.startsWith('.') ? resolve(cwd, packageName) : packageName;
      entryUrl = pathToFileURL(resolvePluginEntry(target, cwd)).href;
    } catch (error) {
      throw new ConfigError({
        message: `Plugin package '${packageName}' is not installed (looked from ${cwd}). Install it with 'pnpm add ${packageName}' (or npm install), then run again.`,
        cause: error,
      });
    }
    const module = (await import(entryUrl)) as Record<string, unknown>;
    const candidate = [module.default, module.provider, module.plugin].find(
      (value) => typeof value === 'object' && value !== null && typeof (value as ProviderPlugin).create === 'function',
    ) as ProviderPlugin | undefined;
    if (!candidate) {
      throw new ConfigError({
        message: `Package '${packageName}' does not export an LLM Lab provider. A plugin exports (as default or as 'provider') an object made with defineProvider({ name, contractVersion, create }) from @llm-lab/core.`,
      });
    }
    this.register(candidate, packageName);
    return candidate;
  }
}

/**
 * The file `import(target)` would load, resolved from `cwd`. Node's `require.resolve` refuses an
 * ESM-only package whose `exports` has only an `import` condition (ERR_PACKAGE_PATH_NOT_EXPORTED);
 * for those, the package is looked up in the `node_modules` folders from `cwd` upwards and its
 * root export is read from its package.json with the conditions `import` uses.
 */
function resolvePluginEntry(target: string, cwd: string): string {
  const require = createRequire(join(cwd, 'package.json'));
  try {
    return require.resolve(target);
  } catch (error) {
    if (isAbsolute(target)) throw error;
    for (let dir = cwd; ; dir = dirname(dir)) {
      const packageDir = join(dir, 'node_modules', target);
      if (existsSync(join(packageDir, 'package.json'))) {
        const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { exports?: unknown };
        const entry = esmRootExport(manifest.exports);
        if (entry !== undefined) return join(packageDir, entry);
      }
      if (dirname(dir) === dir) throw error;
    }
  }
}

/** The root (`.`) target of an `exports` map under the conditions `import` uses (node, import, default). */
function esmRootExport(exports: unknown): string | undefined {
  if (typeof exports === 'string') return exports;
  if (typeof exports !== 'object' || exports === null || Array.isArray(exports)) return undefined;
  const map = exports as Record<string, unknown>;
  if ('.' in map) return esmRootExport(map['.']);
  for (const condition of ['node', 'import', 'default']) {
    const target = esmRootExport(map[condition]);
    if (target !== undefined) return target;
  }
  return undefined;
}
