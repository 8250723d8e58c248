import { Alert, Badge, Group, Paper, SimpleGrid, Stack, Text } from '@mantine/core';
import { IconCircleCheck, IconCircleX } from '@tabler/icons-react';
import type { EndpointTestRecord } from '../../../api/types';
import { ProblemAlert } from '../../../components/problem-alert';
import { formatMs, formatNumber, formatTime, formatUsd } from '../../../lib/format';
import type { TestRunState } from '../use-endpoint-test';

export interface Measurements {
  success: boolean;
  latencyMs: number | null;
  ttftMs: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  estimated: boolean;
  costUsd: number | null;
  finishReason: string | null;
  error: { code: string; message: string } | null;
}

export function measurementsOfRecord(record: EndpointTestRecord): Measurements {
  return {
    success: record.success,
    latencyMs: record.latencyMs,
    ttftMs: record.ttftMs,
    inputTokens: record.inputTokens,
    outputTokens: record.outputTokens,
    estimated: record.usageEstimated,
    costUsd: record.costUsd,
    finishReason: record.finishReason,
    error: record.error,
  };
}

/** Cost of one test: "free" on free platforms, "unpriced" when unknown, never a fake $0. */
export function testCost(costUsd: number | null, pricingModel: string | undefined): string {
  if (costUsd === 0 && pricingModel === 'free') return 'free';
  return formatUsd(costUsd);
}

function Metric({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
        {label}
      </Text>
      <Text fw={600} size="lg" data-testid={testId}>
        {value}
      </Text>
    </div>
  );
}

/** The answer as it streams in, then its measurements and outcome. */
export function TestResultPanel({ state, viewing, pricingModel }: { state: TestRunState; viewing: EndpointTestRecord | null; pricingModel: string | undefined }) {
  const streaming = state.phase === 'streaming';
  const measured: Measurements | null =
    viewing !== null
      ? measurementsOfRecord(viewing)
      : state.phase === 'done'
        ? {
            success: state.result.success,
            latencyMs: state.result.latencyMs,
            ttftMs: state.result.ttftMs,
            inputTokens: state.result.usage.inputTokens,
            outputTokens: state.result.usage.outputTokens,
            estimated: state.result.usage.estimated,
            costUsd: state.result.costUsd,
            finishReason: state.result.finishReason,
            error: state.result.error,
          }
        : null;
  const output = viewing ? viewing.output : state.phase === 'idle' ? '' : state.output;

  return (
    <Paper withBorder radius="md" p="lg" aria-label="Answer" component="section">
      <Group justify="space-between" mb="sm">
        <Text fw={700}>{viewing ? `Test from ${formatTime(viewing.at)}` : 'Answer'}</Text>
        {streaming && (
          <Badge variant="light" color="blue" data-testid="streaming-badge">
            Streaming…
          </Badge>
        )}
        {measured && (
          <Badge
            variant="light"
            color={measured.success ? 'green' : 'red'}
            leftSection={measured.success ? <IconCircleCheck size={14} aria-hidden /> : <IconCircleX size={14} aria-hidden />}
            data-testid="test-outcome"
          >
            {measured.success ? 'Success' : 'Failed'}
          </Badge>
        )}
      </Group>
      <Paper
        bg="var(--mantine-color-default-hover)"
        radius="sm"
        p="md"
        mih={120}
        aria-live="polite"
        aria-busy={streaming}
        data-testid="test-output"
        style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 'var(--mantine-font-size-sm)' }}
      >
        {output ? (
          <span className={streaming ? 'streaming-caret' : undefined}>{output}</span>
        ) : (
          <Text c="dimmed" size="sm" span className={streaming ? 'streaming-caret' : undefined}>
            {streaming ? 'Waiting for the first token' : 'Send a prompt to see the answer stream in here.'}
          </Text>
        )}
      </Paper>

      {streaming && (
        <Text size="sm" c="dimmed" mt="sm" data-testid="live-ttft">
          {state.firstTokenMs === null ? 'Waiting for the first token…' : `First token after ${formatMs(state.firstTokenMs)} (measured in the browser)`}
        </Text>
      )}
      {state.phase === 'error' && !viewing && (
        <Stack mt="md">
          <ProblemAlert error={state.error} title="The test could not run" />
        </Stack>
      )}
      {measured && (
        <Stack gap="sm" mt="md">
          <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="md" data-testid="test-measurements">
            <Metric label="Latency" value={formatMs(measured.latencyMs)} testId="test-latency" />
            <Metric label="Time to first token" value={formatMs(measured.ttftMs)} testId="test-ttft" />
            <Metric
              label={measured.estimated ? 'Tokens (estimated)' : 'Tokens'}
              value={`${formatNumber(measured.inputTokens)} in · ${formatNumber(measured.outputTokens)} out`}
              testId="test-tokens"
            />
            <Metric label="Cost" value={testCost(measured.costUsd, pricingModel)} testId="test-cost" />
          </SimpleGrid>
          {measured.finishReason && (
            <Text size="xs" c="dimmed">
              Finish reason: {measured.finishReason}
            </Text>
          )}
          {measured.error && (
            <Alert color="red" variant="light" title={`The endpoint failed (${measured.error.code})`} data-testid="test-error">
              {measured.error.message}
            </Alert>
          )}
        </Stack>
      )}
    </Paper>
  );
}
