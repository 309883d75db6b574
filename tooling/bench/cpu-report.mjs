// Loaded into a benchmarked process (NODE_OPTIONS=--import): when the process exits, writes the
// CPU time it used (user + system, microseconds) to LLM_LAB_BENCH_CPU_DIR/<pid>.json.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.LLM_LAB_BENCH_CPU_DIR;
if (dir) {
  process.on('exit', () => {
    const { user, system } = process.cpuUsage();
    writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify({ user, system }));
  });
}
