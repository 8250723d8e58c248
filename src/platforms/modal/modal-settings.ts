import path from 'node:path';
import { PlatformNotConfiguredError, ValidationError } from '../../core/errors/index.js';
import type { ConnectorContext } from '../connector.js';

/**
 * Operator settings for Modal (context.settings, from `MODELPORT_MODAL_<NAME>` environment variables):
 *
 * | setting | env | default |
 * | --- | --- | --- |
 * | `modalCli` (or `cli`) | `MODELPORT_MODAL_MODAL_CLI` / `MODELPORT_MODAL_CLI` | `modal` on PATH |
 * | `appDir` | `MODELPORT_MODAL_APP_DIR` | `<dataDir>/modal-apps`, else `./data/modal-apps` |
 * | `dataDir` | `MODELPORT_MODAL_DATA_DIR` | — (modelport's data directory, passed in by main) |
 * | `environment` | `MODELPORT_MODAL_ENVIRONMENT` | the token's default environment |
 * | `deployTimeoutMs` | `MODELPORT_MODAL_DEPLOY_TIMEOUT_MS` | the spec's `timeouts.deployMs` |
 * | `cliTimeoutMs` | `MODELPORT_MODAL_CLI_TIMEOUT_MS` | 120 000 (list, stop) |
 * | `healthTimeoutMs` | `MODELPORT_MODAL_HEALTH_TIMEOUT_MS` | 10 000 (one readiness probe) |
 */
export interface ModalSettings {
  cli: string;
  appDir: string;
  environment: string | null;
  deployTimeoutMs: number | null;
  cliTimeoutMs: number;
  healthTimeoutMs: number;
}

export const modalCredentialNames = ['MODAL_TOKEN_ID', 'MODAL_TOKEN_SECRET'] as const;
export const modalProxyCredentialNames = ['MODAL_PROXY_TOKEN_ID', 'MODAL_PROXY_TOKEN_SECRET'] as const;

/** Reads the settings; throws ValidationError naming a malformed one. */
export function modalSettings(settings: Record<string, string>): ModalSettings {
  const environment = settings['environment']?.trim() || null;
  if (environment !== null && !/^[A-Za-z0-9._-]{1,63}$/.test(environment)) {
    throw invalid('environment', 'a Modal environment name (letters, digits, "-", "_", ".")');
  }
  const dataDir = settings['dataDir']?.trim() || null;
  return {
    cli: settings['modalCli']?.trim() || settings['cli']?.trim() || 'modal',
    appDir: path.resolve(settings['appDir']?.trim() || path.join(dataDir ?? 'data', 'modal-apps')),
    environment,
    deployTimeoutMs: optionalMs(settings, 'deployTimeoutMs'),
    cliTimeoutMs: optionalMs(settings, 'cliTimeoutMs') ?? 120_000,
    healthTimeoutMs: optionalMs(settings, 'healthTimeoutMs') ?? 10_000,
  };
}

/** The workspace token, or the actionable "not configured" error naming what is missing. */
export function modalToken(context: ConnectorContext): { tokenId: string; tokenSecret: string } {
  const tokenId = context.credentials['MODAL_TOKEN_ID'];
  const tokenSecret = context.credentials['MODAL_TOKEN_SECRET'];
  if (!tokenId || !tokenSecret) {
    throw new PlatformNotConfiguredError(
      'modal',
      modalCredentialNames.filter((name) => !context.credentials[name]),
    );
  }
  return { tokenId, tokenSecret };
}

/** `Modal-Key` / `Modal-Secret` for endpoints deployed with proxy auth. */
export function modalProxyHeaders(context: ConnectorContext): Record<string, string> {
  const key = context.credentials['MODAL_PROXY_TOKEN_ID'];
  const secret = context.credentials['MODAL_PROXY_TOKEN_SECRET'];
  if (!key || !secret) {
    throw new PlatformNotConfiguredError(
      'modal',
      modalProxyCredentialNames.filter((name) => !context.credentials[name]),
    );
  }
  return { 'Modal-Key': key, 'Modal-Secret': secret };
}

function optionalMs(settings: Record<string, string>, name: string): number | null {
  const raw = settings[name]?.trim();
  if (raw === undefined || raw === '') return null;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 86_400_000) throw invalid(name, 'a whole number of milliseconds');
  return value;
}

function invalid(name: string, expected: string): ValidationError {
  return new ValidationError(`modal setting ${name} must be ${expected}`, [{ path: `settings.modal.${name}`, message: `expected ${expected}` }]);
}
