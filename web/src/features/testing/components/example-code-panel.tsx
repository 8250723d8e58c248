import { Code, Group, Paper, Tabs, Text } from '@mantine/core';
import { useState } from 'react';
import { CopyValue } from '../../../components/copy-value';
import { exampleCode, type ExampleLanguage, type ExampleRequest } from '../example-code';

const languages: { value: ExampleLanguage; label: string }[] = [
  { value: 'curl', label: 'curl' },
  { value: 'typescript', label: 'TypeScript' },
  { value: 'python', label: 'Python' },
];

/** How to call this endpoint from code, with the parameters currently on screen. */
export function ExampleCodePanel({ request }: { request: ExampleRequest }) {
  const [language, setLanguage] = useState<ExampleLanguage>('curl');
  const code = exampleCode(request);
  return (
    <Paper withBorder radius="md" p="lg" component="section" aria-label="Example code">
      <Group justify="space-between" mb="xs">
        <Text fw={700}>Call it from code</Text>
        <CopyValue value={code[language]} label={`Copy the ${languages.find((item) => item.value === language)?.label} example`} size="md" />
      </Group>
      <Text size="xs" c="dimmed" mb="sm">
        Any OpenAI client works: base URL <Code fz="xs">{request.endpointUrl}</Code>, model <Code fz="xs">{request.model}</Code>.
        {language !== 'curl' && ' Install the client with npm i openai / pip install openai.'}
      </Text>
      <Tabs value={language} onChange={(value) => setLanguage((value as ExampleLanguage | null) ?? 'curl')} variant="outline">
        <Tabs.List>
          {languages.map((item) => (
            <Tabs.Tab key={item.value} value={item.value}>
              {item.label}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        {languages.map((item) => (
          <Tabs.Panel key={item.value} value={item.value} pt="sm">
            <Code block style={{ whiteSpace: 'pre', overflowX: 'auto', maxHeight: 360 }} data-testid={`example-${item.value}`}>
              {code[item.value]}
            </Code>
          </Tabs.Panel>
        ))}
      </Tabs>
    </Paper>
  );
}
