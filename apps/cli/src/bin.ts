#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ExitCode, reportError } from './errors.js';

// The embedded database (PGlite) is a large WebAssembly module. V8's optimising tier recompiles
// its hot functions in the background, which for a command that lives seconds costs more CPU
// and memory than it saves: measured on a 5,000-result run, baseline (Liftoff) code alone used
// 1.1 s of CPU and 389 MB against 2.0 s and 456 MB. Set before any module is compiled.
// LLM_LAB_WASM_TIERUP=1 keeps V8's default.
if (process.env.LLM_LAB_WASM_TIERUP !== '1') setFlagsFromString('--liftoff-only');
// A run of thousands of short calls keeps little alive (~25 MB of a 5,000-case run's heap
// survives a full collection) but makes garbage fast; V8's default lets the old generation grow
// several times past what is live before collecting it. Growing it by a quarter instead cut the
// peak memory of that run from ~185 MB to ~125 MB, measured side by side, for a few % of CPU.
setFlagsFromString('--heap-growing-percent=25');

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const positiveInteger = (name: string) => (value: string) => {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError(`${name} must be a positive whole number.`);
  return number;
};
/** Calls in flight at once: at most what a config's run.concurrency accepts (each is a worker of the run). */
const MAX_CONCURRENCY = 10_000;
const concurrency = (value: string) => {
  const number = positiveInteger('--concurrency')(value);
  if (number > MAX_CONCURRENCY) throw new InvalidArgumentError(`--concurrency must be at most ${MAX_CONCURRENCY.toLocaleString('en')}.`);
  return number;
};

// A command that stores runs starts the embedded database's worker before anything else, unless
// a PostgreSQL URL is given: the worker loads PGlite (~0.25 s) while the command loads itself.
const storageOptions = (command: Command) =>
  command
    .addOption(new Option('--database-url <url>', "PostgreSQL URL (default: DATABASE_URL, else the embedded database in the project's .llm-lab)"))
    .addOption(new Option('--data-dir <dir>', "folder of the embedded database (default: db in LLM_LAB_HOME, else the nearest .llm-lab/ upwards, else the project root's)"))
    .hook('preAction', (_command, action) => {
      if ((action.opts() as { databaseUrl?: string }).databaseUrl) return;
      import('@llm-lab/storage').then(
        (storage) => storage.prestartEmbeddedDatabase(),
        () => undefined,
      );
    });

async function exitWith(code: Promise<number>): Promise<void> {
  try {
    process.exitCode = await code;
  } catch (error) {
    process.exitCode = reportError(error);
  }
}

const collectOutput = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

const program = new Command()
  .name('llm-lab')
  .description('Benchmark and evaluate large language models across providers.')
  .version(version, '-v, --version')
  .showHelpAfterError('(run with --help for usage)')
  // Commander exits 1 on a bad argument; this command's code for bad input is 2 (see errors.ts).
  // Subcommands made after this inherit it.
  .exitOverride();

storageOptions(
  program
    .command('run')
    .description('run a benchmark config: every case through every provider, scored and stored')
    .argument('<config>', 'the config file (YAML or JSON)')
    .option('--json', 'print a machine-readable summary instead of the table')
    .option('-c, --concurrency <n>', 'calls in flight at once (overrides run.concurrency)', concurrency)
    .option('-l, --limit <n>', 'run only the first N cases', positiveInteger('--limit'))
    .option('-r, --repeat <n>', 'send each case N times (overrides run.repeat)', positiveInteger('--repeat'))
    .option('--stream', 'stream responses (records time to first token)')
    .option('--no-cache', 'do not read or write the response cache')
    .option('--no-progress', 'do not show progress')
    .option('--resume <run-id>', 'continue a stopped run: only missing results are run')
    .option('-o, --output <file>', 'also write the results to a file: .xml (JUnit, for CI), .json (JSON lines) or .csv; repeat for several', collectOutput),
).action((config: string, flags) => exitWith(import('./commands/run.js').then((m) => m.runCommand(config, flags))));

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];
const nonNegativeInteger = (name: string) => (value: string) => {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new InvalidArgumentError(`${name} must be a whole number ≥ 0.`);
  return number;
};

