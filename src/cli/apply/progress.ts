import type { CliOutput } from '../cli-io.js';
import { formatMs, truncate } from '../output/format.js';
import type { Style } from '../output/style.js';

/** The state of one line: what the thing is doing, and whether it is finished (and how). */
export interface ProgressState {
  /** A deployment status (`deploying`) or a step (`creating`, `stopping`, `deleted`). */
  state: string;
  message?: string | null;
  /** undefined while in progress; true/false once finished. */
  ok?: boolean;
}

export interface ProgressDisplay {
  update(name: string, state: ProgressState): void;
  /** Stops redrawing; the last picture stays on screen. */
  finish(): void;
}

const spinnerFrames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

interface Line extends ProgressState {
  name: string;
  startedAt: number;
  finishedAt?: number;
}

/**
 * Live progress for several deployments. On a terminal the lines are redrawn in place (a spinner, the
 * status, the message, the time so far); elsewhere (CI logs, pipes) each change is one new line, so
 * logs stay readable and nothing is printed twice.
 */
export function createProgressDisplay(output: CliOutput, style: Style, options: { tty: boolean; now: () => number; refreshMs?: number }): ProgressDisplay {
  const lines = new Map<string, Line>();
  const lastLogged = new Map<string, string>();
  let drawnLines = 0;
  let frame = 0;
  let finished = false;

  const describe = (line: Line): string => {
    const elapsedMs = (line.finishedAt ?? options.now()) - line.startedAt;
    // A line that was final from the start (an unchanged active deployment) has no duration worth showing.
    const elapsed = line.finishedAt !== undefined && elapsedMs === 0 ? '' : formatMs(elapsedMs);
    const mark = line.ok === true ? style.green('✓') : line.ok === false ? style.red('✗') : style.cyan(spinnerFrames[frame % spinnerFrames.length] ?? '-');
    const message = line.message && line.message !== line.state ? style.dim(` ${line.message}`) : '';
    return `${mark} ${line.name.padEnd(nameWidth())}  ${style.status(line.state.padEnd(10))} ${style.dim(elapsed)}${message}`.trimEnd();
  };
  const nameWidth = () => Math.max(0, ...[...lines.keys()].map((name) => name.length));

  const redraw = () => {
    const width = Math.max(20, (output.columns || 100) - 1);
    let text = drawnLines > 0 ? `\u001b[${drawnLines}A` : '';
    for (const line of lines.values()) text += `\r\u001b[2K${truncateVisible(describe(line), width)}\n`;
    drawnLines = lines.size;
    output.write(text);
  };

  const timer = options.tty
    ? setInterval(() => {
        frame++;
        if (lines.size > 0) redraw();
      }, options.refreshMs ?? 120)
    : null;
  timer?.unref();

  return {
    update(name, state) {
      if (finished) return;
      const existing = lines.get(name);
      const line: Line = { ...existing, name, startedAt: existing?.startedAt ?? options.now(), ...state };
      if (state.ok !== undefined && existing?.finishedAt === undefined) line.finishedAt = options.now();
      lines.set(name, line);
      if (options.tty) {
        redraw();
        return;
      }
      const text = `${name}: ${state.state}${state.message && state.message !== state.state ? ` (${state.message})` : ''}`;
      if (lastLogged.get(name) === text) return;
      lastLogged.set(name, text);
      const elapsedMs = (line.finishedAt ?? options.now()) - line.startedAt;
      output.write(`${text}${state.ok !== undefined && elapsedMs > 0 ? ` after ${formatMs(elapsedMs)}` : ''}\n`);
    },
    finish() {
      if (finished) return;
      finished = true;
      if (timer) clearInterval(timer);
      if (options.tty && lines.size > 0) redraw();
    },
  };
}

/** Truncates a styled line to a visible width, dropping colour rather than breaking an escape code. */
function truncateVisible(text: string, width: number): string {
    const plain = text.replace(/\u001b\[[0-9;]*m/g, '');
  return [...plain].length <= width ? text : truncate(plain, width);
}
