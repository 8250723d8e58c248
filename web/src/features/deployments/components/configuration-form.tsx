import { Autocomplete, Button, Group, Input, NumberInput, Select, SimpleGrid, Stack, Text } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { IconDeviceFloppy } from '@tabler/icons-react';
import { useMemo } from 'react';
import { isApiError } from '../../../api/api-error';
import type { Deployment, Platform } from '../../../api/types';
import { EnvRowsEditor } from '../../../components/env-rows-editor';
import { ProblemAlert } from '../../../components/problem-alert';
import { isTransient } from '../../../lib/core';
import { newEnvRowId } from '../../../lib/env-rows';
import { formatUsdPerHour } from '../../../lib/format';
import { mapIssues } from '../../../lib/spec-issues';
import { useUpdateDeployment } from '../api/update-deployment';
import { changesOf, suggestedAdapters, validateChanges, valuesOf, type ConfigurationValues } from '../configuration-model';

/** Scaling, hardware, request timeout, adapter and environment variables of an existing deployment. */
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
  const adapterOptions = suggestedAdapters(platform, deployment.config.baseModel);
  const adaptersSupported = platform?.capabilities.adapterMode !== 'none';
  const envKeys = () => form.values.env.map((row) => row.key);

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
          if (isApiError(error) && error.problem.issues) form.setErrors(mapIssues(error.problem.issues, { envKeys: envKeys() }).fields);
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
        <Autocomplete
          label="LoRA adapter"
          description={adaptersSupported ? 'A suggested adapter or any id the platform accepts; empty for none.' : `${platform?.name ?? 'This platform'} does not serve adapters.`}
          placeholder="none"
          data={adapterOptions}
          disabled={busy}
          autoComplete="off"
          spellCheck={false}
          {...form.getInputProps('adapterId')}
        />
        <Input.Wrapper label="Environment variables" description="Passed to the model server; values are masked." error={form.errors['env']}>
          <div style={{ marginTop: 6 }}>
            <EnvRowsEditor
              rows={form.values.env}
              inputProps={(path) => form.getInputProps(path)}
              onAdd={() => form.insertListItem('env', { id: newEnvRowId(), key: '', value: '' })}
              onRemove={(index) => form.removeListItem('env', index)}
              disabled={busy}
            />
          </div>
        </Input.Wrapper>
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
