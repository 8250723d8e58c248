import { PlatformNotConfiguredError, ValidationError } from '../../core/errors/index.js';
import type { ConnectorContext } from '../connector.js';

/**
 * Where Predibase lives for this call, from `context.settings` (env `MODELPORT_PREDIBASE_*`), with the
 * real URLs as defaults. Tests point both URLs at the fake.
 */

/** Predibase's control-plane gateway. */
export const defaultPredibaseBaseUrl = 'https://api.app.predibase.com';

/** The credential Predibase needs (a `pb_…` token; one bearer authorises control plane and serving). */
export const predibaseTokenName = 'PREDIBASE_API_TOKEN';

export interface PredibaseSettings {
  /** Control-plane root, without a trailing `/v1` or `/v2` (each call names its version). */
  baseUrl: string;
  /** Serving root; deployments live under `{servingUrl}/{tenant}/deployments/v2/llms/{name}`. */
  servingUrl: string;
  /** Tenant short code given in settings; when absent it is read from the current-user call. */
  tenant: string | undefined;
  /** Per-attempt timeout of control-plane calls, ms. */
  controlTimeoutMs: number | undefined;
}

function parseUrl(name: string, value: string): URL {
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not http(s)');
    return url;
  } catch {
    throw new ValidationError(`predibase setting ${name} is not an http(s) URL`, [{ path: `settings.${name}`, message: 'expected an http(s) URL' }]);
  }
}

function withoutTrailing(url: string): string {
  return url.replace(/\/+$/, '');
}

/**
 * The SDK finds the serving host by replacing the first DNS label of the gateway host with `serving`
 * (`api.app.predibase.com` → `serving.app.predibase.com`). An IP address or single-label host has no
 * such sibling, so the gateway URL itself is used.
 */
export function derivedServingUrl(baseUrl: string): string {
  const url = new URL(baseUrl);
  const labels = url.hostname.split('.');
  const isIp = /^[\d.]+$/.test(url.hostname) || url.hostname.includes(':');
  if (isIp || labels.length < 3) return withoutTrailing(url.origin);
  url.hostname = ['serving', ...labels.slice(1)].join('.');
  return withoutTrailing(url.origin);
}

export function predibaseSettings(context: ConnectorContext): PredibaseSettings {
  const rawBase = context.settings['baseUrl'] ?? defaultPredibaseBaseUrl;
  // The SDK accepts a gateway with a version suffix and strips it; so do we.
  const baseUrl = withoutTrailing(parseUrl('baseUrl', rawBase).toString()).replace(/\/v[12]$/, '');
  const rawServing = context.settings['servingUrl'];
  const servingUrl = rawServing === undefined ? derivedServingUrl(baseUrl) : withoutTrailing(parseUrl('servingUrl', rawServing).toString());
  const tenant = context.settings['tenant']?.trim();
  const timeout = Number(context.settings['controlTimeoutMs']);
  return {
    baseUrl,
    servingUrl,
    tenant: tenant === undefined || tenant === '' ? undefined : tenant,
    controlTimeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : undefined,
  };
}

/** The API token, or PlatformNotConfiguredError naming the missing credential. */
export function predibaseToken(context: ConnectorContext): string {
  const token = context.credentials[predibaseTokenName];
  if (token === undefined || token.trim() === '') throw new PlatformNotConfiguredError('predibase', [predibaseTokenName]);
  return token.trim();
}

/** The deployment's LoRAX base: `{servingUrl}/{tenant}/deployments/v2/llms/{name}`. */
export function deploymentServingBase(servingUrl: string, tenant: string, deploymentName: string): string {
  return `${servingUrl}/${encodeURIComponent(tenant)}/deployments/v2/llms/${encodeURIComponent(deploymentName)}`;
}

/** The OpenAI-compatible base under it (`…/v1`), to which `/chat/completions` is appended. */
export function deploymentOpenAIBase(servingUrl: string, tenant: string, deploymentName: string): string {
  return `${deploymentServingBase(servingUrl, tenant, deploymentName)}/v1`;
}
