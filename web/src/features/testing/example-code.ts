export interface ExampleRequest {
  /** The gateway base URL (…/v1). */
  endpointUrl: string;
  /** The deployment name, or `name:adapter` for another adapter. */
  model: string;
  prompt: string;
  maxTokens: number;
  temperature: number;
  topP: number;
}

export type ExampleLanguage = 'curl' | 'typescript' | 'python';

const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** Copyable code that calls the endpoint with the OpenAI protocol, with the parameters on screen. */
export function exampleCode(request: ExampleRequest): Record<ExampleLanguage, string> {
  const base = request.endpointUrl.replace(/\/+$/, '');
  const body = {
    model: request.model,
    messages: [{ role: 'user', content: request.prompt }],
    max_tokens: request.maxTokens,
    temperature: request.temperature,
    top_p: request.topP,
  };
  const curl = [
    `curl ${base}/chat/completions \\`,
    `  -H 'content-type: application/json' \\`,
    `  -d ${shellQuote(JSON.stringify(body, null, 2))}`,
  ].join('\n');

  const typescript = [
    `import OpenAI from 'openai';`,
    ``,
    `// modelport's gateway speaks the OpenAI protocol; the model is the deployment name.`,
    `const client = new OpenAI({`,
    `  baseURL: ${JSON.stringify(base)},`,
    `  apiKey: process.env.MODELPORT_TOKEN ?? 'unused', // a token is only needed when the server requires one`,
    `});`,
    ``,
    `const stream = await client.chat.completions.create({`,
    `  model: ${JSON.stringify(request.model)},`,
    `  messages: [{ role: 'user', content: ${JSON.stringify(request.prompt)} }],`,
    `  max_tokens: ${request.maxTokens},`,
    `  temperature: ${request.temperature},`,
    `  top_p: ${request.topP},`,
    `  stream: true,`,
    `});`,
    `for await (const chunk of stream) {`,
    `  process.stdout.write(chunk.choices[0]?.delta?.content ?? '');`,
    `}`,
  ].join('\n');

  const python = [
    `import os`,
    `from openai import OpenAI`,
    ``,
    `# modelport's gateway speaks the OpenAI protocol; the model is the deployment name.`,
    `client = OpenAI(`,
    `    base_url=${JSON.stringify(base)},`,
    `    api_key=os.environ.get("MODELPORT_TOKEN", "unused"),  # only needed when the server requires a token`,
    `)`,
    ``,
    `stream = client.chat.completions.create(`,
    `    model=${JSON.stringify(request.model)},`,
    `    messages=[{"role": "user", "content": ${JSON.stringify(request.prompt)}}],`,
    `    max_tokens=${request.maxTokens},`,
    `    temperature=${request.temperature},`,
    `    top_p=${request.topP},`,
    `    stream=True,`,
    `)`,
    `for chunk in stream:`,
    `    if chunk.choices:`,
    `        print(chunk.choices[0].delta.content or "", end="", flush=True)`,
    `print()`,
  ].join('\n');

  return { curl, typescript, python };
}
