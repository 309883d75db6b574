import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { KeyManager } from '../keys/key-manager.js';
import { describeReference, parseSecretReference, type SecretReference } from '../keys/reference.js';

/** The prefix of every sealed text of this format. */
export const SEALED_PREFIX = 'enc:v1:';

/** A sealed text could not be opened: not of this format, no key for its key id, or altered. */
export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

/** What {@link SecretBox.open} gives back. */
export interface Opened {
  plaintext: string;
  /** True when the text was sealed under an older data key: seal it again and store that. */
  needsReencryption: boolean;
}

/**
 * Turns a data key as kept in a secret store into its 32 bytes: 64 hex characters, or base64 /
 * base64url of 32 bytes (`openssl rand -base64 32`). Throws naming `where` otherwise.
 */
export function parseDataKey(text: string, where: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) {
    const bytes = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length === 32) return bytes;
  }
  throw new SecretBoxError(`the data key ${where} is not 32 bytes written as base64 or 64 hex characters. Make one with: openssl rand -base64 32`);
}

/** A key's id: the first 8 bytes of its SHA-256, base64url. Stored with each sealed text; it does not reveal the key. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('llm-lab data key id').update(key).digest().subarray(0, 8).toString('base64url');
}

/**
 * AES-256-GCM (node:crypto) under a current data key, opening texts sealed under older keys too.
 * A sealed text is `enc:v1:<kid>:<iv>:<tag>:<ciphertext>` (base64url parts): the key id tells
 * which key opens it, so after a rotation old texts still open and are flagged for sealing again.
 * An optional `context` (e.g. `alert-channel:42`) is bound as additional data: a sealed text
 * copied to another row does not open there.
 */
export class SecretBox {
  readonly currentKeyId: string;
  private readonly current: Buffer;
  private readonly keys = new Map<string, Buffer>();

  /** `current` seals; `previous` keys only open. Each is 32 raw bytes. */
  constructor(current: Buffer, previous: readonly Buffer[] = []) {
    if (current.length !== 32) throw new SecretBoxError(`a data key is 32 bytes, not ${current.length}`);
    this.current = current;
    this.currentKeyId = keyIdOf(current);
    for (const key of [current, ...previous]) {
      if (key.length !== 32) throw new SecretBoxError(`a data key is 32 bytes, not ${key.length}`);
      this.keys.set(keyIdOf(key), key);
    }
  }

  /** Whether a stored text is sealed (of this format), as opposed to plain text from before encryption was turned on. */
  static isSealed(text: string): boolean {
    return text.startsWith(SEALED_PREFIX);
  }

  seal(plaintext: string, context = ''): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url'));
    return `${SEALED_PREFIX}${this.currentKeyId}:${parts.join(':')}`;
  }

  open(sealed: string, context = ''): Opened {
    if (!SecretBox.isSealed(sealed)) throw new SecretBoxError(`not a sealed secret (expected text starting with ${SEALED_PREFIX})`);
    const parts = sealed.slice(SEALED_PREFIX.length).split(':');
    if (parts.length !== 4) throw new SecretBoxError('a sealed secret has the form enc:v1:<key id>:<iv>:<tag>:<ciphertext>; this one is cut or altered');
    const [kid, iv, tag, ciphertext] = parts as [string, string, string, string];
    const key = this.keys.get(kid);
    if (!key) {
      throw new SecretBoxError(
        `no data key with id ${kid} (current ${this.currentKeyId}): it was sealed under a key that is no longer configured. Add that key to security.previousDataKeys.`,
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      const plaintext = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
      return { plaintext, needsReencryption: kid !== this.currentKeyId };
    } catch {
      throw new SecretBoxError(`the sealed secret (key ${kid}) fails its integrity check: it was altered, cut, or belongs to another record. It cannot be trusted; set the secret again.`);
    }
  }
}

/** Where the data keys come from: references the key manager resolves (cached with its TTL, so a rotation is seen). */
export interface DataKeys {
  keyManager: KeyManager;
  /** The current data key, e.g. `{ from: vault, path: secret/data/llm-lab/data-key, field: key }`. */
  dataKey: SecretReference;
  /** Older data keys, still able to open what they sealed. */
  previousDataKeys?: readonly SecretReference[];
}

/** A {@link SecretBox} over the data keys as the key manager has them now. */
export async function secretBoxFrom(keys: DataKeys): Promise<SecretBox> {
  const read = async (reference: SecretReference) => parseDataKey(await keys.keyManager.get(parseSecretReference(reference)), describeReference(reference));
  const current = await read(keys.dataKey);
  const previous = await Promise.all((keys.previousDataKeys ?? []).map(read));
  return new SecretBox(current, previous);
}

/** Seals a secret (an alert channel's webhook URL or password) for storing. */
export async function sealSecret(keys: DataKeys, plaintext: string, context?: string): Promise<string> {
  return (await secretBoxFrom(keys)).seal(plaintext, context);
}

/**
 * Opens a stored secret. `resealed` is set when it was sealed under an older key: store it in
 * place of the old text (re-encryption on read).
 */
export async function openSecret(keys: DataKeys, sealed: string, context?: string): Promise<{ plaintext: string; resealed?: string }> {
  const box = await secretBoxFrom(keys);
  const { plaintext, needsReencryption } = box.open(sealed, context);
  return needsReencryption ? { plaintext, resealed: box.seal(plaintext, context) } : { plaintext };
}
