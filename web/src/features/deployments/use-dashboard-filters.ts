import { useCallback, useEffect, useRef } from 'react';
import { useSearchParams } from 'react-router';
import { readFilters, writeFilters, type DashboardFilters } from './dashboard-filters';

/**
 * Where a filter change starts from. `trail` is the URL on screen when this hook started writing,
 * followed by every URL it wrote since, oldest first. The router renders navigations in a transition,
 * so the screen lags behind: it may still show the start of the trail, or any URL written since (an
 * older one can even commit after the URL has moved on). While the screen shows a URL of the trail
 * that is not its end, the latest write is the truth. A URL on screen that is not in the trail came
 * from elsewhere (Back, a link): it is the new start.
 */
export function startOfChange(trail: readonly string[], onScreen: string): { base: string; trail: string[] } {
  const last = trail.at(-1);
  if (last === undefined || last === onScreen || !trail.includes(onScreen)) return { base: onScreen, trail: [onScreen] };
  return { base: last, trail: [...trail] };
}

/** Writes remembered while the screen lags; far more than a render's worth of keystrokes. */
const MAX_TRAIL = 100;

/** The dashboard's filters, read from and written to the URL (see startOfChange for quick successions). */
export function useDashboardFilters(): [DashboardFilters, (change: Partial<DashboardFilters>) => void] {
  const [searchParams, setSearchParams] = useSearchParams();
  const trail = useRef<string[]>([]);
  const onScreen = searchParams.toString();
  // Once the screen shows the last write, the trail starts over from it: a later Back is then seen as a
  // navigation from elsewhere, not as a lagging render of an earlier write.
  useEffect(() => {
    if (trail.current.at(-1) === onScreen) trail.current = [onScreen];
  }, [onScreen]);
  const setFilters = useCallback(
    (change: Partial<DashboardFilters>) => {
      const start = startOfChange(trail.current, searchParams.toString());
      const next = writeFilters(readFilters(new URLSearchParams(start.base)), change);
      trail.current = [...start.trail, next.toString()].slice(-MAX_TRAIL);
      // Typing replaces the history entry; choosing a filter adds one, so Back undoes it.
      setSearchParams(next, { replace: 'query' in change || 'page' in change });
    },
    [searchParams, setSearchParams],
  );
  return [readFilters(searchParams), setFilters];
}
