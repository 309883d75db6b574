export { FakeVault, startFakeVault, type FakeVaultOptions } from './fake-vault.js';
export { FakeAwsSecretsManager, startFakeAwsSecretsManager, type FakeAwsSecretsOptions } from './fake-aws-secrets.js';
export type { ReceivedRequest } from './http-server.js';
export { makeSelfSignedCertificate, type SelfSignedCertificate } from './certificates.js';
export { startTlsProxy, type TlsProxy, type TlsProxyOptions } from './tls-proxy.js';
