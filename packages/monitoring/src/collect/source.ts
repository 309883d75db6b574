import type { MetricSource } from './bucket.js';

/** What a call's `source` (as the provider manager's events carry it) says about the series. */
export interface ParsedSource {
  source: MetricSource;
  route: string;
  key: string;
}

/**
 * Reads the `source` of a `request-end` event. The gateway sets `gateway:<route>` and, for a call
 * made with a virtual key, `gateway:<route>?key=<key name, URI-encoded>`; the engine sets
 * `run:<run id>` (the run id is not a dimension: one series per provider and model, not per run);
 * probes set `probe:<probe name>` (the name becomes the series' route). A call without a source
 * (a library call, `llm-lab chat`) counts as a run.
 */
export function parseSource(source: string | undefined, isProbeRun?: (runId: string) => boolean): ParsedSource {
  if (source === undefined || source === '') return { source: 'run', route: '', key: '' };
  // A probe runs as a lab run: the engine names its calls `run:<id>`; the scheduler knows which ids are probes'.
  if (isProbeRun && source.startsWith('run:') && isProbeRun(source.slice('run:'.length))) return { source: 'probe', route: '', key: '' };
  if (source.startsWith('gateway:')) {
    const rest = source.slice('gateway:'.length);
    const at = rest.lastIndexOf('?key=');
    if (at === -1) return { source: 'gateway', route: rest, key: '' };
    let key = rest.slice(at + '?key='.length);
    try {
      key = decodeURIComponent(key);
    } catch {
      // A key name that is not valid URI encoding is kept as written.
    }
    return { source: 'gateway', route: rest.slice(0, at), key };
  }
  if (source.startsWith('probe:')) return { source: 'probe', route: source.slice('probe:'.length), key: '' };
  return { source: 'run', route: '', key: '' };
}

/** The `source` the gateway gives a call of `route` made with the key named `keyName` (see {@link parseSource}). */
export function gatewaySource(route: string, keyName?: string): string {
  return keyName === undefined ? `gateway:${route}` : `gateway:${route}?key=${encodeURIComponent(keyName)}`;
}
