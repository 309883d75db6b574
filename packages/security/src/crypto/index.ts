export { SecretBox, SecretBoxError, SEALED_PREFIX, parseDataKey, keyIdOf, secretBoxFrom, sealSecret, openSecret, type DataKeys, type Opened } from './secret-box.js';
