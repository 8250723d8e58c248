import { ActionIcon, Button, Group, Input, JsonInput, NumberInput, Paper, Select, Stack, Text, TextInput, Tooltip } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { IconArrowDown, IconArrowUp, IconDeviceFloppy, IconPlus, IconTrash } from '@tabler/icons-react';
import { useMemo, useState } from 'react';
import { useNavigate } from 'react-router';
import { isApiError } from '../../../api/api-error';
import type { Route } from '../../../api/types';
import { ProblemAlert } from '../../../components/problem-alert';
import { RouteChangesSchema, RouteCreateSchema } from '../../../lib/route-schemas';
import { useDeployments } from '../../deployments/api/get-deployments';
import { useCreateRoute } from '../api/create-route';
import { useUpdateRoute } from '../api/update-route';
import { emptyRouteForm, mapRouteIssues, newRowKey, parseCanaryJson, toChangesBody, toCreateBody, valuesOfRoute, type RouteFormValues } from '../route-form-model';
import { WeightBar } from './weight-bar';

const CANARY_EXAMPLE = '{\n  "deployment": "support-chat-v2",\n  "weight": 10,\n  "windowMs": 600000,\n  "minRequests": 100\n}';

/**
 * Creates a route (no `route`) or edits one. The shared schema checks the form before it is sent; the
 * server's answer (unknown deployments, a taken name) lands next to the same fields.
 */
