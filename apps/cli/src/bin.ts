#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ExitCode, reportError } from './errors.js';
import { setLogFile } from './logging.js';

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
  .option('--log-file <path>', "the rotated log file (default: LLM_LAB_LOG_FILE, else logs/llm-lab.log in the project's .llm-lab; 'off' for none); level: LLM_LAB_LOG_LEVEL (default info)")
  .hook('preAction', (command) => setLogFile((command.opts() as { logFile?: string }).logFile))
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
    .option('--batch', "send the calls through the vendors' batch APIs (half price, answers within 24 h; overrides run.batch)")
    .option('--no-cache', 'do not read or write the response cache')
    .option('--no-progress', 'do not show progress')
    .option('--resume <run-id>', 'continue a stopped run: only missing results are run')
    .option('-o, --output <file>', 'also write the results to a file: .xml (JUnit, for CI), .json (JSON lines) or .csv; repeat for several', collectOutput)
    .option('--distributed', 'queue the run in shards for `llm-lab worker` processes on any machines (needs DATABASE_URL), follow and record it')
    .option('--shard-size <n>', 'with --distributed: cases per shard (default: about 100 shards, 10 to 500 cases each)', positiveInteger('--shard-size'))
    .option('--shard-timeout <seconds>', "with --distributed: a shard's lease; a worker silent this long loses it to another (default 900)", positiveInteger('--shard-timeout'))
    .option('--shard-attempts <n>', 'with --distributed: attempts of a shard before the run fails (default 3)', positiveInteger('--shard-attempts'))
    .option('--queue <name>', 'with --distributed: the queue (default llm-lab-shards)')
    .addOption(new Option('--from <format>', "the config's format (default: detected; promptfoo configs run as they are)").choices(['llm-lab', 'promptfoo'])),
).action((config: string, flags) =>
  exitWith(
    flags.distributed
      ? import('./commands/run-distributed.js').then((m) => m.runDistributedCommand(config, flags))
      : import('./commands/run-distributed.js').then((m) => m.refuseShardFlags(flags)).then(() => import('./commands/run.js').then((m) => m.runCommand(config, flags))),
  ),
);

program
  .command('worker')
  .description('execute shards of distributed runs (run --distributed) from the queue until stopped; start any number, on any machines')
  .option('-c, --concurrency <n>', "calls in flight at once within a shard (default: the run's run.concurrency)", concurrency)
  .option('--queue <name>', 'the queue to take shards from (default llm-lab-shards)')
  .option('--base-dir <dir>', "folder the config's relative paths (dataset) are resolved against (default: the submitting machine's config folder)")
  .option('--database-url <url>', 'PostgreSQL URL (default: DATABASE_URL)')
  .action((flags) => exitWith(import('./commands/worker.js').then((m) => m.workerCommand(flags))));

program
  .command('convert')
  .description('write the llm-lab.yaml equivalent of a promptfoo config (what cannot be mapped is listed, with its path)')
  .argument('<promptfoo-config>', 'the promptfoo config file, e.g. promptfooconfig.yaml')
  .option('--out <file>', 'write to this file instead of stdout')
  .action((file: string, flags) => exitWith(import('./commands/convert.js').then((m) => m.convertCommand(file, flags))));

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

