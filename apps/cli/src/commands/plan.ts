import { ExitCode, UsageError } from '../errors.js';

export interface PlanFlags {
  baseline: number;
  mde: number;
  power?: number;
  alpha?: number;
  discordance?: number;
  json?: boolean;
}

/** `llm-lab plan --baseline 0.7 --mde 0.03`: how many cases a comparison needs. */
export async function planCommand(flags: PlanFlags): Promise<number> {
  const { planSampleSize } = await import('@llm-lab/analysis');
  let plan;
  try {
    plan = planSampleSize({
      baseline: flags.baseline,
      mde: flags.mde,
      ...(flags.alpha !== undefined ? { alpha: flags.alpha } : {}),
      ...(flags.power !== undefined ? { power: flags.power } : {}),
      ...(flags.discordance !== undefined ? { discordance: flags.discordance } : {}),
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.replace(/^(alpha|power|discordance)/, '--$1') : String(error));
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
    return ExitCode.ok;
  }
  const pct = (value: number) => `${(value * 100).toFixed(1)}%`;
  const count = (value: number) => value.toLocaleString('en');
  process.stdout.write(
    [
      `To detect ${(plan.mde * 100).toFixed(1)} points over a ${pct(plan.baseline)} baseline with ${pct(plan.power)} power at α = ${plan.alpha}:`,
      `  paired (both models on the same cases, McNemar): ${count(plan.pairedCases)} cases`,
      `    assuming the models disagree on ${pct(plan.discordance)} of cases (${plan.discordanceSource});`,
      `    give --discordance from a past comparison (its discordant pairs ÷ cases) for a tighter figure`,
      `  unpaired (different cases per model): ${count(plan.unpairedCasesPerModel)} cases per model`,
      `  with ${count(plan.pairedCases)} cases one model's accuracy is known to ±${(plan.halfWidthAtPairedCases * 100).toFixed(1)} points (95%)`,
      '',
    ].join('\n'),
  );
  return ExitCode.ok;
}
