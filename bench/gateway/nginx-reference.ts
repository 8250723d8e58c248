// nginx as a reverse proxy for the same upstream: a reference row, not a competitor. It shows what a
// proxy written in C adds on this machine, so a latency goal can be read against what the machine
// allows. Only when an nginx binary is installed (Debian: apt-get install nginx-light).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface NginxReference {
  executable: string;
  args: string[];
  port: number;
}

/** The command that runs nginx in the foreground, one process, proxying `port` to the upstream; null without nginx. */
export function nginxReference(upstreamPort: number, port: number): NginxReference | null {
  const executable = ['/usr/sbin/nginx', spawnSync('sh', ['-c', 'command -v nginx']).stdout?.toString().trim() ?? ''].find((candidate) => candidate !== '' && spawnSync(candidate, ['-v']).status === 0);
  if (executable === undefined) return null;
  const dir = mkdtempSync(join(tmpdir(), 'modelport-bench-nginx-'));
  // One process (no master), as each Node.js gateway is; keep-alive both ways; responses not buffered,
  // so streams pass through as they come.
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
master_process off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir};
  proxy_temp_path ${dir};
  upstream bench { server 127.0.0.1:${upstreamPort}; keepalive 256; }
  server {
    listen 127.0.0.1:${port};
    keepalive_requests 1000000;
    location / {
      proxy_pass http://bench;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
`,
  );
  return { executable, args: ['-c', join(dir, 'nginx.conf'), '-p', dir], port };
}
