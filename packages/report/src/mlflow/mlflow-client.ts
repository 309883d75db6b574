import { LLMLabError, sanitise } from '@llm-lab/core';

/**
 * The few calls of MLflow's REST API (2.0) an export needs, over `fetch`: experiments
 * get-by-name and create, runs create, log-batch and update, and artifact upload through the
 * tracking server's artifact proxy (`mlflow-artifacts`). Written here rather than taken from a
 * library: MLflow has no maintained JavaScript client, and these are six documented JSON calls.
 * https://mlflow.org/docs/latest/api_reference/rest-api.html
 */

/** MLflow's documented limits for one `runs/log-batch` request. */
export const LOG_BATCH_LIMITS = { metrics: 1000, params: 100, tags: 100, total: 1000 } as const;
/** Longest param value MLflow stores (characters). */
export const MAX_PARAM_VALUE = 6000;
/** Longest tag value this export writes (MLflow allows 8,000 characters; a summary is cut before that). */
export const MAX_TAG_VALUE = 8000;

export interface MlflowMetric {
  key: string;
  value: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  step: number;
}
export interface MlflowKeyValue {
  key: string;
  value: string;
}

/** An error answered by the server (`error_code` and `message`, as MLflow's error bodies carry them). */
export class MlflowError extends LLMLabError {
  constructor(
    readonly url: string,
    readonly endpoint: string,
    readonly status: number,
    readonly errorCode: string,
    detail: string,
  ) {
    super('mlflow_error', `The MLflow server at ${url} refused ${endpoint}: ${errorCode}${detail ? `: ${detail}` : ''} (HTTP ${status}).`);
  }
}

export interface MlflowClientOptions {
  /** The tracking server's URL (`http://127.0.0.1:5000`). */
  trackingUri: string;
  /** A bearer token (MLflow's `MLFLOW_TRACKING_TOKEN`); or user and password for basic auth. */
  token?: string;
  username?: string;
  password?: string;
  /** Milliseconds before a call is given up (default 30 s). */
  timeoutMs?: number;
}

