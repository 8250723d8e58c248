import type { HardwareOption } from '../connector.js';
import type { PriceSource, TokenPrice } from '../../core/pricing.js';

/**
 * What Together charges. At runtime the connector prefers the live hardware catalogue
 * (`GET /v1/hardware` → `pricing.cents_per_minute`); these tables are the fallback when it has not been
 * read yet or cannot be, and the source for the wizard. Prices change often: override them rather than
 * trusting this file for invoices.
 */

/** Where the dedicated-hardware figures come from. */
export const togetherHardwarePriceSource: PriceSource = {
  source:
    'https://docs.together.ai/docs/dedicated-endpoints/overview (per-GPU hourly list prices; ' +
    'multi-GPU configurations scale with GPU count). Live prices: GET /v1/hardware pricing.cents_per_minute',
  asOf: '2026-04-28',
};

/** Where the serverless per-token figures come from. */
export const togetherServerlessPriceSource: PriceSource = {
  source: 'https://docs.together.ai/docs/serverless-models (USD per 1M tokens, input / output)',
  asOf: '2026-04-28',
};

/** Together bills dedicated endpoints per minute; modelport accrues per replica-hour. */
export function usdPerHourFromCentsPerMinute(centsPerMinute: number): number {
  return (centsPerMinute * 60) / 100;
}

interface GpuPrice {
  /** Hardware id suffix after `<n>x_`. */
  gpu: string;
  label: string;
  memoryGib: number;
  usdPerHourPerGpu: number;
}

// Single-GPU list prices from the docs overview page. A second official source (the skills repo) quotes
// higher figures; the live catalogue settles it whenever the API can be reached.
const gpuPrices: GpuPrice[] = [
  { gpu: 'nvidia_h100_80gb_sxm', label: 'H100 80GB SXM', memoryGib: 80, usdPerHourPerGpu: 3.99 },
  { gpu: 'nvidia_h200_140gb_sxm', label: 'H200 141GB SXM', memoryGib: 141, usdPerHourPerGpu: 5.49 },
  { gpu: 'nvidia_b200_180gb_sxm', label: 'B200 180GB SXM', memoryGib: 180, usdPerHourPerGpu: 9.95 },
];

const gpuCounts = [1, 2, 4, 8] as const;

/** The fallback hardware catalogue: ids in Together's `<count>x_<vendor>_<type>_<memory>_<link>` form. */
export const togetherStaticHardware: HardwareOption[] = gpuPrices.flatMap((price) =>
  gpuCounts.map((count) => ({
    id: `${count}x_${price.gpu}`,
    label: `${count}x ${price.label}`,
    memoryGib: price.memoryGib * count,
    usdPerHour: roundCents(price.usdPerHourPerGpu * count),
  })),
);

const hardwareIdPattern = /^(\d+)x_([a-z0-9_]+)$/;

/** Splits `2x_nvidia_h100_80gb_sxm` into its GPU count and GPU part; null when it is not in that form. */
export function parseHardwareId(id: string): { gpuCount: number; gpu: string } | null {
  const match = hardwareIdPattern.exec(id);
  const count = match?.[1];
  const gpu = match?.[2];
  if (count === undefined || gpu === undefined) return null;
  const gpuCount = Number.parseInt(count, 10);
  return gpuCount > 0 ? { gpuCount, gpu } : null;
}

/** USD per replica-hour from the static table, scaling a known GPU by count; null when unknown. */
export function staticHourlyPrice(hardwareId: string): number | null {
  const parsed = parseHardwareId(hardwareId);
  if (parsed === null) return null;
  const price = gpuPrices.find((candidate) => candidate.gpu === parsed.gpu);
  return price === undefined ? null : roundCents(price.usdPerHourPerGpu * parsed.gpuCount);
}

/**
 * Serverless per-token prices, USD per million tokens, for the rows the docs snapshot gave.
 * A model missing here is unpriced, never $0.
 */
export const togetherServerlessPrices: Readonly<Record<string, TokenPrice>> = {
  'meta-llama/Llama-3.3-70B-Instruct-Turbo': { inputPerMillion: 1.04, outputPerMillion: 1.04 },
  'openai/gpt-oss-120b': { inputPerMillion: 0.15, outputPerMillion: 0.6 },
  'Qwen/Qwen3.5-9B': { inputPerMillion: 0.17, outputPerMillion: 0.25 },
  'deepseek-ai/DeepSeek-V4-Flash-0731': { inputPerMillion: 0.14, outputPerMillion: 0.28 },
  'MiniMaxAI/MiniMax-M3': { inputPerMillion: 0.3, outputPerMillion: 1.2 },
};

/** Serverless price of a base model; serverless LoRA is assumed to bill like its base (UNCONFIRMED). */
export function serverlessTokenPrice(baseModel: string): TokenPrice | null {
  return togetherServerlessPrices[baseModel] ?? null;
}

function roundCents(usd: number): number {
  return Math.round(usd * 100) / 100;
}
