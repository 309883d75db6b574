import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PiiGuard, PiiVault, detectPii, presidioDetector } from '../src/index.js';

describe('reversible tokenisation', () => {
  it('gives one value one placeholder and restores the originals in an answer', () => {
    const vault = new PiiVault();
    const text = 'Mail ann@example.org, then ann@example.org again, and bob@example.org.';
    const sent = vault.tokenize(text, detectPii(text));
    expect(sent).toBe('Mail <EMAIL_ADDRESS_1>, then <EMAIL_ADDRESS_1> again, and <EMAIL_ADDRESS_2>.');
    expect(vault.restore('I wrote to <EMAIL_ADDRESS_2> and <EMAIL_ADDRESS_1>; <EMAIL_ADDRESS_9> is unknown.')).toBe(
      'I wrote to bob@example.org and ann@example.org; <EMAIL_ADDRESS_9> is unknown.',
    );
  });

  it('never issues a placeholder the text already holds, so restoring cannot change the user’s own text', () => {
    const vault = new PiiVault();
    const text = 'Literal <EMAIL_ADDRESS_1> and real ann@example.org';
    const sent = vault.tokenize(text, detectPii(text));
    expect(sent).toBe('Literal <EMAIL_ADDRESS_1> and real <EMAIL_ADDRESS_2>');
    expect(vault.restore(sent)).toBe(text);
  });

  it('restores a placeholder split across stream chunks at every possible cut', () => {
    const vault = new PiiVault();
    vault.tokenize('card 4111 1111 1111 1111', detectPii('card 4111 1111 1111 1111'));
    const answer = 'Your card <CREDIT_CARD_1> is on file (<CREDIT_CARD_1>). 3 < 4 and <b>ok</b>';
    const expected = answer.replaceAll('<CREDIT_CARD_1>', '4111 1111 1111 1111');
    for (let cut = 1; cut < answer.length; cut++) {
      for (const size of [1, 3, cut]) {
        const restorer = vault.streamRestorer();
        let out = '';
        for (let at = 0; at < answer.length; at += size) out += restorer.push(answer.slice(at, at + size));
        out += restorer.flush();
        expect(out).toBe(expected);
      }
    }
  });
});

describe('PiiGuard', () => {
  it('masks before the stages the policy names and not the others', async () => {
    const guard = new PiiGuard({ mode: 'mask', before: ['store'] });
    expect(guard.appliesTo('store')).toBe(true);
    expect(guard.appliesTo('provider')).toBe(false);
    expect(await guard.mask('SSN 536-22-8726, IBAN DE89 3704 0044 0532 0130 00')).toBe('SSN <US_SSN>, IBAN <IBAN_CODE>');
    expect(new PiiGuard({ mode: 'off', before: ['store'] }).appliesTo('store')).toBe(false);
  });

  it('refuses a policy it cannot follow, naming the field', () => {
    expect(() => new PiiGuard({ mode: 'hide' as 'mask' })).toThrow(/pii.mode is "hide"; use off, mask or tokenize/);
    expect(() => new PiiGuard({ mode: 'mask', before: ['disk' as 'store'] })).toThrow(/pii.before has "disk"/);
    expect(() => new PiiGuard({ mode: 'mask', entities: ['EMAIL'] })).toThrow(/unknown PII entity type "EMAIL"/);
  });
});

/**
 * A local analyzer speaking presidio-analyzer's REST API (POST /analyze, {text, language,
 * entities?}; errors as {"error": ...} with 400/500): it "recognises" the names it was told.
 */
function analyzer(names: string[]): Server {
  return createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/analyze') {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found' }));
        return;
      }
      const data = JSON.parse(body) as { text?: string; language?: string; entities?: string[] };
      if (!data.text) return void res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'No text provided' }));
      if (data.language !== 'en') return void res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `No matching recognizers were found to serve the request. language: ${data.language}` }));
      const results = names.flatMap((name) => {
        const start = data.text!.indexOf(name);
        return start < 0 || (data.entities && !data.entities.includes('PERSON')) ? [] : [{ entity_type: 'PERSON', start, end: start + name.length, score: 0.85, analysis_explanation: null, recognition_metadata: { recognizer_name: 'SpacyRecognizer' } }];
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(results));
    });
  });
}

describe('a Presidio analyzer over HTTP', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = analyzer(['Ingrid Hallström']);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it('adds the names it finds to the rules’ spans', async () => {
    const guard = new PiiGuard({ mode: 'tokenize', entities: ['PERSON', 'EMAIL_ADDRESS'], presidio: { url } });
    const conversation = guard.conversation();
    const sent = await conversation.outbound('Ingrid Hallström (ingrid@example.se) asked for a refund.');
    expect(sent).toBe('<PERSON_1> (<EMAIL_ADDRESS_1>) asked for a refund.');
    expect(conversation.inbound('Dear <PERSON_1>, we replied to <EMAIL_ADDRESS_1>.')).toBe('Dear Ingrid Hallström, we replied to ingrid@example.se.');
  });

  it('fails with the analyzer’s URL, status and message', async () => {
    await expect(presidioDetector({ url, language: 'xx' }).detect('hello')).rejects.toThrow(/analyzer at http:\/\/127\.0\.0\.1:\d+\/analyze answered 500: .*No matching recognizers/);
    await expect(presidioDetector({ url: 'http://127.0.0.1:9' }).detect('hello')).rejects.toThrow(/could not be reached.*presidio.url/);
    expect(() => presidioDetector({ url: 'localhost 5002' })).toThrow(/is not a URL/);
  });
});
