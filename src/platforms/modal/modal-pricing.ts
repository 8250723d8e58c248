import type { PriceSource } from '../../core/pricing.js';

/**
 * What Modal charges. Modal bills per second of container life (boot and the idle `scaledown_window`
 * tail included) for the GPU, plus the CPU cores and memory the container reserves or uses, whichever
 * is higher. modelport accrues per replica-hour, so the per-second list prices are scaled by 3600.
 * For invoices, prefer `modal billing rates --json` (workspace-specific) over this file.
 */

export const modalPriceSource: PriceSource = {
  source:
    'https://modal.com/pricing (USD per second of container life; GPU, plus CPU per physical core and memory per GiB). ' +
    'Values agree across several transcriptions, the latest checked 2026-10-04; the page itself was not read directly',
  asOf: '2026-10-04',
};

/** One GPU type as Modal's `gpu=` argument names it. */
export interface ModalGpu {
  /** The canonical `gpu=` string. */
  id: string;
  /** Other strings Modal accepts for the same GPU. */
  aliases: readonly string[];
  label: string;
  memoryGib: number;
  usdPerSecond: number;
  /** Most GPUs of this type one container may have (`H100:8`). */
  maxCount: number;
}

export const modalGpus: readonly ModalGpu[] = [
  { id: 'B200', aliases: [], label: 'Nvidia B200', memoryGib: 192, usdPerSecond: 0.001736, maxCount: 8 },
  { id: 'H200', aliases: [], label: 'Nvidia H200', memoryGib: 141, usdPerSecond: 0.001261, maxCount: 8 },
  // `H100!` pins H100 (Modal may otherwise upgrade to H200 at the H100 price).
  { id: 'H100', aliases: ['H100!'], label: 'Nvidia H100', memoryGib: 80, usdPerSecond: 0.001097, maxCount: 8 },
  { id: 'RTX-PRO-6000', aliases: [], label: 'Nvidia RTX PRO 6000', memoryGib: 96, usdPerSecond: 0.000842, maxCount: 8 },
  { id: 'A100-80GB', aliases: [], label: 'Nvidia A100 80 GB', memoryGib: 80, usdPerSecond: 0.000694, maxCount: 8 },
  { id: 'A100-40GB', aliases: ['A100'], label: 'Nvidia A100 40 GB', memoryGib: 40, usdPerSecond: 0.000583, maxCount: 8 },
  { id: 'L40S', aliases: [], label: 'Nvidia L40S', memoryGib: 48, usdPerSecond: 0.000542, maxCount: 8 },
  // The docs list `A10`; `A10G` is what older examples (and the JS SDK's) use.
  { id: 'A10', aliases: ['A10G'], label: 'Nvidia A10', memoryGib: 24, usdPerSecond: 0.000306, maxCount: 4 },
  { id: 'L4', aliases: [], label: 'Nvidia L4', memoryGib: 24, usdPerSecond: 0.000222, maxCount: 8 },
  { id: 'T4', aliases: [], label: 'Nvidia T4', memoryGib: 16, usdPerSecond: 0.000164, maxCount: 8 },
];

/** USD per physical CPU core per second (one core = 2 vCPU); Modal's minimum reservation is 0.125 core. */
export const modalCpuCoreUsdPerSecond = 0.0000131;
/** USD per GiB of memory per second. */
export const modalMemoryGibUsdPerSecond = 0.00000222;

/** Finds a GPU type by its canonical id or an alias, ignoring case. */
export function findModalGpu(type: string): ModalGpu | undefined {
  const wanted = type.toUpperCase();
  return modalGpus.find((gpu) => gpu.id === wanted || gpu.aliases.includes(wanted));
}

/**
 * USD per container-hour for `count` GPUs of one type plus the CPU and memory the container reserves.
 * A container using more memory than it reserves pays for what it uses, so this is a floor.
 */
export function modalContainerHourlyPrice(gpu: ModalGpu, count: number, cpuCores: number, memoryMib: number): number {
  const perSecond =
    gpu.usdPerSecond * count + modalCpuCoreUsdPerSecond * cpuCores + modalMemoryGibUsdPerSecond * (memoryMib / 1024);
  return Math.round(perSecond * 3600 * 10_000) / 10_000;
}
