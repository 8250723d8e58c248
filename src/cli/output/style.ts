/** ANSI styling that is a no-op when colour is off, so callers never branch on it. */
export interface Style {
  enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  /** Colours a deployment status by what it means: green running, yellow in transit, red failed. */
  status(status: string): string;
}

const wrap = (enabled: boolean, open: number, close: number) => (text: string) => (enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text);

export function createStyle(enabled: boolean): Style {
  const style = {
    enabled,
    bold: wrap(enabled, 1, 22),
    dim: wrap(enabled, 2, 22),
    red: wrap(enabled, 31, 39),
    green: wrap(enabled, 32, 39),
    yellow: wrap(enabled, 33, 39),
    cyan: wrap(enabled, 36, 39),
  };
  return {
    ...style,
    status(status: string): string {
      if (status === 'active') return style.green(status);
      if (status === 'failed') return style.red(status);
      if (status === 'deploying' || status === 'updating' || status === 'stopping') return style.yellow(status);
      return status;
    },
  };
}

/**
 * Colour only for a terminal, and never when NO_COLOR is set to anything non-empty (no-color.org), so
 * piped output and logs stay plain text.
 */
export function shouldUseColor(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  return stream.isTTY === true && !env['NO_COLOR'] && env['TERM'] !== 'dumb';
}

const ansiPattern = /\u001b\[[0-9;]*[A-Za-z]/g;

export function stripAnsi(text: string): string {
  return text.replace(ansiPattern, '');
}

/** Width on screen: ANSI codes take none. (Wide CJK characters are not accounted for.) */
export function visibleWidth(text: string): number {
  return [...stripAnsi(text)].length;
}
