import type { InvocationSource, RequestRecord } from '../core/invocation.js';

/**
 * Raw request rows waiting for the metrics flush, oldest first, held column by column: numbers in
 * typed arrays, strings in arrays of references. A row becomes an object again only when it is taken
 * for writing.
 *
 * Why not an array of records: a row waits up to a flush interval (1 s), so under load every buffered
 * record lived through one or two of V8's young-generation collections, each of which copied it, and
 * the second promoted it to the old generation, where it died later at a full collection's expense.
 * Typed arrays hold nothing for a scavenge to copy (bench/gateway/README.md has the measurement).
 */
export class RawRowBuffer {
  private columns: Columns;
  /** Slot of the oldest row; rows wrap around the end of the columns. */
  private head = 0;
  private count = 0;

  /** Holds at most `maxRows`; the columns start at `initialRows` and double as rows arrive. */
  constructor(
    private readonly maxRows: number,
    initialRows = 1024,
  ) {
    this.columns = new Columns(Math.max(1, Math.min(initialRows, maxRows)));
  }

  get length(): number {
    return this.count;
  }

  /** Appends a row as the newest; false (and nothing kept) when the buffer is full. */
  push(record: RequestRecord): boolean {
    if (this.count === this.maxRows) return false;
    if (this.count === this.columns.capacity) this.grow();
    this.columns.write(this.slot(this.count), record);
    this.count++;
    return true;
  }

  /** Removes the oldest `count` rows (or all there are) and returns them as records, oldest first. */
  takeOldest(count: number): RequestRecord[] {
    const taken = Math.min(count, this.count);
    const rows = new Array<RequestRecord>(taken);
    for (let offset = 0; offset < taken; offset++) {
      const slot = this.slot(offset);
      rows[offset] = this.columns.read(slot);
      this.columns.forgetStrings(slot);
    }
    this.head = this.slot(taken);
    this.count -= taken;
    return rows;
  }

  /**
   * Puts rows back ahead of the buffered ones (rows whose write failed: they are older), keeping the
   * oldest up to the limit. Returns how many rows were dropped for it.
   */
  putBack(rows: RequestRecord[]): number {
    const merged = rows.concat(this.takeOldest(this.count));
    const kept = Math.min(merged.length, this.maxRows);
    for (let index = 0; index < kept; index++) this.push(merged[index] as RequestRecord);
    return merged.length - kept;
  }

  private slot(offset: number): number {
    return (this.head + offset) % this.columns.capacity;
  }

  private grow(): void {
    const next = new Columns(Math.min(this.columns.capacity * 2, this.maxRows));
    for (let offset = 0; offset < this.count; offset++) next.write(offset, this.columns.read(this.slot(offset)));
    this.columns = next;
    this.head = 0;
  }
}

/** One array per field of RequestRecord. NaN stands for null in the nullable number columns. */
class Columns {
  readonly startedAt: Float64Array;
  readonly latencyMs: Float64Array;
  readonly ttftMs: Float64Array;
  readonly interTokenMs: Float64Array;
  readonly costUsd: Float64Array;
  readonly inputTokens: Float64Array;
  readonly outputTokens: Float64Array;
  readonly success: Uint8Array;
  readonly deploymentId: string[];
  readonly adapterId: (string | null)[];
  readonly source: InvocationSource[];
  readonly errorCode: (string | null)[];

  constructor(readonly capacity: number) {
    this.startedAt = new Float64Array(capacity);
    this.latencyMs = new Float64Array(capacity);
    this.ttftMs = new Float64Array(capacity);
    this.interTokenMs = new Float64Array(capacity);
    this.costUsd = new Float64Array(capacity);
    this.inputTokens = new Float64Array(capacity);
    this.outputTokens = new Float64Array(capacity);
    this.success = new Uint8Array(capacity);
    this.deploymentId = new Array<string>(capacity).fill('');
    this.adapterId = new Array<string | null>(capacity).fill(null);
    this.source = new Array<InvocationSource>(capacity).fill('gateway');
    this.errorCode = new Array<string | null>(capacity).fill(null);
  }

  write(slot: number, record: RequestRecord): void {
    this.startedAt[slot] = record.startedAt;
    this.latencyMs[slot] = record.latencyMs;
    this.ttftMs[slot] = record.ttftMs ?? Number.NaN;
    this.interTokenMs[slot] = record.interTokenMs ?? Number.NaN;
    this.costUsd[slot] = record.costUsd ?? Number.NaN;
    this.inputTokens[slot] = record.inputTokens;
    this.outputTokens[slot] = record.outputTokens;
    this.success[slot] = record.success ? 1 : 0;
    this.deploymentId[slot] = record.deploymentId;
    this.adapterId[slot] = record.adapterId;
    this.source[slot] = record.source;
    this.errorCode[slot] = record.errorCode;
  }

  read(slot: number): RequestRecord {
    return {
      deploymentId: this.deploymentId[slot] as string,
      adapterId: this.adapterId[slot] ?? null,
      source: this.source[slot] as InvocationSource,
      startedAt: this.startedAt[slot] as number,
      ttftMs: nullable(this.ttftMs[slot] as number),
      interTokenMs: nullable(this.interTokenMs[slot] as number),
      latencyMs: this.latencyMs[slot] as number,
      success: this.success[slot] === 1,
      errorCode: this.errorCode[slot] ?? null,
      inputTokens: this.inputTokens[slot] as number,
      outputTokens: this.outputTokens[slot] as number,
      costUsd: nullable(this.costUsd[slot] as number),
    };
  }

  /** A taken slot must not keep its strings (an adapter id from a request body) alive. */
  forgetStrings(slot: number): void {
    this.deploymentId[slot] = '';
    this.adapterId[slot] = null;
    this.errorCode[slot] = null;
  }
}

function nullable(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}
