import { useCallback, useEffect, useRef } from 'react';
import { useSearchParams } from 'react-router';
import { readFilters, writeFilters, type DashboardFilters } from './dashboard-filters';

/**
 * The dashboard's filters, read from and written to the URL. Two quick changes in a row (a click, then
 * typing) must not undo each other while the first navigation is still settling, so each write starts
 * from the last URL written rather than the last one rendered.
 */
export function useDashboardFilters(): [DashboardFilters, (change: Partial<DashboardFilters>) => void] {
  const [searchParams, setSearchParams] = useSearchParams();
  const lastWritten = useRef<URLSearchParams | null>(null);
  useEffect(() => {
    lastWritten.current = null;
  }, [searchParams]);
  const setFilters = useCallback(
    (change: Partial<DashboardFilters>) => {
      const next = writeFilters(readFilters(lastWritten.current ?? searchParams), change);
      lastWritten.current = next;
      // Typing replaces the history entry; choosing a filter adds one, so Back undoes it.
      setSearchParams(next, { replace: 'query' in change || 'page' in change });
    },
    [searchParams, setSearchParams],
  );
  return [readFilters(searchParams), setFilters];
}
