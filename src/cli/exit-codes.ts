/**
 * Exit codes of the `modelport` CLI, one per problem code. They are part of the CLI's public contract:
 * scripts branch on them, so a code never changes meaning.
 *
 * | exit | codes |
 * | --- | --- |
 * | 0 | success |
 * | 1 | internal_error, anything unexpected |
 * | 2 | validation_failed, invalid_json, payload_too_large, unsupported_capability, usage (bad flags or arguments) |
 * | 3 | not_found |
 * | 4 | conflict, invalid_transition |
 * | 5 | platform_not_configured |
 * | 6 | platform_auth_failed, platform_api_error, platform_capacity (any platform_* code) |
 * | 7 | timeout (also: --wait or apply gave up waiting) |
 * | 8 | rate_limited |
 * | 9 | unauthorized, forbidden (HTTP 401/403: missing, wrong or too weak API token) |
 * | 10 | connection_failed: the server cannot be reached at MODELPORT_URL |
 * | 11 | deployment_failed: a deployment waited for (--wait, apply) ended failed |
 */
export const exitCodes = {
  success: 0,
  internal: 1,
  invalid: 2,
  notFound: 3,
  conflict: 4,
  platformNotConfigured: 5,
  platform: 6,
  timeout: 7,
  rateLimited: 8,
  unauthorized: 9,
  connectionFailed: 10,
  deploymentFailed: 11,
} as const;

const byCode: Record<string, number> = {
  validation_failed: exitCodes.invalid,
  invalid_json: exitCodes.invalid,
  payload_too_large: exitCodes.invalid,
  unsupported_capability: exitCodes.invalid,
  usage: exitCodes.invalid,
  not_found: exitCodes.notFound,
  conflict: exitCodes.conflict,
  invalid_transition: exitCodes.conflict,
  platform_not_configured: exitCodes.platformNotConfigured,
  timeout: exitCodes.timeout,
  rate_limited: exitCodes.rateLimited,
  unauthorized: exitCodes.unauthorized,
  forbidden: exitCodes.unauthorized,
  connection_failed: exitCodes.connectionFailed,
  deployment_failed: exitCodes.deploymentFailed,
  internal_error: exitCodes.internal,
};

/**
 * The exit code for a problem code. HTTP 401/403 count as auth failures whatever code the server
 * chose; a platform code the CLI does not know yet still exits 6, anything else unknown exits 1.
 */
export function exitCodeFor(code: string, httpStatus?: number): number {
  if (httpStatus === 401 || httpStatus === 403) return exitCodes.unauthorized;
  const known = byCode[code];
  if (known !== undefined) return known;
  if (code.startsWith('platform_')) return exitCodes.platform;
  return exitCodes.internal;
}

/** The table above, for `modelport --help`. */
export const exitCodeHelp = `Exit codes:
  0   success
  1   internal error, anything unexpected
  2   invalid input: validation_failed, invalid_json, payload_too_large, unsupported_capability, bad flags
  3   not_found
  4   conflict, invalid_transition (not allowed in the deployment's current status)
  5   platform_not_configured (credentials missing on the server)
  6   platform errors: platform_auth_failed, platform_api_error, platform_capacity
  7   timeout (also when --wait or apply gives up waiting)
  8   rate_limited
  9   unauthorized, forbidden (missing or insufficient MODELPORT_API_TOKEN)
  10  cannot connect to the server (MODELPORT_URL)
  11  a deployment that was waited for ended failed`;
