import type { ProviderRef } from '../../core/deployment.js';

/**
 * What a Predibase ProviderRef carries in `data`. `resourceName` is the private deployment's name, or the
 * shared endpoint's short name; both are the `{name}` of the serving URL.
 */
export interface PredibaseRefData {
  mode: 'private' | 'shared';
  /** Tenant short code the endpoint URL was built with. */
  tenant: string;
}

export function predibaseRef(name: string, data: PredibaseRefData, endpointUrl: string, resourceId?: string | null): ProviderRef {
  return {
    resourceName: name,
    ...(resourceId ? { resourceId } : {}),
    endpointUrl,
    data: { mode: data.mode, tenant: data.tenant },
  };
}

/** Reads the mode back; refs written without one are private (the only kind that has a resource). */
export function refMode(ref: ProviderRef): 'private' | 'shared' {
  return ref.data?.['mode'] === 'shared' ? 'shared' : 'private';
}
