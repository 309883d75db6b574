import { ExitCode } from '../errors.js';
import { openLab, type StorageFlags } from './shared.js';

export interface LeaderboardFlags extends StorageFlags {
  suite?: string;
  limit?: number;
  json?: boolean;
  format?: 'md' | 'text';
}

/** `llm-lab leaderboard [--suite gsm8k]`: models across stored runs, ranked with intervals. */
export async function leaderboardCommand(flags: LeaderboardFlags): Promise<number> {
  const { buildLeaderboard, renderLeaderboard } = await import('@llm-lab/analysis');
  const lab = await openLab(flags);
  try {
    const board = await buildLeaderboard(await lab.openStorage(), { ...(flags.suite !== undefined ? { suite: flags.suite } : {}), ...(flags.limit !== undefined ? { limit: flags.limit } : {}) });
    process.stdout.write(flags.json ? `${JSON.stringify(board, null, 2)}\n` : renderLeaderboard(board, { markdown: flags.format === 'md' }));
    return ExitCode.ok;
  } finally {
    await lab.close();
  }
}
