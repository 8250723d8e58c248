import { useCallback, useRef } from 'react';
import { useSearchParams } from 'react-router';
import { readFilters, writeFilters, type DashboardFilters } from './dashboard-filters';

/** A URL this hook wrote, and the URL on screen when it wrote it. */
interface PendingWrite {
  from: string;
  to: URLSearchParams;
}

/**
 * The dashboard's filters, read from and written to the URL. The router renders navigations in a
 * transition, so a quick second change (a click, then typing) can run in a handler of the screen before
 * the first change rendered. Each write therefore starts from the last URL this hook wrote while that
 * write has not rendered yet, and from the URL on screen once it has, or once anything else (Back,
 * a link) changed the URL.
 */
export function useDashboardFilters(): [DashboardFilters, (change: Partial<DashboardFilters>) => void] {
  const [searchParams, setSearchParams] = useSearchParams();
  const pending = useRef<PendingWrite | null>(null);
  const setFilters = useCallback(
    (change: Partial<DashboardFilters>) => {
      const onScreen = searchParams.toString();
      const write = pending.current;
      const base = write !== null && write.from === onScreen && write.to.toString() !== onScreen ? write.to : searchParams;
      const next = writeFilters(readFilters(base), change);
      pending.current = { from: onScreen, to: next };
      // Typing replaces the history entry; choosing a filter adds one, so Back undoes it.
      setSearchParams(next, { replace: 'query' in change || 'page' in change });
    },
    [searchParams, setSearchParams],
  );
  return [readFilters(searchParams), setFilters];
}
