import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { Server, ServerResponse } from 'node:http';
import { closeServer, listen, sendJson, type ReceivedRequest } from './http-server.js';

/** Options of {@link startFakeAwsSecretsManager}. */
export interface FakeAwsSecretsOptions {
  region?: string;
  /** The access key the server accepts, with its secret key (signatures are checked against it). */
  accessKeyId?: string;
  secretAccessKey?: string;
}

interface StoredSecret {
  name: string;
  arn: string;
  versions: { id: string; value: string; createdAt: number }[];
}

const JSON_11 = 'application/x-amz-json-1.1';

/**
 * A local AWS Secrets Manager speaking the AWS JSON 1.1 protocol, for tests through the official
 * SDK: `POST /` with `X-Amz-Target: secretsmanager.GetSecretValue` (and `PutSecretValue`,
 * `CreateSecret`), requests signed with Signature Version 4 and checked against the one known
 * access key (`UnrecognizedClientException` for another key, `InvalidSignatureException` for a
 * wrong secret key), errors as `{ "__type": "ResourceNotFoundException", "message": … }` with
 * status 400 and `x-amzn-ErrorType`. Every request is kept in `requests`.
 */
export class FakeAwsSecretsManager {
  readonly requests: ReceivedRequest[] = [];
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  url = '';
  private server: Server | undefined;
  private readonly secrets = new Map<string, StoredSecret>();

  constructor(options: FakeAwsSecretsOptions = {}) {
    this.region = options.region ?? 'eu-west-1';
    this.credentials = { accessKeyId: options.accessKeyId ?? 'AKIAFAKEFORTESTS0001', secretAccessKey: options.secretAccessKey ?? 'fake-secret-access-key-for-tests' };
  }

  async start(): Promise<this> {
    const { url, server } = await listen((request, response) => this.handle(request, response), this.requests);
    this.url = url;
    this.server = server;
    return this;
  }

  async close(): Promise<void> {
    if (this.server) await closeServer(this.server);
  }

  /** Creates a secret, or rotates it: the new value becomes AWSCURRENT. */
  setSecret(name: string, value: string | Record<string, string>): void {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    const stored = this.secrets.get(name) ?? { name, arn: `arn:aws:secretsmanager:${this.region}:000000000000:secret:${name}-AbCdEf`, versions: [] };
    stored.versions.push({ id: randomUUID(), value: text, createdAt: Date.now() });
    this.secrets.set(name, stored);
  }

  /** How many GetSecretValue calls were answered, for tests of caching. */
  get reads(): number {
    return this.requests.filter((request) => request.headers['x-amz-target'] === 'secretsmanager.GetSecretValue').length;
  }

  private handle(request: ReceivedRequest, response: ServerResponse): void {
    const error = (status: number, type: string, message: string) =>
      sendJson(response, status, { __type: type, message }, { 'content-type': JSON_11, 'x-amzn-errortype': type, 'x-amzn-requestid': randomUUID() });
    if (request.method !== 'POST' || request.path !== '/') return error(404, 'UnknownOperationException', 'Only POST / is served.');
    const auth = this.checkSignature(request);
    if (auth) return error(400, auth.type, auth.message);
    const target = String(request.headers['x-amz-target'] ?? '');
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(request.body || '{}') as Record<string, unknown>;
    } catch {
      return error(400, 'SerializationException', 'Request body is not valid JSON.');
    }
    const secretId = typeof input.SecretId === 'string' ? input.SecretId : typeof input.Name === 'string' ? input.Name : '';
    const secret = this.secrets.get(secretId) ?? [...this.secrets.values()].find((stored) => stored.arn === secretId);
    const ok = (body: unknown) => sendJson(response, 200, body, { 'content-type': JSON_11, 'x-amzn-requestid': randomUUID() });
    switch (target) {
      case 'secretsmanager.GetSecretValue': {
        const current = secret?.versions[secret.versions.length - 1];
        if (!secret || !current) return error(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
        return ok({ ARN: secret.arn, Name: secret.name, VersionId: current.id, SecretString: current.value, VersionStages: ['AWSCURRENT'], CreatedDate: current.createdAt / 1000 });
      }
      case 'secretsmanager.PutSecretValue':
      case 'secretsmanager.CreateSecret': {
        if (typeof input.SecretString !== 'string') return error(400, 'InvalidParameterException', 'You must provide either SecretString or SecretBinary.');
        if (target === 'secretsmanager.PutSecretValue' && !secret) return error(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
        if (target === 'secretsmanager.CreateSecret' && secret) return error(400, 'ResourceExistsException', `The operation failed because the secret ${secretId} already exists.`);
        this.setSecret(secretId, input.SecretString);
        const stored = this.secrets.get(secretId) as StoredSecret;
        return ok({ ARN: stored.arn, Name: stored.name, VersionId: stored.versions[stored.versions.length - 1]?.id, VersionStages: ['AWSCURRENT'] });
      }
      default:
        return error(400, 'UnknownOperationException', `The operation ${target || '(no X-Amz-Target)'} is not served by this fake.`);
    }
  }

  /** Checks the Signature Version 4 `Authorization` header; returns the AWS error to answer, or undefined. */
  private checkSignature(request: ReceivedRequest): { type: string; message: string } | undefined {
    const header = String(request.headers.authorization ?? '');
    const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]+)$/.exec(header);
    if (!match) return { type: 'IncompleteSignature', message: 'Authorization header requires a Signature Version 4 Credential, SignedHeaders and Signature.' };
    const [, accessKeyId, day, region, service, signedHeaders, signature] = match as unknown as string[];
    if (accessKeyId !== this.credentials.accessKeyId) return { type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
    const amzDate = String(request.headers['x-amz-date'] ?? '');
    const canonicalHeaders = (signedHeaders as string)
      .split(';')
      .map((name) => `${name}:${String(request.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`)
      .join('');
    const canonical = ['POST', '/', '', canonicalHeaders, signedHeaders, sha256(request.body)].join('\n');
    const scope = `${day}/${region}/${service}/aws4_request`;
    const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
    let key = hmac(`AWS4${this.credentials.secretAccessKey}`, day as string);
    for (const part of [region, service, 'aws4_request']) key = hmac(key, part as string);
    if (hmac(key, toSign).toString('hex') !== signature) {
      return {
        type: 'InvalidSignatureException',
        message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      };
    }
    return undefined;
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function hmac(key: string | Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

/** Starts a {@link FakeAwsSecretsManager} on a free port of 127.0.0.1. */
export function startFakeAwsSecretsManager(options: FakeAwsSecretsOptions = {}): Promise<FakeAwsSecretsManager> {
  return new FakeAwsSecretsManager(options).start();
}
