import { describe, expect, it } from '@jest/globals';
import { auditEntryHash, canonicalJson, verifyAuditChain, type AuditEntry } from '../src/index.js';

/** A chain of `count` entries, built the way the log builds it. */
function chain(count: number): AuditEntry[] {
  const entries: AuditEntry[] = [];
  let prevHash = '';
  for (let seq = 1; seq <= count; seq++) {
    const content = { seq, at: new Date(Date.UTC(2026, 11, 7, 9, 0, seq)), actorKind: 'cli', actor: 'alice', action: seq % 2 ? 'run' : 'export', target: `run-${seq}`, host: 'lab-1', pid: 4242, ip: null, costUsd: seq * 0.01, details: null };
    const hash = auditEntryHash(prevHash, content);
    entries.push({ ...content, prevHash, hash });
    prevHash = hash;
  }
  return entries;
}

describe('the audit hash chain', () => {
  it('accepts an untouched chain, and an empty one', () => {
    expect(verifyAuditChain(chain(5))).toEqual({ ok: true, checked: 5, lastSeq: 5, problems: [] });
    expect(verifyAuditChain([])).toEqual({ ok: true, checked: 0, lastSeq: 0, problems: [] });
  });

  it('hashes the previous hash in: the same content after another entry hashes differently', () => {
    const [first] = chain(1) as [AuditEntry];
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(auditEntryHash('f'.repeat(64), first)).not.toBe(first.hash);
  });

  it('names an entry whose content was changed', () => {
    const entries = chain(4);
    entries[2] = { ...(entries[2] as AuditEntry), costUsd: 0 };
    const result = verifyAuditChain(entries);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([{ seq: 3, kind: 'modified', message: 'entry 3 (run by alice) was modified: its content does not match its hash' }]);
  });

  it('names the entry after one rewritten with a fresh hash (the link no longer holds)', () => {
    const entries = chain(4);
    const forged = { ...(entries[1] as AuditEntry), actor: 'mallory' };
    entries[1] = { ...forged, hash: auditEntryHash(forged.prevHash, forged) };
    expect(verifyAuditChain(entries).problems.map((problem) => [problem.seq, problem.kind])).toEqual([[3, 'relinked']]);
  });

  it('names the gap a deleted entry leaves, one or several', () => {
    const entries = chain(6);
    expect(verifyAuditChain(entries.filter((entry) => entry.seq !== 3)).problems).toEqual([
      { seq: 4, kind: 'missing', message: 'entry 3 is missing (deleted): entry 4 follows entry 2' },
    ]);
    expect(verifyAuditChain(entries.filter((entry) => entry.seq < 2 || entry.seq > 4)).problems[0]?.message).toBe('entries 2–4 are missing (deleted): entry 5 follows entry 1');
    expect(verifyAuditChain(entries.slice(1)).problems[0]?.message).toBe('entry 1 is missing (deleted): entry 2 follows entry 0');
  });

  it('writes details as canonical JSON: key order does not matter', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}');
  });
});
