import { Button, Code, Group, Modal, PasswordInput, Stack, Text } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { isApiError } from '../api/api-error';
import { readApiToken, saveApiToken } from '../lib/api-token';

const needsToken = (error: unknown) => isApiError(error) && error.problem.code === 'unauthorized';

/**
 * Asks for an API token the first time the server answers 401 (servers with tokens configured require
 * one), stores it in this browser and retries everything.
 */
export function ApiTokenGate() {
  const queryClient = useQueryClient();
  const [opened, setOpened] = useState(false);
  const [rejected, setRejected] = useState(false);
  const [value, setValue] = useState('');

  useEffect(() => {
    const open = () => {
      setRejected(readApiToken() !== null);
      setOpened(true);
    };
    const unsubscribeQueries = queryClient.getQueryCache().subscribe((event) => {
      if (event.type === 'updated' && event.action.type === 'error' && needsToken(event.action.error)) open();
    });
    const unsubscribeMutations = queryClient.getMutationCache().subscribe((event) => {
      if (event.type === 'updated' && event.action.type === 'error' && needsToken(event.action.error)) open();
    });
    return () => {
      unsubscribeQueries();
      unsubscribeMutations();
    };
  }, [queryClient]);

  const save = () => {
    if (value.trim() === '') return;
    saveApiToken(value.trim());
    setValue('');
    setOpened(false);
    void queryClient.invalidateQueries();
  };

  return (
    <Modal opened={opened} onClose={() => setOpened(false)} title={<Text fw={700}>This server requires an API token</Text>} centered>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          save();
        }}
      >
        <Stack gap="md">
          <Text size="sm">
            {rejected ? 'The token stored in this browser was refused (unknown or revoked). ' : ''}
            Ask an admin for a token, or create one on the server with <Code>modelport token create --role deployer</Code>. It is kept in this
            browser only.
          </Text>
          <PasswordInput label="API token" value={value} onChange={(event) => setValue(event.currentTarget.value)} data-autofocus autoComplete="off" />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpened(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={value.trim() === ''}>
              Use this token
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
