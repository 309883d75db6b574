import { afterEach, describe, expect, it } from '@jest/globals';
import { clearSecretsForTests, knownSecrets, onSecretRegistered, registerSecret } from '../src/index.js';

describe('the secret registry', () => {
  afterEach(() => clearSecretsForTests());

  it('remembers each value once, trimmed, and tells listeners about new ones only', () => {
    const heard: string[] = [];
    const stop = onSecretRegistered((value) => heard.push(value));
    registerSecret('  sk-test-0123456789abcdef \n');
    registerSecret('sk-test-0123456789abcdef');
    stop();
    registerSecret('another-secret-value');
    expect([...knownSecrets()]).toEqual(['sk-test-0123456789abcdef', 'another-secret-value']);
    expect(heard).toEqual(['sk-test-0123456789abcdef']);
  });

  it('ignores values too short to redact safely, and non-strings', () => {
    registerSecret('short');
    registerSecret(undefined);
    registerSecret(null);
    expect(knownSecrets().size).toBe(0);
  });
});
