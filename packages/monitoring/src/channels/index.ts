export * from './retry.js';
export * from './secrets.js';
export * from './slack.js';
export * from './email.js';
export * from './webhook.js';
export * from './from-config.js';
