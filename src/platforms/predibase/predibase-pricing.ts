import type { PriceSource, TokenPrice } from '../../core/pricing.js';
import type { HardwareOption } from '../connector.js';

/**
 * What Predibase charges. Private deployments are billed for GPU time while replicas run (nothing in
 * standby); shared endpoints per token, scaled by model size. Predibase's pricing page publishes no figure
 * we could confirm from a primary source, so every price here is null (shown as "unpriced", never $0)
 * until the user sets their own through `platformOptions.predibase.usdPerReplicaHour` or
 * `usdPerMillionTokens`.
 */

export const predibasePriceSource: PriceSource = {
  source:
    'https://predibase.com/pricing and https://docs.predibase.com/inference/deployments/private (billing model only: ' +
    'GPU-hours for private deployments, per-token for shared endpoints; no per-accelerator or per-token figure ' +
    'could be confirmed, so prices are left to the user)',
  asOf: '2026-05-28',
};

/**
 * Accelerator ids follow `<gpu>_<memory>gb[_<variant>]_<count × 100>`. Only `a10_24gb_100` appears in
 * Predibase's own docs; the others come from secondary sources (UNCONFIRMED). Predibase picks one when
 * `spec.hardware` is null, which is the safest default.
 */
export const predibaseHardware: HardwareOption[] = [
  { id: 'a10_24gb_100', label: '1× A10G 24 GB', memoryGib: 24, usdPerHour: null },
  { id: 'l4_24gb_100', label: '1× L4 24 GB', memoryGib: 24, usdPerHour: null },
  { id: 'l40s_48gb_100', label: '1× L40S 48 GB', memoryGib: 48, usdPerHour: null },
  { id: 'a10_24gb_400', label: '4× A10G 24 GB', memoryGib: 96, usdPerHour: null },
  { id: 'a100_80gb_100', label: '1× A100 80 GB', memoryGib: 80, usdPerHour: null },
  { id: 'a100_80gb_200', label: '2× A100 80 GB', memoryGib: 160, usdPerHour: null },
  { id: 'h100_80gb_pcie_100', label: '1× H100 80 GB PCIe', memoryGib: 80, usdPerHour: null },
  { id: 'h100_80gb_sxm_100', label: '1× H100 80 GB SXM', memoryGib: 80, usdPerHour: null },
];

/** Catalogue price of an accelerator per replica-hour; null when unknown. */
export function acceleratorHourlyPrice(acceleratorId: string | null): number | null {
  if (acceleratorId === null) return null;
  return predibaseHardware.find((option) => option.id === acceleratorId)?.usdPerHour ?? null;
}

/** Shared-endpoint token prices by short name. Empty: none confirmed (see the file comment). */
export const predibaseSharedTokenPrices: Readonly<Record<string, TokenPrice>> = {};

/**
 * Private deployments bill GPU time, not tokens: the per-request token price is a known zero, and the
 * deployment's cost comes from `hourlyPrice`.
 */
export const privateDeploymentTokenPrice: TokenPrice = { inputPerMillion: 0, outputPerMillion: 0 };
