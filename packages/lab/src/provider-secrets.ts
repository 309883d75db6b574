import {
  isProviderError,
  type BatchItemResult,
  type BatchOptions,
  type CallOptions,
  type GenerateRequest,
  type LanguageModelProvider,
  type ProviderEntry,
  type StreamPart,
} from '@llm-lab/core';
import { KeyManager, describeReference, keyManagerOptionsFrom, type SecretReference, type SecuritySettings } from '@llm-lab/security';

/** One secret reference written in a provider's `config:`, and where (`['apiKey']`, `['headers', 'api-key']`). */
interface ReferenceAt {
  path: string[];
  reference: SecretReference;
}

/** The secret references of a `config:` block (an object with `from:` anywhere in it). */
export function secretReferencesIn(config: Record<string, unknown>): ReferenceAt[] {
  const found: ReferenceAt[] = [];
  const walk = (node: unknown, path: string[]) => {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return;
    if ('from' in node) return void found.push({ path, reference: node as SecretReference });
    for (const [key, child] of Object.entries(node)) walk(child, [...path, key]);
  };
  walk(config, []);
  return found;
}

/** `config` with each reference replaced by its value. */
function withValues(config: Record<string, unknown>, references: readonly ReferenceAt[], values: readonly string[]): Record<string, unknown> {
  const copy = structuredClone(config);
  references.forEach(({ path }, index) => {
    let node = copy;
    for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
    node[path.at(-1) as string] = values[index];
  });
  return copy;
}

/**
 * The key managers of a lab: one per `security:` block and config folder, kept for the lab's
 * life so a gateway or a monitor reuses its cache, and so each run does not log in to Vault again.
 */
export class KeyManagers {
  private readonly managers = new Map<string, KeyManager>();

  constructor(private readonly context: { env?: NodeJS.ProcessEnv; now?: () => number; onStale?: (message: string) => void } = {}) {}

  /** The key manager for a config's `security:` block (Vault and AWS credentials from the environment). */
  for(security: SecuritySettings | undefined, baseDir: string): KeyManager {
    const key = JSON.stringify([security ?? {}, baseDir]);
    let manager = this.managers.get(key);
    if (!manager) {
      const { onStale, ...context } = this.context;
      manager = new KeyManager({ ...keyManagerOptionsFrom(security, { baseDir, ...context }), ...(onStale ? { onStale } : {}) });
      this.managers.set(key, manager);
    }
    return manager;
  }

  close(): void {
    for (const manager of this.managers.values()) manager.close();
    this.managers.clear();
  }
}

/**
 * Reads every secret referenced by the providers' entries (and their members), so providers can
 * be made synchronously afterwards and a missing or refused secret fails before the first call.
 */
export async function readProviderSecrets(providers: readonly ProviderEntry[], keys: KeyManager): Promise<void> {
  const references = providers.flatMap((entry) => {
    if (typeof entry === 'string') return [];
    const members = (entry.members ?? []).flatMap((member) => (typeof member === 'string' ? [] : [member.config]));
    return [entry.config, ...members].flatMap((config) => (config && typeof config === 'object' ? secretReferencesIn(config as Record<string, unknown>) : []));
  });
  await Promise.all(references.map(({ reference }) => keys.get(reference)));
}

/**
 * Makes a provider whose `config:` may hold secret references: without any, `create(config)`
 * itself. With some, a provider that reads them through the key manager before each call (cached
 * for its TTL) and makes the vendor's provider again when a value changed, so a long-lived
 * process sees a rotated key; a call refused for its key (authentication) reads the secrets
 * anew, once, and is sent once more when a value changed. Call {@link readProviderSecrets} first.
 */
export function createWithSecrets(
  config: Record<string, unknown>,
  keys: KeyManager | undefined,
  create: (config: Record<string, unknown>) => LanguageModelProvider,
): LanguageModelProvider {
  const references = secretReferencesIn(config);
  if (references.length === 0 || !keys) return create(config);
  const values = references.map(({ reference }) => {
    const value = keys.peek(reference);
    if (value === undefined) throw new Error(`secret ${describeReference(reference)} was not read before the provider was made (readProviderSecrets)`);
    return value;
  });
  return new RotatingSecretsProvider(config, references, keys, create, values);
}

