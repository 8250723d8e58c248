import { describe, expect, it } from 'vitest';
import { addressRefusal, checkOutboundUrl, classifyAddress } from './url-guard.js';

const open = { allowPrivate: true };
const strict = { allowPrivate: false };

describe('checkOutboundUrl', () => {
  it.each([
    'http://127.0.0.1:8000/v1',
    'http://localhost:11434/v1',
    'http://10.0.0.5:8000/v1',
    'http://192.168.1.20/v1',
    'http://[::1]:8000/v1',
    'https://vllm.example.com/v1',
  ])('allows %s when private addresses are allowed', (url) => {
    expect(checkOutboundUrl(url, open)).toEqual([]);
  });

  it.each([
    'http://169.254.169.254/latest/meta-data/',
    'http://169.254.170.2/v2/credentials',
    'http://2852039166/', // 169.254.169.254 as one decimal number
    'http://0xa9.0xfe.0xa9.0xfe/',
    'http://[fd00:ec2::254]/',
    'http://[::ffff:169.254.169.254]/',
    'http://[fe80::1]/',
    'http://[64:ff9b::a9fe:a9fe]/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://METADATA.GOOGLE.INTERNAL./',
    'http://100.100.100.200/latest/meta-data/',
  ])('refuses the metadata address %s even when private addresses are allowed', (url) => {
    const issues = checkOutboundUrl(url, open);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.message).toMatch(/metadata/);
  });

  it.each([
    'http://127.0.0.1:8000/v1',
    'http://localhost/v1',
    'http://10.1.2.3/v1',
    'http://172.20.0.1/v1',
    'http://192.168.0.1/v1',
    'http://100.64.0.1/v1',
    'http://[::1]/v1',
    'http://[fd12:3456::1]/v1',
    'http://[::ffff:127.0.0.1]/v1',
    'http://0.0.0.0:8000/v1',
    'http://printer.local/v1',
  ])('refuses the private address %s when private addresses are not allowed', (url) => {
    expect(checkOutboundUrl(url, strict)[0]?.message).toMatch(/private/);
  });

  it('allows public hosts when private ones are refused', () => {
    expect(checkOutboundUrl('https://api.example.com/v1', strict)).toEqual([]);
    expect(checkOutboundUrl('http://8.8.8.8/v1', strict)).toEqual([]);
  });

  it.each([
    ['not a url', /absolute/],
    ['ftp://example.com/v1', /http or https/],
    ['file:///etc/passwd', /http or https/],
    ['http://user:secret@example.com/v1', /credentials/],
  ])('refuses %s', (url, message) => {
    expect(checkOutboundUrl(url, open)[0]?.message).toMatch(message);
  });

  it('applies deny and allow lists, with .suffix matching subdomains', () => {
    expect(checkOutboundUrl('http://bad.example.com/v1', { ...open, deniedHosts: ['.example.com'] })).toHaveLength(1);
    expect(checkOutboundUrl('http://example.org/v1', { ...open, deniedHosts: ['.example.com'] })).toEqual([]);
    expect(checkOutboundUrl('http://gpu.corp.net/v1', { ...strict, allowedHosts: ['.corp.net'] })).toEqual([]);
    expect(checkOutboundUrl('http://other.net/v1', { ...open, allowedHosts: ['.corp.net'] })[0]?.message).toMatch(/allow list/);
    // An allow list never lets metadata through.
    expect(checkOutboundUrl('http://169.254.169.254/', { ...open, allowedHosts: ['169.254.169.254'] })).toHaveLength(1);
  });

  it('reports the path it was given', () => {
    expect(checkOutboundUrl('nope', { ...open, path: 'platformOptions.baseUrl' })[0]?.path).toBe('platformOptions.baseUrl');
  });
});

describe('classifyAddress', () => {
  it.each([
    ['169.254.169.254', 'metadata'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['fe80::1%eth0', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['127.0.0.1', 'private'],
    ['::1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['100.64.0.1', 'private'],
    ['93.184.216.34', 'public'],
    ['2606:2800:220:1::', 'public'],
    ['example.com', null],
  ])('%s is %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });
});

describe('addressRefusal', () => {
  it('refuses metadata always, private unless allowed or the host is allow-listed', () => {
    expect(addressRefusal('a.example.com', '169.254.169.254', open)).toMatch(/metadata/);
    expect(addressRefusal('a.example.com', '10.0.0.1', strict)).toMatch(/private/);
    expect(addressRefusal('a.example.com', '10.0.0.1', open)).toBeNull();
    expect(addressRefusal('gpu.corp.net.', '10.0.0.1', { ...strict, allowedHosts: ['.corp.net'] })).toBeNull();
    expect(addressRefusal('gpu.corp.net', '169.254.169.254', { ...open, allowedHosts: ['.corp.net'] })).toMatch(/metadata/);
    expect(addressRefusal('a.example.com', '93.184.216.34', strict)).toBeNull();
    expect(addressRefusal('a.example.com', 'not-an-address', open)).toMatch(/not an IP address/);
  });
});
