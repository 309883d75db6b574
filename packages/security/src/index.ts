export { MIN_SECRET_LENGTH, registerSecret, knownSecrets, onSecretRegistered, clearSecretsForTests } from './secret-registry.js';
export { auditEntryHash, canonicalJson, createAuditVerifier, verifyAuditChain, type AuditContent, type AuditEntry, type AuditProblem, type AuditVerification } from './audit-chain.js';
export { audit, AuditError, cliUser, createAuditLog, setAuditLog, type AuditActorKind, type AuditChainStore, type AuditEvent, type AuditLog, type AuditLogOptions } from './audit-log.js';
