import { z } from 'zod';

/** Settings that change what a model generates; `defaults:` and per-provider overrides. */
export const samplingSchema = z
  .object({
    temperature: z.number().min(0).max(2).optional(),
    topP: z.number().min(0).max(1).optional(),
    topK: z.number().int().positive().optional(),
    maxTokens: z.number().int().positive().optional(),
    presencePenalty: z.number().min(-2).max(2).optional(),
    frequencyPenalty: z.number().min(-2).max(2).optional(),
    stop: z.array(z.string()).max(4).optional(),
    seed: z.number().int().optional(),
    logprobs: z.number().int().min(0).max(20).optional(),
  })
  .strict();

const providerIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]*:.+$/i, 'a provider id of the form <provider>:<model>, e.g. openai:gpt-4o-mini');

export const providerEntrySchema = z.union([
  providerIdSchema,
  z
    .object({
      id: providerIdSchema,
      /** A display name; defaults to the id. Two entries with the same id need distinct labels. */
      label: z.string().min(1).optional(),
      /** Passed to the provider factory (apiKey, baseURL, timeoutMs, ...). */
      config: z.record(z.string(), z.unknown()).default({}),
      /** Sampling overrides for this provider. */
      settings: samplingSchema.optional(),
      // Reliability policy, applied by the provider manager (@llm-lab/provider-manager validates
      // these blocks; core only reserves the keys so it stays free of that dependency).
      /** Retries: { maxAttempts, baseDelayMs, maxDelayMs, maxTotalMs }. */
      retry: z.record(z.string(), z.unknown()).optional(),
      /** Circuit breaker: { enabled, failureThreshold, failureRate, windowMs, minCalls, cooldownMs, halfOpenMaxCalls }. */
      breaker: z.record(z.string(), z.unknown()).optional(),
      /** Budgets: { rpm, tpm, burstSeconds }. */
      rateLimit: z.record(z.string(), z.unknown()).optional(),
      /** Calls in flight to this provider: { max, adaptive }. */
      concurrency: z.record(z.string(), z.unknown()).optional(),
      /** This provider's response cache: { enabled, ttlMs }. */
      cache: z.record(z.string(), z.unknown()).optional(),
      /** Per-call timeout in milliseconds. */
      timeoutMs: z.number().int().positive().optional(),
      /** Providers to try, in order, when this one fails or its circuit is open. */
      fallbacks: z.array(z.string().min(1)).optional(),
      /** Several deployments or keys behind this one logical provider. */
      members: z.array(z.union([z.string().min(1), z.record(z.string(), z.unknown())])).min(1).optional(),
      /** How members share the calls: round-robin, least-busy or lowest-latency. */
      strategy: z.string().optional(),
      /** PII masking or tokenisation: { mode, before, entities, minScore, presidio }. */
      pii: z.record(z.string(), z.unknown()).optional(),
    })
    .strict(),
]);

const messageSchema = z
  .object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() })
  .strict();

/** A tool the model may call, as written in a prompt's `tools:` (contract 2.0 `ToolDefinition`). */
export const toolDefinitionSchema = z
  .object({
    name: z
      .string({ error: 'expected the tool name, e.g. get_weather' })
      .regex(/^[a-zA-Z0-9_-]{1,64}$/, 'a tool name is letters, digits, _ or -, at most 64 characters (the strictest vendor rule)'),
    description: z.string().optional(),
    /** JSON Schema of the arguments object. */
    parameters: z.record(z.string(), z.unknown(), { error: 'expected a JSON Schema object, e.g. { type: object, properties: { city: { type: string } } }' }).optional(),
    strict: z.boolean().optional(),
  })
  .strict();

export const toolChoiceSchema = z.union(
  [z.enum(['auto', 'none', 'required']), z.object({ type: z.literal('tool'), name: z.string().min(1) }).strict()],
  { error: "expected 'auto', 'none', 'required' or { type: tool, name: <a tool of this prompt> }" },
);

