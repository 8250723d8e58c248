import { Autocomplete, Badge, Button, Code, Group, Paper, PasswordInput, Stack, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconDeviceFloppy } from '@tabler/icons-react';
import { useState } from 'react';
import type { Credential } from '../../../api/types';
import { ConfirmModal } from '../../../components/confirm-modal';
import { ProblemAlert } from '../../../components/problem-alert';
import { formatDateTime, formatRelative } from '../../../lib/format';
import { usePlatforms } from '../../platforms/api/get-platforms';
import { useCredentials, useDeleteCredential, useSetCredential } from '../api/credentials';
import { SettingsQueryError } from './settings-query-error';

/** Names worth offering: the ones listed plus those platforms still miss, sorted, once each. */
export function credentialNameSuggestions(listed: readonly Pick<Credential, 'name'>[], missing: readonly string[]): string[] {
  return [...new Set([...listed.map((credential) => credential.name), ...missing])].sort();
}

/** Provider credentials: where each comes from, set or replace one (write-only), remove a stored one. */
export function CredentialsSection() {
  const credentials = useCredentials();
  const platforms = usePlatforms();
  const [name, setName] = useState('');
  const [removing, setRemoving] = useState<Credential | null>(null);
  const remove = useDeleteCredential();
  const missing = (platforms.data ?? []).flatMap((platform) => platform.missingCredentials);

  return (
    <Paper withBorder radius="md" p={{ base: 'md', sm: 'lg' }} component="section" aria-labelledby="credentials-heading">
      <Stack gap="md">
        <div>
          <Title order={2} fz="lg" id="credentials-heading">
            Provider credentials
          </Title>
          <Text size="sm" c="dimmed">
            Platform API keys. Stored ones are encrypted on the server and override the environment; values are never shown again.
          </Text>
        </div>
        {credentials.error ? (
          <SettingsQueryError error={credentials.error} what="provider credentials" onRetry={() => void credentials.refetch()} />
        ) : (
          <>
            <SetCredentialForm name={name} onNameChange={setName} suggestions={credentialNameSuggestions(credentials.data ?? [], missing)} />
            <CredentialTable credentials={credentials.data ?? []} loading={credentials.isPending} onReplace={setName} onRemove={setRemoving} />
          </>
        )}
      </Stack>
      <ConfirmModal
        opened={removing !== null}
        onClose={() => {
          setRemoving(null);
          remove.reset();
        }}
        title={`Remove ${removing?.name ?? 'credential'}?`}
        confirmLabel="Remove credential"
        loading={remove.isPending}
        error={remove.error}
        onConfirm={() => {
          if (!removing) return;
          remove.mutate(removing.name, {
            onSuccess: () => {
              notifications.show({ color: 'green', title: `${removing.name} removed`, message: 'The server environment’s value, if any, applies again.' });
              setRemoving(null);
            },
          });
        }}
      >
        <Text size="sm">
          The stored value is deleted. If the server environment sets {removing?.name}, that value applies again; otherwise{' '}
          {removing?.usedBy.length ? removing.usedBy.join(', ') : 'platforms using it'} can no longer deploy.
        </Text>
      </ConfirmModal>
    </Paper>
  );
}

function SetCredentialForm({ name, onNameChange, suggestions }: { name: string; onNameChange: (name: string) => void; suggestions: string[] }) {
  const [value, setValue] = useState('');
  const save = useSetCredential();
  const ready = name.trim() !== '' && value !== '';
  return (
    <form
      aria-label="Set a credential"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        if (!ready) return;
        const target = name.trim();
        save.mutate(
          { name: target, value },
          {
            onSuccess: () => {
              setValue('');
              onNameChange('');
              notifications.show({ color: 'green', title: `${target} stored`, message: 'Encrypted on the server; it is never shown again.' });
            },
          },
        );
      }}
    >
      <Stack gap="xs">
        <Group align="flex-end" gap="sm" wrap="wrap">
          <Autocomplete
            label="Credential name"
            description="Upper-case, as in the environment"
            placeholder="TOGETHER_API_KEY"
            data={suggestions}
            value={name}
            onChange={onNameChange}
            autoComplete="off"
            style={{ flex: '1 1 220px' }}
          />
          <PasswordInput
            label="Value"
            description="Masked; sent once, stored encrypted"
            value={value}
            onChange={(event) => setValue(event.currentTarget.value)}
            autoComplete="new-password"
            style={{ flex: '1 1 260px' }}
          />
          <Button type="submit" leftSection={<IconDeviceFloppy size={16} aria-hidden />} loading={save.isPending} disabled={!ready}>
            Store credential
          </Button>
        </Group>
        {save.error ? <ProblemAlert error={save.error} title="The credential was not stored" /> : null}
      </Stack>
    </form>
  );
}

function CredentialTable({
  credentials,
  loading,
  onReplace,
  onRemove,
}: {
  credentials: Credential[];
  loading: boolean;
  onReplace: (name: string) => void;
  onRemove: (credential: Credential) => void;
}) {
  if (loading) return <Text size="sm" c="dimmed">Loading credentials…</Text>;
  if (credentials.length === 0) {
    return (
      <Text size="sm" c="dimmed" data-testid="no-credentials">
        No credentials are set, neither stored nor in the server environment.
      </Text>
    );
  }
  return (
    <Table.ScrollContainer minWidth={560}>
      <Table verticalSpacing="xs" aria-label="Provider credentials" data-testid="credential-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Source</Table.Th>
            <Table.Th>Updated</Table.Th>
            <Table.Th>Used by</Table.Th>
            <Table.Th>
              <VisuallyHidden>Actions</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {credentials.map((credential) => (
            <Table.Tr key={credential.name} data-testid="credential-row" data-name={credential.name}>
              <Table.Td>
                <Code>{credential.name}</Code>
              </Table.Td>
              <Table.Td>
                <Badge size="sm" variant="light" color={credential.source === 'stored' ? 'indigo' : 'gray'}>
                  {credential.source === 'stored' ? 'stored (encrypted)' : 'environment'}
                </Badge>
              </Table.Td>
              <Table.Td title={credential.updatedAt ? formatDateTime(credential.updatedAt) : undefined}>
                <Text size="sm">{credential.updatedAt ? formatRelative(credential.updatedAt) : '—'}</Text>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{credential.usedBy.length > 0 ? credential.usedBy.join(', ') : 'nothing'}</Text>
              </Table.Td>
              <Table.Td>
                <Group gap={4} justify="flex-end" wrap="nowrap">
                  <Button size="xs" variant="subtle" onClick={() => onReplace(credential.name)} aria-label={`Replace ${credential.name}`}>
                    {credential.source === 'stored' ? 'Replace' : 'Override'}
                  </Button>
                  {credential.source === 'stored' && (
                    <Button size="xs" variant="subtle" color="red" onClick={() => onRemove(credential)} aria-label={`Remove ${credential.name}`}>
                      Remove
                    </Button>
                  )}
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
