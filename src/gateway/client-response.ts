/**
 * What the gateway writes a response through: the part of node:http's ServerResponse it uses, so the
 * same attempts answer requests that came through Fastify and those the completion front
 * (completion-front.ts) read off the socket itself (raw-response.ts).
 */
export interface ClientResponse {
  /** Status and headers; sent with the first body bytes. Throws on a value holding CR or LF. */
  writeHead(status: number, headers: Record<string, string | number>): unknown;
  /** False when the socket's buffer is full: wait for 'drain'. */
  write(chunk: Buffer | string): boolean;
  end(chunk?: Buffer | string): unknown;
  /** 'close' comes exactly once: after the response finished, or when the connection went away first. */
  once(event: 'drain' | 'close', listener: () => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  /** Everything was handed to the operating system. */
  readonly writableFinished: boolean;
}
