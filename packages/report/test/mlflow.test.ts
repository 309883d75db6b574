import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ProviderSummary } from '@llm-lab/evaluation';
import { exportToMlflow, MlflowClient, runMetrics, runParams } from '../src/index.js';
import { FakeMlflowServer } from './mlflow-server.js';
import { embeddedLab, SLOW_HOOK_MS, twoModelConfig, type LabFixture } from './helpers.js';

interface ReadBack {
  info: { status: string; experiment_id: string; artifact_uri: string; run_name: string };
  data: { metrics: Array<{ key: string; value: number }>; params: Array<{ key: string; value: string }>; tags: Array<{ key: string; value: string }> };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('logging a stored run to MLflow', () => {
  let fixture: LabFixture;
  let runId: string;
  const server = new FakeMlflowServer();
  beforeAll(async () => {
    await server.start();
    fixture = await embeddedLab('mlflow');
    runId = (await fixture.lab.run(twoModelConfig(7, 'mlflow export'), { concurrency: 8 })).runId;
  }, SLOW_HOOK_MS);
  afterAll(async () => {
    await server.stop();
    await fixture?.close();
  }, SLOW_HOOK_MS);

  /** The run as the server gives it back through the documented runs/get endpoint. */
  async function readBack(mlflowRunId: string): Promise<ReadBack> {
    const response = await fetch(`${server.url}/api/2.0/mlflow/runs/get?run_id=${mlflowRunId}`);
    return ((await response.json()) as { run: ReadBack }).run;
  }

  it('logs params, per-provider metrics with interval bounds and the report, and reads them back the same', async () => {
    const logged = await exportToMlflow(fixture.storage, runId, { trackingUri: server.url, experiment: 'gsm8k nightly' });
    expect(server.experiments.get('gsm8k nightly')?.experiment_id).toBe(logged.experimentId);
    const run = (await fixture.storage.getRun(runId))!;
    const back = await readBack(logged.mlflowRunId);
    expect(back.info.status).toBe('FINISHED');
    expect(back.info.run_name).toBe(`mlflow export (${runId})`);

    const metrics = Object.fromEntries(back.data.metrics.map((metric) => [metric.key, metric.value]));
    expect(metrics).toEqual(Object.fromEntries(runMetrics(run, 0).map((metric) => [metric.key, metric.value])));
    const [alpha, beta] = (run.summary as { providers: ProviderSummary[] }).providers;
    expect(metrics['mock_alpha.accuracy']).toBe(alpha!.accuracy);
    expect(metrics['mock_alpha.accuracy_lower']).toBe(alpha!.accuracyInterval!.lower);
    expect(metrics['mock_alpha.accuracy_upper']).toBe(alpha!.accuracyInterval!.upper);
    expect(metrics['mock_beta.errors']).toBe(beta!.errors);
    expect(metrics['mock_alpha.cost_usd']).toBeGreaterThan(0);
    expect(metrics['mock_alpha.topic.logic.accuracy']).toBeGreaterThanOrEqual(0);
    expect(metrics.results).toBe(120);

    const params = Object.fromEntries(back.data.params.map((param) => [param.key, param.value]));
    expect(params).toEqual(Object.fromEntries(runParams(run).map((param) => [param.key, param.value])));
    expect(params).toMatchObject({ 'llm_lab.run_id': runId, 'provider.mock_alpha': 'mock:alpha', 'provider.mock_beta': 'mock:beta', evaluators: 'equals', description: 'mlflow export' });
    expect(back.data.tags).toEqual(expect.arrayContaining([{ key: 'llm_lab.run_id', value: runId }]));

    // The report went up through the artifact proxy, under the run's artifact URI, whole.
    expect(logged.artifacts).toEqual([`${logged.experimentId}/${logged.mlflowRunId}/artifacts/report.html`, `${logged.experimentId}/${logged.mlflowRunId}/artifacts/summary.json`]);
    const page = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${logged.artifacts[0]}`);
    const html = await page.text();
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain(runId);
    expect(html.match(/<rect class="bar"/g)).toHaveLength(2);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });

  it('logs into the experiment that exists, and creates one that does not only once', async () => {
    const before = server.experiments.size;
    const first = await exportToMlflow(fixture.storage, runId, { trackingUri: `${server.url}/`, experiment: 'shared' });
    const second = await exportToMlflow(fixture.storage, runId, { trackingUri: server.url, experiment: 'shared' });
    expect(second.experimentId).toBe(first.experimentId);
    expect(second.mlflowRunId).not.toBe(first.mlflowRunId);
    expect(server.experiments.size).toBe(before + 1);
  });

  it("splits log-batch requests at MLflow's limits and loses nothing", async () => {
    const client = new MlflowClient({ trackingUri: server.url });
    const experimentId = await client.experimentId('limits');
    const { runId: mlflowRunId } = await client.createRun(experimentId, 'many', Date.now(), []);
    server.batches.length = 0;
    const metrics = Array.from({ length: 2_345 }, (_, i) => ({ key: `m.${i}`, value: i / 7, timestamp: 1, step: 0 }));
    const params = Array.from({ length: 250 }, (_, i) => ({ key: `p.${i}`, value: `v${i}` }));
    const tags = Array.from({ length: 130 }, (_, i) => ({ key: `t.${i}`, value: `w${i}` }));
    const requests = await client.logBatch(mlflowRunId, { metrics, params, tags });
    expect(requests).toBe(server.batches.length);
    for (const batch of server.batches) {
      expect(batch.metrics).toBeLessThanOrEqual(1000);
      expect(batch.params).toBeLessThanOrEqual(100);
      expect(batch.tags).toBeLessThanOrEqual(100);
      expect(batch.metrics + batch.params + batch.tags).toBeLessThanOrEqual(1000);
    }
    // 2,725 entities: the fewest requests that can carry them (params spread at 100 a request).
    expect(requests).toBe(3);
    const back = await readBack(mlflowRunId);
    expect(back.data.metrics).toHaveLength(2_345);
    expect(back.data.params).toHaveLength(250);
    expect(back.data.tags).toHaveLength(130);
    expect(back.data.metrics.find((metric) => metric.key === 'm.2344')?.value).toBe(2344 / 7);
  });

  it("reports the server's error with its code, the endpoint and the URL", async () => {
    const client = new MlflowClient({ trackingUri: server.url });
    const { runId: mlflowRunId } = await client.createRun(await client.experimentId('errors'), 'x', Date.now(), []);
    await client.logBatch(mlflowRunId, { params: [{ key: 'model', value: 'a' }] });
    await expect(client.logBatch(mlflowRunId, { params: [{ key: 'model', value: 'b' }] })).rejects.toThrow(
      new RegExp(`^The MLflow server at ${server.url} refused api/2.0/mlflow/runs/log-batch: INVALID_PARAMETER_VALUE: Changing param values is not allowed.* \\(HTTP 400\\)\\.$`),
    );
    await expect(client.createRun('999', 'x', Date.now(), [])).rejects.toMatchObject({ code: 'mlflow_error', errorCode: 'RESOURCE_DOES_NOT_EXIST', status: 404 });
  });

  it('marks the MLflow run FAILED when logging breaks half-way, and says where', async () => {
    server.failing.add('mlflow/runs/log-batch');
    try {
      const runsBefore = new Set(server.runs.keys());
      await expect(exportToMlflow(fixture.storage, runId, { trackingUri: server.url })).rejects.toThrow(`The MLflow server at ${server.url} refused api/2.0/mlflow/runs/log-batch: INTERNAL_ERROR: the backend store is unavailable (HTTP 500).`);
      const created = [...server.runs.values()].filter((run) => !runsBefore.has(run.info.run_id));
      expect(created.map((run) => run.info.status)).toEqual(['FAILED']);
    } finally {
      server.failing.delete('mlflow/runs/log-batch');
    }
  });

  it('refuses an artifact store it cannot write over REST, naming it', async () => {
    server.artifactRoot = 's3://bucket/mlruns';
    try {
      await expect(exportToMlflow(fixture.storage, runId, { trackingUri: server.url })).rejects.toThrow(/keeps this run's artifacts at s3:\/\/bucket\/mlruns\/.*--serve-artifacts/);
    } finally {
      server.artifactRoot = 'mlflow-artifacts:';
    }
  });

  it('names the URL it cannot reach, and refuses a URI that is not an http server', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    await expect(exportToMlflow(fixture.storage, runId, { trackingUri: url })).rejects.toThrow(`Cannot reach the MLflow tracking server at ${url} (ECONNREFUSED). Is it running? Check --tracking-uri.`);
    await expect(exportToMlflow(fixture.storage, runId, { trackingUri: 'databricks' })).rejects.toThrow("--tracking-uri 'databricks' is not a URL");
    await expect(exportToMlflow(fixture.storage, runId, { trackingUri: 'file:///tmp/mlruns' })).rejects.toMatchObject({ code: 'config_mlflow' });
  });
});
