export { KeyManager, DEFAULT_SECRETS_TTL_MS, keyManagerOptionsFrom, type KeyManagerOptions, type SecuritySettings } from './key-manager.js';
export { SecretError, isSecretError, type SecretErrorKind } from './errors.js';
export {
  parseSecretReference,
  looksLikeSecretReference,
  describeReference,
  SecretReferenceError,
  type SecretReference,
  type SecretSourceName,
} from './reference.js';
export type { VaultOptions } from './vault-source.js';
export type { AwsOptions } from './aws-source.js';
