export { PII_ENTITY_TYPES, PATTERN_ENTITY_TYPES, WEAK_ENTITY_TYPES, type PiiEntityType, type PiiSpan, type PiiDetector } from './types.js';
export { luhnValid, isCardNumber, isIban, isUsSsn } from './checksums.js';
export { detectEmails, detectCreditCards, detectIbans, detectUsSsns, detectIpAddresses, detectUrls } from './patterns.js';
export { detectPhoneNumbers, type PhoneOptions } from './phone.js';
export { detectPersons, detectLocations, detectOrganizations, detectStreetAddresses, detectDates } from './weak-rules.js';
export { detectPii, ruleDetector, ruleEntityTypes, resolveOverlaps, checkEntityTypes, type DetectOptions } from './detect.js';
export { regexBaselineDetector } from './baseline.js';
export { maskSpans, PiiVault, StreamRestorer } from './mask.js';
export { presidioDetector, type PresidioOptions } from './presidio.js';
export { PiiGuard, PiiConversation, checkPiiPolicy, DEFAULT_PII_ENTITIES, PII_STAGES, type PiiPolicy, type PiiStage, type PiiMode } from './policy.js';
export {
  scoreDetector,
  readLabelledJsonl,
  splitExamples,
  LABEL_TO_PRESIDIO,
  type LabelledExample,
  type LabelledSpan,
  type ScoreReport,
  type TypeScore,
  type Counts,
} from './score.js';
