import { Alert, Text } from '@mantine/core';
import { IconLock } from '@tabler/icons-react';
import { isApiError } from '../../../api/api-error';
import { ProblemAlert } from '../../../components/problem-alert';

/** Whether the server refused because the token is not an admin's. */
export function isForbidden(error: unknown): boolean {
  return isApiError(error) && (error.status === 403 || error.code === 'forbidden');
}

/**
 * Why a settings section cannot be shown. A 403 is not a failure of the page: the token in use is not an
 * admin's, and the message says what to do.
 */
export function SettingsQueryError({ error, what, onRetry }: { error: unknown; what: string; onRetry: () => void }) {
  if (isForbidden(error)) {
    return (
      <Alert color="yellow" variant="light" icon={<IconLock aria-hidden />} title={`Only admins can manage ${what}`} data-testid="settings-forbidden">
        <Text size="sm">
          The API token this browser uses is not an admin token. Forget it (the logout button at the top right) and enter an admin token, or ask an
          admin to do this for you.
        </Text>
        {isApiError(error) ? (
          <Text size="xs" c="dimmed" mt={4}>
            Server: {error.problem.detail}
          </Text>
        ) : null}
      </Alert>
    );
  }
  return <ProblemAlert error={error} title={`The ${what} could not be loaded`} onRetry={onRetry} />;
}
