import { Transform, type TransformCallback } from 'node:stream';

const CARRIAGE_RETURN = 0x0d;
const LINE_FEED = 0x0a;

/**
 * A pass-through byte stream that records where each line ends, so a parser downstream that
 * reports byte offsets can be given true line numbers. CRLF, LF and a lone CR each end one line
 * (csv-parse's own line count counts a CRLF inside a quoted field as two lines).
 *
 * Offsets must be asked for in increasing order ({@link lineAt}); line ends already passed are
 * dropped, so memory holds only the line ends of bytes not yet parsed.
 */
export class LineEndTracker extends Transform {
  /** Offsets of the last byte of each line terminator not yet consumed by {@link lineAt}. */
  private pending: number[] = [];
  private pendingStart = 0;
  /** Line terminators consumed so far. */
  private passedLineEnds = 0;
  private offset = 0;
  private lastWasCarriageReturn = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    for (let index = 0; index < chunk.length; index++) {
      const byte = chunk[index];
      const position = this.offset + index;
      if (byte === LINE_FEED) {
        // The LF of a CRLF finishes the terminator the CR opened: move its end to the LF.
        if (this.lastWasCarriageReturn) this.pending[this.pending.length - 1] = position;
        else this.pending.push(position);
        this.lastWasCarriageReturn = false;
      } else if (byte === CARRIAGE_RETURN) {
        this.pending.push(position);
        this.lastWasCarriageReturn = true;
      } else {
        this.lastWasCarriageReturn = false;
      }
    }
    this.offset += chunk.length;
    callback(null, chunk);
  }

  /**
   * The 1-based line of the last byte before `endOffset` that is not the record's own line
   * terminator: give it a record's end offset (bytes consumed, terminator included) and it
   * returns the line on which the record ends. Calls must not go backwards.
   */
  lineAt(endOffset: number): number {
    // A terminator ending at endOffset - 1 is the record's own delimiter: it does not count.
    while (this.pendingStart < this.pending.length && (this.pending[this.pendingStart] as number) < endOffset - 1) {
      this.pendingStart++;
      this.passedLineEnds++;
    }
    if (this.pendingStart > 1024 && this.pendingStart * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.pendingStart);
      this.pendingStart = 0;
    }
    return this.passedLineEnds + 1;
  }
}
