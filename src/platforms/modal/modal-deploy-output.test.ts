import { describe, expect, it } from 'vitest';
import { acceptableEndpointUrl, parseDeployOutput, stripAnsi } from './modal-deploy-output.js';

const typical = [
  '✓ Initialized. View run at https://modal.com/apps/acme/main/ap-AbCdEfGhIjKlMnOpQrStUv',
  '✓ Created objects.',
  '├── 🔨 Created mount /srv/modelport/modal-apps/mp-abc.py',
  '├── 🔨 Created function helper.',
  '└── 🔨 Created web function serve => https://acme--mp-abc-serve.modal.run',
  '✓ App deployed in 41.203s! 🎉',
  '',
  'View Deployment: https://modal.com/apps/acme/main/deployed/mp-abc',
].join('\n');

describe('parseDeployOutput', () => {
  it('finds the web endpoint and the app id, not the dashboard links', () => {
    expect(parseDeployOutput(typical, 'serve')).toEqual({
      endpointUrl: 'https://acme--mp-abc-serve.modal.run',
      endpointUrls: ['https://acme--mp-abc-serve.modal.run'],
      appId: 'ap-AbCdEfGhIjKlMnOpQrStUv',
      skipped: false,
    });
  });

  it('survives colour codes, the proxy-auth key emoji and a URL wrapped onto the next line', () => {
    const coloured = '\u001b[32m└── 🔨\u001b[0m Created web function serve =>\n    \u001b[4mhttps://acme-prod--mp-abc-serve.modal.run\u001b[0m 🔑\n';
    expect(parseDeployOutput(coloured, 'serve').endpointUrl).toBe('https://acme-prod--mp-abc-serve.modal.run');
  });

  it('prefers the named function over other endpoints and reads custom domains', () => {
    const output = [
      'Created web function docs => https://acme--mp-abc-docs.modal.run (label truncated)',
      'Created web function serve => https://acme--mp-abc-serve.modal.run',
      'Custom domain for serve => https://llm.example.com',
    ].join('\n');
    const parsed = parseDeployOutput(output, 'serve');
    expect(parsed.endpointUrl).toBe('https://acme--mp-abc-serve.modal.run');
    expect(parsed.endpointUrls).toEqual([
      'https://acme--mp-abc-docs.modal.run',
      'https://acme--mp-abc-serve.modal.run',
      'https://llm.example.com',
    ]);
  });

  it('reports a skipped deploy that printed no endpoint', () => {
    expect(parseDeployOutput('✓ Deployment skipped: no changes detected! ⏭️\n', 'serve')).toMatchObject({
      endpointUrl: null,
      skipped: true,
    });
  });

  it('finds nothing in output without endpoints', () => {
    expect(parseDeployOutput('Error: something broke\nView Deployment: https://modal.com/apps/x', 'serve').endpointUrl).toBeNull();
  });
});

describe('acceptableEndpointUrl', () => {
  it('takes https anywhere and plain http only on loopback', () => {
    expect(acceptableEndpointUrl('https://a--b.modal.run/')).toBe('https://a--b.modal.run');
    expect(acceptableEndpointUrl('http://127.0.0.1:8000/fake-ws--app-serve')).toBe('http://127.0.0.1:8000/fake-ws--app-serve');
    expect(acceptableEndpointUrl('http://a--b.modal.run')).toBeNull();
    expect(acceptableEndpointUrl('http://169.254.169.254/latest')).toBeNull();
    expect(acceptableEndpointUrl('https://user:pw@a.modal.run')).toBeNull();
    expect(acceptableEndpointUrl('not a url')).toBeNull();
    expect(acceptableEndpointUrl('https://a--b.modal.run).')).toBe('https://a--b.modal.run');
  });
});

describe('stripAnsi', () => {
  it('removes colours and hyperlinks', () => {
    expect(stripAnsi('\u001b[1;32mok\u001b[0m \u001b]8;;https://x\u0007link\u001b]8;;\u0007')).toBe('ok link');
  });
});
