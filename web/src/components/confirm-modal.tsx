import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { ProblemAlert } from './problem-alert';

export interface ConfirmModalProps {
  opened: boolean;
  onClose: () => void;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  color?: string;
  onConfirm: () => void;
  loading?: boolean;
  error?: unknown;
}

/** Asks before something that cannot be undone; the confirm button is focused so Enter confirms. */
export function ConfirmModal({ opened, onClose, title, children, confirmLabel, color = 'red', onConfirm, loading = false, error }: ConfirmModalProps) {
  return (
    <Modal opened={opened} onClose={onClose} title={<Text fw={700}>{title}</Text>} centered>
      <Stack gap="md">
        <div>{children}</div>
        {error ? <ProblemAlert error={error} /> : null}
        <Group justify="flex-end" gap="xs">
          <Button variant="default" onClick={onClose} disabled={loading}>
            Cancel
          </Button>
          <Button color={color} onClick={onConfirm} loading={loading} data-autofocus>
            {confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
