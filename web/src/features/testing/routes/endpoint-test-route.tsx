import { Alert, Button, Chip, Grid, Group, Kbd, NumberInput, Paper, Select, Slider, Stack, Text, Textarea, Title } from '@mantine/core';
import { IconFlask, IconPlayerStop, IconSend } from '@tabler/icons-react';
import { useMemo, useState } from 'react';
import type { Deployment, EndpointTestRecord } from '../../../api/types';
import { ProblemAlert } from '../../../components/problem-alert';
import { usePlatforms } from '../../platforms/api/get-platforms';
import { DeployButton } from '../../deployments/components/deployment-actions';
import { EndpointLine } from '../../deployments/components/deployment-summary';
import { useDeploymentOutlet } from '../../deployments/routes/deployment-context';
import { useEndpointTests } from '../api/get-endpoint-tests';
import { ExampleCodePanel } from '../components/example-code-panel';
import { TestHistoryTable } from '../components/test-history-table';
import { TestResultPanel } from '../components/test-result-panel';
import { promptOf } from '../test-history';
import { useEndpointTest } from '../use-endpoint-test';

export const examplePrompts = [
  'Say hello and introduce yourself in one sentence.',
  'Summarise what a LoRA adapter is in two sentences.',
  'Write a haiku about GPUs.',
  'Reply with a JSON object with the keys "city" and "country" for Paris.',
];

const BASE_ONLY = '__base__';

/** Adapters a test may pick: the deployment's own, or the base model alone. */
function adapterChoices(deployment: Deployment): { value: string; label: string }[] {
  const ids = [deployment.config.adapter?.id, ...deployment.config.extraAdapters.map((adapter) => adapter.id)].filter((id): id is string => Boolean(id));
  const unique = [...new Set(ids)];
  return [...unique.map((id, index) => ({ value: id, label: index === 0 && deployment.config.adapter ? `${id} (default)` : id })), { value: BASE_ONLY, label: 'Base model only' }];
}

