import { checkEntityTypes, detectPii, resolveOverlaps } from './detect.js';
import { maskSpans, PiiVault } from './mask.js';
import { presidioDetector, type PresidioOptions } from './presidio.js';
import { PII_ENTITY_TYPES, type PiiDetector, type PiiSpan } from './types.js';

/** Where PII is replaced: before a text is stored, written to a log, or sent to a provider. */
export type PiiStage = 'store' | 'log' | 'provider';
export const PII_STAGES: readonly PiiStage[] = ['store', 'log', 'provider'];
export type PiiMode = 'off' | 'mask' | 'tokenize';

/**
 * A PII policy, as written under `pii:` of a provider entry or a gateway route.
 * - `mode`: `off`; `mask` (`<EMAIL_ADDRESS>`, the original is gone); `tokenize` (`<EMAIL_ADDRESS_1>`
 *   sent to the provider, the original put back in the answer the user sees). Store and log
 *   stages always mask: a placeholder without its vault means nothing later.
 * - `before`: the stages it applies at. Default all three.
 * - `entities`: the types replaced. Default the pattern types and URL (not the weak name rules).
 * - `presidio`: also ask a Presidio analyzer (its spans join the rules').
 */
export interface PiiPolicy {
  mode: PiiMode;
  before?: readonly PiiStage[];
  entities?: readonly string[];
  minScore?: number;
  presidio?: PresidioOptions;
}

/** The types replaced when a policy names none: those found reliably (measured F1 ≥ 0.95), plus URLs. */
export const DEFAULT_PII_ENTITIES: readonly string[] = ['EMAIL_ADDRESS', 'PHONE_NUMBER', 'CREDIT_CARD', 'IBAN_CODE', 'US_SSN', 'IP_ADDRESS'];

/** Checks a policy written by hand; the error names the field and what to write. */
export function checkPiiPolicy(policy: PiiPolicy, where = 'pii'): void {
  if (!['off', 'mask', 'tokenize'].includes(policy.mode)) throw new Error(`${where}.mode is ${JSON.stringify(policy.mode)}; use off, mask or tokenize`);
  for (const stage of policy.before ?? []) {
    if (!PII_STAGES.includes(stage)) throw new Error(`${where}.before has ${JSON.stringify(stage)}; use store, log and/or provider`);
  }
  // With a Presidio analyzer any of its type names is accepted; the rules alone know theirs.
  if (policy.entities && !policy.presidio) checkEntityTypes(policy.entities, PII_ENTITY_TYPES);
}

/** Applies one policy: finds PII (rules, and Presidio when set) and masks or tokenises it. */
export class PiiGuard {
  readonly policy: PiiPolicy;
  private readonly stages: ReadonlySet<PiiStage>;
  private readonly presidio: PiiDetector | undefined;
  private readonly entities: readonly string[];

  constructor(policy: PiiPolicy) {
    checkPiiPolicy(policy);
    this.policy = policy;
    this.stages = new Set(policy.mode === 'off' ? [] : (policy.before ?? PII_STAGES));
    this.entities = policy.entities ?? DEFAULT_PII_ENTITIES;
    this.presidio = policy.presidio ? presidioDetector({ ...policy.presidio, entities: policy.presidio.entities ?? this.entities }) : undefined;
  }

  /** Whether the policy replaces PII before `stage`. */
  appliesTo(stage: PiiStage): boolean {
    return this.stages.has(stage);
  }

  /** The PII spans of `text` the policy covers. */
  async detect(text: string): Promise<PiiSpan[]> {
    const rules = PII_ENTITY_TYPES as readonly string[];
    const ruleTypes = this.entities.filter((type) => rules.includes(type));
    const found = detectPii(text, { entities: ruleTypes, ...(this.policy.minScore !== undefined ? { minScore: this.policy.minScore } : {}) });
    if (!this.presidio || text.trim() === '') return found;
    const remote = (await this.presidio.detect(text)).filter((span) => this.entities.includes(span.type));
    return resolveOverlaps([...found, ...remote]);
  }

  /** `text` with the covered PII replaced by `<TYPE>`. */
  async mask(text: string): Promise<string> {
    if (text === '') return text;
    return maskSpans(text, await this.detect(text));
  }

  /**
   * Every string inside `value` (arrays and plain objects walked; keys kept) with the covered PII
   * masked: for stored rows whose prompt, variables and scores are JSON.
   */
  async maskValue<T>(value: T): Promise<T> {
    if (typeof value === 'string') return (await this.mask(value)) as T;
    if (Array.isArray(value)) return (await Promise.all(value.map((item: unknown) => this.maskValue(item)))) as T;
    if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      const entries = await Promise.all(Object.entries(value).map(async ([key, item]) => [key, await this.maskValue(item)] as const));
      return Object.fromEntries(entries) as T;
    }
    return value;
  }

  /** For one conversation sent to a provider: masks, or tokenises into a fresh vault. */
  conversation(): PiiConversation {
    return new PiiConversation(this, this.policy.mode === 'tokenize' ? new PiiVault() : undefined);
  }
}

/** The outbound replacement and inbound restoration of one request and its answer. */
export class PiiConversation {
  constructor(
    private readonly guard: PiiGuard,
    /** Present when tokenising. */
    readonly vault: PiiVault | undefined,
  ) {}

  /** A text on its way to the provider. */
  async outbound(text: string): Promise<string> {
    if (text === '') return text;
    const spans = await this.guard.detect(text);
    return this.vault ? this.vault.tokenize(text, spans) : maskSpans(text, spans);
  }

  /** A text of the answer: placeholders restored when tokenising, unchanged otherwise. */
  inbound(text: string): string {
    return this.vault ? this.vault.restore(text) : text;
  }
}
