/**
 * Finds stop strings in streamed text. Done here rather than by node-llama-cpp's customStopTriggers,
 * which match each token's text detokenized on its own: with SPM vocabularies that drops the token's
 * leading space, so a stop string such as " labore" or "\n\nHuman:" never matched (measured with
 * 3.21.1). The streamed text pieces are right, so matching them is reliable for every vocabulary.
 *
 * Text that could be the start of a stop string is held back until it is clear that it is not, so a
 * stop string is never streamed to the client, not even in part.
 */
export class StopStringScanner {
  private readonly stops: string[];
  private held = '';
  private stopped = false;

  constructor(stops: readonly string[]) {
    this.stops = stops.filter((stop) => stop.length > 0);
  }

  /** Feeds one piece of generated text. `emit` is safe to send now; `stopped` means a stop string was found. */
  push(chunk: string): { emit: string; stopped: boolean } {
    if (this.stopped) return { emit: '', stopped: true };
    const text = this.held + chunk;
    let earliest = -1;
    for (const stop of this.stops) {
      const index = text.indexOf(stop);
      if (index >= 0 && (earliest < 0 || index < earliest)) earliest = index;
    }
    if (earliest >= 0) {
      this.stopped = true;
      this.held = '';
      return { emit: text.slice(0, earliest), stopped: true };
    }
    const keep = this.longestPendingPrefix(text);
    this.held = text.slice(text.length - keep);
    return { emit: text.slice(0, text.length - keep), stopped: false };
  }

  /** The held-back text, once generation ended without a stop string. */
  flush(): string {
    const rest = this.stopped ? '' : this.held;
    this.held = '';
    return rest;
  }

  /** Length of the longest end of `text` that is the beginning of some stop string. */
  private longestPendingPrefix(text: string): number {
    let longest = 0;
    for (const stop of this.stops) {
      for (let length = Math.min(stop.length - 1, text.length); length > longest; length--) {
        if (text.endsWith(stop.slice(0, length))) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }
}
