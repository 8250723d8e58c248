import { Accordion, Group, JsonInput, NumberInput, Radio, Select, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import type { UseFormReturnType } from '@mantine/form';
import type { Platform } from '../../../api/types';
import { EnvRowsEditor } from '../../../components/env-rows-editor';
import { newEnvRowId } from '../../../lib/env-rows';
import { formatUsd, formatUsdPerHour } from '../../../lib/format';
import { monthlyEstimate, type WizardValues } from '../wizard-model';
import cardClasses from './radio-card.module.css';

/** Longer catalogues (Modal lists dozens of GPUs) become a searchable list instead of cards. */
const MAX_HARDWARE_CARDS = 9;

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
            error={form.getInputProps('hardware').error}
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
        {/* Which platforms take environment variables is the server's call: its dry run flags them on this section. */}
        <Stack gap="xs">
          <Text size="sm" c="dimmed">
            Passed to the model server. Values are masked on screen; put API keys in the server environment, not here.
          </Text>
          <EnvRowsEditor
            rows={values.env}
            inputProps={(path) => form.getInputProps(path)}
            onAdd={() => form.insertListItem('env', { id: newEnvRowId(), key: '', value: '' })}
            onRemove={(index) => form.removeListItem('env', index)}
            error={form.getInputProps('env').error}
          />
        </Stack>
      </section>

      {!isLocal && (
        <Accordion variant="separated" defaultValue={form.values.platformOptions.trim() || form.getInputProps('platformOptions').error ? 'advanced' : null}>
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
