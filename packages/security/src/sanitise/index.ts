export { REDACTED, sanitise, sanitiseValue, registerSecretsIn, containsKeyShapedText, hasRegisteredSecrets } from './sanitise.js';
export { KEY_SHAPES, type KeyShape } from './key-shapes.js';
