import type { PlatformView } from '../client.js';
import type { Style } from './style.js';
import { renderTable } from './table.js';

/** `modelport platforms`: which platforms this server can use, and what is missing for the others. */
export function renderPlatforms(platforms: PlatformView[], style: Style): string {
  return renderTable(
    [{ header: 'ID' }, { header: 'NAME' }, { header: 'CONFIGURED' }, { header: 'ADAPTERS' }, { header: 'PRICING' }, { header: 'MISSING CREDENTIALS' }],
    platforms.map((platform) => [
      platform.id,
      platform.name,
      platform.configured ? style.green('yes') : style.red('no'),
      platform.capabilities.adapterMode,
      platform.pricing.model,
      platform.missingCredentials.length > 0 ? platform.missingCredentials.join(', ') : '–',
    ]),
    { headerStyle: style.bold },
  );
}
