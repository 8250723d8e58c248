import { Alert, Badge, Button, Code, Group, Input, Paper, SegmentedControl, Stack, Table, Text, TextInput, Title, VisuallyHidden } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconAlertTriangle, IconKey, IconPlus } from '@tabler/icons-react';
import { useState } from 'react';
import type { ApiToken, NewApiTokenBody } from '../../../api/types';
import { ConfirmModal } from '../../../components/confirm-modal';
import { CopyValue } from '../../../components/copy-value';
import { ProblemAlert } from '../../../components/problem-alert';
import { readApiToken } from '../../../lib/api-token';
import { formatDateTime, formatRelative } from '../../../lib/format';
import { useCreateToken, useRevokeToken, useTokens, type CreatedToken } from '../api/tokens';
import { SettingsQueryError } from './settings-query-error';

type Role = NewApiTokenBody['role'];

const roles: Role[] = ['admin', 'deployer', 'viewer', 'invoker'];

const roleHelp: Record<Role, string> = {
  admin: 'Everything, including tokens and credentials',
  deployer: 'Deployments, tests, routes and the gateway',
  viewer: 'Read only',
  invoker: 'The gateway (/v1) only, for applications',
};

const roleColor: Record<Role, string> = { admin: 'red', deployer: 'blue', viewer: 'gray', invoker: 'grape' };

/** The token this browser sends, recognised by its prefix (the secret's first characters). */
export function isThisBrowsersToken(token: Pick<ApiToken, 'prefix'>, stored: string | null = readApiToken()): boolean {
  return stored !== null && token.prefix.length > 0 && stored.startsWith(token.prefix);
}

/** API tokens: create (the secret is shown once), list, revoke. */
export function ApiTokensSection() {
  const tokens = useTokens();
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const revoke = useRevokeToken();

  return (
    <Paper withBorder radius="md" p={{ base: 'md', sm: 'lg' }} component="section" aria-labelledby="tokens-heading">
      <Stack gap="md">
        <div>
          <Title order={2} fz="lg" id="tokens-heading">
            API tokens
          </Title>
          <Text size="sm" c="dimmed">
            Tokens for the API, the CLI and this UI. While none exists the server is open to this machine only; once one exists, every request needs one.
          </Text>
        </div>
        {tokens.error ? (
          <SettingsQueryError error={tokens.error} what="API tokens" onRetry={() => void tokens.refetch()} />
        ) : (
          <>
            <CreateTokenForm onCreated={setCreated} />
            {created && <CreatedTokenNotice created={created} onDone={() => setCreated(null)} />}
            <TokenTable tokens={tokens.data ?? []} loading={tokens.isPending} onRevoke={setRevoking} />
          </>
        )}
      </Stack>
      <ConfirmModal
        opened={revoking !== null}
        onClose={() => {
          setRevoking(null);
          revoke.reset();
        }}
        title={`Revoke ${revoking?.name ?? 'token'}?`}
        confirmLabel="Revoke token"
        loading={revoke.isPending}
        error={revoke.error}
        onConfirm={() => {
          if (!revoking) return;
          revoke.mutate(revoking.id, {
            onSuccess: () => {
              notifications.show({ color: 'green', title: `${revoking.name} revoked`, message: 'Requests with it are refused from now on.' });
              setRevoking(null);
            },
          });
        }}
      >
        <Text size="sm">Every client using this token is refused from now on. This cannot be undone; create a new token to give access again.</Text>
        {revoking && isThisBrowsersToken(revoking) && (
          <Text size="sm" c="red" mt="xs" fw={600}>
            This browser uses this token: it will have to be given another one.
          </Text>
        )}
      </ConfirmModal>
    </Paper>
  );
}

