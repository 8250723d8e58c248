import { ActionIcon, Paper, Table, Text, ThemeIcon, Tooltip } from '@mantine/core';
import { IconCircleCheck, IconCircleX, IconEye, IconRepeat } from '@tabler/icons-react';
import type { EndpointTestRecord } from '../../../api/types';
import { formatMs, formatTime } from '../../../lib/format';
import { promptOf } from '../test-history';
import { testCost } from './test-result-panel';

/** The last 10 tests: outcome and measurements; view one again or reuse its prompt. */
export function TestHistoryTable({
  history,
  viewingId,
  onView,
  onReuse,
  pricingModel,
}: {
  history: EndpointTestRecord[];
  viewingId: string | null;
  onView: (record: EndpointTestRecord) => void;
  onReuse: (record: EndpointTestRecord) => void;
  pricingModel: string | undefined;
}) {
  if (history.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        No tests yet. The last 10 appear here.
      </Text>
    );
  }
  return (
    <Paper withBorder radius="md">
      <Table.ScrollContainer minWidth={620}>
        <Table verticalSpacing={6} fz="sm" highlightOnHover aria-label="Last tests" data-testid="test-history">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={36}>
                <span aria-label="Outcome" />
              </Table.Th>
              <Table.Th>Time</Table.Th>
              <Table.Th>Prompt</Table.Th>
              <Table.Th>Latency</Table.Th>
              <Table.Th>TTFT</Table.Th>
              <Table.Th>Tokens</Table.Th>
              <Table.Th>Cost</Table.Th>
              <Table.Th w={72} />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {history.map((record) => (
              <Table.Tr key={record.id} bg={record.id === viewingId ? 'var(--mantine-primary-color-light)' : undefined} data-testid="test-history-row">
                <Table.Td>
                  <ThemeIcon variant="transparent" color={record.success ? 'green' : 'red'} size="sm" aria-label={record.success ? 'succeeded' : 'failed'}>
                    {record.success ? <IconCircleCheck size={16} /> : <IconCircleX size={16} />}
                  </ThemeIcon>
                </Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatTime(record.at)}</Table.Td>
                <Table.Td maw={260}>
                  <Text size="sm" truncate="end" title={promptOf(record)}>
                    {promptOf(record) || '—'}
                  </Text>
                </Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatMs(record.latencyMs)}</Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatMs(record.ttftMs)}</Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>
                  {record.inputTokens} / {record.outputTokens}
                </Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>{testCost(record.costUsd, pricingModel)}</Table.Td>
                <Table.Td>
                  <ActionIcon.Group>
                    <Tooltip label="Show this answer">
                      <ActionIcon variant="subtle" size="sm" aria-label={`Show the answer from ${formatTime(record.at)}`} onClick={() => onView(record)}>
                        <IconEye size={15} aria-hidden />
                      </ActionIcon>
                    </Tooltip>
                    <Tooltip label="Use this prompt again">
                      <ActionIcon variant="subtle" size="sm" aria-label={`Reuse the prompt from ${formatTime(record.at)}`} onClick={() => onReuse(record)}>
                        <IconRepeat size={15} aria-hidden />
                      </ActionIcon>
                    </Tooltip>
                  </ActionIcon.Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Paper>
  );
}
