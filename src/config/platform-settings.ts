import type { PlatformId } from '../core/platform-id.js';

/**
 * Per-platform settings (base URL overrides and the like) from environment variables named
 * `MODELPORT_<PLATFORM>_<SETTING>`, e.g. `MODELPORT_TOGETHER_BASE_URL` → together `{ baseUrl }`.
 * This is how a deployment is pointed at a proxy, a region, or a test server.
 */
export function platformSettings(env: Record<string, string | undefined>, platform: PlatformId): Record<string, string> {
  const prefix = `MODELPORT_${platform.toUpperCase().replace(/-/g, '_')}_`;
  const settings: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(prefix) || !value) continue;
    settings[toCamel(name.slice(prefix.length))] = value;
  }
  return settings;
}

function toCamel(snake: string): string {
  return snake.toLowerCase().replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
}
