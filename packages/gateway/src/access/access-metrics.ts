/**
 * The access hooks' counters as Prometheus series, read from `stats()` when scraped: records of
 * the traffic record stored, buffered and dropped (never silently: this is where drops show), and
 * failed writes of traffic and spend.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AccessHooks } from './access-hooks.js';

/** Adds the access hooks' series to `registry` (the gateway's, `GatewayMetrics.registry`). */
export function registerAccessMetrics(registry: Registry, hooks: Pick<AccessHooks, 'stats'>): void {
  /** A counter whose total is kept elsewhere: set from it at each scrape. */
  const total = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  total('llm_lab_gateway_traffic_records_stored_total', 'Traffic records written to storage.', () => hooks.stats().traffic.stored);
  total(
    'llm_lab_gateway_traffic_records_dropped_total',
    'Traffic records dropped: the buffer was full while storage was slow or down, or storage was down when the gateway stopped.',
    () => hooks.stats().traffic.dropped,
  );
  total('llm_lab_gateway_traffic_write_failures_total', 'Traffic record writes that failed (their records were kept and written again).', () => hooks.stats().traffic.failedWrites);
  total('llm_lab_gateway_spend_write_failures_total', 'Key spend writes to storage that failed (the spend was kept and written again).', () => hooks.stats().spendWriteFailures);
  new Gauge({
    name: 'llm_lab_gateway_traffic_records_buffered',
    help: 'Traffic records waiting to be written.',
    registers: [registry],
    collect() {
      this.set(hooks.stats().traffic.buffered);
    },
  });
}
