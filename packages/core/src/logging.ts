import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pino, type Logger as PinoLogger, type LoggerOptions } from 'pino';
import { sanitise } from '@llm-lab/security';
import { ConfigError } from './errors.js';

/** The structured logger used across LLM Lab (pino). */
export type Logger = PinoLogger;

/** Somewhere log lines go: a stream, or anything with `write(line)`. */
export type LogDestination = NodeJS.WritableStream | { write(line: string): void };

export interface CreateLoggerOptions {
  /** `trace` … `fatal`, or `silent`. Default: LLM_LAB_LOG_LEVEL, else `warn`. */
  level?: string;
  /** Component name, added to every line as `name`. */
  name?: string;
  /** Where lines go. Default: standard error (standard output is for results). */
  destination?: LogDestination;
  /**
   * Several destinations, each with its own level (standard error at `warn`, a file at `debug`);
   * replaces `destination`. The logger's level is then the lowest of them unless `level` is given.
   */
  destinations?: Array<{ level: string; stream: LogDestination }>;
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** `level` checked: one of {@link LOG_LEVELS}, or a ConfigError naming where it came from. */
export function parseLogLevel(level: string, source = 'LLM_LAB_LOG_LEVEL'): string {
  const normalised = level.trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(normalised)) {
    throw new ConfigError({ message: `${source} "${level}" is not a log level: use one of ${LOG_LEVELS.join(', ')}.` });
  }
  return normalised;
}

function lowestLevel(levels: string[]): string {
  const order = (level: string) => (level === 'silent' ? Infinity : pino.levels.values[level] ?? Infinity);
  return levels.reduce((lowest, level) => (order(level) < order(lowest) ? level : lowest), 'silent');
}

/**
 * Makes a pino logger whose every line passes through the sanitiser of `@llm-lab/security`
 * before it is written: registered secrets and key-shaped strings are replaced wherever they
 * appear (message, fields, error stacks). Common secret field names are censored as well.
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const destinations = options.destinations;
  const level = options.level ?? (destinations ? lowestLevel(destinations.map((entry) => entry.level)) : (process.env.LLM_LAB_LOG_LEVEL ?? 'warn'));
  const pinoOptions: LoggerOptions = {
    level,
    base: options.name ? { name: options.name } : null,
    redact: {
      paths: ['apiKey', '*.apiKey', '*.*.apiKey', 'headers.authorization', '*.headers.authorization', 'password', '*.password', 'token', '*.token'],
      censor: '[REDACTED]',
    },
    // The serialised line, whole: nothing reaches a destination without passing here.
    hooks: { streamWrite: (line: string) => sanitise(line) },
  };
  if (destinations) {
    const streams = destinations
      .filter((entry) => entry.level !== 'silent')
      .map((entry) => ({ level: entry.level as pino.Level, stream: entry.stream as pino.DestinationStream }));
    return pino(pinoOptions, pino.multistream(streams));
  }
  const destination = options.destination ?? pino.destination({ fd: 2, sync: false });
  return pino(pinoOptions, destination as pino.DestinationStream);
}

export interface RotatingLogFileOptions {
  /**
   * The log's path; the date and a number are added before its extension, one file a day and
   * another when one reaches `maxSize` (`logs/llm-lab.log` → `logs/llm-lab.2026-12-07.1.log`).
   * Its folder is created. A `current.log` link beside it names the file in use.
   */
  path: string;
  /** Size at which a file is rolled over (`10m`, `500k`). Default `10m`. */
  maxSize?: string;
  /** Files kept besides the current one; older ones are deleted. Default 14. */
  keep?: number;
}

/** A log file that rolls over (pino-roll), and its way to write out what is buffered before exit. */
export interface RotatingLogFile {
  stream: LogDestination;
  /** The file being written now. */
  readonly file: string;
  /** Writes out buffered lines synchronously (for `process.on('exit')`). */
  flushSync(): void;
  end(): void;
}

/** Opens a rotated log file (daily, and by size) for {@link createLogger}'s `destinations`. */
export async function openRotatingLogFile(options: RotatingLogFileOptions): Promise<RotatingLogFile> {
  const { default: roll } = await import('pino-roll');
  try {
    // Made here, not by pino-roll's `mkdir`: it links current.log before its stream makes the folder.
    await mkdir(dirname(options.path), { recursive: true });
    const stream = await roll({
      file: options.path,
      frequency: 'daily',
      dateFormat: 'yyyy-MM-dd',
      size: options.maxSize ?? '10m',
      limit: { count: options.keep ?? 14 },
      symlink: true,
    });
    return {
      stream,
      get file() {
        return stream.file ?? options.path;
      },
      flushSync: () => {
        try {
          stream.flushSync();
        } catch {
          // Not open yet, or already closed: nothing buffered to lose.
        }
      },
      end: () => stream.end(),
    };
  } catch (error) {
    throw new ConfigError({
      message: `cannot open the log file ${options.path} (folder ${dirname(options.path)}): ${error instanceof Error ? error.message : String(error)}. Give another path with --log-file, or LLM_LAB_LOG_FILE=off to write none.`,
      cause: error,
    });
  }
}
