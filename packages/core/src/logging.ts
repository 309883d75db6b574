import { pino, type Logger as PinoLogger, type LoggerOptions } from 'pino';
import { redactSecrets } from './redact.js';

/** The structured logger used across LLM Lab (pino). */
export type Logger = PinoLogger;

export interface CreateLoggerOptions {
  /** `trace` … `fatal`, or `silent`. Default: LLM_LAB_LOG_LEVEL, else `warn`. */
  level?: string;
  /** Component name, added to every line as `name`. */
  name?: string;
  /** Where lines go. Default: standard error (standard output is for results). */
  destination?: NodeJS.WritableStream | { write(line: string): void };
}

/**
 * Makes a pino logger whose every line passes through secret redaction: registered secrets and
 * key-shaped strings are replaced before the line is written, wherever they appear (message,
 * fields, error stacks). Common secret field names are censored as well.
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const pinoOptions: LoggerOptions = {
    level: options.level ?? process.env.LLM_LAB_LOG_LEVEL ?? 'warn',
    base: options.name ? { name: options.name } : null,
    redact: {
      paths: ['apiKey', '*.apiKey', '*.*.apiKey', 'headers.authorization', '*.headers.authorization', 'password', '*.password', 'token', '*.token'],
      censor: '[REDACTED]',
    },
    hooks: { streamWrite: (line: string) => redactSecrets(line) },
  };
  const destination = options.destination ?? pino.destination({ fd: 2, sync: false });
  return pino(pinoOptions, destination as pino.DestinationStream);
}