storageOptions(
  program
    .command('rescore')
    .description('score a stored run\'s outputs again with other evaluators, as a new run linked to it (no model is called; judges are)')
    .argument('<run>', 'the run to re-score: its id, or a unique start or end of it')
    .option('--evaluators <file>', 'a YAML or JSON list of evaluator entries, or evaluators: with optional providers: (judges) and thresholds:; or entries inline, e.g. \'[{type: contains, value: "{{answer}}"}]\'')
    .option('--config <file>', "take a config's evaluators, judges, thresholds and groups")
    .option('-c, --concurrency <n>', 'results scored at once (judges are calls; default 8)', concurrency)
    .option('--json', 'print a machine-readable summary instead of the table')
    .option('--no-progress', 'do not show progress')
    .option('-o, --output <file>', 'also write the results to a file: .xml (JUnit, for CI), .json (JSON lines) or .csv; repeat for several', collectOutput),
).action((run: string, flags) => exitWith(import('./commands/rescore.js').then((m) => m.rescoreCommand(run, flags))));

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
    .option('--format <format>', 'text (default), json (as --json) or md (a markdown summary, for a CI job summary or a pull-request comment)', oneOf('--format', ['text', 'json', 'md']))
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
runs
  .command('cancel')
  .description('cancel a distributed run from any machine: workers stop taking its shards and finish their calls in flight; resumable with run --resume')
  .argument('<id>', 'run id, or a unique start or end of it')
  .option('--queue <name>', "the run's queue (default llm-lab-shards)")
  .option('--database-url <url>', 'PostgreSQL URL (default: DATABASE_URL)')
  .action((id: string, flags) => exitWith(import('./commands/runs-cancel.js').then((m) => m.runsCancelCommand(id, flags))));

storageOptions(
  program
    .command('report')
    .description('write a stored run as one self-contained HTML file: summary, charts, comparison, a case browser')
    .argument('<run>', 'run id, or a unique start or end of it')
    .option('-o, --out <file>', 'the HTML file to write (default: report.html)')
    .option('--compare <run>', 'set another run beside it: both side by side, and the cases that flipped')
    .option('--max-cases <n>', 'most results embedded in the page (default 1000): flipped, then not passed, then a sample', nonNegativeInteger('--max-cases'))
    .option('--max-text <n>', 'most characters of each prompt, output and reason (default 2000)', positiveInteger('--max-text'))
    .option('--group-by <field>', "the case field of the per-category heat map (default: the run's groups.by, else category, subject or topic)"),
).action((run: string, flags) => exitWith(import('./commands/report.js').then((m) => m.reportCommand(run, flags))));

storageOptions(
  program
    .command('export')
    .description('write every result of a stored run as CSV, JSON lines or Parquet, or log the run to MLflow (--to mlflow)')
    .argument('<run>', 'run id, or a unique start or end of it')
    .option('-f, --format <format>', 'csv, jsonl or parquet (default: from --out\'s extension, else jsonl)')
    .option('-o, --out <file>', 'the file to write (default: standard output; Parquet needs a file)')
    .option('--to <destination>', 'mlflow: log params, metrics and the HTML report to an MLflow tracking server')
    .option('--tracking-uri <url>', 'with --to mlflow: the tracking server (default: MLFLOW_TRACKING_URI)')
    .option('--experiment <name>', 'with --to mlflow: the experiment, created when missing (default: llm-lab)'),
).action((run: string, flags) => exitWith(import('./commands/export.js').then((m) => m.exportCommand(run, flags))));
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

/** `gateway` has subcommands too (keys, traffic): register them on this command. */
export const gateway = storageOptions(
  program
    .command('gateway')
    .description('serve a config\'s providers as an OpenAI-compatible API (chat completions, embeddings, models)')
    .argument('[config]', 'the config file whose providers: entries are the models served (default llm-lab.yaml)')
    .option('-p, --port <port>', 'port to listen on (0: any free port)', (value: string) => {
      const number = Number(value);
      if (!Number.isInteger(number) || number < 0 || number > 65535) throw new InvalidArgumentError('--port must be a whole number from 0 to 65535.');
      return number;
    }, 4000)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--shutdown-timeout <ms>', 'on SIGTERM, how long in-flight calls get to finish', positiveInteger('--shutdown-timeout'))
    .option('--no-metrics', 'do not serve Prometheus /metrics')
    .option('--metrics-token <token>', 'serve /metrics only with Authorization: Bearer <token> (or set LLM_LAB_METRICS_TOKEN)')
    .option('--tracing', 'make OpenTelemetry spans (exported over OTLP/HTTP to --otlp-endpoint or OTEL_EXPORTER_OTLP_ENDPOINT)')
    .option('--otlp-endpoint <url>', 'OTLP/HTTP traces endpoint, e.g. http://collector:4318/v1/traces (implies --tracing)')
    .option('--require-keys', 'refuse calls without a key even while no key exists (by default keys are required once one is made)')
    .option('--monitor <config>', "watch the gateway's calls and send alerts as this monitor config says (as llm-lab monitor start does)")
    .option('--keep-bodies <models>', 'store request and response bodies in the traffic record for these models (routes), comma-separated', (value: string) => {
      const names = value.split(',').map((name) => name.trim()).filter((name) => name !== '');
      if (names.length === 0) throw new InvalidArgumentError('--keep-bodies must name at least one model (route), separated by commas.');
      return names;
    })
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (chain); needs --tls-key (default: the config\'s security.tls)')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert'),
).action((config: string | undefined, flags) => exitWith(import('./commands/gateway.js').then((m) => m.gatewayCommand(config, flags))));

