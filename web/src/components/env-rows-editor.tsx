import { ActionIcon, Button, Group, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import type { GetInputPropsReturnType } from '@mantine/form';
import type { ReactNode } from 'react';
import type { EnvRow } from '../lib/env-rows';

type InputProps = GetInputPropsReturnType;

export interface EnvRowsEditorProps {
  rows: readonly EnvRow[];
  /** `form.getInputProps` of the form holding the rows (fields `env.<i>.key` and `env.<i>.value`). */
  inputProps: (path: string) => InputProps;
  onAdd: () => void;
  onRemove: (index: number) => void;
  /** An error for the whole section (e.g. the platform takes no variables). */
  error?: ReactNode;
  disabled?: boolean;
}

/** Name/value rows with masked values, add and remove; used by the wizard and the configuration form. */
export function EnvRowsEditor({ rows, inputProps, onAdd, onRemove, error, disabled = false }: EnvRowsEditorProps) {
  return (
    <Stack gap="xs">
      {rows.map((row, index) => (
        <Group key={row.id} gap="xs" align="flex-start" wrap="nowrap">
          <TextInput
            aria-label={`Variable ${index + 1} name`}
            placeholder="NAME"
            ff="monospace"
            style={{ flex: 1 }}
            autoComplete="off"
            spellCheck={false}
            disabled={disabled}
            {...inputProps(`env.${index}.key`)}
          />
          <PasswordInput
            aria-label={`Variable ${index + 1} value`}
            placeholder="value"
            style={{ flex: 1.4 }}
            autoComplete="off"
            disabled={disabled}
            {...inputProps(`env.${index}.value`)}
          />
          <ActionIcon variant="subtle" color="red" size="lg" aria-label={`Remove variable ${index + 1}`} onClick={() => onRemove(index)} disabled={disabled}>
            <IconTrash size={16} aria-hidden />
          </ActionIcon>
        </Group>
      ))}
      {error ? (
        <Text size="xs" c="red" role="alert" data-testid="env-error">
          {error}
        </Text>
      ) : null}
      <Group>
        <Button variant="light" size="xs" leftSection={<IconPlus size={14} aria-hidden />} onClick={onAdd} disabled={disabled}>
          Add variable
        </Button>
      </Group>
    </Stack>
  );
}
