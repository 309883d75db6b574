import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local MLflow tracking server speaking the documented REST API (2.0) for the calls an export
 * makes, with MLflow's error bodies (`{"error_code", "message"}`) and status codes:
 * RESOURCE_DOES_NOT_EXIST 404, RESOURCE_ALREADY_EXISTS 400, INVALID_PARAMETER_VALUE 400,
 * ENDPOINT_NOT_FOUND 404. It enforces log-batch's limits (1,000 metrics, 100 params, 100 tags,
 * 1,000 entities per request), key names, param value length and params that may not change.
 * https://mlflow.org/docs/latest/api_reference/rest-api.html
 */

interface StoredRun {
  info: { run_id: string; run_uuid: string; experiment_id: string; run_name: string; status: string; start_time: number; end_time?: number; artifact_uri: string; lifecycle_stage: 'active' };
  metrics: Map<string, { key: string; value: number; timestamp: number; step: number }>;
  params: Map<string, string>;
  tags: Map<string, string>;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const KEY = /^[A-Za-z0-9_\-. /]+$/;

export class FakeMlflowServer {
  readonly experiments = new Map<string, { experiment_id: string; name: string }>();
  readonly runs = new Map<string, StoredRun>();
  readonly artifacts = new Map<string, { body: Buffer; contentType: string | undefined }>();
  /** Every log-batch request's sizes, in order. */
  readonly batches: Array<{ metrics: number; params: number; tags: number }> = [];
  /** Endpoints (path after /api/2.0/) that answer 500 INTERNAL_ERROR, to test failures. */
  readonly failing = new Set<string>();
  /** The artifact URI scheme new runs get: `mlflow-artifacts` (served by this server) or another store. */
  artifactRoot = 'mlflow-artifacts:';
  private server: Server | undefined;
  private nextId = 1;
  url = '';

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => this.send(response, 500, { error_code: 'INTERNAL_ERROR', message: String(error) }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private send(response: ServerResponse, status: number, body: unknown): void {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  }

  private async body(request: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  private json(raw: Buffer): Record<string, unknown> {
    try {
      return JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      throw new ApiError(400, 'MALFORMED_REQUEST', 'Request body is not valid JSON');
    }
  }

  private run(id: unknown): StoredRun {
    const run = typeof id === 'string' ? this.runs.get(id) : undefined;
    if (!run) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Run '${String(id)}' not found`);
    return run;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const endpoint = url.pathname.replace(/^\/api\/2\.0\//, '');
    try {
      if (this.failing.has(endpoint)) throw new ApiError(500, 'INTERNAL_ERROR', 'the backend store is unavailable');
      const artifact = /^mlflow-artifacts\/artifacts\/(.+)$/.exec(endpoint);
      if (artifact) {
        const path = decodeURIComponent(artifact[1]!);
        if (request.method === 'PUT') {
          this.artifacts.set(path, { body: await this.body(request), contentType: request.headers['content-type'] });
          return this.send(response, 200, {});
        }
        if (request.method === 'GET') {
          const stored = this.artifacts.get(path);
          if (!stored) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Artifact '${path}' not found`);
          response.writeHead(200, { 'content-type': stored.contentType ?? 'application/octet-stream' });
          return void response.end(stored.body);
        }
      }
      const key = `${request.method} ${endpoint}`;
      if (key === 'GET mlflow/experiments/get-by-name') {
        const name = url.searchParams.get('experiment_name');
        if (!name) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'experiment_name'.");
        const experiment = this.experiments.get(name);
        if (!experiment) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Could not find experiment with name '${name}'`);
        return this.send(response, 200, { experiment: { ...experiment, artifact_location: `${this.artifactRoot}/${experiment.experiment_id}`, lifecycle_stage: 'active' } });
      }
      if (key === 'POST mlflow/experiments/create') {
        const { name } = this.json(await this.body(request));
        if (typeof name !== 'string' || name === '') throw new ApiError(400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'name'.");
        if (this.experiments.has(name)) throw new ApiError(400, 'RESOURCE_ALREADY_EXISTS', `Experiment '${name}' already exists.`);
        const experiment_id = String(this.nextId++);
        this.experiments.set(name, { experiment_id, name });
        return this.send(response, 200, { experiment_id });
      }
      if (key === 'POST mlflow/runs/create') {
        const body = this.json(await this.body(request));
        const experiment = [...this.experiments.values()].find((candidate) => candidate.experiment_id === body.experiment_id);
        if (!experiment) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${String(body.experiment_id)} exists`);
        const run_id = `run${this.nextId++}`.padEnd(32, '0');
        const run: StoredRun = {
          info: {
            run_id,
            run_uuid: run_id,
            experiment_id: experiment.experiment_id,
            run_name: String(body.run_name ?? ''),
            status: 'RUNNING',
            start_time: Number(body.start_time ?? Date.now()),
            artifact_uri: this.artifactRoot === 'mlflow-artifacts:' ? `mlflow-artifacts:/${experiment.experiment_id}/${run_id}/artifacts` : `${this.artifactRoot}/${run_id}/artifacts`,
            lifecycle_stage: 'active',
          },
          metrics: new Map(),
          params: new Map(),
          tags: new Map(((body.tags as Array<{ key: string; value: string }>) ?? []).map((tag) => [tag.key, tag.value])),
        };
        this.runs.set(run_id, run);
        return this.send(response, 200, { run: { info: run.info, data: { tags: [...run.tags].map(([k, value]) => ({ key: k, value })) } } });
      }
      if (key === 'POST mlflow/runs/log-batch') {
        const body = this.json(await this.body(request));
        const metrics = (body.metrics as Array<{ key: string; value: unknown; timestamp: number; step?: number }>) ?? [];
        const params = (body.params as Array<{ key: string; value: string }>) ?? [];
        const tags = (body.tags as Array<{ key: string; value: string }>) ?? [];
        if (metrics.length > 1000) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `A batch logging request can contain at most 1000 metrics. Got ${metrics.length} metrics. Please split up metrics across multiple requests and try again.`);
        if (params.length > 100) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `A batch logging request can contain at most 100 params. Got ${params.length} params. Please split up params across multiple requests and try again.`);
        if (tags.length > 100) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `A batch logging request can contain at most 100 tags. Got ${tags.length} tags. Please split up tags across multiple requests and try again.`);
        const total = metrics.length + params.length + tags.length;
        if (total > 1000) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `A batch logging request can contain at most 1000 total entities (metrics, params, and tags). Got ${total} entities.`);
        const run = this.run(body.run_id);
        for (const entry of [...metrics, ...params, ...tags]) {
          if (typeof entry.key !== 'string' || !KEY.test(entry.key) || entry.key.length > 250) {
            throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Invalid name: '${String(entry.key)}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/).`);
          }
        }
        for (const metric of metrics) if (typeof metric.value !== 'number') throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Got invalid value ${String(metric.value)} for metric '${metric.key}'`);
        for (const param of params) {
          if (param.value.length > 6000) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Param value '${param.value.slice(0, 20)}…' had length ${param.value.length}, which exceeded length limit of 6000`);
          const old = run.params.get(param.key);
          if (old !== undefined && old !== param.value) {
            throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Changing param values is not allowed. Param with key='${param.key}' was already logged with value='${old}' for run ID='${run.info.run_id}'. Attempted logging new value '${param.value}'.`);
          }
        }
        this.batches.push({ metrics: metrics.length, params: params.length, tags: tags.length });
        for (const metric of metrics) run.metrics.set(metric.key, { key: metric.key, value: metric.value as number, timestamp: metric.timestamp, step: metric.step ?? 0 });
        for (const param of params) run.params.set(param.key, param.value);
        for (const tag of tags) run.tags.set(tag.key, tag.value);
        return this.send(response, 200, {});
      }
      if (key === 'POST mlflow/runs/update') {
        const body = this.json(await this.body(request));
        const run = this.run(body.run_id);
        if (!['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'].includes(String(body.status))) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Invalid value ${String(body.status)} for parameter 'status'`);
        run.info.status = String(body.status);
        if (body.end_time !== undefined) run.info.end_time = Number(body.end_time);
        return this.send(response, 200, { run_info: run.info });
      }
      if (key === 'GET mlflow/runs/get') {
        const run = this.run(url.searchParams.get('run_id'));
        const pairs = (map: Map<string, string>) => [...map].map(([k, value]) => ({ key: k, value }));
        return this.send(response, 200, { run: { info: run.info, data: { metrics: [...run.metrics.values()], params: pairs(run.params), tags: pairs(run.tags) } } });
      }
      throw new ApiError(404, 'ENDPOINT_NOT_FOUND', `No API endpoint at ${request.method} ${url.pathname}`);
    } catch (error) {
      if (error instanceof ApiError) return this.send(response, error.status, { error_code: error.code, message: error.message });
      throw error;
    }
  }
}
