import { formatMs } from './format.js';

export interface ProgressState {
  done: number;
  total: number | undefined;
  passed: number;
  failed: number;
  errors: number;
}

/** What the reporter writes to: standard error, or a fake stream in tests. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/** The clock and timer the reporter uses; tests pass fakes. */
export interface ProgressClock {
  now(): number;
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const systemClock: ProgressClock = {
  now: () => performance.now(),
  setInterval: (callback, ms) => {
    const handle = setInterval(callback, ms);
    handle.unref(); // never keeps the process alive
    return handle;
  },
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

/** How often the terminal line is redrawn when no result arrives (the clock and ETA move on). */
const TICK_MS = 1000;
/** Results arriving faster than this redraw the terminal line at most this often. */
const MIN_REDRAW_MS = 80;
const CLEAR_LINE = '\r\u001b[2K';

/**
 * Shows run progress on standard error.
 *
 * On a terminal: one line redrawn in place, from the start of the run (before the first answer,
 * which on a slow model can take a minute) and every second after, with elapsed time, rate and
 * an estimate of the time left. Otherwise (a file or a pipe): a plain line at the start (0%), at
 * every 10% step and at the end, so logs stay short and readable.
 */
export class ProgressReporter {
  private readonly stream: ProgressStream;
  private readonly clock: ProgressClock;
  private startedAt: number;
  /** When a result last redrew the terminal line (the second's tick does not count). */
  private lastUpdateDraw = -Infinity;
  private lastPlainStep = -1;
  private lastPlainDone = -1;
  private state: ProgressState | undefined;
  private timer: unknown;
  private active = false;

  constructor(stream: ProgressStream = process.stderr, clock: ProgressClock = systemClock) {
    this.stream = stream;
    this.clock = clock;
    this.startedAt = clock.now();
  }

  /**
   * Starts the clock (call when the run has started, after storage has opened). On a terminal the
   * line is drawn at once and redrawn every second until {@link finish}.
   */
  start(): void {
    this.startedAt = this.clock.now();
    this.active = true;
    if (!this.stream.isTTY) return;
    this.draw();
    if (this.timer === undefined) this.timer = this.clock.setInterval(() => this.draw(), TICK_MS);
  }

  update(state: ProgressState): void {
    const first = this.state === undefined;
    this.state = state;
    this.active = true;
    if (this.stream.isTTY) {
      const now = this.clock.now();
      if (!first && now - this.lastUpdateDraw < MIN_REDRAW_MS && state.done !== state.total) return;
      this.lastUpdateDraw = now;
      this.draw();
      return;
    }
    // Every 10% of a known total; every 100 results when the total is unknown.
    const step = state.total ? Math.floor((state.done / state.total) * 10) : Math.floor(state.done / 100);
    if (step !== this.lastPlainStep) this.printPlain(step);
  }

  /** Writes a message on its own line, keeping the terminal's progress line below it. */
  print(text: string): void {
    if (this.stream.isTTY && this.active) {
      this.stream.write(`${CLEAR_LINE}${text}`);
      this.draw();
    } else {
      this.stream.write(text);
    }
  }

  /** Stops the clock and ends the line (terminal), or prints the last state if it was not printed. */
  finish(): void {
    if (this.timer !== undefined) {
      this.clock.clearInterval(this.timer);
      this.timer = undefined;
    }
    if (!this.active) return;
    this.active = false;
    if (this.stream.isTTY) this.stream.write(`${CLEAR_LINE}${this.line(true)}\n`);
    else if (this.state && this.state.done !== this.lastPlainDone) this.printPlain(this.lastPlainStep);
  }

  private draw(): void {
    this.stream.write(`${CLEAR_LINE}${this.line(true)}`);
  }

  private printPlain(step: number): void {
    this.lastPlainStep = step;
    this.lastPlainDone = this.state?.done ?? 0;
    this.stream.write(`${this.line(false)}\n`);
  }

  private line(bar: boolean): string {
    const elapsedMs = this.clock.now() - this.startedAt;
    const elapsed = formatMs(elapsedMs);
    if (!this.state) return `starting · ${elapsed}`;
    const { done, total, passed, failed, errors } = this.state;
    const counts = `${passed} passed · ${failed} failed · ${errors} errors · ${elapsed}${pace(this.state, elapsedMs)}`;
    if (!total) return `${done} done · ${counts}`;
    const share = Math.min(1, done / total);
    const percent = `${Math.floor(share * 100)}%`.padStart(4);
    if (!bar) return `progress ${percent} ${done}/${total} · ${counts}`;
    const width = 24;
    const filled = Math.round(share * width);
    return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${percent} ${done}/${total} · ${counts}`;
  }
}

/**
 * ` · 2.5/s · ETA 40.0 s`: results answered in this process per second (or per minute when
 * slower than one every two seconds) and the time left at that rate. Results skipped on resume
 * are in `done` but not in the rate: they took no time.
 */
function pace(state: ProgressState, elapsedMs: number): string {
  const answered = state.passed + state.failed + state.errors;
  if (answered === 0 || elapsedMs <= 0) return '';
  const perSecond = answered / (elapsedMs / 1000);
  const figure = (value: number) => value.toFixed(value < 10 ? 1 : 0);
  // Per minute only when slow (below one every two seconds), so the unit does not flip back and
  // forth around one a second.
  const rate = perSecond >= 0.5 ? `${figure(perSecond)}/s` : `${figure(perSecond * 60)}/min`;
  if (!state.total || state.done >= state.total) return ` · ${rate}`;
  return ` · ${rate} · ETA ${formatMs(((state.total - state.done) / perSecond) * 1000)}`;
}
