export { createEvaluators, createDefaultEvaluatorRegistry, EvaluatorRegistry, builtInEvaluators, type CreateEvaluatorsOptions } from './registry.js';
export { loadEvaluators, type LoadEvaluatorsOptions } from './load-evaluators.js';
export { defineEvaluator, compileOptionTemplate } from './define-evaluator.js';
export { templateValue, templateList, thresholdOption, providerReference, type ProviderReference } from './schemas.js';
export { normalizeText, squadNormalize, wordTokens, type NormalizeOptions } from './text.js';
export { rougeL, sentenceBleu, levenshteinDistance, levenshteinSimilarity, longestCommonSubsequence } from './text-similarity.js';
export { equalsEvaluator } from './equals.js';
export { containsEvaluator } from './contains.js';
export { regexEvaluator } from './regex.js';
export { isJsonEvaluator, parseJsonOutput } from './is-json.js';
export { jsonSchemaEvaluator } from './json-schema.js';
export { toolCallEvaluator, firstDifference, type ExpectedToolCall, type ToolCallCheck } from './tool-call.js';
export { numericEvaluator, extractFinalNumber, numbersIn } from './numeric.js';
export { DEFAULT_CHOICE_SEED, shuffledOrder } from './choice-order.js';
export { choiceEvaluator, describeAmbiguity, extractChoice, type AmbiguousChoice, type ChoiceRule, type ExtractedChoice } from './choice.js';
export { rougeLEvaluator, bleuEvaluator, levenshteinEvaluator } from './similarity.js';
export { codeExecEvaluator } from './code/code-exec.js';
export { extractCode, buildProgram, type CodeLanguage, type ProgramParts } from './code/extract-code.js';
export { runProgram, sandboxSupport, type RunProgramOptions, type ProgramOutcome, type SandboxSupport } from './code/run-program.js';
export { llmRubricEvaluator, parseRubricVerdict, type RubricVerdict } from './model-graded/llm-rubric.js';
export { gEvalEvaluator, gEvalScore, parseOneToFive, weightedScoreFromLogprobs, type GEvalScore } from './model-graded/g-eval.js';
export { pairwiseEvaluator, parsePairVerdict, combinePairVerdicts, type PairVerdict } from './model-graded/pairwise.js';
export {
  judgeRatingEvaluator,
  parseBracketRating,
  MT_BENCH_SINGLE_PROMPT,
  MT_BENCH_SINGLE_REFERENCE_PROMPT,
  MT_BENCH_JUDGE_SYSTEM,
} from './model-graded/judge-rating.js';
export { createJudge, findJsonObject, type Judge, type JudgeAnswer } from './model-graded/judge.js';
export { truthfulQaEvaluator, parseTruthVerdict } from './truthfulness/truthfulqa.js';
export { truthfulQaInformativeEvaluator, declinesToAnswer, parseInformativeVerdict } from './truthfulness/informative.js';
export { loglikelihoodEvaluator, pickByLoglikelihood, type LoglikelihoodMetric } from './loglikelihood.js';
export { truthfulQaMc1Evaluator, truthfulQaMc2Evaluator, mc2Score } from './truthfulness/truthfulqa-mc.js';
export {
  refusalEvaluator,
  harmfulComplianceEvaluator,
  overRefusalEvaluator,
  detectRefusal,
  parseRefusalVerdict,
  parseRefusalClass,
  xstestJudgePrompt,
  REFUSAL_PREFIXES,
  REFUSAL_PHRASES,
  type RefusalClass,
} from './safety/refusal.js';
export { classifyRefusal, shippedRefusalModel, type RefusalModel, type RefusalVerdict } from './safety/refusal-classifier.js';
export { piiEvaluator, findPii, luhnValid, ibanValid, PII_KINDS, type PiiKind } from './safety/pii.js';
export { latencyEvaluator, ttftEvaluator, tokensPerSecondEvaluator, costEvaluator, tokensPerSecond } from './performance/performance.js';
export { customEvaluator, type CustomEvaluateFunction, type CustomResult } from './custom/custom.js';
export { javascriptEvaluator, javascriptFunctionBody, javascriptScore } from './javascript.js';
export { similarEvaluator, cosineSimilarity, DEFAULT_SIMILARITY_EMBEDDING } from './similar.js';
export { startsWithEvaluator } from './starts-with.js';
export { containsJsonEvaluator, jsonValuesIn } from './contains-json.js';
export { assertionFromExpected, mapPromptfooAssertion, type PromptfooAssertion, type AssertionDefaults, type MappedAssertion } from './promptfoo-assertions.js';
export { RowChecks, rowChecksOf, casePassed, type RowChecksSettings, type CaseChecks } from './row-checks.js';
export type {
  EmbeddingFactory,
  Evaluator,
  EvaluatorContext,
  EvaluatorDefinition,
  EvaluationInput,
  ResponseFacts,
  ProviderFactory,
  PreloadedModule,
} from './types.js';
export { meanPassAtK, passAtKFromResults, type PassAtKSummary } from './code/pass-at-k.js';
