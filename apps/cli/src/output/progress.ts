import { formatMs } from './format.js';

export interface ProgressState {
  done: number;
  total: number | undefined;
  passed: number;
  failed: number;
  errors: number;
}

/**
 * Shows run progress on standard error: a redrawn bar on a terminal, or a plain line every ~10%
 * (at most every 2 s) when the output is a file or a pipe, so logs stay readable.
 */
export class ProgressReporter {
  private readonly stream: NodeJS.WriteStream;
  private startedAt = performance.now();
  private lastDraw = 0;
  private lastPlainStep = -1;
  private lastPlainAt = 0;
  private state: ProgressState = { done: 0, total: undefined, passed: 0, failed: 0, errors: 0 };
  private active = false;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.stream = stream;
  }

  /** Restarts the clock (call when the first case is about to run, after storage has opened). */
  start(): void {
    this.startedAt = performance.now();
  }

  update(state: ProgressState): void {
    this.state = state;
    this.active = true;
    const now = performance.now();
    if (this.stream.isTTY) {
      if (now - this.lastDraw < 80 && state.done !== state.total) return;
      this.lastDraw = now;
      this.stream.write(`\r\u001b[2K${this.line(true)}`);
      return;
    }
    const step = state.total ? Math.floor((state.done / state.total) * 10) : Math.floor(state.done / 100);
    if (step !== this.lastPlainStep && (now - this.lastPlainAt > 2000 || state.done === state.total || this.lastPlainStep < 0)) {
      this.lastPlainStep = step;
      this.lastPlainAt = now;
      this.stream.write(`${this.line(false)}\n`);
    }
  }

  /** Clears the bar (terminal) so the results table starts on a clean line. */
  finish(): void {
    if (!this.active) return;
    if (this.stream.isTTY) this.stream.write(`\r\u001b[2K${this.line(true)}\n`);
    else if (this.lastPlainStep >= 0 && this.state.done !== this.state.total) this.stream.write(`${this.line(false)}\n`);
    this.active = false;
  }

  private line(bar: boolean): string {
    const { done, total, passed, failed, errors } = this.state;
    const elapsed = formatMs(performance.now() - this.startedAt);
    const counts = `${passed} passed · ${failed} failed · ${errors} errors · ${elapsed}`;
    if (!total) return `${done} done · ${counts}`;
    const share = Math.min(1, done / total);
    const percent = `${Math.floor(share * 100)}%`.padStart(4);
    if (!bar) return `progress ${percent} ${done}/${total} · ${counts}`;
    const width = 24;
    const filled = Math.round(share * width);
    return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${percent} ${done}/${total} · ${counts}`;
  }
}
