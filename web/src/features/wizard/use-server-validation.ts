import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useMemo } from 'react';
import type { CreateDeploymentBody, DeploymentValidation } from '../../api/types';
import { mapIssues, type MappedIssues } from '../../lib/spec-issues';
import { deploymentValidationQueryOptions } from './api/validate-deployment';

/** How long the wizard waits after the last edit before asking the server. */
export const SERVER_VALIDATION_DEBOUNCE_MS = 400;

const noIssues: MappedIssues = { fields: {}, other: [] };

export interface ServerValidation extends MappedIssues {
  /** A dry run is on its way for the latest edits. */
  checking: boolean;
  /**
   * Asks the server about `spec` now (or waits for the request already running for it) and shows its
   * answer; null when the server could not answer (the create call will judge then).
   */
  checkNow(spec: CreateDeploymentBody, envKeys: readonly string[]): Promise<MappedIssues | null>;
}

/**
 * The server's dry run (`POST /api/deployments/validate`) of what the wizard holds, debounced while the
 * user types, mapped onto the form's fields. These are the checks only the server can make (platform
 * rules, model files, names taken); the instant schema checks stay in the form.
 */
export function useServerValidation(spec: CreateDeploymentBody, options: { enabled: boolean; envKeys: readonly string[] }): ServerValidation {
  const queryClient = useQueryClient();
  // Debounce the text, not the object: a new object every render would restart the timer forever.
  const specJson = JSON.stringify(spec);
  const [debouncedJson, , { flush }] = useDebouncedValue(specJson, SERVER_VALIDATION_DEBOUNCE_MS);
  const debouncedSpec = useMemo(() => JSON.parse(debouncedJson) as CreateDeploymentBody, [debouncedJson]);
  const query = useQuery({ ...deploymentValidationQueryOptions(debouncedSpec), enabled: options.enabled, placeholderData: keepPreviousData });
  const envKey = options.envKeys.join('\n');
  const mapped = useMemo(
    () => (options.enabled && query.data ? toMapped(query.data, envKey === '' ? [] : envKey.split('\n')) : noIssues),
    [options.enabled, query.data, envKey],
  );

  const checkNow = useCallback(
    async (current: CreateDeploymentBody, envKeys: readonly string[]) => {
      flush();
      try {
        const answer = await queryClient.fetchQuery(deploymentValidationQueryOptions(current));
        return toMapped(answer, envKeys);
      } catch {
        return null;
      }
    },
    [flush, queryClient],
  );

  return { ...mapped, checking: options.enabled && (debouncedJson !== specJson || query.isFetching), checkNow };
}

function toMapped(answer: DeploymentValidation, envKeys: readonly string[]): MappedIssues {
  return answer.valid ? noIssues : mapIssues(answer.issues, { envKeys });
}
