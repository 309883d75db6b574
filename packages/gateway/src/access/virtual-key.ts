/**
 * Virtual keys: what a client sends as its OpenAI API key to the gateway.
 *
 * A key is `llk_` and 43 base64url characters (32 random bytes, 256 bits). Only its SHA-256 is
 * stored. A slow password hash (bcrypt, scrypt) defends a low-entropy secret a person chose
 * against guessing; a 256-bit random key cannot be guessed, so a fast hash loses nothing, and a
 * deterministic hash lets the gateway find a key by its hash (an index, or a map in memory)
 * instead of comparing a salted hash against every key on every request.
 */
import { createHash, randomBytes } from 'node:crypto';

export const VIRTUAL_KEY_PREFIX = 'llk_';
const KEY_PATTERN = /^llk_[A-Za-z0-9_-]{43}$/;
/** Characters of a key kept for display: `llk_` and 8 more, enough to tell keys apart, far from enough to guess one. */
const DISPLAY_LENGTH = 12;

export interface NewVirtualKey {
  /** The key itself: shown once, never stored. */
  key: string;
  /** SHA-256 of the key, hex: what is stored. */
  hash: string;
  /** Its first characters, stored for display. */
  prefix: string;
}

/** A fresh key, its hash and display prefix. */
export function generateVirtualKey(): NewVirtualKey {
  const key = `${VIRTUAL_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, hash: hashVirtualKey(key), prefix: key.slice(0, DISPLAY_LENGTH) };
}

export function hashVirtualKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Whether `key` has the shape of a virtual key (no storage lookup). */
export function isWellFormedKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

export type ParsedAuthorization = { ok: true; key: string } | { ok: false; message: string };

/** Reads `Authorization: Bearer llk_...`; says what is wrong when it is not that. */
export function parseAuthorization(header: string | undefined): ParsedAuthorization {
  if (header === undefined || header.trim() === '') {
    return {
      ok: false,
      message: "You didn't provide an API key. Send your LLM Lab gateway key as 'Authorization: Bearer llk_...' (the OpenAI SDKs do this with apiKey).",
    };
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header.trim());
  if (!match) return { ok: false, message: "The Authorization header must be 'Bearer <key>', with an LLM Lab gateway key (llk_...)." };
  const key = match[1] as string;
  if (!isWellFormedKey(key)) {
    return {
      ok: false,
      message: `Incorrect API key provided: ${describeKey(key)}. LLM Lab gateway keys start with llk_ and are made with 'llm-lab gateway keys create'.`,
    };
  }
  return { ok: true, key };
}

/** A key as it may be shown in a message: its first characters only. */
export function describeKey(key: string): string {
  return key.length <= 8 ? '***' : `${key.slice(0, Math.min(DISPLAY_LENGTH, key.length - 4))}***`;
}
