import { createContext, useContext } from 'react';

/**
 * `live`: the server-sent event stream is open and the caches are current.
 * `connecting`: opening it. `polling`: it failed, so views poll every 5 s until it comes back.
 */
export type LiveMode = 'connecting' | 'live' | 'polling';

export const LiveModeContext = createContext<LiveMode>('polling');

export function useLiveMode(): LiveMode {
  return useContext(LiveModeContext);
}
