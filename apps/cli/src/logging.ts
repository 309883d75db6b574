import { dirname, join, resolve } from 'node:path';
import type { Logger } from '@llm-lab/core';

/**
 * The command's structured log (pino), made once, when a command first opens a lab:
 *
 * - a rotated file (one a day, and a new one past 10 MB; 14 kept) at `--log-file <path>`, else
 *   env LLM_LAB_LOG_FILE, else `logs/llm-lab.log` beside the embedded database: in the project's
 *   `.llm-lab/` folder, or next to the folder `--data-dir` names; `off` writes none. Level: LLM_LAB_LOG_LEVEL, else `info` (runs, warnings, failures; `debug` adds
 *   every provider call);
 * - standard error, only when LLM_LAB_LOG_LEVEL is set, at that level (the command's own messages
 *   stay as they are otherwise).
 *
 * Every line passes through the sanitiser (core's createLogger). Nothing is written for commands
 * that open no lab (`--help`, `convert`, `init`).
 */
let opened: Promise<Logger> | undefined;
let current: Logger | undefined;

/** The log file given by `--log-file` (bin.ts sets it before the command runs). */
export function setLogFile(path: string | undefined): void {
  if (path !== undefined) process.env.LLM_LAB_LOG_FILE = path === 'off' || path === '0' ? 'off' : resolve(path);
}

/** The command's logger (made on the first call); `dataDir`: the command's `--data-dir`, if any. */
export function commandLogger(options: { dataDir?: string } = {}): Promise<Logger> {
  opened ??= open(options.dataDir);
  return opened;
}

/** The logger, if a command made one already (for the last words of a failing command). */
export function loggerIfOpen(): Logger | undefined {
  return current;
}

async function open(dataDir: string | undefined): Promise<Logger> {
  const { createLogger, openRotatingLogFile, parseLogLevel } = await import('@llm-lab/core');
  const env = process.env;
  const chosen = env.LLM_LAB_LOG_LEVEL?.trim() ? parseLogLevel(env.LLM_LAB_LOG_LEVEL) : undefined;
  const destinations: Array<{ level: string; stream: { write(line: string): void } | NodeJS.WritableStream }> = [];
  if (chosen !== undefined) destinations.push({ level: chosen, stream: process.stderr });
  const fileSetting = env.LLM_LAB_LOG_FILE?.trim();
  if (fileSetting !== 'off' && fileSetting !== '0') {
    let path = fileSetting;
    if (path === undefined || path === '') {
      const { findLabHome } = await import('@llm-lab/storage');
      const home = dataDir !== undefined ? dirname(resolve(dataDir)) : findLabHome(process.cwd(), env).home;
      path = join(home, 'logs', 'llm-lab.log');
    }
    const file = await openRotatingLogFile({ path });
    // A command may end with process.exit: what is buffered is written first.
    process.once('exit', () => file.flushSync());
    destinations.push({ level: chosen ?? 'info', stream: file.stream });
  }
  current = createLogger({ destinations, name: 'llm-lab' });
  current.debug({ argv: process.argv.slice(2), pid: process.pid, node: process.version }, 'command started');
  return current;
}