function CreateTokenForm({ onCreated }: { onCreated: (created: CreatedToken) => void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('deployer');
  const create = useCreateToken();
  const submit = () => {
    if (name.trim() === '') return;
    create.mutate(
      { name: name.trim(), role },
      {
        onSuccess: (created) => {
          setName('');
          onCreated(created);
        },
      },
    );
  };
  return (
    <form
      aria-label="Create an API token"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      <Stack gap="xs">
        <Group align="flex-end" gap="sm" wrap="wrap">
          <TextInput
            label="Token name"
            description="Who or what uses it, e.g. ci or alice"
            placeholder="ci"
            value={name}
            onChange={(event) => setName(event.currentTarget.value)}
            autoComplete="off"
            style={{ flex: '1 1 200px' }}
          />
          <Input.Wrapper label="Role" description={roleHelp[role]} id="token-role" style={{ flex: '0 1 auto' }}>
            <SegmentedControl aria-labelledby="token-role-label" data={roles} value={role} onChange={(value) => setRole(value as Role)} style={{ display: 'flex' }} />
          </Input.Wrapper>
          <Button type="submit" leftSection={<IconPlus size={16} aria-hidden />} loading={create.isPending} disabled={name.trim() === ''}>
            Create token
          </Button>
        </Group>
        {create.error ? <ProblemAlert error={create.error} title="The token was not created" /> : null}
      </Stack>
    </form>
  );
}

/** The secret, once: copy button, and a plain statement that it cannot be shown again. */
export function CreatedTokenNotice({ created, onDone }: { created: CreatedToken; onDone: () => void }) {
  return (
    <Alert color="green" variant="light" icon={<IconKey aria-hidden />} title={`Token ${created.token.name} created`} data-testid="created-token">
      <Stack gap="xs">
        <Group gap={6} wrap="nowrap" align="center">
          <IconAlertTriangle size={16} aria-hidden />
          <Text size="sm" fw={700}>
            Copy it now: you will not see it again.
          </Text>
        </Group>
        <Group gap="xs" wrap="nowrap">
          <Code block style={{ flex: 1, wordBreak: 'break-all', whiteSpace: 'pre-wrap' }} data-testid="created-token-secret">
            {created.secret}
          </Code>
          <CopyValue value={created.secret} label="Copy the token" size="md" />
        </Group>
        <Text size="sm" c="dimmed">
          Send it as <Code>Authorization: Bearer …</Code>, or give it to the CLI with <Code>MODELPORT_API_TOKEN</Code>.
          {created.usedByThisBrowser ? ' This browser had no token and now uses this one, since the server requires tokens from now on.' : ''}
        </Text>
        <Group justify="flex-end">
          <Button size="xs" variant="default" onClick={onDone}>
            I have copied it
          </Button>
        </Group>
      </Stack>
    </Alert>
  );
}

function TokenTable({ tokens, loading, onRevoke }: { tokens: ApiToken[]; loading: boolean; onRevoke: (token: ApiToken) => void }) {
  if (loading) return <Text size="sm" c="dimmed">Loading tokens…</Text>;
  if (tokens.length === 0) {
    return (
      <Text size="sm" c="dimmed" data-testid="no-tokens">
        No tokens yet.
      </Text>
    );
  }
  const stored = readApiToken();
  return (
    <Table.ScrollContainer minWidth={720}>
      <Table verticalSpacing="xs" aria-label="API tokens" data-testid="token-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Role</Table.Th>
            <Table.Th>Rate limit</Table.Th>
            <Table.Th>Prefix</Table.Th>
            <Table.Th>Created</Table.Th>
            <Table.Th>Last used</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>
              <VisuallyHidden>Actions</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {tokens.map((token) => (
            <Table.Tr key={token.id} data-testid="token-row" data-name={token.name} data-revoked={token.revokedAt ? 'true' : 'false'}>
              <Table.Td>
                <Group gap={6} wrap="nowrap">
                  <Text size="sm" fw={600}>
                    {token.name}
                  </Text>
                  {isThisBrowsersToken(token, stored) && !token.revokedAt && (
                    <Badge size="xs" variant="outline">
                      this browser
                    </Badge>
                  )}
                </Group>
              </Table.Td>
              <Table.Td>
                <Badge size="sm" variant="light" color={roleColor[token.role]}>
                  {token.role}
                </Badge>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{token.rateLimit ? `${token.rateLimit.requestsPerMinute}/min` : 'unlimited'}</Text>
              </Table.Td>
              <Table.Td>
                <Code>{token.prefix}…</Code>
              </Table.Td>
              <Table.Td title={formatDateTime(token.createdAt)}>
                <Text size="sm">{formatRelative(token.createdAt)}</Text>
              </Table.Td>
              <Table.Td title={token.lastUsedAt ? formatDateTime(token.lastUsedAt) : undefined}>
                <Text size="sm">{token.lastUsedAt ? formatRelative(token.lastUsedAt) : 'never'}</Text>
              </Table.Td>
              <Table.Td>
                {token.revokedAt ? (
                  <Badge size="sm" color="gray" variant="light" title={formatDateTime(token.revokedAt)} data-testid="token-status">
                    revoked {formatRelative(token.revokedAt)}
                  </Badge>
                ) : (
                  <Badge size="sm" color="green" variant="light" data-testid="token-status">
                    active
                  </Badge>
                )}
              </Table.Td>
              <Table.Td>
                {!token.revokedAt && (
                  <Button size="xs" variant="subtle" color="red" onClick={() => onRevoke(token)} aria-label={`Revoke ${token.name}`}>
                    Revoke
                  </Button>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
