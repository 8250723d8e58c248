import path from 'node:path';
import { z } from 'zod';
import { ValidationError } from '../core/errors/index.js';

/**
 * The one schema for modelport's configuration. Parsed once at start-up from the environment;
 * every other module receives the typed result.
 */
const port = z.coerce.number().int().min(0).max(65_535);
const positiveInt = z.coerce.number().int().positive();
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

export const ConfigSchema = z.object({
  PORT: port.default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  MODELPORT_DATA_DIR: z.string().min(1).default('./data'),
  /** Default: a SQLite file in the data dir. A postgres:// URL selects PostgreSQL. */
  DATABASE_URL: z.string().min(1).optional(),
  /** Public base URL used for endpoint URLs shown to users; defaults to http://HOST:PORT. */
  MODELPORT_PUBLIC_URL: z.url().optional(),
  MODELPORT_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /** Reconciler poll interval. */
  MODELPORT_RECONCILE_INTERVAL_MS: positiveInt.default(1_000),
  /** Reconcile lease length: a crashed replica's work is taken over after this. */
  MODELPORT_LEASE_TTL_MS: positiveInt.default(15_000),
  /** Metrics flush interval. */
  MODELPORT_METRICS_FLUSH_MS: positiveInt.default(1_000),
  /** Raw request rows are kept this many days; rollups much longer. */
  MODELPORT_RAW_RETENTION_DAYS: positiveInt.default(7),
  MODELPORT_ROLLUP_RETENTION_DAYS: positiveInt.default(400),
  /** Memory the local platform may use for models and contexts. */
  MODELPORT_LOCAL_MEMORY_BUDGET_MB: positiveInt.default(8_192),
  /** Endpoint tests per deployment per minute. */
  MODELPORT_TEST_RATE_LIMIT: positiveInt.default(60),
  /** Largest prompt an endpoint test accepts, in characters. */
  MODELPORT_MAX_PROMPT_CHARS: positiveInt.default(32_000),
  /** Allow openai-compatible base URLs that are, or resolve to, private addresses (self-hosted clusters usually are). */
  MODELPORT_ALLOW_PRIVATE_URLS: flag.default(true),
  /** Key for credentials stored through the API (AES-256-GCM): 32 bytes, base64 or hex. */
  MODELPORT_SECRET_KEY: z.string().min(1).optional(),
  /** A bootstrap admin token (16+ characters), for a first start beyond loopback before any token exists. */
  MODELPORT_ADMIN_TOKEN: z.string().min(16, 'use at least 16 random characters').optional(),
  /**
   * Serve the gateway's completion requests straight off the socket (src/gateway/completion-front.ts);
   * false sends every request through Fastify, as a fallback and for comparisons.
   */
  MODELPORT_GATEWAY_FRONT: flag.default(true),
  /** Serve the web UI from this folder (the production build). */
  MODELPORT_WEB_DIR: z.string().min(1).optional(),
});

export type Config = z.infer<typeof ConfigSchema> & {
  /** Resolved values derived from the raw ones. */
  dataDir: string;
  databaseUrl: string;
  publicUrl: string;
};

/** Parses the environment. Throws ValidationError listing every bad variable at once. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = ConfigSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, value]) => value !== '')));
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
    throw new ValidationError(
      `invalid configuration: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
      issues,
    );
  }
  const raw = parsed.data;
  const dataDir = path.resolve(raw.MODELPORT_DATA_DIR);
  const shownHost = raw.HOST === '0.0.0.0' || raw.HOST === '::' ? '127.0.0.1' : raw.HOST;
  return {
    ...raw,
    dataDir,
    databaseUrl: raw.DATABASE_URL ?? path.join(dataDir, 'modelport.db'),
    publicUrl: (raw.MODELPORT_PUBLIC_URL ?? `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${raw.PORT}`).replace(/\/$/, ''),
  };
}
