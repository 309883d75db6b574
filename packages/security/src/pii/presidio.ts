import type { PiiDetector, PiiSpan } from './types.js';

/**
 * A Presidio analyzer over HTTP (presidio-analyzer's REST API): `POST <url>/analyze` with
 * `{ text, language, entities?, score_threshold? }` answers `[{ entity_type, start, end, score }]`.
 * For named entities (PERSON, LOCATION, ORGANIZATION, ...) its NER models find what rules cannot.
 */
export interface PresidioOptions {
  /** The analyzer's base URL, e.g. `http://localhost:5002`. */
  url: string;
  /** Default `en`. */
  language?: string;
  /** Only these entity types (Presidio's names). Default all the analyzer supports. */
  entities?: readonly string[];
  /** Results scoring lower are dropped by the analyzer. Default its own (0). */
  scoreThreshold?: number;
  /** Milliseconds before a call is given up. Default 10,000. */
  timeoutMs?: number;
}

interface PresidioResult {
  entity_type: string;
  start: number;
  end: number;
  score: number;
}

/** A {@link PiiDetector} asking a Presidio analyzer. A failed call rejects with the URL, the status and the analyzer's message. */
export function presidioDetector(options: PresidioOptions): PiiDetector {
  let base: URL;
  try {
    base = new URL(options.url);
  } catch {
    throw new Error(`presidio url ${JSON.stringify(options.url)} is not a URL; give the analyzer's base URL, e.g. http://localhost:5002`);
  }
  const endpoint = new URL('analyze', base.href.endsWith('/') ? base.href : `${base.href}/`).href;
  return {
    name: 'presidio',
    async detect(text: string): Promise<PiiSpan[]> {
      const body = {
        text,
        language: options.language ?? 'en',
        ...(options.entities ? { entities: options.entities } : {}),
        ...(options.scoreThreshold !== undefined ? { score_threshold: options.scoreThreshold } : {}),
      };
      let response: Response;
      try {
        response = await fetch(endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
      } catch (error) {
        throw new Error(`the Presidio analyzer at ${endpoint} could not be reached (${(error as Error).message}); check presidio.url or start the analyzer`, { cause: error });
      }
      const raw = await response.text();
      if (!response.ok) throw new Error(`the Presidio analyzer at ${endpoint} answered ${response.status}: ${raw.slice(0, 300)}`);
      let results: unknown;
      try {
        results = JSON.parse(raw);
      } catch {
        throw new Error(`the Presidio analyzer at ${endpoint} answered with something that is not JSON: ${raw.slice(0, 200)}`);
      }
      if (!Array.isArray(results)) throw new Error(`the Presidio analyzer at ${endpoint} answered ${raw.slice(0, 200)}, not a list of results`);
      return (results as PresidioResult[])
        .filter((result) => typeof result?.entity_type === 'string' && Number.isInteger(result.start) && Number.isInteger(result.end) && result.end > result.start)
        .map((result) => ({ type: result.entity_type, start: result.start, end: result.end, score: typeof result.score === 'number' ? result.score : 0.5 }));
    },
  };
}
