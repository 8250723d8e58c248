import { InvalidArgumentError } from 'commander';

/** Flag value parsers. They refuse what does not parse instead of guessing, and say why. */

export function parseInteger(value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError('expected a whole number.');
  return Number(value);
}

export function parseNumber(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number)) throw new InvalidArgumentError('expected a number.');
  return number;
}

/** For repeatable flags: `--env A=1 --env B=2`. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `KEY=VALUE` → [key, value]; the value may contain `=`. */
export function splitKeyValue(pair: string, flag: string): [string, string] {
  const separator = pair.indexOf('=');
  if (separator <= 0) throw new InvalidArgumentError(`${flag} takes KEY=VALUE, got '${pair}'.`);
  return [pair.slice(0, separator), pair.slice(separator + 1)];
}

/** `--env A=1 --env B=x=y` → { A: '1', B: 'x=y' }: environment values stay strings. */
export function parseEnvPairs(pairs: string[]): Record<string, string> {
  return Object.fromEntries(pairs.map((pair) => splitKeyValue(pair, '--env')));
}

/**
 * `--option key=value` for platformOptions (and route fields). A value that is valid JSON is taken as
 * JSON (`replicas=2`, `tls=true`, `pricing={"inputPerMillion":0.2}`), anything else as a string
 * (`baseUrl=http://10.0.0.5:8000/v1`); quote it as JSON to force a string (`version='"1.0"'`). Dotted
 * keys nest: `pricing.inputPerMillion=0.2`.
 */
export function parseOptionPairs(pairs: string[], flag = '--option'): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const pair of pairs) {
    const [key, raw] = splitKeyValue(pair, flag);
    setDotted(result, key.split('.'), parseLooseValue(raw), flag);
  }
  return result;
}

function parseLooseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function setDotted(target: Record<string, unknown>, keys: string[], value: unknown, flag: string): void {
  const [head, ...rest] = keys;
  if (head === undefined || head === '') throw new InvalidArgumentError(`${flag} has an empty key.`);
  if (rest.length === 0) {
    target[head] = value;
    return;
  }
  const existing = target[head];
  const child: Record<string, unknown> = typeof existing === 'object' && existing !== null && !Array.isArray(existing) ? (existing as Record<string, unknown>) : {};
  target[head] = child;
  setDotted(child, rest, value, flag);
}

const durationUnits: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** `90s`, `10m`, `1h`, `500ms`, or plain milliseconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!match?.[1]) throw new InvalidArgumentError('expected a duration such as 90s, 10m or 1h.');
  const ms = Number(match[1]) * (durationUnits[match[2] ?? 'ms'] ?? 1);
  if (ms <= 0) throw new InvalidArgumentError('expected a duration above zero.');
  return ms;
}