// `gateway keys` and `gateway traffic`: virtual keys and the traffic record (commands/gateway-keys.ts).
// `gateway` has --database-url and --data-dir too, and commander gives them to it wherever they
// are written: the subcommands read them with optsWithGlobals().
const gatewayKeys = gateway.command('keys').description("the gateway's virtual keys: create, list, revoke");
const nonNegativeUsd = (value: string) => {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0) throw new InvalidArgumentError('--budget-usd must be a number of US dollars, 0 or more.');
  return number;
};
const modelList = (value: string) => {
  const names = value.split(',').map((name) => name.trim()).filter((name) => name !== '');
  if (names.length === 0) throw new InvalidArgumentError('--models must name at least one model or route, separated by commas.');
  return names;
};
storageOptions(
  gatewayKeys
    .command('create')
    .description('make a key (printed once; only its hash is stored)')
    .requiredOption('--name <name>', 'who the key is for (unique among live keys)')
    .option('--budget-usd <usd>', 'stop the key once it has spent this much', nonNegativeUsd)
    .option('--rpm <n>', 'requests per minute the key may make', positiveInteger('--rpm'))
    .option('--models <a,b>', 'the only models (routes) the key may use', modelList)
    .option('--json', 'print the key and its settings as JSON'),
).action((_flags, command: Command) => exitWith(import('./commands/gateway-keys.js').then((m) => m.keysCreateCommand(command.optsWithGlobals()))));
storageOptions(
  gatewayKeys.command('list').description('live keys, their limits and spend').option('--all', 'revoked keys too').option('--json', 'print JSON'),
).action((_flags, command: Command) => exitWith(import('./commands/gateway-keys.js').then((m) => m.keysListCommand(command.optsWithGlobals()))));
storageOptions(
  gatewayKeys.command('revoke').description('stop a key working (running gateways refuse it within seconds)').argument('<key>', "the key's id, name or prefix"),
).action((key: string, _flags, command: Command) => exitWith(import('./commands/gateway-keys.js').then((m) => m.keysRevokeCommand(key, command.optsWithGlobals()))));
storageOptions(
  gateway
    .command('traffic')
    .description("the gateway's calls per route, provider and key: counts, errors, latency, tokens, cost")
    .option('--since <when>', 'only calls since a duration ago (30m, 1h, 7d) or a date (2026-12-01)')
    .option('--json', 'print JSON'),
).action((_flags, command: Command) => exitWith(import('./commands/gateway-keys.js').then((m) => m.trafficCommand(command.optsWithGlobals()))));

// `audit list` and `audit verify`: the tamper-evident audit log (commands/audit.ts).
const audit = program.command('audit').description('the audit log: who ran, compared, exported, made or revoked keys, read secrets; and its check');
storageOptions(
  audit
    .command('list')
    .description('entries, oldest first')
    .option('--since <when>', 'only entries since a duration ago (30m, 24h, 7d) or a date (2026-12-01)')
    .option('-n, --limit <n>', 'the newest entries shown (default 50; --json prints every one)', positiveInteger('--limit'))
    .option('--json', 'print JSON'),
).action((flags) => exitWith(import('./commands/audit.js').then((m) => m.auditListCommand(flags))));
storageOptions(
  audit.command('verify').description('check the hash chain: exit 1 naming each modified or deleted entry').option('--json', 'print JSON'),
).action((flags) => exitWith(import('./commands/audit.js').then((m) => m.auditVerifyCommand(flags))));

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