/** The tracking URI as a base URL, checked: a clear error for anything but http(s). */
export function trackingBase(trackingUri: string): URL {
  let url: URL;
  try {
    url = new URL(trackingUri);
  } catch {
    throw new LLMLabError('config_mlflow', `--tracking-uri '${trackingUri}' is not a URL: give the tracking server's address, e.g. http://127.0.0.1:5000.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new LLMLabError('config_mlflow', `--tracking-uri '${trackingUri}': only an http(s) tracking server can be logged to (start one with 'mlflow server'), not ${url.protocol} URIs.`);
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

export class MlflowClient {
  readonly base: URL;
  private readonly shown: string;
  private readonly headers: Record<string, string>;

  constructor(private readonly options: MlflowClientOptions) {
    this.base = trackingBase(options.trackingUri);
    this.shown = `${this.base.origin}${this.base.pathname.replace(/\/$/, '')}`;
    this.headers = {};
    if (options.token) this.headers.authorization = `Bearer ${options.token}`;
    else if (options.username !== undefined) this.headers.authorization = `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`;
  }

  private async call<T>(method: 'GET' | 'POST' | 'PUT', endpoint: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const url = new URL(endpoint, this.base);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { ...this.headers, ...(body !== undefined ? { 'content-type': contentType } : {}) },
        // Everything sent (params, tags, artifacts) passes through the sanitiser: MLflow is an export.
        ...(body !== undefined ? { body: sanitise(typeof body === 'string' ? body : JSON.stringify(body)) } : {}),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why = (error as Error).name === 'TimeoutError' ? `no answer in ${(this.options.timeoutMs ?? 30_000) / 1000} s` : (cause?.code ?? cause?.message ?? (error as Error).message);
      throw new LLMLabError('mlflow_unreachable', `Cannot reach the MLflow tracking server at ${this.shown} (${why}). Is it running? Check --tracking-uri.`, { cause: error });
    }
    const text = await response.text();
    if (!response.ok) {
      let code = `HTTP_${response.status}`;
      let message = text.slice(0, 300);
      try {
        const parsed = JSON.parse(text) as { error_code?: string; message?: string };
        if (parsed.error_code) code = parsed.error_code;
        if (parsed.message !== undefined) message = parsed.message;
      } catch {
        // Not JSON (a proxy's page): the start of the body says what happened.
      }
      throw new MlflowError(this.shown, endpoint, response.status, code, message);
    }
    if (text === '') return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new LLMLabError('mlflow_error', `The server at ${this.shown} answered ${endpoint} with something that is not JSON: is --tracking-uri an MLflow tracking server?`);
    }
  }

  /** The id of the experiment named `name`, created when there is none. */
  async experimentId(name: string): Promise<string> {
    try {
      const found = await this.call<{ experiment: { experiment_id: string } }>('GET', `api/2.0/mlflow/experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`);
      return found.experiment.experiment_id;
    } catch (error) {
      if (!(error instanceof MlflowError && error.errorCode === 'RESOURCE_DOES_NOT_EXIST')) throw error;
    }
    try {
      return (await this.call<{ experiment_id: string }>('POST', 'api/2.0/mlflow/experiments/create', { name })).experiment_id;
    } catch (error) {
      // Another process created it between the two calls.
      if (!(error instanceof MlflowError && error.errorCode === 'RESOURCE_ALREADY_EXISTS')) throw error;
      return (await this.call<{ experiment: { experiment_id: string } }>('GET', `api/2.0/mlflow/experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`)).experiment.experiment_id;
    }
  }

  /** Starts a run; returns its id and where its artifacts go. */
  async createRun(experimentId: string, runName: string, startTime: number, tags: MlflowKeyValue[]): Promise<{ runId: string; artifactUri: string }> {
    const created = await this.call<{ run: { info: { run_id?: string; run_uuid?: string; artifact_uri: string } } }>('POST', 'api/2.0/mlflow/runs/create', {
      experiment_id: experimentId,
      run_name: runName,
      start_time: startTime,
      tags,
    });
    return { runId: created.run.info.run_id ?? created.run.info.run_uuid!, artifactUri: created.run.info.artifact_uri };
  }

  /**
   * Logs metrics, params and tags in as few `log-batch` requests as MLflow's limits allow
   * (1,000 metrics, 100 params, 100 tags, 1,000 in all per request). Returns the requests made.
   */
  async logBatch(runId: string, batch: { metrics?: MlflowMetric[]; params?: MlflowKeyValue[]; tags?: MlflowKeyValue[] }): Promise<number> {
    const metrics = [...(batch.metrics ?? [])];
    const params = [...(batch.params ?? [])];
    const tags = [...(batch.tags ?? [])];
    let requests = 0;
    while (metrics.length + params.length + tags.length > 0) {
      const p = params.splice(0, LOG_BATCH_LIMITS.params);
      const t = tags.splice(0, Math.min(LOG_BATCH_LIMITS.tags, LOG_BATCH_LIMITS.total - p.length));
      const m = metrics.splice(0, Math.min(LOG_BATCH_LIMITS.metrics, LOG_BATCH_LIMITS.total - p.length - t.length));
      await this.call('POST', 'api/2.0/mlflow/runs/log-batch', { run_id: runId, metrics: m, params: p, tags: t });
      requests++;
    }
    return requests;
  }

  async updateRun(runId: string, status: 'FINISHED' | 'FAILED' | 'KILLED', endTime: number): Promise<void> {
    await this.call('POST', 'api/2.0/mlflow/runs/update', { run_id: runId, status, end_time: endTime });
  }

  /**
   * Uploads a file under the run's artifacts through the server's artifact proxy. The run's
   * artifact URI must be an `mlflow-artifacts:` one (a server started with artifact serving,
   * MLflow's default since 2.0); another store (s3://, a local path) is written by MLflow's own
   * client, not over this REST API, and is refused with a clear error.
   */
  async uploadArtifact(artifactUri: string, name: string, content: string, contentType: string): Promise<string> {
    const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/?(.*)$/.exec(artifactUri);
    if (!match) {
      throw new LLMLabError(
        'mlflow_artifacts',
        `The MLflow server at ${this.shown} keeps this run's artifacts at ${artifactUri}, which only MLflow's own client can write: start the server with artifact serving (mlflow server --serve-artifacts, the default since MLflow 2) to upload the report through it.`,
      );
    }
    const path = [...match[1]!.split('/').filter(Boolean), name].map(encodeURIComponent).join('/');
    await this.call('PUT', `api/2.0/mlflow-artifacts/artifacts/${path}`, content, contentType);
    return path;
  }
}