export function RouteForm({ route }: { route?: Route }) {
  const navigate = useNavigate();
  const create = useCreateRoute();
  const update = useUpdateRoute();
  const mutation = route ? update : create;
  const [otherIssues, setOtherIssues] = useState<string[]>([]);
  const initialValues = useMemo(() => (route ? valuesOfRoute(route) : emptyRouteForm()), [route]);
  const form = useForm<RouteFormValues>({ mode: 'controlled', initialValues });
  const deployments = useDeployments();

  const deploymentOptions = useMemo(() => {
    const names = new Set((deployments.data ?? []).map((deployment) => deployment.name));
    // A route may still name a deployment that is gone; keep it selectable so the form shows the truth.
    for (const row of [...form.values.targets, ...form.values.fallbacks]) if (row.deployment) names.add(row.deployment);
    return [...names].sort();
  }, [deployments.data, form.values.targets, form.values.fallbacks]);

  const showIssues = (issues: Parameters<typeof mapRouteIssues>[0]) => {
    const mapped = mapRouteIssues(issues);
    form.setErrors(mapped.fields);
    setOtherIssues(mapped.other);
  };

  const submit = form.onSubmit((values) => {
    setOtherIssues([]);
    const canary = parseCanaryJson(values.canaryJson);
    if (!canary.ok) {
      form.setErrors({ canaryJson: canary.message });
      return;
    }
    if (route) {
      const changes = toChangesBody(route, values);
      const checked = RouteChangesSchema.safeParse(changes);
      if (!checked.success) return showIssues(checked.error.issues);
      update.mutate(
        { name: route.name, changes },
        {
          onSuccess: (saved) => {
            notifications.show({ color: 'blue', title: `${saved.name} saved`, message: changes.canary ? 'The canary is running; its decision will appear in the history.' : 'The gateway routes by the new spec now.' });
            void navigate(`/routes/${encodeURIComponent(saved.name)}`);
          },
          onError: (error) => isApiError(error) && error.problem.issues && showIssues(error.problem.issues),
        },
      );
      return;
    }
    const body = toCreateBody(values);
    const checked = RouteCreateSchema.safeParse(body);
    if (!checked.success) return showIssues(checked.error.issues);
    create.mutate(body, {
      onSuccess: (saved) => {
        notifications.show({ color: 'green', title: `Route ${saved.name} created`, message: `Clients can send model "${saved.name}" now.` });
        void navigate(`/routes/${encodeURIComponent(saved.name)}`);
      },
      onError: (error) => isApiError(error) && error.problem.issues && showIssues(error.problem.issues),
    });
  });

  const unchanged = route !== undefined && Object.keys(toChangesBody(route, form.values)).length === 0;
  const previewTargets = form.values.targets
    .filter((row) => row.deployment)
    .map((row) => ({ deployment: row.deployment, adapter: row.adapter || null, weight: row.weight === '' ? 0 : row.weight }));

  return (
    <form onSubmit={submit} noValidate aria-label={route ? `Edit route ${route.name}` : 'New route'}>
      <Stack gap="lg">
        <TextInput
          label="Name"
          description="The model name clients send, e.g. support-chat."
          required
          disabled={route !== undefined}
          autoComplete="off"
          {...form.getInputProps('name')}
        />

        <Input.Wrapper label="Targets" description="Deployments that share the traffic, by relative weight." error={form.errors['targets']} required>
          <Stack gap="xs" mt={6}>
            {form.values.targets.map((row, index) => (
              <Group key={row.key} gap="xs" align="flex-start" wrap="nowrap" data-testid="target-row">
                <Select
                  aria-label={`Target ${index + 1} deployment`}
                  placeholder="deployment"
                  data={deploymentOptions}
                  searchable
                  nothingFoundMessage={deployments.isPending ? 'Loading deployments…' : 'No deployment by that name'}
                  style={{ flex: 2 }}
                  value={row.deployment || null}
                  onChange={(value) => form.setFieldValue(`targets.${index}.deployment`, value ?? '')}
                  error={form.errors[`targets.${index}.deployment`]}
                />
                <TextInput aria-label={`Target ${index + 1} adapter`} placeholder="adapter (optional)" style={{ flex: 1 }} {...form.getInputProps(`targets.${index}.adapter`)} />
                <NumberInput aria-label={`Target ${index + 1} weight`} min={0} max={1_000_000} w={110} {...form.getInputProps(`targets.${index}.weight`)} />
                <Tooltip label="Remove target">
                  <ActionIcon variant="subtle" color="red" size="lg" aria-label={`Remove target ${index + 1}`} disabled={form.values.targets.length <= 1} onClick={() => form.removeListItem('targets', index)}>
                    <IconTrash size={16} aria-hidden />
                  </ActionIcon>
                </Tooltip>
              </Group>
            ))}
            {previewTargets.length > 0 && <WeightBar targets={previewTargets} />}
            <Group>
              <Button
                variant="light"
                size="xs"
                leftSection={<IconPlus size={14} aria-hidden />}
                disabled={form.values.targets.length >= 16}
                onClick={() => form.insertListItem('targets', { key: newRowKey(), deployment: '', adapter: '', weight: 0 })}
              >
                Add target
              </Button>
            </Group>
          </Stack>
        </Input.Wrapper>

        <Input.Wrapper label="Fallbacks" description="Tried in this order when the chosen target fails before its first token." error={form.errors['fallbacks']}>
          <Stack gap="xs" mt={6}>
            {form.values.fallbacks.length === 0 && (
              <Text size="sm" c="dimmed">
                No fallbacks: a failing target's error goes to the client.
              </Text>
            )}
            {form.values.fallbacks.map((row, index) => (
              <Group key={row.key} gap="xs" align="flex-start" wrap="nowrap" data-testid="fallback-row">
                <Text size="sm" c="dimmed" w={20} mt={8}>
                  {index + 1}.
                </Text>
                <Select
                  aria-label={`Fallback ${index + 1} deployment`}
                  placeholder="deployment"
                  data={deploymentOptions}
                  searchable
                  style={{ flex: 2 }}
                  value={row.deployment || null}
                  onChange={(value) => form.setFieldValue(`fallbacks.${index}.deployment`, value ?? '')}
                  error={form.errors[`fallbacks.${index}.deployment`]}
                />
                <TextInput aria-label={`Fallback ${index + 1} adapter`} placeholder="adapter (optional)" style={{ flex: 1 }} {...form.getInputProps(`fallbacks.${index}.adapter`)} />
                <ActionIcon variant="subtle" size="lg" aria-label={`Move fallback ${index + 1} up`} disabled={index === 0} onClick={() => form.reorderListItem('fallbacks', { from: index, to: index - 1 })}>
                  <IconArrowUp size={16} aria-hidden />
                </ActionIcon>
                <ActionIcon
                  variant="subtle"
                  size="lg"
                  aria-label={`Move fallback ${index + 1} down`}
                  disabled={index === form.values.fallbacks.length - 1}
                  onClick={() => form.reorderListItem('fallbacks', { from: index, to: index + 1 })}
                >
                  <IconArrowDown size={16} aria-hidden />
                </ActionIcon>
                <ActionIcon variant="subtle" color="red" size="lg" aria-label={`Remove fallback ${index + 1}`} onClick={() => form.removeListItem('fallbacks', index)}>
                  <IconTrash size={16} aria-hidden />
                </ActionIcon>
              </Group>
            ))}
            <Group>
              <Button
                variant="light"
                size="xs"
                leftSection={<IconPlus size={14} aria-hidden />}
                disabled={form.values.fallbacks.length >= 8}
                onClick={() => form.insertListItem('fallbacks', { key: newRowKey(), deployment: '', adapter: '' })}
              >
                Add fallback
              </Button>
            </Group>
          </Stack>
        </Input.Wrapper>

        <TextInput
          label="Sticky header"
          description="Optional. Requests with the same value of this header go to the same target, e.g. x-user-id."
          placeholder="x-user-id"
          autoComplete="off"
          {...form.getInputProps('stickyHeader')}
        />

        <JsonInput
          label="Canary"
          description={
            route?.canary
              ? 'Running. Clear the field to stop it (rolled back); changing it starts a new canary.'
              : 'Optional. A new deployment receiving a share of traffic (at most 50 %), promoted or rolled back automatically. Leave empty for none.'
          }
          placeholder={CANARY_EXAMPLE}
          autosize
          minRows={3}
          maxRows={12}
          formatOnBlur
          {...form.getInputProps('canaryJson')}
        />

        {mutation.error ? <ProblemAlert error={mutation.error} title={route ? 'The route was not saved' : 'The route was not created'} hideIssues={otherIssues.length === 0} /> : null}
        {!mutation.error && otherIssues.length > 0 && (
          <Paper withBorder p="sm" role="alert">
            {otherIssues.map((issue) => (
              <Text key={issue} size="sm" c="red">
                {issue}
              </Text>
            ))}
          </Paper>
        )}

        <Group justify="flex-end" gap="xs">
          <Button variant="default" onClick={() => void navigate(route ? `/routes/${encodeURIComponent(route.name)}` : '/routes')}>
            Cancel
          </Button>
          <Button type="submit" loading={mutation.isPending} disabled={unchanged} leftSection={<IconDeviceFloppy size={16} aria-hidden />}>
            {route ? 'Save changes' : 'Create route'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
