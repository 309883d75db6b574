import { afterEach, describe, expect, it } from '@jest/globals';
import {
  clearSecretsForTests,
  containsKeyShapedText,
  hasRegisteredSecrets,
  registerSecret,
  registerSecretsIn,
  sanitise,
  sanitiseValue,
} from '../src/index.js';

afterEach(() => clearSecretsForTests());

// Real-looking values: the shape each vendor documents, random bodies.
const OPENAI = 'sk-3f9KqL2mN8pR4tV6xZ1aB5cD7eF9gH0jK2lM4nP6qR8sT0uW';
const OPENAI_PROJECT = 'sk-proj-Xq7Lz2Vb9Nc4Mw8Ks1Jd6Hf3Gt5Ry0Pe_Ua-OiAsDfGhJkL';
const ANTHROPIC = 'sk-ant-api03-R2d2C3poBb8Yoda9Luke1Leia7Han5Solo3Chewie-Vader0Xwing4Tie6_AAAA';
const GOOGLE = 'AIzaSyD3x9Kq2LmN8pR4tV6xZ1aB5cD7eF9gH0j';
const AWS_ID = 'AKIAIOSFODNN7EXAMPLE';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const AZURE = '0123456789abcdef0123456789ABCDEF';
const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
const VAULT = 'hvs.CAESIJ3s9Kq2LmN8pR4tV6xZ1aB5cD7eF9gH0jK2lM4';
const SLACK_PATH = 'T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX';
const GATEWAY = 'llk_Qm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycDE';
const PEM = '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM2\nZ9Xq1bG0Tf==\n-----END RSA PRIVATE KEY-----';

describe('key-shaped strings are redacted without registration', () => {
  it.each([
    ['OpenAI key', `calling with ${OPENAI} now`, 'calling with [REDACTED] now'],
    ['OpenAI project key', `key=${OPENAI_PROJECT}`, 'key=[REDACTED]'],
    ['Anthropic key', `x-api-key ${ANTHROPIC}`, 'x-api-key [REDACTED]'],
    ['Google API key', `?key=${GOOGLE}&alt=sse`, '?key=[REDACTED]&alt=sse'],
    ['AWS access key id', `id ${AWS_ID}.`, 'id [REDACTED].'],
    ['temporary AWS key id', 'ASIAY34FZKBOKMUTVV7A', '[REDACTED]'],
    ['AWS secret in a credentials file', `aws_secret_access_key = ${AWS_SECRET}`, 'aws_secret_access_key = [REDACTED]'],
    ['AWS secret in an env line', `AWS_SECRET_ACCESS_KEY=${AWS_SECRET}`, 'AWS_SECRET_ACCESS_KEY=[REDACTED]'],
    ['Azure key in a header', `api-key: ${AZURE}`, 'api-key: [REDACTED]'],
    ['Azure key in JSON', `{"apiKey":"${AZURE}"}`, '{"apiKey":"[REDACTED]"}'],
    ['bearer token', 'Authorization: Bearer abc123def456ghi789', 'Authorization: Bearer [REDACTED]'],
    ['bearer token in prose', 'sent bearer q1w2e3r4t5y6u7i8 upstream', 'sent bearer [REDACTED] upstream'],
    ['JSON Web Token', `token ${JWT}`, 'token [REDACTED]'],
    ['private key block', `key:\n${PEM}\nend`, 'key:\n-----BEGIN RSA PRIVATE KEY-----[REDACTED]\nend'],
    ['private key block in a JSON string', JSON.stringify({ pem: PEM }), '{"pem":"-----BEGIN RSA PRIVATE KEY-----[REDACTED]"}'],
    ['PostgreSQL URL password', 'postgres://lab:s3cr3t-Pw@db:5432/lab', 'postgres://lab:[REDACTED]@db:5432/lab'],
    ['Redis URL password, no user', 'redis://:pw@cache:6379', 'redis://:[REDACTED]@cache:6379'],
    ['password with an @', 'postgres://me:p@ss@db/lab', 'postgres://me:[REDACTED]@db/lab'],
    ['password= parameter', 'postgres://me@db/lab?sslmode=require&password=s3cr3t', 'postgres://me@db/lab?sslmode=require&password=[REDACTED]'],
    ['Vault token', `X-Vault-Token: ${VAULT}`, 'X-Vault-Token: [REDACTED]'],
    ['Slack webhook URL', `https://hooks.slack.com/services/${SLACK_PATH}`, 'https://hooks.slack.com/services/[REDACTED]'],
    ['Slack bot token', 'xoxb-1234567890-abcdefghij', '[REDACTED]'],
    ['LLM Lab gateway key', `Bearer-less ${GATEWAY}`, 'Bearer-less [REDACTED]'],
  ])('%s', (_name, text, expected) => {
    expect(sanitise(text)).toBe(expected);
    expect(containsKeyShapedText({ nested: [text] })).toBe(true);
  });

  it.each([
    ['ordinary words', 'the task-management tool uses sk-learn-is-a-python-library for bearer of bad news'],
    ['a UUID', 'run 3f2504e0-4f89-11d3-9a0c-0305e82c3301 finished'],
    ['a git SHA', 'commit 9fceb02d0ae598e95dc970b74767f19372d61af8 and 9fceb02'],
    ['URLs without a password', 'https://example.com/a@b http://host:8080/x postgres://me@db/lab mailto me:x@y.com'],
    ['a lowercase AWS-like id', 'akiaiosfodnn7example'],
    ['an AWS-like secret without its field name', AWS_SECRET],
    ['32 hex chars without an api-key field', `md5 ${AZURE}`],
    ['a gateway key display prefix', 'key llk_Qm9vYmFy (revoked)'],
    ['a public key block', '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqh\n-----END PUBLIC KEY-----'],
    ['a Slack channel URL', 'https://acme.slack.com/archives/C0123456'],
  ])('near miss kept: %s', (_name, text) => {
    expect(sanitise(text)).toBe(text);
    expect(containsKeyShapedText(text)).toBe(false);
  });
});

