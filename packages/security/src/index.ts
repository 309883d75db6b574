export { MIN_SECRET_LENGTH, registerSecret, knownSecrets, onSecretRegistered, clearSecretsForTests } from './secret-registry.js';
export * from './keys/index.js';
export * from './crypto/index.js';