/** How the answer is shaped: `text`, or `json` (with an optional JSON Schema: structured output). */
export const responseFormatSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('text') }).strict(),
    z
      .object({
        type: z.literal('json'),
        schema: z.record(z.string(), z.unknown(), { error: 'expected a JSON Schema object' }).optional(),
        name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'a schema name is letters, digits, _ or -, at most 64 characters').optional(),
        description: z.string().optional(),
        strict: z.boolean().optional(),
      })
      .strict(),
  ],
  { error: "expected { type: text } or { type: json, schema?: <JSON Schema>, strict?: true }" },
);

/** The most tool rounds a prompt's `maxToolSteps` may ask for. */
export const MAX_TOOL_STEPS = 50;

export const promptEntrySchema = z.union([
  z.string().min(1),
  z
    .object({
      id: z.string().min(1).optional(),
      /** A user message template with {{field}} variables. */
      template: z.string().min(1).optional(),
      /** A system message template. */
      system: z.string().optional(),
      /** Full chat turns as templates (instead of template/system). */
      messages: z.array(messageSchema).min(1).optional(),
      /** Tools the model may call with this prompt. */
      tools: z.array(toolDefinitionSchema).min(1).optional(),
      /** A row field holding more tools for its case (an array of tool definitions, or that array as JSON text). */
      toolsField: z.string().min(1).optional(),
      /** Whether and which tool the model must call. Default: the vendor's (`auto`). */
      toolChoice: toolChoiceSchema.optional(),
      /** Allow several tool calls in one turn. Default: the vendor's. */
      parallelToolCalls: z.boolean().optional(),
      /** Structured output: `{ type: json, schema }`. */
      responseFormat: responseFormatSchema.optional(),
      /** A JS module (relative to the config) exporting one function per tool name: runs the tool loop. */
      toolModule: z.string().min(1).optional(),
      /** Most tool rounds in the loop before the last answer is scored. Default 5. */
      maxToolSteps: z.number().int().min(1).max(MAX_TOOL_STEPS).optional(),
    })
    .strict()
    .refine((prompt) => prompt.template !== undefined || prompt.messages !== undefined, {
      message: 'a prompt needs either template or messages',
    })
    .refine((prompt) => prompt.messages === undefined || (prompt.template === undefined && prompt.system === undefined), {
      message: 'a prompt takes either messages or template/system, not both: put the system and user turns in messages',
    })
    .refine((prompt) => prompt.tools !== undefined || prompt.toolsField !== undefined || (prompt.toolChoice === undefined && prompt.toolModule === undefined && prompt.parallelToolCalls === undefined), {
      message: 'toolChoice, parallelToolCalls and toolModule need tools: list them in tools (or name a row field holding them in toolsField)',
      path: ['tools'],
    })
    .refine((prompt) => prompt.maxToolSteps === undefined || prompt.toolModule !== undefined, {
      message: 'maxToolSteps limits the tool loop, which runs only with toolModule (a JS module exporting a function per tool)',
      path: ['maxToolSteps'],
    })
    .refine(
      (prompt) => {
        const choice = prompt.toolChoice;
        if (typeof choice !== 'object' || prompt.toolsField !== undefined) return true;
        return (prompt.tools ?? []).some((tool) => tool.name === choice.name);
      },
      { message: 'toolChoice names a tool that is not in this prompt\'s tools', path: ['toolChoice', 'name'] },
    )
    .refine(
      (prompt) => new Set((prompt.tools ?? []).map((tool) => tool.name)).size === (prompt.tools ?? []).length,
      { message: 'two tools of this prompt have the same name; tool names must be unique', path: ['tools'] },
    ),
]);

/** One evaluator. Its other fields depend on `type` and are checked by @llm-lab/evaluation. */
export const evaluatorEntrySchema = z.looseObject({
  type: z.string().min(1),
  /** Scores this evaluator's result under another name. */
  name: z.string().min(1).optional(),
});

const filterValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** A Hugging Face Hub dataset, read through the Hub's auto-converted Parquet files. */
export const hfDatasetSchema = z
  .object({
    /** Repository id, e.g. `openai/gsm8k`. */
    name: z.string().regex(/^[\w.-]+(\/[\w.-]+)?$/, 'a Hub dataset id such as openai/gsm8k'),
    /** Dataset configuration (subset), e.g. `main`. */
    config: z.string().min(1).default('default'),
    /** Split, e.g. `test`. */
    split: z.string().min(1).default('train'),
    /** A branch, tag or commit of the Parquet conversion; default the Hub's current one. */
    revision: z.string().min(1).optional(),
  })
  .strict();

export const datasetSchema = z
  .object({
    /** A JSONL, CSV, JSON-array or Parquet file (optionally gzipped), relative to the config file. */
    path: z.string().min(1).optional(),
    /** Inline rows (instead of path). */
    rows: z.array(z.record(z.string(), z.unknown())).optional(),
    /** A Hugging Face Hub dataset (instead of path or rows). */
    hf: hfDatasetSchema.optional(),
    /** Inferred from the file extension (and content) when absent. */
    format: z.enum(['jsonl', 'csv', 'json', 'parquet']).optional(),
    /** The row field holding a stable case id; a hash of the row when absent. */
    idField: z.string().min(1).optional(),
    /** What to do with a row that cannot be parsed: skip it (and report it) or stop the run. */
    onInvalidRow: z.enum(['skip', 'fail']).default('skip'),
    /** Use only the first N cases (after filter and sample). */
    limit: z.number().int().positive().optional(),
    /** A seeded uniform random sample of `size` cases, drawn in one streamed pass. */
    sample: z
      .object({ size: z.number().int().positive(), seed: z.number().int().default(0) })
      .strict()
      .optional(),
    /** Keep only rows whose field equals the value (or one of the listed values); all fields must match. */
    filter: z.record(z.string(), z.union([filterValueSchema, z.array(filterValueSchema).min(1)])).optional(),
    /** Renames fields: `{ newName: 'Source Field' }`; other fields are kept. */
    map: z.record(z.string().min(1), z.string().min(1)).optional(),
    /**
     * Checks rows carry themselves, merged with `evaluators:`: the row field of evaluator entries
     * (`field`, default `assert`; false: none), and the judge and embedding model of promptfoo's
     * `__expected` column forms (`grade:…`, `similar:…`). `__threshold` sets a row's pass score.
     */
    rowChecks: z
      .object({
        field: z.union([z.string().min(1), z.literal(false)]).optional(),
        judge: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
        embedding: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine(
    (dataset) => [dataset.path, dataset.rows, dataset.hf].filter((source) => source !== undefined).length === 1,
    { message: 'a dataset needs exactly one of path or rows (or hf, a Hugging Face dataset)' },
  );

export const runSettingsSchema = z
  .object({
    /** Calls in flight at once across the run. */
    concurrency: z.number().int().positive().max(10_000).default(8),
    /** How many times each case is sent to each provider. */
    repeat: z.number().int().positive().max(1_000).default(1),
    /** Run only the first N cases. */
    limit: z.number().int().positive().optional(),
    /** Per-request timeout in milliseconds. */
    timeoutMs: z.number().int().positive().optional(),
    /**
     * Send the calls through the vendors' batch APIs (OpenAI Batch API, Anthropic Message
     * Batches: half price, answers within 24 hours); providers without one make ordinary calls.
     */
    batch: z.boolean().optional(),
    /** Work items held and sent together per round of a batch run (one vendor batch per provider). */
    batchSize: z.number().int().positive().max(50_000).optional(),
  })
  .strict();

/** The default of `thresholds.maxErrorRate`: a run where more than a tenth of a provider's results are errors failed. */
export const DEFAULT_MAX_ERROR_RATE = 0.1;

/** A share of results, 0–1, with an error that says so (for 1.5 or "ten" alike). */
const shareSchema = (what: string) =>
  z
    .number({ error: `expected a number from 0 to 1 (${what}), e.g. 0.1 for 10%` })
    .min(0, `expected a number from 0 to 1 (${what}), e.g. 0.1 for 10%`)
    .max(1, `expected a number from 0 to 1 (${what}), e.g. 0.1 for 10%`);

export const thresholdsSchema = z
  .object({
    /** Every provider must reach this accuracy (0–1) or the run exits non-zero. */
    minAccuracy: shareSchema('the accuracy every provider must reach').optional(),
    /**
     * The largest share (0–1) of a provider's results that may be errors (failed calls, templates
     * or evaluators); above it the run failed and exits non-zero. Default 0.1.
     */
    maxErrorRate: shareSchema("the largest share of a provider's results that may be errors").default(DEFAULT_MAX_ERROR_RATE),
  })
  .strict();

export const storageSchema = z
  .object({
    /** A PostgreSQL URL; overrides DATABASE_URL. */
    url: z.string().min(1).optional(),
    /** Folder of the embedded database when no URL is set. Default `.llm-lab/` under the working directory. */
    dataDir: z.string().min(1).optional(),
  })
  .strict();

/**
 * A secret named by where it lives instead of written in the config (documented in
 * docs/security.md): read by @llm-lab/security's key manager when providers are made, cached for
 * `security.secretsTtlMs`, so a rotated secret is picked up without a restart.
 */
export const secretReferenceSchema = z.discriminatedUnion(
  'from',
  [
    z.object({ from: z.literal('env'), name: z.string().min(1) }).strict(),
    z.object({ from: z.literal('dotenv'), name: z.string().min(1), file: z.string().min(1).optional() }).strict(),
    z.object({ from: z.literal('vault'), path: z.string().min(1), field: z.string().min(1) }).strict(),
    z.object({ from: z.literal('aws'), id: z.string().min(1), field: z.string().min(1).optional() }).strict(),
  ],
  { error: "expected a secret reference: { from: env, name }, { from: dotenv, name, file? }, { from: vault, path, field } or { from: aws, id, field? }" },
);

/** An http(s) URL (a pattern, not `format: uri`, which JSON Schema validators may not know). */
const httpUrl = z.string().regex(/^https?:\/\/[^\s/]+\S*$/, 'expected an http:// or https:// URL, e.g. https://vault.example.com:8200');

/** Where secrets come from and how long they are reused; the data key of encryption at rest. */
export const securitySchema = z
  .object({
    /** How long a secret read from Vault, AWS or a .env file is reused before it is read again (ms). Default 300000 (5 minutes). */
    secretsTtlMs: z.number().int().min(0).optional(),
    vault: z
      .object({
        /** Vault's URL; default VAULT_ADDR. */
        address: httpUrl.optional(),
        /** Namespace (Vault Enterprise, HCP), sent as X-Vault-Namespace; default VAULT_NAMESPACE. */
        namespace: z.string().min(1).optional(),
        /** `token` (VAULT_TOKEN) or `approle` (VAULT_ROLE_ID, VAULT_SECRET_ID). Default: a token when VAULT_TOKEN is set, else AppRole. */
        auth: z.enum(['token', 'approle']).optional(),
        /** Where the AppRole auth method is mounted. Default `approle`. */
        appRoleMount: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    aws: z
      .object({
        /** Default AWS_REGION. */
        region: z.string().min(1).optional(),
        /** Another Secrets Manager endpoint (a VPC endpoint, LocalStack). */
        endpoint: httpUrl.optional(),
      })
      .strict()
      .optional(),
    /** The data key that encrypts stored secrets (32 bytes, base64): a reference, never the key itself. */
    dataKey: secretReferenceSchema.optional(),
    /** Older data keys, still able to decrypt what they encrypted (re-encrypted under `dataKey` on read). */
    previousDataKeys: z.array(secretReferenceSchema).optional(),
    /** HTTPS for the gateway: PEM files of the certificate (chain) and its private key, relative to the config. */
    tls: z.object({ cert: z.string().min(1), key: z.string().min(1) }).strict().optional(),
  })
  .strict();

/**
 * Per-group results (documented in docs/benchmarks.md): accuracy by a field of each case's row,
 * with micro and macro averages, and optionally the groups gathered into categories.
 */
export const groupsSchema = z
  .object({
    /** The row field naming each case's group, e.g. `subject` (a dotted path for nested fields). */
    by: z.string().min(1, 'expected the name of a row field, e.g. subject'),
    /** Category name → the groups in it, e.g. { STEM: [abstract_algebra, anatomy] }. */
    categories: z.record(z.string().min(1), z.array(z.string().min(1)).min(1)).optional(),
    /** Seed of the macro average's stratified bootstrap. Default 1234. */
    seed: z.number().int().min(0).optional(),
    /** Bootstrap resamples of the macro average's interval. Default 1000. */
    resamples: z.number().int().min(100).max(100_000).optional(),
  })
  .strict();

/** The whole LLM Lab config file. Documented in docs/config.md. */
export const labConfigSchema = z
  .object({
    description: z.string().optional(),
    /** Third-party provider packages to load (`llm-lab-provider-*`). */
    plugins: z.array(z.string().min(1)).default([]),
    providers: z.array(providerEntrySchema).min(1, 'list at least one provider'),
    prompts: z.array(promptEntrySchema).min(1).default(['{{prompt}}']),
    dataset: datasetSchema,
    evaluators: z.array(evaluatorEntrySchema).default([]),
    defaults: samplingSchema.default({}),
    run: runSettingsSchema.default({ concurrency: 8, repeat: 1 }),
    thresholds: thresholdsSchema.default({ maxErrorRate: DEFAULT_MAX_ERROR_RATE }),
    storage: storageSchema.default({}),
    /**
     * The response cache for the run: { kind: memory | disk | redis | none, dir, url, keyPrefix,
     * ttlMs, maxEntries, maxBytes } (validated by @llm-lab/provider-manager). Default: redis when
     * REDIS_URL is set, else disk beside the embedded database, else memory.
     */
    cache: z.record(z.string(), z.unknown()).optional(),
    /** Identical requests in flight at once are sent once. Default true. */
    singleFlight: z.boolean().optional(),
    /** Per-group results: { by, categories, seed, resamples }. */
    groups: groupsSchema.optional(),
    /** Secrets: the key manager's sources and cache, the data key of encryption at rest. */
    security: securitySchema.optional(),
  })
  .strict();

/** A config as written (before defaults). */
export type LabConfigInput = z.input<typeof labConfigSchema>;
/** A validated config with defaults applied. */
export type LabConfig = z.output<typeof labConfigSchema>;
export type ProviderEntry = z.output<typeof providerEntrySchema>;
export type PromptEntry = z.output<typeof promptEntrySchema>;
export type ToolDefinitionConfig = z.output<typeof toolDefinitionSchema>;
export type ResponseFormatConfig = z.output<typeof responseFormatSchema>;
export type EvaluatorEntry = z.output<typeof evaluatorEntrySchema>;
export type DatasetConfig = z.output<typeof datasetSchema>;
export type HfDatasetConfig = z.output<typeof hfDatasetSchema>;
export type SamplingConfig = z.output<typeof samplingSchema>;
export type GroupsConfig = z.output<typeof groupsSchema>;
export type SecurityConfig = z.output<typeof securitySchema>;
export type SecretReferenceConfig = z.output<typeof secretReferenceSchema>;
