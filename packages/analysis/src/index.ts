/**
 * @llm-lab/analysis: paired significance tests, run-to-run comparisons, leaderboards and
 * sample-size planning over stored results. Reads storage; never calls a provider.
 */
export * from './stats/index.js';
export { compareRuns, ComparisonError, type CompareOptions, type ComparisonStore } from './compare.js';
export type * from './types.js';
export { renderComparisonMarkdown, renderComparisonText } from './render.js';
export { buildLeaderboard, renderLeaderboard, suiteOf, type Leaderboard, type LeaderboardEntry, type SuiteBoard, type LeaderboardStore } from './leaderboard.js';
