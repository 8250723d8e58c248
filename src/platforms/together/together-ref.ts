import { z } from 'zod';
import type { ProviderRef } from '../../core/deployment.js';
import { InternalError } from '../../core/errors/index.js';

/**
 * What the Together connector keeps in `ProviderRef.data`. The store holds it as JSON between calls,
 * so it is parsed back, never cast.
 */

const DedicatedRefDataSchema = z.looseObject({
  mode: z.literal('dedicated'),
  /** Together's generated `name`, the `model` inference calls use. */
  endpointName: z.string().nullish(),
  hardware: z.string().nullish(),
});

const UploadedAdapterSchema = z.looseObject({
  /** Null when the upload was adopted from the model list and its job is no longer known. */
  jobId: z.string().nullable(),
  /** The name Together returned (`<account>/<name>`): the `model` inference calls use. */
  modelName: z.string().min(1),
});
export type UploadedAdapter = z.infer<typeof UploadedAdapterSchema>;

const ServerlessRefDataSchema = z.looseObject({
  mode: z.literal('serverless'),
  /** Uploaded adapters by modelport adapter id. */
  adapters: z.record(z.string(), UploadedAdapterSchema),
});

const TogetherRefDataSchema = z.discriminatedUnion('mode', [DedicatedRefDataSchema, ServerlessRefDataSchema]);
export type TogetherRefData = z.infer<typeof TogetherRefDataSchema>;
export type DedicatedRefData = z.infer<typeof DedicatedRefDataSchema>;
export type ServerlessRefData = z.infer<typeof ServerlessRefDataSchema>;

/** Reads back what apply stored; InternalError when the ref was not written by this connector. */
export function togetherRefData(ref: ProviderRef): TogetherRefData {
  const parsed = TogetherRefDataSchema.safeParse(ref.data ?? {});
  if (!parsed.success) throw new InternalError(`together: provider reference '${ref.resourceName}' is not a Together reference`, parsed.error);
  return parsed.data;
}
