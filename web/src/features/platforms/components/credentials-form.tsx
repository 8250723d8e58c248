import { Button, Group, Paper, PasswordInput, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconKey } from '@tabler/icons-react';
import { useState } from 'react';
import type { Platform } from '../../../api/types';
import { ProblemAlert } from '../../../components/problem-alert';
import { usePutCredentials } from '../api/put-credential';

/**
 * Lets the user make a platform ready from the browser: its missing credentials, stored encrypted by the
 * server (which needs MODELPORT_SECRET_KEY for that; the error says so otherwise).
 */
export function CredentialsForm({ platform }: { platform: Platform }) {
  const [values, setValues] = useState<Record<string, string>>({});
  const save = usePutCredentials();
  const complete = platform.missingCredentials.every((name) => (values[name] ?? '').trim() !== '');
  const submit = () => {
    if (!complete) return;
    save.mutate(
      platform.missingCredentials.map((name) => ({ name, value: (values[name] ?? '').trim() })),
      {
        onSuccess: () => {
          setValues({});
          notifications.show({ color: 'green', title: `${platform.name} is ready`, message: 'Its credentials are stored encrypted on the server.' });
        },
      },
    );
  };
  return (
    <Paper withBorder radius="md" p="md" component="section" aria-label={`Credentials for ${platform.name}`} data-testid="credentials-form">
      <Stack gap="sm">
        <Group gap="xs">
          <IconKey size={18} aria-hidden />
          <Text fw={600}>Make {platform.name} ready</Text>
        </Group>
        <Text size="sm" c="dimmed">
          Enter its credentials to store them on the server, encrypted; they are never shown again. Or set{' '}
          {platform.missingCredentials.join(', ')} in the server environment and restart it.
        </Text>
        {platform.missingCredentials.map((name) => (
          <PasswordInput
            key={name}
            label={name}
            autoComplete="off"
            value={values[name] ?? ''}
            onChange={(event) => {
              const value = event.currentTarget.value;
              setValues((current) => ({ ...current, [name]: value }));
            }}
            onKeyDown={(event) => {
              // This sits inside the wizard's form: Enter stores the credentials instead of moving on.
              if (event.key !== 'Enter') return;
              event.preventDefault();
              submit();
            }}
          />
        ))}
        {save.error ? <ProblemAlert error={save.error} title="The credentials were not stored" /> : null}
        <Group justify="flex-end">
          <Button variant="light" disabled={!complete} loading={save.isPending} onClick={submit}>
            Store credentials
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}
