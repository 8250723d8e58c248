import type { HardwareOption } from '../connector.js';
import { findModalGpu, modalContainerHourlyPrice, modalGpus, type ModalGpu } from './modal-pricing.js';

/**
 * `spec.hardware` on Modal is the decorator's `gpu=` string: a GPU type, optionally `:<count>`
 * (`L40S`, `H100:2`, `A100-80GB:4`). More than one GPU means vLLM shards the model across them.
 */

export interface ModalGpuRequest {
  gpu: ModalGpu;
  count: number;
  /** What goes into the app file's `gpu=`: the user's spelling of the type, upper-cased, plus `:count`. */
  gpuArgument: string;
}

const gpuPattern = /^([A-Za-z0-9-]+!?)(?::(\d{1,2}))?$/;

/** Reads `TYPE[:COUNT]`; returns a message naming the problem instead of throwing. */
export function parseModalGpu(hardware: string): ModalGpuRequest | { error: string } {
  const match = gpuPattern.exec(hardware.trim());
  const type = match?.[1];
  if (type === undefined) {
    return { error: `'${hardware}' is not a Modal GPU; use TYPE or TYPE:COUNT, e.g. L40S or H100:2` };
  }
  const gpu = findModalGpu(type);
  if (gpu === undefined) {
    return { error: `unknown Modal GPU '${type}'; known: ${modalGpus.map((known) => known.id).join(', ')}` };
  }
  const count = match?.[2] === undefined ? 1 : Number.parseInt(match[2], 10);
  if (count < 1 || count > gpu.maxCount) {
    return { error: `${gpu.id} allows 1 to ${gpu.maxCount} GPUs per container, not ${count}` };
  }
  const spelled = type.toUpperCase();
  return { gpu, count, gpuArgument: count === 1 ? spelled : `${spelled}:${count}` };
}

const wizardCounts = [1, 2, 4, 8];

/** The wizard's hardware list: every GPU type at the counts it allows, priced with the default CPU and memory. */
export function modalHardwareOptions(defaultCpuCores: number, defaultMemoryMib: number): HardwareOption[] {
  return modalGpus.flatMap((gpu) =>
    wizardCounts
      .filter((count) => count <= gpu.maxCount)
      .map((count) => ({
        id: count === 1 ? gpu.id : `${gpu.id}:${count}`,
        label: `${count === 1 ? '' : `${count}× `}${gpu.label} ${gpu.memoryGib} GB (+ ${defaultCpuCores} CPU cores, ${defaultMemoryMib / 1024} GiB RAM)`,
        memoryGib: gpu.memoryGib * count,
        usdPerHour: modalContainerHourlyPrice(gpu, count, defaultCpuCores, defaultMemoryMib),
      })),
  );
}
