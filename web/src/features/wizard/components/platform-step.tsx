import { Badge, Group, Radio, SimpleGrid, Stack, Table, Text, ThemeIcon, Title } from '@mantine/core';
import { IconCheck, IconKey, IconMinus } from '@tabler/icons-react';
import type { Platform } from '../../../api/types';
import { CredentialsForm } from '../../platforms/components/credentials-form';
import { formatUsdPerHour } from '../../../lib/format';
import cardClasses from './radio-card.module.css';

const adapterModes: Record<string, string> = {
  'per-request': 'Hot-swapped per request',
  'per-endpoint': 'One per endpoint',
  none: 'Not supported',
};

const pricingModels: Record<string, string> = {
  free: 'Free',
  'per-token': 'Per token',
  'per-minute': 'Per GPU-minute',
  'per-hour': 'Per GPU-hour',
  'per-gpu-hour': 'Per GPU-hour',
  'per-second': 'Per GPU-second',
  'per-gpu-second': 'Per GPU-second',
};

export function describePricing(model: string): string {
  const known = pricingModels[model];
  if (known) return known;
  const words = model.replace(/-/g, ' ').replace(/\bgpu\b/gi, 'GPU');
  return words.charAt(0).toUpperCase() + words.slice(1);
}


export function describeAdapterMode(mode: string): string {
  return adapterModes[mode] ?? mode;
}

/** Step 1: every platform as a card (features, readiness) and a side-by-side comparison. */
export function PlatformStep({ platforms, value, onChange, error }: { platforms: Platform[]; value: string; onChange: (id: string) => void; error?: string | undefined }) {
  const selected = platforms.find((platform) => platform.id === value);
  return (
    <Stack gap="lg">
      <Radio.Group value={value} onChange={onChange} label="Platform" description="Where the model runs. Platforms marked Ready have their credentials set." error={error} withAsterisk>
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="md" mt="sm">
          {platforms.map((platform) => (
            <Radio.Card key={platform.id} value={platform.id} radius="md" p="md" data-testid={`platform-${platform.id}`} aria-label={platform.name} h="100%" className={cardClasses.card}>
              <Stack gap="xs">
                <Group justify="space-between" wrap="nowrap" align="flex-start">
                  <Group gap="sm" wrap="nowrap">
                    <Radio.Indicator />
                    <Text fw={700}>{platform.name}</Text>
                  </Group>
                  {platform.configured ? (
                    <Badge color="green" variant="light" size="sm" style={{ flexShrink: 0 }}>
                      Ready
                    </Badge>
                  ) : (
                    <Badge color="orange" variant="light" size="sm" leftSection={<IconKey size={11} aria-hidden />} style={{ flexShrink: 0 }}>
                      Needs credentials
                    </Badge>
                  )}
                </Group>
                <Text size="sm" c="dimmed">
                  {platform.description}
                </Text>
                <Stack gap={4}>
                  {platform.features.map((feature) => (
                    <Group key={feature} gap={6} wrap="nowrap" align="flex-start">
                      <ThemeIcon size={16} radius="xl" variant="light" color="teal" style={{ flexShrink: 0, marginTop: 2 }} aria-hidden>
                        <IconCheck size={11} />
                      </ThemeIcon>
                      <Text size="xs">{feature}</Text>
                    </Group>
                  ))}
                </Stack>
                {!platform.configured && (
                  <Text size="xs" c="orange">
                    Set {platform.missingCredentials.join(', ')} in the server environment to use it.
                  </Text>
                )}
              </Stack>
            </Radio.Card>
          ))}
        </SimpleGrid>
      </Radio.Group>
      {selected && !selected.configured && <CredentialsForm key={selected.id} platform={selected} />}
      <PlatformComparison platforms={platforms} selected={value} />
    </Stack>
  );
}

function Yes({ value }: { value: boolean }) {
  return value ? (
    <IconCheck size={16} color="var(--mantine-color-teal-filled)" aria-label="yes" />
  ) : (
    <IconMinus size={16} color="var(--mantine-color-dimmed)" aria-label="no" />
  );
}

/** The platforms side by side: what differs at a glance. */
function PlatformComparison({ platforms, selected }: { platforms: Platform[]; selected: string }) {
  const cheapest = (platform: Platform) => {
    const prices = platform.hardware.map((hardware) => hardware.usdPerHour).filter((price): price is number => price !== null);
    return prices.length === 0 ? null : Math.min(...prices);
  };
  return (
    <div>
    <Title order={3} fz="md" mb="xs" id="comparison-heading">
      Compare platforms
    </Title>
    <Table.ScrollContainer minWidth={640}>
      <Table withTableBorder withColumnBorders verticalSpacing="xs" fz="sm" aria-labelledby="comparison-heading">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Platform</Table.Th>
            <Table.Th>Ready</Table.Th>
            <Table.Th>LoRA adapters</Table.Th>
            <Table.Th>Scale to zero</Table.Th>
            <Table.Th>Streaming</Table.Th>
            <Table.Th>Pricing</Table.Th>
            <Table.Th>Hardware</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {platforms.map((platform) => {
            const from = cheapest(platform);
            return (
              <Table.Tr key={platform.id} bg={platform.id === selected ? 'var(--mantine-primary-color-light)' : undefined}>
                <Table.Td fw={600}>{platform.name}</Table.Td>
                <Table.Td>
                  <Yes value={platform.configured} />
                </Table.Td>
                <Table.Td>{describeAdapterMode(platform.capabilities.adapterMode)}</Table.Td>
                <Table.Td>
                  <Yes value={platform.capabilities.scaleToZero} />
                </Table.Td>
                <Table.Td>
                  <Yes value={platform.capabilities.streaming} />
                </Table.Td>
                <Table.Td>{describePricing(platform.pricing.model)}</Table.Td>
                <Table.Td>
                  {platform.hardware.length === 0
                    ? 'Your own'
                    : `${platform.hardware.length} option${platform.hardware.length === 1 ? '' : 's'}${from !== null ? `, from ${formatUsdPerHour(from)}` : ''}`}
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
    </div>
  );
}
