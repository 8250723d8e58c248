import { Button, Text, type ButtonProps } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconPlayerPlay, IconPlayerStop, IconTrash } from '@tabler/icons-react';
import { problemOf } from '../../../api/api-error';
import type { Deployment } from '../../../api/types';
import { ConfirmModal } from '../../../components/confirm-modal';
import { canApply, deletableStatuses } from '../../../lib/core';
import { useDeleteDeployment } from '../api/delete-deployment';
import { useDeployDeployment } from '../api/deploy-deployment';
import { useStopDeployment } from '../api/stop-deployment';

type ActionButtonProps = { deployment: Deployment } & Pick<ButtonProps, 'size' | 'variant' | 'fullWidth'>;

function notifyFailure(title: string, error: unknown): void {
  notifications.show({ color: 'red', title, message: problemOf(error).detail, autoClose: 8_000 });
}

/** Deploy (pending) or redeploy (stopped, failed); the live feed reports the outcome. */
export function DeployButton({ deployment, size = 'xs', variant = 'light' }: ActionButtonProps) {
  const deploy = useDeployDeployment();
  if (!canApply('deploy', deployment.status)) return null;
  const label = deployment.status === 'pending' ? 'Deploy' : 'Redeploy';
  return (
    <Button
      size={size}
      variant={variant}
      color="green"
      leftSection={<IconPlayerPlay size={14} aria-hidden />}
      loading={deploy.isPending}
      aria-label={`${label} ${deployment.name}`}
      onClick={() =>
        deploy.mutate(deployment.id, {
          onSuccess: () => notifications.show({ color: 'blue', title: `Deploying ${deployment.name}`, message: 'You will be told when it is active.' }),
          onError: (error) => notifyFailure(`Could not deploy ${deployment.name}`, error),
        })
      }
    >
      {label}
    </Button>
  );
}

/** Stop, after a confirmation: it takes the endpoint offline. */
export function StopButton({ deployment, size = 'xs', variant = 'light' }: ActionButtonProps) {
  const stop = useStopDeployment();
  const [opened, { open, close }] = useDisclosure(false);
  if (!canApply('stop', deployment.status)) return null;
  return (
    <>
      <Button size={size} variant={variant} color="orange" leftSection={<IconPlayerStop size={14} aria-hidden />} onClick={open} aria-label={`Stop ${deployment.name}`}>
        Stop
      </Button>
      <ConfirmModal
        opened={opened}
        onClose={() => {
          stop.reset();
          close();
        }}
        title={`Stop ${deployment.name}?`}
        confirmLabel="Stop deployment"
        color="orange"
        loading={stop.isPending}
        error={stop.error}
        onConfirm={() =>
          stop.mutate(deployment.id, {
            onSuccess: () => {
              close();
              notifications.show({ color: 'orange', title: `Stopping ${deployment.name}`, message: 'Its endpoint stops answering; you can redeploy it later.' });
            },
          })
        }
      >
        <Text size="sm">
          The endpoint stops answering and the platform resources are released. The configuration, history and metrics are kept, and you can
          redeploy at any time.
        </Text>
      </ConfirmModal>
    </>
  );
}

/** Delete (pending, stopped or failed only), after a confirmation. */
export function DeleteButton({ deployment, size = 'xs', variant = 'light', onDeleted }: ActionButtonProps & { onDeleted?: () => void }) {
  const remove = useDeleteDeployment();
  const [opened, { open, close }] = useDisclosure(false);
  if (!deletableStatuses.includes(deployment.status)) return null;
  return (
    <>
      <Button size={size} variant={variant} color="red" leftSection={<IconTrash size={14} aria-hidden />} onClick={open} aria-label={`Delete ${deployment.name}`}>
        Delete
      </Button>
      <ConfirmModal
        opened={opened}
        onClose={() => {
          remove.reset();
          close();
        }}
        title={`Delete ${deployment.name}?`}
        confirmLabel="Delete for good"
        loading={remove.isPending}
        error={remove.error}
        onConfirm={() =>
          remove.mutate(deployment.id, {
            onSuccess: () => {
              close();
              notifications.show({ color: 'gray', title: `${deployment.name} deleted`, message: 'Its configuration and history are gone.' });
              onDeleted?.();
            },
          })
        }
      >
        <Text size="sm">
          This removes <b>{deployment.name}</b>, its configuration and its event history. It cannot be undone.
        </Text>
      </ConfirmModal>
    </>
  );
}

/**
 * The one lifecycle action a dashboard card offers: deploy what is not running, stop what is. The
 * detail page offers every allowed action (stopping a failed deployment, deleting).
 */
export function PrimaryLifecycleAction({ deployment }: { deployment: Deployment }) {
  if (canApply('deploy', deployment.status)) return <DeployButton deployment={deployment} />;
  return <StopButton deployment={deployment} />;
}
