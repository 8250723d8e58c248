import type { Clock, HardwareOption, Logger } from '../connector.js';
import type { Hardware } from './together-api.js';
import type { TogetherClient } from './together-client.js';
import { staticHourlyPrice, togetherStaticHardware, usdPerHourFromCentsPerMinute } from './together-pricing.js';

/**
 * Together's hardware catalogue (`GET /v1/hardware`), read live and kept for a while: prices feed
 * `hourlyPrice`, which must answer synchronously, so the last live read is cached and the static table
 * in together-pricing.ts answers until the first one succeeds.
 */
export interface HardwareCatalogue {
  /** The live catalogue (cached for `ttlMs`); the static one when Together cannot be read. Never throws. */
  list(client: TogetherClient, clock: Clock, logger: Logger): Promise<HardwareOption[]>;
  /** Hardware that can serve `model`, with live availability. Not cached: availability changes by the minute. */
  forModel(client: TogetherClient, model: string): Promise<Hardware[]>;
  /** USD per replica-hour: last live price, else the static table, else null (unpriced). */
  hourlyPrice(hardwareId: string): number | null;
}

export function createHardwareCatalogue(ttlMs = 60 * 60 * 1000): HardwareCatalogue {
  const livePrices = new Map<string, number>();
  let cached: { at: number; options: HardwareOption[] } | null = null;

  const remember = (items: Hardware[]): void => {
    for (const item of items) {
      const cents = item.pricing?.cents_per_minute;
      if (cents !== undefined && cents !== null) livePrices.set(item.id, usdPerHourFromCentsPerMinute(cents));
    }
  };

  return {
    async list(client, clock, logger) {
      if (cached !== null && clock.now() - cached.at < ttlMs) return cached.options;
      try {
        const items = await client.listHardware();
        remember(items);
        cached = { at: clock.now(), options: items.map(toOption) };
        return cached.options;
      } catch (error) {
        logger.warn('together hardware catalogue unavailable, using the static one', {
          error: error instanceof Error ? error.message : String(error),
        });
        return cached?.options ?? togetherStaticHardware;
      }
    },
    async forModel(client, model) {
      const items = await client.listHardware(model);
      remember(items);
      return items;
    },
    hourlyPrice(hardwareId) {
      return livePrices.get(hardwareId) ?? staticHourlyPrice(hardwareId);
    },
  };
}

function toOption(item: Hardware): HardwareOption {
  const specs = item.specs;
  const count = specs?.gpu_count ?? null;
  const memory = specs?.gpu_memory ?? null;
  const cents = item.pricing?.cents_per_minute;
  const label =
    specs?.gpu_type && count !== null ? `${count}x ${specs.gpu_type.toUpperCase()}${specs.gpu_link ? ` ${specs.gpu_link.toUpperCase()}` : ''}` : item.id;
  return {
    id: item.id,
    label,
    ...(count !== null && memory !== null ? { memoryGib: memory * count } : {}),
    usdPerHour: cents === undefined || cents === null ? staticHourlyPrice(item.id) : usdPerHourFromCentsPerMinute(cents),
  };
}