const oneOf = (name: string, allowed: readonly string[]) => (value: string) => {
  if (!allowed.includes(value)) throw new InvalidArgumentError(`${name} must be one of ${allowed.join(', ')}.`);
  return value;
};

storageOptions(
  program
    .command('bench')
    .description("run a built-in benchmark suite (mmlu, gsm8k, truthfulqa, truthfulqa-mc1, arc, hellaswag, humaneval, advbench, xstest, mt-bench) or a task file (./my-task.yaml); 'bench list' lists the suites")
    .argument('<suite>', "a suite name, a task file (.yaml, .yml or .json), or 'list'")
    .option('-p, --provider <id>', 'a model to benchmark (repeat to compare); an id, or the id/label of an entry in --config', collect)
    .option('--config <file>', 'take provider entries (keys, base URL, settings, plugins) by id or label from this config file')
    .option('--models-dir <dir>', 'where gguf:<name> models are looked up, as in \'models list --dir\' (default: LLM_LAB_MODELS_DIR, else ~/.cache/llm-lab/models)')
    .option('--judge <id>', 'the judge model of judged suites (mt-bench), or of refusals in advbench and xstest; an id or an entry of --config')
    .option('--data <path>', 'a local file, or a folder holding the suite\'s files, instead of the Hugging Face dataset')
    .option('--subject <name>', 'mmlu: keep this subject (repeat, or separate with commas)', collect)
    .option('--shots <n>', 'solved examples before each question: mmlu from the dev split (0-5), arc/hellaswag from the train split, gsm8k chain of thought (0-8)', nonNegativeInteger('--shots'))
    .option('--shots-data <file>', 'arc, hellaswag: the file --shots examples are drawn from (default: the train split)')
    .option('--scoring <mode>', 'mmlu, arc, hellaswag: generate (the letter the model writes, default) or loglikelihood (rank the choices, as lm-evaluation-harness)', oneOf('--scoring', ['generate', 'loglikelihood']))
    .option('--metric <name>', 'with --scoring loglikelihood: acc or acc_norm (default acc for mmlu, acc_norm for arc and hellaswag)', oneOf('--metric', ['acc', 'acc_norm']))
    .option('-l, --limit <n>', 'run only the first N cases', positiveInteger('--limit'))
    .option('--sample <n>', 'a seeded random sample of N cases', positiveInteger('--sample'))
    .option('--seed <n>', 'the seed of --sample (default 0)', nonNegativeInteger('--seed'))
    .option('--choice-seed <n>', 'truthfulqa-mc1: the seed of the shuffled choice order (default 1234; recorded with the run)', nonNegativeInteger('--choice-seed'))
    .option('-c, --concurrency <n>', 'calls in flight at once', concurrency)
    .option('-r, --repeat <n>', 'send each case N times (e.g. pass@k for humaneval)', positiveInteger('--repeat'))
    .option('--max-tokens <n>', "override the suite's maxTokens", positiveInteger('--max-tokens'))
    .option('--json', 'print a machine-readable summary instead of the table')
    .option('--stream', 'stream responses (records time to first token)')
    .option('--no-progress', 'do not show progress')
    .option('--resume <run-id>', 'continue a stopped benchmark run (give the same suite and options)')
    .option('-o, --output <file>', 'also write the results to a file: .xml (JUnit, for CI), .json (JSON lines) or .csv; repeat for several', collectOutput),
).action((suite: string, flags) => exitWith(import('./commands/bench.js').then((m) => m.benchCommand(suite, flags))));