/** `/deployments/:id/test`: send prompts, watch the answer stream, compare the last 10 tests. */
export function EndpointTestRoute() {
  const { deployment } = useDeploymentOutlet();
  const platforms = usePlatforms();
  const pricingModel = platforms.data?.find((item) => item.id === deployment.platform)?.pricing.model;
  const [prompt, setPrompt] = useState(examplePrompts[0] ?? '');
  const [maxTokens, setMaxTokens] = useState<number | string>(64);
  const [temperature, setTemperature] = useState(0.7);
  const [topP, setTopP] = useState(1);
  const choices = useMemo(() => adapterChoices(deployment), [deployment]);
  const [adapter, setAdapter] = useState<string>(choices[0]?.value ?? BASE_ONLY);
  const adapterId = adapter === BASE_ONLY ? null : adapter;
  const { state, run, cancel } = useEndpointTest(deployment.id, adapterId);
  const history = useEndpointTests(deployment.id);
  const [viewing, setViewing] = useState<EndpointTestRecord | null>(null);

  const active = deployment.status === 'active';
  const streaming = state.phase === 'streaming';
  const maxTokensValue = typeof maxTokens === 'number' ? maxTokens : Number.NaN;
  const promptError = prompt.trim() === '' ? 'write a prompt' : undefined;
  const maxTokensError = Number.isInteger(maxTokensValue) && maxTokensValue >= 1 && maxTokensValue <= 8192 ? undefined : 'a whole number from 1 to 8192';
  const canSend = active && !streaming && !promptError && !maxTokensError;

  const send = () => {
    if (!canSend) return;
    setViewing(null);
    void run({ prompt, maxTokens: maxTokensValue, temperature, topP, ...(adapterId === (deployment.config.adapter?.id ?? null) ? {} : { adapter: adapterId }) });
  };

  const model = adapterId && adapterId !== deployment.config.adapter?.id ? `${deployment.name}:${adapterId}` : deployment.name;

  return (
    <Stack gap="lg">
      {!active && (
        <Alert color="yellow" variant="light" title={`${deployment.name} is ${deployment.status}`} data-testid="not-active">
          <Group justify="space-between" align="center">
            <Text size="sm">Tests need an active deployment. {deployment.status === 'deploying' ? 'It will be ready shortly; this page updates by itself.' : ''}</Text>
            <DeployButton deployment={deployment} size="xs" variant="filled" />
          </Group>
        </Alert>
      )}
      <Grid gap="lg">
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Paper withBorder radius="md" p="lg" component="section" aria-label="Test request">
            <form
              onSubmit={(event) => {
                event.preventDefault();
                send();
              }}
            >
              <Stack gap="md">
                <Group justify="space-between" align="center">
                  <Title order={2} fz="md">
                    Request
                  </Title>
                </Group>
                <EndpointLine deployment={deployment} />
                <Textarea
                  label="Prompt"
                  autosize
                  minRows={4}
                  maxRows={12}
                  value={prompt}
                  onChange={(event) => setPrompt(event.currentTarget.value)}
                  onKeyDown={(event) => {
                    if (event.key === 'Enter' && (event.metaKey || event.ctrlKey)) {
                      event.preventDefault();
                      send();
                    }
                  }}
                  error={prompt === '' ? undefined : promptError}
                  description={
                    <>
                      <Kbd size="xs">Ctrl</Kbd> + <Kbd size="xs">Enter</Kbd> sends
                    </>
                  }
                />
                <div>
                  <Text size="xs" c="dimmed" mb={6} id="example-prompts-label">
                    Example prompts
                  </Text>
                  <Group gap={6} role="group" aria-labelledby="example-prompts-label">
                    {examplePrompts.map((example) => (
                      <Chip key={example} size="xs" checked={prompt === example} onChange={() => setPrompt(example)} variant="light">
                        {example.length > 34 ? `${example.slice(0, 32)}…` : example}
                      </Chip>
                    ))}
                  </Group>
                </div>
                <Group grow align="flex-start">
                  <NumberInput label="Max tokens" min={1} max={8192} allowDecimal={false} value={maxTokens} onChange={setMaxTokens} error={maxTokensError} />
                  <Select label="Adapter" data={choices} value={adapter} onChange={(value) => setAdapter(value ?? BASE_ONLY)} allowDeselect={false} />
                </Group>
                <LabeledSlider label="Temperature" value={temperature} onChange={setTemperature} min={0} max={2} step={0.05} />
                <LabeledSlider label="Top-p" value={topP} onChange={setTopP} min={0.05} max={1} step={0.05} />
                <Group justify="flex-end" gap="xs">
                  {streaming && (
                    <Button variant="default" color="red" leftSection={<IconPlayerStop size={16} aria-hidden />} onClick={cancel}>
                      Stop
                    </Button>
                  )}
                  <Button type="submit" leftSection={<IconSend size={16} aria-hidden />} disabled={!canSend} loading={streaming}>
                    Send test
                  </Button>
                </Group>
              </Stack>
            </form>
          </Paper>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Stack gap="md">
            <TestResultPanel state={state} viewing={viewing} pricingModel={pricingModel} />
            {deployment.notices.map((notice) => (
              <Alert key={notice} color="yellow" variant="light" icon={<IconFlask aria-hidden />} data-testid="deployment-notice">
                <Text size="sm">{notice}</Text>
              </Alert>
            ))}
          </Stack>
        </Grid.Col>
      </Grid>

      <section aria-labelledby="history-heading">
        <Title order={2} fz="md" mb="sm" id="history-heading">
          Last 10 tests
        </Title>
        {history.isError ? (
          <ProblemAlert error={history.error} title="Could not load the test history" onRetry={() => void history.refetch()} />
        ) : (
          <TestHistoryTable
            history={history.data ?? []}
            viewingId={viewing?.id ?? null}
            onView={setViewing}
            onReuse={(record) => {
              setPrompt(promptOf(record));
              const tokens = record.request['maxTokens'];
              if (typeof tokens === 'number') setMaxTokens(tokens);
              setViewing(null);
            }}
            pricingModel={pricingModel}
          />
        )}
      </section>

      {deployment.endpointUrl && (
        <ExampleCodePanel
          request={{ endpointUrl: deployment.endpointUrl, model, prompt, maxTokens: Number.isFinite(maxTokensValue) ? maxTokensValue : 64, temperature, topP }}
        />
      )}
    </Stack>
  );
}

function LabeledSlider({ label, value, onChange, min, max, step }: { label: string; value: number; onChange: (value: number) => void; min: number; max: number; step: number }) {
  const id = `slider-${label.toLowerCase().replace(/[^a-z]+/g, '-')}`;
  return (
    <div>
      <Group justify="space-between" mb={4}>
        <Text size="sm" fw={500} id={id}>
          {label}
        </Text>
        <Text size="sm" c="dimmed" ff="monospace">
          {value.toFixed(2)}
        </Text>
      </Group>
      <Slider value={value} onChange={onChange} min={min} max={max} step={step} label={null} aria-labelledby={id} thumbLabel={label} />
    </div>
  );
}