program
  .command('monitor')
  .description('watch metric series: anomaly detection')
  .command('detect')
  .description('run the online anomaly detector over a timestamp,value CSV and print the anomalies')
  .argument('<series>', 'a CSV file with timestamp and value columns, sorted by timestamp')
  .option('--json', 'print JSON')
  .option('--scores', "print every row's score")
  .option('--threshold <score>', 'score from which a row is an anomaly, in (0, 1] (default 0.5)', Number)
  .option('--min-volume <value>', 'do not judge rows while the recent median value is below this (a quiet night pages nobody)', Number)
  .option('--period <rows>', 'rows in one season for the seasonal baseline (default: a day, from the timestamps; 0: off)', Number)
  .action((file: string, flags) => exitWith(import('./commands/monitor.js').then((m) => m.detectCommand(file, flags))));
// `monitor start`: the collector, probes and alerting as one long-running process (commands/monitor-start.ts).
storageOptions(
  program.commands
    .find((command) => command.name() === 'monitor')!
    .command('start')
    .description('watch calls and probes, and send alerts (Slack, e-mail, webhook) as a monitor config says, until stopped')
    .argument('<config>', 'the monitor config: alerts:, channels:, probes: (see docs/monitoring.md)'),
).action((config: string, _flags, command: Command) => exitWith(import('./commands/monitor-start.js').then((m) => m.monitorStartCommand(config, command.optsWithGlobals()))));

// `monitor series`: one metric of one provider from the time-series store (commands/monitor-series.ts).
const monitorSeriesParent = program.commands.find((command) => command.name() === 'monitor') as Command;
storageOptions(
  monitorSeriesParent
    .command('series')
    .description('one metric of one provider over time, from the time-series store')
    .argument('<metric>', 'count, errors, error_rate, latency_p50, latency_p95, latency_p99, ttft_p50, ttft_p95, tokens_in, tokens_out, cost_usd, cache_hit_rate, probe_score')
    .requiredOption('--provider <id>', "the provider's id or label (a route, a run's provider), or its family (openai)")
    .option('--model <model>', 'only this model')
    .option('--source <source>', 'only calls from gateway, run or probe')
    .option('--route <route>', 'only this gateway route')
    .option('--key <name>', 'only this gateway key')
    .option('--since <duration>', 'how far back: 90m, 24h, 7d, 2w (default 24h)')
    .option('--step <step>', '1m or 1h points (default: 1m up to 6 hours, else 1h)')
    .option('--json', 'print JSON'),
).action((metric: string, flags) => exitWith(import('./commands/monitor-series.js').then((m) => m.seriesCommand(metric, flags))));

program
  .command('plugin')
  .description('provider plugins of your own')
  .command('create')
  .description('write a standalone provider-plugin project (contract 2.0) that builds, tests against its own fake server, and packs')
  .argument('<name>', 'the provider family, one lowercase word: ids are <name>:<model>, the package llm-lab-provider-<name>')
  .option('--dir <folder>', 'where to write it (default: ./llm-lab-provider-<name>)')
  .option('--tarballs <folder>', "install @llm-lab/core and @llm-lab/provider-testkit from the tarballs in this folder ('pnpm release:pack'), until they are on npm")
  .option('--force', 'write into a folder that is not empty')
  .action((name: string, flags) => exitWith(import('./commands/plugin.js').then((m) => m.pluginCreateCommand(name, flags))));

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Commander has printed what was wrong; --help and --version end here too, with code 0.
  if (!(error instanceof CommanderError)) throw error;
  process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.badInput;
}
