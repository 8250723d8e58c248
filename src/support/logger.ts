import type { Logger } from '../platforms/connector.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/**
 * One JSON line per entry on stderr. Known secret values are replaced before anything is written,
 * so a credential that slips into a message or a field never reaches the log.
 */
export function createLogger(options: {
  level: LogLevel;
  secrets?: () => Iterable<string>;
  write?: (line: string) => void;
  bindings?: Record<string, unknown>;
}): Logger & { child(bindings: Record<string, unknown>): Logger } {
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const threshold = rank[options.level];
  const emit = (level: Exclude<LogLevel, 'silent'>, message: string, fields?: Record<string, unknown>) => {
    if (rank[level] < threshold) return;
    let line = JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...options.bindings, ...fields }, errorReplacer);
    for (const secret of options.secrets?.() ?? []) {
      if (secret.length >= 4) line = line.split(secret).join('[redacted]');
    }
    write(line);
  };
  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
    child: (bindings) => createLogger({ ...options, bindings: { ...options.bindings, ...bindings } }),
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(code === undefined ? {} : { code }) };
  }
  return value;
}
