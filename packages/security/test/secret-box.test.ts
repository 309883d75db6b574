import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { KeyManager, SecretBox, knownSecrets, openSecret, parseDataKey, sealSecret } from '../src/index.js';
import { startFakeVault, type FakeVault } from '../src/testing/index.js';

const WEBHOOK = 'https://hooks.slack.com/services/T000/B000/very-secret-token-123';

describe('SecretBox (AES-256-GCM with key ids)', () => {
  it('seals to enc:v1:<kid>:<iv>:<tag>:<ciphertext> without the plaintext, and opens it', () => {
    const box = new SecretBox(randomBytes(32));
    const sealed = box.seal(WEBHOOK);
    expect(sealed).toMatch(/^enc:v1:[A-Za-z0-9_-]{11}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/);
    expect(sealed.split(':')[2]).toBe(box.currentKeyId);
    expect(sealed).not.toContain('very-secret');
    expect(box.seal(WEBHOOK)).not.toBe(sealed); // a fresh IV each time
    expect(box.open(sealed)).toEqual({ plaintext: WEBHOOK, needsReencryption: false });
  });

  it('refuses an altered text, a text of another record, and a text of an unknown key, saying which', () => {
    const box = new SecretBox(randomBytes(32));
    const sealed = box.seal(WEBHOOK, 'alert-channel:1');
    const parts = sealed.split(':');
    const ciphertext = parts[5] as string;
    const flipped = `${ciphertext[0] === 'A' ? 'B' : 'A'}${ciphertext.slice(1)}`;
    const altered = [...parts.slice(0, 5), flipped].join(':');
    expect(() => box.open(altered, 'alert-channel:1')).toThrow(/fails its integrity check: it was altered/);
    expect(() => box.open(sealed, 'alert-channel:2')).toThrow(/fails its integrity check/);
    expect(() => box.open(sealed.split(':').slice(0, 5).join(':'), 'alert-channel:1')).toThrow(/cut or altered/);
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'alert-channel:1')).toThrow(/no data key with id .* Add that key to security.previousDataKeys/);
    expect(() => box.open('plain text')).toThrow(/not a sealed secret/);
  });

  it('reads data keys as base64 or hex and refuses anything else', () => {
    const key = randomBytes(32);
    expect(parseDataKey(key.toString('base64'), 'env:K')).toEqual(key);
    expect(parseDataKey(key.toString('base64url'), 'env:K')).toEqual(key);
    expect(parseDataKey(key.toString('hex'), 'env:K')).toEqual(key);
    expect(() => parseDataKey('too-short-a-key', 'env:K')).toThrow('the data key env:K is not 32 bytes written as base64 or 64 hex characters. Make one with: openssl rand -base64 32');
  });
});

describe('sealSecret / openSecret under a data key held in Vault', () => {
  let clock = 0;
  let vault: FakeVault;
  beforeAll(async () => {
    vault = await startFakeVault({ now: () => clock });
  });
  afterAll(() => vault.close());

  it('re-encrypts on read after the data key is rotated, opening the old text with the previous key', async () => {
    const first = randomBytes(32).toString('base64');
    const second = randomBytes(32).toString('base64');
    vault.setSecret('secret/data/llm-lab/data-key', { key: first });
    const keyManager = new KeyManager({ ttlMs: 60_000, now: () => clock, env: { OLD_DATA_KEY: first }, vault: { address: vault.url, token: vault.rootToken } });
    const keys = { keyManager, dataKey: { from: 'vault', path: 'secret/data/llm-lab/data-key', field: 'key' }, previousDataKeys: [{ from: 'env', name: 'OLD_DATA_KEY' }] } as const;
    const sealed = await sealSecret(keys, WEBHOOK, 'alert-channel:7');
    expect(await openSecret(keys, sealed, 'alert-channel:7')).toEqual({ plaintext: WEBHOOK });
    expect(knownSecrets().has(first)).toBe(true);

    vault.setSecret('secret/data/llm-lab/data-key', { key: second });
    clock += 60_000;
    const opened = await openSecret(keys, sealed, 'alert-channel:7');
    expect(opened.plaintext).toBe(WEBHOOK);
    expect(opened.resealed).toBeDefined();
    expect(opened.resealed?.split(':')[2]).not.toBe(sealed.split(':')[2]);
    // The resealed text opens under the new key alone.
    expect(new SecretBox(parseDataKey(second, 'new')).open(opened.resealed as string, 'alert-channel:7')).toEqual({ plaintext: WEBHOOK, needsReencryption: false });
  });
});