class RotatingSecretsProvider implements LanguageModelProvider {
  readonly contractVersion: string;
  readonly id: string;
  readonly provider: string;
  readonly model: string;
  readonly scoreCompletions?: LanguageModelProvider['scoreCompletions'];
  readonly cacheIdentity?: LanguageModelProvider['cacheIdentity'];
  private inner: LanguageModelProvider;
  private values: string[];
  /** Providers made with older values: closed with this one (calls may still be in flight on them). */
  private readonly retired: LanguageModelProvider[] = [];

  constructor(
    private readonly config: Record<string, unknown>,
    private readonly references: readonly ReferenceAt[],
    private readonly keys: KeyManager,
    private readonly create: (config: Record<string, unknown>) => LanguageModelProvider,
    values: string[],
  ) {
    this.values = values;
    this.inner = create(withValues(config, references, values));
    ({ contractVersion: this.contractVersion, id: this.id, provider: this.provider, model: this.model } = this.inner);
    if (this.inner.scoreCompletions) {
      this.scoreCompletions = (request, options) => this.withCurrent((inner) => (inner.scoreCompletions as NonNullable<LanguageModelProvider['scoreCompletions']>)(request, options));
    }
    if (this.inner.cacheIdentity) this.cacheIdentity = () => this.inner.cacheIdentity?.() ?? {};
  }

  generate(request: GenerateRequest, options?: CallOptions) {
    return this.withCurrent((inner) => inner.generate(request, options));
  }

  async *streamGenerate(request: GenerateRequest, options?: CallOptions): AsyncIterable<StreamPart> {
    let inner = await this.current(false);
    for (let attempt = 0; ; attempt += 1) {
      let started = false;
      try {
        for await (const part of inner.streamGenerate(request, options)) {
          started = true;
          yield part;
        }
        return;
      } catch (error) {
        // A refused key is known before the first part; after it, the error stands.
        if (started || attempt > 0 || !isAuthFailure(error) || !(await this.refreshedSince(inner))) throw error;
        inner = this.inner;
      }
    }
  }

  async batchGenerate(requests: GenerateRequest[], options?: BatchOptions): Promise<BatchItemResult[]> {
    const inner = await this.current(false);
    const results = await inner.batchGenerate(requests, options);
    const refused = results.flatMap((result, index) => (!result.ok && isAuthFailure(result.error) ? [index] : []));
    if (refused.length === 0 || !(await this.refreshedSince(inner))) return results;
    const again = await this.inner.batchGenerate(refused.map((index) => requests[index] as GenerateRequest), options);
    refused.forEach((index, position) => (results[index] = again[position] as BatchItemResult));
    return results;
  }

  getModelInfo() {
    return this.inner.getModelInfo();
  }

  estimateCost(usage: Parameters<LanguageModelProvider['estimateCost']>[0]) {
    return this.inner.estimateCost(usage);
  }

  async close(): Promise<void> {
    await Promise.all([this.inner, ...this.retired].map((provider) => provider.close?.()));
  }

  private async withCurrent<T>(call: (inner: LanguageModelProvider) => Promise<T>): Promise<T> {
    const inner = await this.current(false);
    try {
      return await call(inner);
    } catch (error) {
      if (!isAuthFailure(error) || !(await this.refreshedSince(inner))) throw error;
      return call(this.inner);
    }
  }

  /**
   * Reads the secrets anew after `used` had its key refused; true when the provider to use now is
   * another (a value changed, here or in a concurrent call), so the call is worth sending again.
   */
  private async refreshedSince(used: LanguageModelProvider): Promise<boolean> {
    await this.current(true);
    return this.inner !== used;
  }

  /** The vendor's provider for the secrets' current values (read through the key manager's cache, or anew with `refresh`). */
  private async current(refresh: boolean): Promise<LanguageModelProvider> {
    const values = await Promise.all(this.references.map(({ reference }) => (refresh ? this.keys.refresh(reference) : this.keys.get(reference))));
    if (values.some((value, index) => value !== this.values[index])) {
      this.retired.push(this.inner);
      this.inner = this.create(withValues(this.config, this.references, values));
      this.values = values;
    }
    return this.inner;
  }
}

function isAuthFailure(error: unknown): boolean {
  return isProviderError(error) && error.kind === 'authentication';
}