const runs = program.command('runs').description('list and inspect stored runs');
storageOptions(
  runs
    .command('list')
    .description('stored runs, newest first')
    .option('--json', 'print JSON')
    .option('-n, --limit <n>', 'how many runs (default 20)', positiveInteger('--limit')),
).action((flags) => exitWith(import('./commands/runs.js').then((m) => m.runsListCommand(flags))));
storageOptions(
  runs
    .command('show')
    .description('one run: settings, per-provider figures, results')
    .argument('<id>', 'run id, or a unique start or end of it')
    .option('--json', 'print the run, its counts and its results as JSON (every result, written one at a time, unless a page is asked for)')
    .option('--failures', 'list failed and errored results (the first 20; see --limit, --offset, --cursor, --all)')
    .option('--results', 'list results (the first 20; see --limit, --offset, --cursor, --all)')
    .option('-n, --limit <n>', 'results per page (default 20, at most 10000)', positiveInteger('--limit'))
    .option('--offset <n>', 'skip this many results first', nonNegativeInteger('--offset'))
    .option('--cursor <cursor>', 'continue where the previous page ended (the cursor it printed)')
    .option('--all', 'list every matching result, a page at a time (memory stays flat)')
    .option('--sort <key>', 'order: case (default), latency, or score', oneOf('--sort', ['case', 'latency', 'score']))
    .option('--desc', 'with --sort: largest first')
    .option('--provider <label>', "only this provider's results")
    .option('--case <id>', "only this case's results"),
).action((id: string, flags) => exitWith(import('./commands/runs.js').then((m) => m.runsShowCommand(id, flags))));

const share = (name: string) => (value: string) => {
  const number = Number(value);
  if (!(number > 0 && number < 1)) throw new InvalidArgumentError(`${name} must be a number between 0 and 1 (0.03 for 3 points).`);
  return number;
};
storageOptions(
  program
    .command('compare')
    .description('compare providers and prompts within a run, or two runs case by case: paired tests, intervals and verdicts')
    .argument('<run-a>', 'a run id (or a unique start or end of one): the baseline')
    .argument('[run-b]', 'a second run, paired with the first by case id (default: the sides of run-a against each other)')
    .option('--by <field>', 'break each comparison down by a field of the cases (subject, category, meta.tag)')
    .option('--cluster <field>', 'cases sharing this field are correlated (MMLU subject, a passage id): clustered errors')
    .option('--metric <name>', 'passed (pass/fail, default) or score (mean evaluator score)', oneOf('--metric', ['passed', 'score']))
    .option('--correction <name>', 'multiple comparisons: holm (default) or bh (Benjamini–Hochberg)', oneOf('--correction', ['holm', 'bh']))
    .option('--json', 'print the comparison as JSON')
    .option('--format <format>', 'md: Markdown (for a CI job summary)', oneOf('--format', ['md', 'text']))
    .option('--fail-on-regression', 'exit 1 when B is significantly worse than A after correction (the CI gate)')
    .option('--min-effect <d>', 'with --fail-on-regression: the smallest drop that fails, e.g. 0.02 for 2 points', share('--min-effect')),
).action((runA: string, runB: string | undefined, flags) => exitWith(import('./commands/compare.js').then((m) => m.compareCommand(runA, runB, flags))));
storageOptions(
  program
    .command('leaderboard')
    .description('models across stored runs: ranked per suite with intervals, mean win rate across suites, cost/latency Pareto front')
    .option('--suite <name>', 'only runs of this suite (matched in the run description, e.g. gsm8k)')
    .option('-n, --limit <n>', 'read the newest N runs (default 200)', positiveInteger('--limit'))
    .option('--json', 'print JSON')
    .option('--format <format>', 'md: Markdown', oneOf('--format', ['md', 'text'])),
).action((flags) => exitWith(import('./commands/leaderboard.js').then((m) => m.leaderboardCommand(flags))));
program
  .command('plan')
  .description('how many cases a comparison needs to detect a difference')
  .requiredOption('--baseline <p>', "the baseline model's expected accuracy, e.g. 0.7", share('--baseline'))
  .requiredOption('--mde <d>', 'the smallest difference worth detecting, e.g. 0.03 for 3 points', share('--mde'))
  .option('--power <p>', 'chance of detecting it when it is there (default 0.8)', share('--power'))
  .option('--alpha <a>', 'significance level (default 0.05)', share('--alpha'))
  .option('--discordance <p>', 'share of cases where the two models disagree (default: as if independent)', share('--discordance'))
  .option('--json', 'print JSON')
  .action((flags) => exitWith(import('./commands/plan.js').then((m) => m.planCommand(flags))));

