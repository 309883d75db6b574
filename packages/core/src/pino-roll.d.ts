// pino-roll ships no types: the part of its API logging.ts uses. It resolves to a sonic-boom stream.
declare module 'pino-roll' {
  interface PinoRollOptions {
    file: string;
    size?: string | number;
    frequency?: 'daily' | 'hourly' | number;
    extension?: string;
    dateFormat?: string;
    symlink?: boolean;
    mkdir?: boolean;
    limit?: { count?: number; removeOtherLogFiles?: boolean };
  }
  interface RollStream extends NodeJS.WritableStream {
    readonly file?: string;
    write(line: string): boolean;
    flushSync(): void;
    end(): this;
  }
  export default function roll(options: PinoRollOptions): Promise<RollStream>;
}
