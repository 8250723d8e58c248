import { Alert, Autocomplete, Stack, Text, TextInput } from '@mantine/core';
import type { UseFormReturnType } from '@mantine/form';
import { IconFlask } from '@tabler/icons-react';
import type { Platform } from '../../../api/types';
import { OPENAI_COMPATIBLE, type WizardValues } from '../wizard-model';
import { describeAdapterMode } from './platform-step';

const modelHelp: Record<string, string> = {
  local: 'A demo model id, or a path to a GGUF file (absolute, or relative to the data folder’s models/).',
  [OPENAI_COMPATIBLE]: 'The model name your server serves (as listed by its /v1/models).',
};

/** Step 2: base model, adapter and name (and, for a server you run, where it is). */
export function ModelStep({ form, platform, onNameEdited }: { form: UseFormReturnType<WizardValues>; platform: Platform; onNameEdited: () => void }) {
  const suggestion = platform.suggestedModels.find((model) => model.id === form.values.baseModel);
  const adapterOptions = suggestion?.adapters ?? [];
  const adaptersSupported = platform.capabilities.adapterMode !== 'none';
  return (
    <Stack gap="md">
      {platform.id === OPENAI_COMPATIBLE && (
        <>
          <TextInput
            label="Server URL"
            description="Your server's OpenAI base URL, usually ending in /v1 (vLLM http://host:8000/v1, Ollama http://host:11434/v1)."
            placeholder="http://10.0.0.5:8000/v1"
            withAsterisk
            {...form.getInputProps('baseUrl')}
          />
          <TextInput
            label="API key credential"
            description="Name of the environment variable holding the server's key, if it needs one. Keys are never stored in the deployment."
            placeholder="OPENAI_COMPATIBLE_API_KEY"
            {...form.getInputProps('apiKeyEnv')}
          />
        </>
      )}
      <Autocomplete
        label="Base model"
        description={modelHelp[platform.id] ?? 'The model id as the platform knows it.'}
        placeholder={platform.suggestedModels[0]?.id ?? 'organisation/model'}
        data={platform.suggestedModels.map((model) => model.id)}
        withAsterisk
        {...form.getInputProps('baseModel')}
      />
      {suggestion && (
        <Text size="xs" c="dimmed" mt={-8}>
          {suggestion.label}
        </Text>
      )}
      {suggestion?.synthetic && (
        <Alert color="yellow" variant="light" icon={<IconFlask aria-hidden />} title="Synthetic demo model" data-testid="synthetic-notice">
          {suggestion.id} has random weights generated on this machine: its text is meaningless. It is here to show the whole flow (deploy, stream,
          measure) without downloading anything; its adapters make their signature word appear, which shows they are applied.
        </Alert>
      )}
      <Autocomplete
        label="LoRA adapter"
        description={
          adaptersSupported
            ? `Optional. ${describeAdapterMode(platform.capabilities.adapterMode)}.${platform.id === 'local' ? ' A demo adapter or a GGUF LoRA file.' : ''}`
            : `${platform.name} does not serve adapters: leave this empty.`
        }
        placeholder={adapterOptions[0] ?? (adaptersSupported ? 'none' : 'not supported')}
        data={adapterOptions}
        {...form.getInputProps('adapterId')}
      />
      <TextInput
        label="Deployment name"
        description="Lowercase letters, digits and dashes. Clients call the endpoint with this as the model name."
        placeholder="support-bot"
        withAsterisk
        autoComplete="off"
        spellCheck={false}
        {...form.getInputProps('name')}
        onChange={(event) => {
          onNameEdited();
          form.getInputProps('name').onChange(event);
        }}
      />
    </Stack>
  );
}