program
  .command('init')
  .description('write a working llm-lab.yaml, a small dataset and the editor schema into a folder (runs offline with the mock provider)')
  .argument('[folder]', 'where to write (default: the current folder)')
  .option('--provider <id>', 'the model to evaluate, e.g. openai:gpt-4o-mini (default: mock:starter, offline)')
  .option('--example <name>', 'qa, rag, code or safety (default: qa)')
  .option('-y, --yes', 'take the defaults without asking')
  .option('--force', 'replace an existing llm-lab.yaml')
  .action((folder: string | undefined, flags) => exitWith(import('./commands/init.js').then((m) => m.initCommand(folder, flags))));

program
  .command('schema')
  .description("print the JSON Schema of llm-lab.yaml (for editors: '# yaml-language-server: $schema=<file>')")
  .action(() =>
    exitWith(
      import('@llm-lab/lab/schema/llm-lab.schema.json', { with: { type: 'json' } }).then((schema) => {
        process.stdout.write(`${JSON.stringify(schema.default, null, 2)}\n`);
        return 0;
      }),
    ),
  );

program
  .command('chat')
  .description('stream a model\'s answer token by token (a conversation when no message is given on a terminal)')
  .argument('<provider>', 'a provider id (openai:gpt-4o-mini) or the id/label of an entry in --config')
  .argument('[message]', 'what to say (default: read standard input, or a conversation on a terminal)')
  .option('--config <file>', 'take the provider\'s config (keys, base URL, settings, plugins) from this config file')
  .option('--models-dir <dir>', 'where gguf:<name> models are looked up, as in \'models list --dir\' (default: LLM_LAB_MODELS_DIR, else ~/.cache/llm-lab/models)')
  .option('-s, --system <text>', 'a system message')
  .option('-t, --temperature <t>', 'sampling temperature', (value: string) => {
    const number = Number(value);
    if (!Number.isFinite(number) || number < 0 || number > 2) throw new InvalidArgumentError('--temperature must be a number from 0 to 2.');
    return number;
  })
  .option('--max-tokens <n>', 'most tokens to generate', positiveInteger('--max-tokens'))
  .option('--json', 'print the final response as JSON instead of streaming text')
  .action((provider: string, message: string | undefined, flags) =>
    exitWith(import('./commands/chat.js').then((m) => m.chatCommand(provider, message, flags))),
  );

const models = program.command('models').description('local GGUF models for gguf:<name> providers');
models
  .command('pull')
  .description('download a GGUF model (resumes an interrupted download)')
  .argument('<source>', 'an http(s) URL, or a Hugging Face file: owner/repo[@revision]/file.gguf')
  .option('--dir <dir>', 'where models live (default: LLM_LAB_MODELS_DIR, else ~/.cache/llm-lab/models)')
  .option('--sha256 <hex>', 'expected checksum; a mismatch deletes the download')
  .action((source: string, flags) => exitWith(import('./commands/models.js').then((m) => m.modelsPullCommand(source, flags))));
models
  .command('list')
  .description('downloaded models, with the chat command that uses them')
  .option('--dir <dir>', 'where models live (default: LLM_LAB_MODELS_DIR, else ~/.cache/llm-lab/models)')
  .option('--json', 'print JSON')
  .action((flags) => exitWith(import('./commands/models.js').then((m) => m.modelsListCommand(flags))));

program
  .command('providers')
  .description('provider families: built-ins and plugins')
  .command('list')
  .description('list providers with their capabilities')
  .option('--config <file>', 'also load the plugins this config lists')
  .option('--json', 'print JSON')
  .action((flags) => exitWith(import('./commands/providers.js').then((m) => m.providersListCommand(flags))));

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Commander has printed what was wrong; --help and --version end here too, with code 0.
  if (!(error instanceof CommanderError)) throw error;
  process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.badInput;
}
