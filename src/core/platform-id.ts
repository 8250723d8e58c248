import { z } from 'zod';

export const platformIds = ['local', 'openai-compatible', 'predibase', 'together', 'replicate', 'modal'] as const;
export const PlatformIdSchema = z.enum(platformIds);
export type PlatformId = z.infer<typeof PlatformIdSchema>;
