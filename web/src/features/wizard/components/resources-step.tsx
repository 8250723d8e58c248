import { Accordion, ActionIcon, Button, Group, JsonInput, NumberInput, PasswordInput, Radio, Select, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import type { UseFormReturnType } from '@mantine/form';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import type { Platform } from '../../../api/types';
import { formatUsd, formatUsdPerHour } from '../../../lib/format';
import { monthlyEstimate, takesEnvironment, type WizardValues } from '../wizard-model';
import cardClasses from './radio-card.module.css';

/** Longer catalogues (Modal lists dozens of GPUs) become a searchable list instead of cards. */
const MAX_HARDWARE_CARDS = 9;

let rowCounter = 0;
const newRowId = () => `env-${Date.now().toString(36)}-${(rowCounter++).toString(36)}`;

/** Step 3: hardware (with prices), scaling, timeouts, environment variables and platform options. */
export function ResourcesStep({ form, platform }: { form: UseFormReturnType<WizardValues>; platform: Platform }) {
  const values = form.values;
  const hardware = platform.hardware.find((item) => item.id === values.hardware);
  const estimate = monthlyEstimate(hardware?.usdPerHour, values.minReplicas, values.maxReplicas);
  const allowsNoHardware = platform.defaults['hardware'] === null || platform.defaults['hardware'] === undefined;
  const isLocal = platform.id === 'local';
  return (
    <Stack gap="xl">
      <section aria-labelledby="hardware-heading">
        <Title order={3} fz="md" id="hardware-heading" mb={4}>
          Hardware
        </Title>
        {platform.hardware.length === 0 ? (
          <Text size="sm" c="dimmed">
            {platform.name} runs on hardware you manage; there is nothing to choose here.
          </Text>
        ) : platform.hardware.length > MAX_HARDWARE_CARDS ? (
          <Select
            aria-labelledby="hardware-heading"
            description="From the platform's catalogue, with its hourly price per replica."
            placeholder={allowsNoHardware ? 'No dedicated hardware (serverless)' : 'Choose hardware'}
            data={platform.hardware.map((option) => ({ value: option.id, label: `${option.label} · ${formatUsdPerHour(option.usdPerHour)}` }))}
            searchable
            clearable={allowsNoHardware}
            nothingFoundMessage="No hardware matches"
            value={values.hardware || null}
            onChange={(value) => form.setFieldValue('hardware', value ?? '')}
            error={form.errors['hardware']}
            maxDropdownHeight={320}
          />
        ) : (
          <Radio.Group {...form.getInputProps('hardware')} aria-labelledby="hardware-heading" description="From the platform's catalogue, with its hourly price per replica.">
            <SimpleGrid cols={{ base: 1, sm: 2, md: 3 }} spacing="sm" mt="xs">
              {allowsNoHardware && (
                <Radio.Card value="" radius="md" p="sm" aria-label="No dedicated hardware" className={cardClasses.card}>
                  <Group wrap="nowrap" gap="sm" align="flex-start">
                    <Radio.Indicator />
                    <div>
                      <Text fw={600} size="sm">
                        No dedicated hardware
                      </Text>
                      <Text size="xs" c="dimmed">
                        Shared/serverless where the platform offers it; billed per token
                      </Text>
                    </div>
                  </Group>
                </Radio.Card>
              )}
              {platform.hardware.map((option) => (
                <Radio.Card key={option.id} value={option.id} radius="md" p="sm" aria-label={option.label} data-testid={`hardware-${option.id}`} className={cardClasses.card}>
                  <Group wrap="nowrap" gap="sm" align="flex-start">
                    <Radio.Indicator />
                    <div style={{ minWidth: 0 }}>
                      <Text fw={600} size="sm">
                        {option.label}
                      </Text>
                      <Text size="xs" c="dimmed">
                        {[option.memoryGib ? `${option.memoryGib} GiB` : null, formatUsdPerHour(option.usdPerHour)].filter(Boolean).join(' · ')}
                      </Text>
                    </div>
                  </Group>
                </Radio.Card>
              ))}
            </SimpleGrid>
          </Radio.Group>
        )}
        {hardware && hardware.usdPerHour === null && (
          <Text size="sm" c="dimmed" mt="xs">
            The platform publishes no price for this hardware: its infrastructure cost will show as unpriced.
          </Text>
        )}
        {estimate && estimate.high > 0 && (
          <Text size="sm" mt="xs" data-testid="cost-estimate">
            Estimated infrastructure cost: {estimate.low === estimate.high ? formatUsd(estimate.high) : `${formatUsd(estimate.low)} – ${formatUsd(estimate.high)}`} per month
            <Text span c="dimmed" size="sm">
              {' '}
              ({formatUsdPerHour(hardware?.usdPerHour)} × replicas × 730 h)
            </Text>
          </Text>
        )}
      </section>

      <section aria-labelledby="scaling-heading">
        <Title order={3} fz="md" id="scaling-heading" mb="xs">
          Scaling
        </Title>
        <SimpleGrid cols={{ base: 1, sm: platform.capabilities.scaleToZero ? 3 : 2 }} spacing="md">
          <NumberInput
            label="Minimum replicas"
            description={platform.capabilities.scaleToZero ? '0 scales to zero when idle' : 'Replicas kept running'}
            min={0}
            max={100}
            allowDecimal={false}
            {...form.getInputProps('minReplicas')}
          />
          <NumberInput label="Maximum replicas" description="Upper bound under load" min={1} max={100} allowDecimal={false} {...form.getInputProps('maxReplicas')} />
          {platform.capabilities.scaleToZero && (
            <NumberInput
              label="Scale-down delay"
              description="Idle time before scaling down"
              suffix=" s"
              min={0}
              max={86_400}
              allowDecimal={false}
              placeholder="platform default"
              {...form.getInputProps('scaleDownDelaySeconds')}
            />
          )}
        </SimpleGrid>
      </section>

      <section aria-labelledby="timeouts-heading">
        <Title order={3} fz="md" id="timeouts-heading" mb="xs">
          Timeouts
        </Title>
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
          <NumberInput label="Request timeout" description="Per inference request, end to end" suffix=" s" min={0.1} max={600} decimalScale={1} {...form.getInputProps('requestTimeoutSeconds')} />
          <NumberInput
            label="Deploy timeout"
            description="A deploy taking longer ends failed and is cleaned up"
            suffix=" s"
            min={1}
            max={7_200}
            allowDecimal={false}
            {...form.getInputProps('deployTimeoutSeconds')}
          />
        </SimpleGrid>
      </section>

      <section aria-labelledby="env-heading">
        <Title order={3} fz="md" id="env-heading" mb={4}>
          Environment variables
        </Title>
        {!takesEnvironment(platform.id) ? (
          <Text size="sm" c="dimmed">
            {isLocal
              ? 'The local platform runs inside the modelport process, so it takes no environment variables.'
              : `modelport does not start your server, so it cannot set its environment.`}
          </Text>
        ) : (
          <Stack gap="xs">
            <Text size="sm" c="dimmed">
              Passed to the model server. Values are masked on screen; put API keys in the server environment, not here.
            </Text>
            {values.env.map((row, index) => (
              <Group key={row.id} gap="xs" align="flex-start" wrap="nowrap">
                <TextInput
                  aria-label={`Variable ${index + 1} name`}
                  placeholder="NAME"
                  ff="monospace"
                  style={{ flex: 1 }}
                  autoComplete="off"
                  spellCheck={false}
                  {...form.getInputProps(`env.${index}.key`)}
                />
                <PasswordInput aria-label={`Variable ${index + 1} value`} placeholder="value" style={{ flex: 1.4 }} autoComplete="off" {...form.getInputProps(`env.${index}.value`)} />
                <ActionIcon variant="subtle" color="red" size="lg" aria-label={`Remove variable ${index + 1}`} onClick={() => form.removeListItem('env', index)}>
                  <IconTrash size={16} aria-hidden />
                </ActionIcon>
              </Group>
            ))}
            {form.errors['env'] && (
              <Text size="xs" c="red" role="alert">
                {form.errors['env']}
              </Text>
            )}
            <Group>
              <Button variant="light" size="xs" leftSection={<IconPlus size={14} aria-hidden />} onClick={() => form.insertListItem('env', { id: newRowId(), key: '', value: '' })}>
                Add variable
              </Button>
            </Group>
          </Stack>
        )}
      </section>

      {!isLocal && (
        <Accordion variant="separated" defaultValue={form.values.platformOptions.trim() || form.errors['platformOptions'] ? 'advanced' : null}>
          <Accordion.Item value="advanced">
            <Accordion.Control>Advanced: platform options</Accordion.Control>
            <Accordion.Panel>
              <JsonInput
                label="Platform options (JSON)"
                description={`Settings only ${platform.name} has; see its documentation${platform.docsUrl ? ` (${platform.docsUrl})` : ''}. Leave empty for the defaults.`}
                placeholder="{}"
                autosize
                minRows={3}
                formatOnBlur
                validationError="not valid JSON"
                {...form.getInputProps('platformOptions')}
              />
            </Accordion.Panel>
          </Accordion.Item>
        </Accordion>
      )}
    </Stack>
  );
}
