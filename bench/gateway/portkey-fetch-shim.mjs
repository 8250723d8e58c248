// Preloaded into the Portkey process by the benchmark (node --import). Portkey 1.15.x appends its
// x-portkey-* headers to the Response it got from fetch(), whose headers are immutable under the fetch
// spec, so every streamed request fails with "TypeError: immutable" on Node
// (https://github.com/Portkey-AI/gateway/issues/1389, /1550). Re-wrapping fetch's responses with
// mutable headers is the smallest change that lets Portkey stream; it costs Portkey one Response object
// per request.
const originalFetch = globalThis.fetch;
globalThis.fetch = async (...args) => {
  const response = await originalFetch(...args);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers: new Headers(response.headers) });
};
