import { Accordion, Code, DataList, Group, Paper, SimpleGrid, Switch, Text, Title } from '@mantine/core';
import type { CreateDeploymentBody, Platform } from '../../../api/types';
import { CopyValue } from '../../../components/copy-value';
import { formatUsdPerHour } from '../../../lib/format';

/** The equivalent API call, so what the wizard does can be scripted. */
export function curlForSpec(spec: CreateDeploymentBody, origin: string): string {
  const body = JSON.stringify({ ...spec, env: Object.fromEntries(Object.keys(spec.env ?? {}).map((key) => [key, '…'])) }, null, 2);
  return `curl -s ${origin}/api/deployments -H 'content-type: application/json' -d '${body.replace(/'/g, "'\\''")}'\ncurl -s -X POST ${origin}/api/deployments/${spec.name}/deploy`;
}

function Item({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <DataList.Item>
      <DataList.ItemLabel>{label}</DataList.ItemLabel>
      <DataList.ItemValue>{children}</DataList.ItemValue>
    </DataList.Item>
  );
}

/** Step 4: everything chosen, on one screen, before anything is created. */
export function ReviewStep({ spec, platform, deployNow, onDeployNowChange }: { spec: CreateDeploymentBody; platform: Platform; deployNow: boolean; onDeployNowChange: (value: boolean) => void }) {
  const hardware = platform.hardware.find((item) => item.id === spec.hardware);
  const envNames = Object.keys(spec.env ?? {});
  const options = Object.keys(spec.platformOptions ?? {}).length > 0 ? JSON.stringify(spec.platformOptions, null, 2) : null;
  const curl = curlForSpec(spec, window.location.origin);
  return (
    <>
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        <Paper withBorder p="md" radius="md">
          <Title order={3} fz="sm" tt="uppercase" c="dimmed" mb="sm">
            Model
          </Title>
          <DataList size="sm" labelWidth={130} data-testid="review-model">
            <Item label="Name">
              <Code>{spec.name}</Code>
            </Item>
            <Item label="Platform">{platform.name}</Item>
            <Item label="Base model">
              <Text size="sm" ff="monospace" className="break-anywhere">
                {spec.baseModel}
              </Text>
            </Item>
            <Item label="Adapter">{spec.adapter ? <Code>{spec.adapter.id}</Code> : 'none'}</Item>
            {typeof spec.platformOptions?.['baseUrl'] === 'string' && <Item label="Server URL">{spec.platformOptions['baseUrl']}</Item>}
          </DataList>
        </Paper>
        <Paper withBorder p="md" radius="md">
          <Title order={3} fz="sm" tt="uppercase" c="dimmed" mb="sm">
            Resources
          </Title>
          <DataList size="sm" labelWidth={130} data-testid="review-resources">
            <Item label="Hardware">{hardware ? `${hardware.label} (${formatUsdPerHour(hardware.usdPerHour)})` : (spec.hardware ?? 'platform default')}</Item>
            <Item label="Replicas">
              {spec.scaling?.minReplicas} – {spec.scaling?.maxReplicas}
              {spec.scaling?.scaleDownDelaySeconds !== undefined ? `, scale down after ${spec.scaling.scaleDownDelaySeconds} s` : ''}
            </Item>
            <Item label="Timeouts">
              request {(spec.timeouts?.requestMs ?? 0) / 1000} s, deploy {(spec.timeouts?.deployMs ?? 0) / 1000} s
            </Item>
            <Item label="Environment">{envNames.length === 0 ? 'none' : envNames.map((name) => `${name}=••••`).join(', ')}</Item>
          </DataList>
        </Paper>
      </SimpleGrid>
      {options && (
        <Paper withBorder p="md" radius="md" mt="md">
          <Title order={3} fz="sm" tt="uppercase" c="dimmed" mb="sm">
            Platform options
          </Title>
          <Code block>{options}</Code>
        </Paper>
      )}
      <Switch
        mt="lg"
        size="md"
        checked={deployNow}
        onChange={(event) => onDeployNowChange(event.currentTarget.checked)}
        label="Deploy right away"
        description={deployNow ? 'Creates the deployment and starts it; you will follow its status live.' : 'Only creates it (status pending); deploy later from its page.'}
      />
      <Accordion variant="contained" mt="lg">
        <Accordion.Item value="curl">
          <Accordion.Control>The same with the API</Accordion.Control>
          <Accordion.Panel>
            <Group justify="flex-end" mb={4}>
              <CopyValue value={curl} label="Copy the API calls" />
            </Group>
            <Code block style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
              {curl}
            </Code>
          </Accordion.Panel>
        </Accordion.Item>
      </Accordion>
    </>
  );
}