describe('registered values', () => {
  it('are replaced as written, URL-encoded and JSON-escaped, wherever they appear', () => {
    expect(hasRegisteredSecrets()).toBe(false);
    const value = 'plain "registered" p@ss/word-0042';
    registerSecret(value);
    expect(hasRegisteredSecrets()).toBe(true);
    expect(sanitise(`said ${value}!`)).toBe('said [REDACTED]!');
    expect(sanitise(`db?x=${encodeURIComponent(value)}`)).toBe('db?x=[REDACTED]');
    expect(sanitise(JSON.stringify({ message: `with ${value}` }))).toBe('{"message":"with [REDACTED]"}');
  });

  it('are replaced when a shortened quote cut them off, but not a too-short start', () => {
    registerSecret('cut-secret-ABCDEFGHIJ-0123456789');
    expect(sanitise("got 'call with cut-secret-ABCD…'")).toBe("got 'call with [REDACTED]…'");
    expect(sanitise('call with cut-secret-ABCDEFG...')).toBe('call with [REDACTED]...');
    expect(sanitise('a cut-s…')).toBe('a cut-s…');
  });

  it('are forgotten when the registry is cleared (the matcher follows the registry)', () => {
    registerSecret('soon-forgotten-value');
    expect(sanitise('soon-forgotten-value')).toBe('[REDACTED]');
    clearSecretsForTests();
    expect(sanitise('soon-forgotten-value')).toBe('soon-forgotten-value');
  });

  it('come from the key-shaped parts of a config or URL, decoded too', () => {
    registerSecretsIn({ storage: { url: 'postgres://me:Enc%40ded-Pass@db/lab' }, list: [`token ${VAULT}`] });
    // Without its shape (a driver's message), the password is still caught.
    expect(sanitise('password authentication failed: Enc@ded-Pass / Enc%40ded-Pass')).toBe(
      'password authentication failed: [REDACTED] / [REDACTED]',
    );
    expect(sanitise(`vault said ${VAULT.slice(4)}`)).toBe(`vault said ${VAULT.slice(4)}`);
    expect(sanitise(VAULT)).toBe('[REDACTED]');
  });
});

describe('sanitiseValue', () => {
  it('cleans strings at any depth and copies only what changed', () => {
    registerSecret('deep-registered-value-7');
    const untouched = { text: 'nothing here', list: [1, 'two'] };
    const date = new Date(0);
    const value = {
      prompt: [{ role: 'user', content: `use deep-registered-value-7 and ${OPENAI_PROJECT}` }],
      vars: { nested: { deeper: ['deep-registered-value-7!'] } },
      untouched,
      date,
      count: 3,
      flag: null,
    };
    const cleaned = sanitiseValue(value);
    expect(cleaned).toEqual({
      prompt: [{ role: 'user', content: 'use [REDACTED] and [REDACTED]' }],
      vars: { nested: { deeper: ['[REDACTED]!'] } },
      untouched,
      date,
      count: 3,
      flag: null,
    });
    expect(cleaned.untouched).toBe(untouched);
    expect(cleaned.date).toBe(date);
    expect(value.prompt[0]?.content).toContain('deep-registered-value-7');
    expect(sanitiseValue(untouched)).toBe(untouched);
  });
});
