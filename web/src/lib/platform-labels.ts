import type { PlatformId } from '../api/types';

/** Short names for badges and filters; the wizard shows the catalogue's full names and descriptions. */
export const platformLabels: Record<PlatformId, string> = {
  local: 'Local',
  'openai-compatible': 'OpenAI-compatible',
  predibase: 'Predibase',
  together: 'Together AI',
  replicate: 'Replicate',
  modal: 'Modal',
};

export function platformLabel(id: string): string {
  return (platformLabels as Record<string, string>)[id] ?? id;
}

/** Every platform id the API knows, in the catalogue's order (checked against the generated types above). */
export const platformIds = Object.keys(platformLabels) as PlatformId[];
