import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { TrafficRecord } from '../src/index.js';
import { startHarness, type Harness } from './helpers.js';

jest.setTimeout(60_000);

const WORDS = Array.from({ length: 20 }, (_, index) => `w${index}`).join(' ');

describe('graceful shutdown', () => {
  let h: Harness;
  const records: TrafficRecord[] = [];
  let recordsAtClose: number | undefined;
  beforeAll(async () => {
    // 50 ms between streamed words: the stream is still going when close() is called.
    h = await startHarness({
      streamChunkDelayMs: 50,
      hooks: {
        onCallEnd: (record) => records.push(record),
        close: async () => {
          recordsAtClose = records.length;
        },
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('finishes the stream in flight, refuses new calls, then flushes the hooks with its record', async () => {
    const stream = await h.client.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: WORDS }], stream: true });
    let text = '';
    let closing: Promise<void> | undefined;
    let readyDuringClose: number | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (!closing && text.length > 0) {
        closing = h.gateway.close();
        expect(h.gateway.inFlight()).toBe(1);
        // Nothing new is accepted: a new connection is refused, or (on a kept-alive one) a 503.
        readyDuringClose = await fetch(`${h.gateway.url}/readyz`).then(
          (response) => response.status,
          () => 0,
        );
      }
    }
    expect(text).toBe(WORDS);
    await closing;
    expect([0, 503]).toContain(readyDuringClose);
    expect(h.gateway.inFlight()).toBe(0);
    // The stream's record reached onCallEnd before the hooks were closed.
    expect(recordsAtClose).toBe(1);
    expect(records[0]).toMatchObject({ route: 'gpt', stream: true, status: 200 });
  });
});

describe('graceful shutdown past its deadline', () => {
  let h: Harness;
  const records: TrafficRecord[] = [];
  let recordsAtClose: number | undefined;
  const LONG = Array.from({ length: 400 }, (_, index) => `w${index}`).join(' ');
  beforeAll(async () => {
    // 50 ms between 400 streamed words (20 s): far longer than the 300 ms the shutdown gives it.
    h = await startHarness({
      streamChunkDelayMs: 50,
      shutdownTimeoutMs: 300,
      hooks: {
        onCallEnd: (record) => records.push(record),
        close: async () => {
          recordsAtClose = records.length;
        },
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('cuts the stream still running at the deadline, and records it as cut before the hooks flush', async () => {
    const stream = await h.client.chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: LONG }], stream: true });
    let text = '';
    let closing: Promise<void> | undefined;
    const error = await (async () => {
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        closing ??= h.gateway.close();
      }
    })().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    await closing;
    // The client saw the cut as an error, with part of the answer: never a stream that looks complete.
    expect(error).toBeDefined();
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toBe(LONG);
    expect(h.gateway.inFlight()).toBe(0);
    expect(recordsAtClose).toBe(1);
    expect(records[0]).toMatchObject({ route: 'gpt', stream: true, errorClass: 'client-closed' });
  });
});
