import { Button, Group, NumberInput, Select, SimpleGrid, Stack, Text } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { IconDeviceFloppy } from '@tabler/icons-react';
import { useMemo } from 'react';
import { isApiError } from '../../../api/api-error';
import type { Deployment, Platform, UpdateDeploymentBody } from '../../../api/types';
import { ProblemAlert } from '../../../components/problem-alert';
import { isTransient } from '../../../lib/core';
import { DeploymentChangesSchema } from '../../../lib/core-schemas';
import { formatUsdPerHour } from '../../../lib/format';
import { mapIssues, type SchemaIssue } from '../../../lib/spec-issues';
import { useUpdateDeployment } from '../api/update-deployment';

export interface ConfigurationValues {
  minReplicas: number | string;
  maxReplicas: number | string;
  scaleDownDelaySeconds: number | string;
  hardware: string;
  requestTimeoutSeconds: number | string;
}

export function valuesOf(deployment: Deployment): ConfigurationValues {
  const { scaling, hardware, timeouts } = deployment.config;
  return {
    minReplicas: scaling.minReplicas,
    maxReplicas: scaling.maxReplicas,
    scaleDownDelaySeconds: scaling.scaleDownDelaySeconds ?? '',
    hardware: hardware ?? '',
    requestTimeoutSeconds: timeouts.requestMs / 1000,
  };
}

const asNumber = (value: number | string) => (typeof value === 'number' || value.trim() === '' ? value : Number(value));

/** The PATCH body for what changed; empty when nothing did. */
export function changesOf(deployment: Deployment, values: ConfigurationValues): UpdateDeploymentBody {
  const before = valuesOf(deployment);
  const changes: Record<string, unknown> = {};
  if (values.minReplicas !== before.minReplicas || values.maxReplicas !== before.maxReplicas || values.scaleDownDelaySeconds !== before.scaleDownDelaySeconds) {
    const delay = asNumber(values.scaleDownDelaySeconds);
    changes['scaling'] = {
      minReplicas: asNumber(values.minReplicas),
      maxReplicas: asNumber(values.maxReplicas),
      ...(delay === '' ? {} : { scaleDownDelaySeconds: delay }),
    };
  }
  if (values.hardware !== before.hardware) changes['hardware'] = values.hardware === '' ? null : values.hardware;
  if (values.requestTimeoutSeconds !== before.requestTimeoutSeconds) {
    const seconds = asNumber(values.requestTimeoutSeconds);
    changes['timeouts'] = { requestMs: typeof seconds === 'number' ? Math.round(seconds * 1000) : seconds };
  }
  return changes as UpdateDeploymentBody;
}

/** Validates a change with the server's own schema. */
export function validateChanges(deployment: Deployment, values: ConfigurationValues): Record<string, string> {
  const parsed = DeploymentChangesSchema.safeParse(changesOf(deployment, values));
  return parsed.success ? {} : mapIssues(parsed.error.issues as readonly SchemaIssue[]).fields;
}

/** Scaling, instances, hardware and request timeout of an existing deployment. */
export function ConfigurationForm({ deployment, platform }: { deployment: Deployment; platform: Platform | undefined }) {
  const update = useUpdateDeployment();
  const initialValues = useMemo(() => valuesOf(deployment), [deployment]);
  const form = useForm<ConfigurationValues>({
    mode: 'controlled',
    initialValues,
    validate: (values) => validateChanges(deployment, values),
    validateInputOnChange: true,
  });
  const changes = changesOf(deployment, form.values);
  const changed = Object.keys(changes).length > 0;
  const busy = isTransient(deployment.status);
  const hardwareOptions = platform?.hardware ?? [];

  const submit = form.onSubmit((values) => {
    update.mutate(
      { id: deployment.id, changes: changesOf(deployment, values) },
      {
        onSuccess: (updated) => {
          form.setInitialValues(valuesOf(updated));
          form.setValues(valuesOf(updated));
          notifications.show({
            color: 'blue',
            title: updated.status === 'updating' ? `Updating ${updated.name}` : `${updated.name} saved`,
            message: updated.status === 'updating' ? 'The new configuration is rolling out; you will be told when it is live.' : 'Takes effect at the next deploy.',
          });
        },
        onError: (error) => {
          if (isApiError(error) && error.problem.issues) form.setErrors(mapIssues(error.problem.issues).fields);
        },
      },
    );
  });

  return (
    <form onSubmit={submit} noValidate aria-label="Update configuration">
      <Stack gap="sm">
        <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
          <NumberInput label="Minimum replicas" min={0} max={100} allowDecimal={false} disabled={busy} {...form.getInputProps('minReplicas')} />
          <NumberInput label="Maximum replicas" min={1} max={100} allowDecimal={false} disabled={busy} {...form.getInputProps('maxReplicas')} />
          {platform?.capabilities.scaleToZero && (
            <NumberInput label="Scale-down delay" suffix=" s" min={0} allowDecimal={false} placeholder="platform default" disabled={busy} {...form.getInputProps('scaleDownDelaySeconds')} />
          )}
          <NumberInput label="Request timeout" suffix=" s" min={0.1} max={600} decimalScale={1} disabled={busy} {...form.getInputProps('requestTimeoutSeconds')} />
          {hardwareOptions.length > 0 && (
            <Select
              label="Hardware"
              data={hardwareOptions.map((option) => ({ value: option.id, label: `${option.label} · ${formatUsdPerHour(option.usdPerHour)}` }))}
              clearable={platform?.defaults['hardware'] === null}
              disabled={busy}
              value={form.values.hardware || null}
              onChange={(value) => form.setFieldValue('hardware', value ?? '')}
              error={form.errors['hardware']}
            />
          )}
        </SimpleGrid>
        {update.error ? <ProblemAlert error={update.error} title="The update was refused" hideIssues={isApiError(update.error) && Boolean(update.error.problem.issues?.length)} /> : null}
        <Group justify="space-between" align="center">
          <Text size="xs" c="dimmed">
            {busy
              ? 'Wait until the current change finishes.'
              : deployment.status === 'active'
                ? 'An active deployment rolls the change out (status updating).'
                : 'Saved now; applied at the next deploy.'}
          </Text>
          <Group gap="xs">
            {changed && (
              <Button variant="subtle" size="xs" onClick={() => form.setValues(valuesOf(deployment))}>
                Reset
              </Button>
            )}
            <Button type="submit" size="xs" disabled={!changed || busy} loading={update.isPending} leftSection={<IconDeviceFloppy size={14} aria-hidden />}>
              {deployment.status === 'active' ? 'Apply' : 'Save'}
            </Button>
          </Group>
        </Group>
      </Stack>
    </form>
  );
}
