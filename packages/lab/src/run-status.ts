import type { RunRecord, RunStatus, Storage } from '@llm-lab/storage';

/**
 * A run's status as people and programs are told it: the stored one, except that a run still
 * marked `running` that no live process holds (see `Storage.holdRun`) is `interrupted`. Its
 * process was stopped without a chance to record how the run ended (killed, or its machine went
 * down), and `--resume` finishes it. A `planned` run that a process holds is executing a slice:
 * it shows as `running`.
 */
export type ShownRunStatus = RunStatus | 'interrupted';

/** A stored run with its {@link ShownRunStatus}: what `Lab.listRuns` and `Lab.getRun` return. */
export type RunView = Omit<RunRecord, 'status'> & { status: ShownRunStatus };

/** `runs` with their shown status: the one place `interrupted` is decided. */
export async function withShownStatus(storage: Pick<Storage, 'heldRuns'>, runs: RunRecord[]): Promise<RunView[]> {
  const open = runs.filter((run) => run.status === 'running' || run.status === 'planned').map((run) => run.id);
  const held = open.length > 0 ? await storage.heldRuns(open) : new Set<string>();
  return runs.map((run) => {
    if (run.status === 'running' && !held.has(run.id)) return { ...run, status: 'interrupted' };
    if (run.status === 'planned' && held.has(run.id)) return { ...run, status: 'running' };
    return run;
  });
}
