// The floor: the least a Node.js HTTP proxy can do (node:http in, node:http keep-alive out, bytes piped
// both ways, nothing parsed, nothing recorded). What it adds over direct calls is the cost of one more
// loopback hop on this machine, which every gateway pays before doing anything useful.
// Env: UPSTREAM_PORT. Prints "READY <port>".
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const upstreamPort = Number(process.env['UPSTREAM_PORT']);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1024, noDelay: true } as http.AgentOptions);
const server = http.createServer((request, response) => {
  const { host: _host, ...headers } = request.headers;
  const outgoing = http.request({ host: '127.0.0.1', port: upstreamPort, path: request.url, method: request.method, headers, agent }, (upstream) => {
    response.writeHead(upstream.statusCode ?? 502, upstream.headers);
    upstream.pipe(response);
  });
  outgoing.on('error', () => response.destroy());
  request.pipe(outgoing);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`));
