import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretError, networkCode } from './errors.js';
import type { SecretReference } from './reference.js';

type AwsReference = Extract<SecretReference, { from: 'aws' }>;

/** Where AWS Secrets Manager is. Credentials come from the SDK's default chain (AWS_ACCESS_KEY_ID…, a profile, a role) unless given. */
export interface AwsOptions {
  /** Default AWS_REGION / AWS_DEFAULT_REGION (the SDK's own lookup). */
  region?: string;
  /** Another endpoint (a VPC endpoint, LocalStack, a test server). */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Attempts per read, including the SDK's retries. Default 2. */
  maxAttempts?: number;
}

const AUTH_ERRORS = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'AccessDeniedException',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'IncompleteSignature',
  'CredentialsProviderError',
]);

/**
 * Reads secrets through the official SDK (`GetSecretValue`); a `field` is taken from a JSON
 * SecretString. The SDK is loaded on the first read: a process without AWS references never loads it.
 */
export class AwsSource {
  private client: SecretsManagerClient | undefined;
  private readonly options: AwsOptions;
  private readonly where: string;

  constructor(options: AwsOptions = {}) {
    this.options = options;
    this.where = options.endpoint ?? `AWS Secrets Manager${options.region ? ` (${options.region})` : ''}`;
  }

  async read(reference: AwsReference): Promise<string> {
    // The SDK is CommonJS: bundled (the CLI) its exports arrive as the namespace's `default`.
    const loaded = await import('@aws-sdk/client-secrets-manager');
    const sdk = ('SecretsManagerClient' in loaded ? loaded : (loaded as unknown as { default: typeof loaded }).default) as typeof loaded;
    const { GetSecretValueCommand, SecretsManagerClient } = sdk;
    const options = this.options;
    this.client ??= new SecretsManagerClient({
      ...(options.region ? { region: options.region } : {}),
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      maxAttempts: options.maxAttempts ?? 2,
    });
    let secretString: string | undefined;
    try {
      const answer = await this.client.send(new GetSecretValueCommand({ SecretId: reference.id }));
      secretString = answer.SecretString;
    } catch (error) {
      throw this.explain(reference, error);
    }
    if (secretString === undefined) {
      throw new SecretError('invalid-response', reference, `the secret ${reference.id} holds binary data (SecretBinary), not text; store it as a SecretString.`);
    }
    if (reference.field === undefined) return secretString;
    let parsed: unknown;
    try {
      parsed = JSON.parse(secretString);
    } catch {
      throw new SecretError('invalid-response', reference, `the secret ${reference.id} is not JSON, so it has no field '${reference.field}'. Drop 'field' to use the whole SecretString.`);
    }
    const value = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>)[reference.field] : undefined;
    if (typeof value !== 'string' || value === '') {
      const fields = parsed !== null && typeof parsed === 'object' ? Object.keys(parsed).sort().join(', ') : '';
      throw new SecretError('not-found', reference, `the secret ${reference.id} has no field '${reference.field}' (its fields: ${fields || 'none'}). Name one of them in 'field'.`);
    }
    return value;
  }

  close(): void {
    this.client?.destroy();
    this.client = undefined;
  }

  private explain(reference: AwsReference, error: unknown): SecretError {
    const name = (error as { name?: string }).name ?? '';
    const message = (error as { message?: string }).message ?? String(error);
    if (name === 'ResourceNotFoundException') {
      return new SecretError('not-found', reference, `${this.where} has no secret ${reference.id} (${name}). Check the secret's name or ARN and the region.`, { cause: error });
    }
    if (AUTH_ERRORS.has(name) || /credential/i.test(name)) {
      return new SecretError('auth', reference, `${this.where} refused the credentials (${name}: ${message}). Check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the profile or role) and that it may call secretsmanager:GetSecretValue.`, { cause: error });
    }
    const code = networkCode(error);
    if (code) {
      return new SecretError('unreachable', reference, `cannot reach ${this.where} (${code}). Check security.aws.endpoint / region and the network.`, { cause: error });
    }
    return new SecretError('invalid-response', reference, `${this.where} answered ${name || 'an error'}: ${message}`, { cause: error });
  }
}
