import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KeyManager } from '../src/index.js';
import { startFakeAwsSecretsManager, type FakeAwsSecretsManager } from '../src/testing/index.js';
import { closedPort, failure } from './helpers.js';

describe('the key manager reading AWS Secrets Manager through the AWS SDK', () => {
  let clock = 5_000_000;
  const now = () => clock;
  let aws: FakeAwsSecretsManager;
  const keysFor = (overrides: { accessKeyId?: string; secretAccessKey?: string } = {}) =>
    new KeyManager({ ttlMs: 30_000, now, env: {}, aws: { region: aws.region, endpoint: aws.url, credentials: { ...aws.credentials, ...overrides } } });

  beforeAll(async () => {
    aws = await startFakeAwsSecretsManager();
  });
  afterAll(() => aws.close());

  it('reads a field of a JSON SecretString, or the whole string, and picks up a rotation after the TTL', async () => {
    aws.setSecret('llm/openai', { key: 'sk-aws-first-000000000001', org: 'org-x' });
    aws.setSecret('llm/plain', 'sk-aws-plain-000000000001');
    const keys = keysFor();
    expect(await keys.get({ from: 'aws', id: 'llm/openai', field: 'key' })).toBe('sk-aws-first-000000000001');
    expect(await keys.get({ from: 'aws', id: 'llm/plain' })).toBe('sk-aws-plain-000000000001');
    const readsBefore = aws.reads;
    aws.setSecret('llm/openai', { key: 'sk-aws-second-00000000002' });
    clock += 29_999;
    expect(await keys.get({ from: 'aws', id: 'llm/openai', field: 'key' })).toBe('sk-aws-first-000000000001');
    expect(aws.reads).toBe(readsBefore);
    clock += 1;
    expect(await keys.get({ from: 'aws', id: 'llm/openai', field: 'key' })).toBe('sk-aws-second-00000000002');
    expect(aws.reads).toBe(readsBefore + 1);
    const signed = aws.requests.at(-1);
    expect(signed?.headers['x-amz-target']).toBe('secretsmanager.GetSecretValue');
    expect(String(signed?.headers.authorization)).toContain(`Credential=${aws.credentials.accessKeyId}/`);
    keys.close();
  });

  it('says the secret does not exist (ResourceNotFoundException), naming the reference', async () => {
    const keys = keysFor();
    const error = await failure(keys.get({ from: 'aws', id: 'llm/missing', field: 'key' }));
    expect(error.kind).toBe('not-found');
    expect(error.message).toContain('secret aws:llm/missing#key');
    expect(error.message).toContain('ResourceNotFoundException');
    keys.close();
  });

  it('says a field is missing, listing the fields and no value', async () => {
    aws.setSecret('llm/other', { token: 'sk-aws-hidden-0000000001' });
    const keys = keysFor();
    const error = await failure(keys.get({ from: 'aws', id: 'llm/other', field: 'key' }));
    expect(error.message).toContain("no field 'key' (its fields: token)");
    expect(error.message).not.toContain('sk-aws-hidden');
    keys.close();
  });

  it('says the credentials were refused: an unknown access key, and a wrong secret key', async () => {
    aws.setSecret('llm/openai', { key: 'sk-aws-first-000000000001' });
    const unknown = keysFor({ accessKeyId: 'AKIAUNKNOWNKEY000001' });
    const refused = await failure(unknown.get({ from: 'aws', id: 'llm/openai', field: 'key' }));
    expect(refused.kind).toBe('auth');
    expect(refused.message).toContain('UnrecognizedClientException');
    expect(refused.message).toContain('AWS_ACCESS_KEY_ID');
    unknown.close();
    const badSignature = keysFor({ secretAccessKey: 'not-the-right-secret-key' });
    const unsigned = await failure(badSignature.get({ from: 'aws', id: 'llm/openai', field: 'key' }));
    expect(unsigned.kind).toBe('auth');
    expect(unsigned.message).toContain('InvalidSignatureException');
    expect(unsigned.message).not.toContain('not-the-right-secret-key');
    badSignature.close();
  });

  it('says when the endpoint cannot be reached, with its URL', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const keys = new KeyManager({ now, env: {}, aws: { region: 'eu-west-1', endpoint, credentials: aws.credentials, maxAttempts: 1 } });
    const error = await failure(keys.get({ from: 'aws', id: 'llm/openai', field: 'key' }));
    expect(error.kind).toBe('unreachable');
    expect(error.message).toContain(`cannot reach ${endpoint} (ECONNREFUSED)`);
    keys.close();
  });
});
