export { MIN_SECRET_LENGTH, registerSecret, knownSecrets, onSecretRegistered, clearSecretsForTests, secretsVersion } from './secret-registry.js';
export { REDACTED, sanitise, sanitiseValue, registerSecretsIn, containsKeyShapedText, hasRegisteredSecrets, KEY_SHAPES, type KeyShape } from './sanitise/index.js';
export * from './pii/index.js';
export * from './keys/index.js';
export * from './crypto/index.js';
export { auditEntryHash, canonicalJson, createAuditVerifier, verifyAuditChain, type AuditContent, type AuditEntry, type AuditProblem, type AuditVerification } from './audit-chain.js';
export { audit, AuditError, cliUser, createAuditLog, setAuditLog, type AuditActorKind, type AuditChainStore, type AuditEvent, type AuditLog, type AuditLogOptions } from './audit-log.js';
