/**
 * Finds stop strings in streamed text. Done here rather than by node-llama-cpp's customStopTriggers,
 * which match each token's text detokenized on its own: with SPM vocabularies that drops the token's
 * leading space, so a stop string such as " labore" or "\n\nHuman:" never matched (measured with
 * 3.21.1). The streamed text pieces are right, so matching them is reliable for every vocabulary.
 *
 * Text that could be the start of a stop string is held back until it is clear that it is not, so a
 * stop string is never streamed to the client, not even in part. A stop string found is acted on only
 * once no other one could still complete at an earlier position: with the stops "b" and "\nba", the
 * text "\nb" waits for the next piece, as "\nba" would end the answer before the "\n".
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
    const found = this.earliestMatch(text);
    const pendingFrom = text.length - this.longestPendingPrefix(text);
    if (found >= 0 && found <= pendingFrom) return { emit: this.stopAt(text, found), stopped: true };
    this.held = text.slice(pendingFrom);
    return { emit: text.slice(0, pendingFrom), stopped: false };
  }

  /**
   * The held-back text, once generation ended. It can hold a whole stop string that waited on an
   * earlier, longer one; then only the text before it is returned, with `stopped`.
   */
  flush(): { text: string; stopped: boolean } {
    if (this.stopped) return { text: '', stopped: true };
    const text = this.held;
    const found = this.earliestMatch(text);
    if (found >= 0) return { text: this.stopAt(text, found), stopped: true };
    this.held = '';
    return { text, stopped: false };
  }

  private stopAt(text: string, index: number): string {
    this.stopped = true;
    this.held = '';
    return text.slice(0, index);
  }

  /** Where the first whole stop string in `text` starts; -1 when there is none. */
  private earliestMatch(text: string): number {
    let earliest = -1;
    for (const stop of this.stops) {
      const index = text.indexOf(stop);
      if (index >= 0 && (earliest < 0 || index < earliest)) earliest = index;
    }
    return earliest;
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
