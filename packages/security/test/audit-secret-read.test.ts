import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { clearSecretsForTests, createAuditLog, KeyManager, setAuditLog, verifyAuditChain, type AuditChainStore, type AuditEntry } from '../src/index.js';
import { startFakeVault, type FakeVault } from '../src/testing/index.js';

/** An audit chain kept in memory (the storage part does this in the database; see audit-log.test.ts). */
function memoryChain(): AuditChainStore & { entries: AuditEntry[] } {
  const entries: AuditEntry[] = [];
  return {
    entries,
    auditHead: async () => (entries.length === 0 ? { seq: 0, hash: '' } : { seq: entries.at(-1)!.seq, hash: entries.at(-1)!.hash }),
    appendAudit: async (entry) => {
      if (entries.some((existing) => existing.seq === entry.seq)) return false;
      entries.push(entry);
      return true;
    },
  };
}

describe('secret reads in the audit log', () => {
  let vault: FakeVault;
  beforeAll(async () => {
    vault = await startFakeVault();
  });
  afterAll(() => vault.close());
  afterEach(async () => {
    await setAuditLog(undefined);
    clearSecretsForTests();
  });

  it('records each read from a source by its reference, never the value, including reads made before the log was set', async () => {
    vault.setSecret('secret/data/llm/openai', { key: 'sk-vault-audited-000000001' });
    vault.setSecret('secret/data/llm/anthropic', { key: 'sk-ant-vault-audited-00001' });
    const keys = new KeyManager({ ttlMs: 60_000, vault: { address: vault.url, token: vault.rootToken }, env: {} });
    // Read while the database is still opening: kept for the log, not lost.
    await keys.get({ from: 'vault', path: 'secret/data/llm/openai', field: 'key' });
    const chain = memoryChain();
    await setAuditLog(createAuditLog(chain, { actor: { kind: 'cli', name: 'tester' } }));
    await keys.get({ from: 'vault', path: 'secret/data/llm/anthropic', field: 'key' });
    // A cached read is no read from the source: nothing more is recorded.
    await keys.get({ from: 'vault', path: 'secret/data/llm/openai', field: 'key' });
    await new Promise((resolve) => setImmediate(resolve));

    expect(chain.entries.map((entry) => [entry.action, entry.target])).toEqual([
      ['secret-read', expect.stringContaining('secret/data/llm/openai')],
      ['secret-read', expect.stringContaining('secret/data/llm/anthropic')],
    ]);
    const stored = JSON.stringify(chain.entries);
    expect(stored).not.toContain('sk-vault-audited');
    expect(stored).not.toContain('sk-ant-vault-audited');
    expect(verifyAuditChain(chain.entries).ok).toBe(true);
  });
});
