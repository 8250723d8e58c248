/**
 * Reads what `modal deploy` printed. The CLI has no JSON mode, so this is a defensive text parse of
 * rich console output: colour codes, emoji, tree glyphs and line wrapping are all tolerated.
 *
 * Known lines (modal 1.5): `Created web function <tag> => https://<...>.modal.run` (` 🔑` after it with
 * proxy auth, `(label truncated)` or `(label stolen)` sometimes), `Custom domain for <tag> => <url>`,
 * `✓ App deployed in 12.3s! 🎉`, `✓ Deployment skipped: no changes detected!`, and
 * `View Deployment: https://modal.com/apps/...` (a dashboard link, never the endpoint).
 */

export interface DeployOutput {
  /** The web endpoint of `functionTag`, else the first endpoint printed; null when none was found. */
  endpointUrl: string | null;
  /** Every endpoint printed, in order. */
  endpointUrls: string[];
  /** `ap-...` when the output names it (dashboard links do). */
  appId: string | null;
  /** Modal reported that nothing changed, so it may not have printed endpoints at all. */
  skipped: boolean;
}

// CSI sequences (colours, cursor moves) and OSC 8 hyperlinks, which rich emits on some terminals.
const ansiPattern = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;

/** `=> <url>`: the URL may have been wrapped onto the next line, hence `\s+`. */
const arrowUrlPattern = /(?:web function|Web Function URL for|Custom domain for)\s+([\w.-]+)\s+=>\s+(\S+)/gi;
const appIdPattern = /\b(ap-[A-Za-z0-9]{22})\b/;

/** Removes terminal colour and hyperlink escapes. */
export function stripAnsi(text: string): string {
  return text.replace(ansiPattern, '');
}

/** Parses deploy output; never throws. */
export function parseDeployOutput(text: string, functionTag: string): DeployOutput {
  const clean = stripAnsi(text);
  const endpoints: { tag: string; url: string }[] = [];
  for (const match of clean.matchAll(arrowUrlPattern)) {
    const tag = match[1];
    const url = match[2] === undefined ? null : acceptableEndpointUrl(match[2]);
    if (tag !== undefined && url !== null) endpoints.push({ tag, url });
  }
  const own = endpoints.find((endpoint) => endpoint.tag === functionTag);
  return {
    endpointUrl: own?.url ?? endpoints[0]?.url ?? null,
    endpointUrls: endpoints.map((endpoint) => endpoint.url),
    appId: appIdPattern.exec(clean)?.[1] ?? null,
    skipped: /deployment skipped/i.test(clean),
  };
}

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * An endpoint URL we are willing to call: https anywhere (Modal's `*.modal.run` or a custom domain);
 * plain http only on this machine (a development proxy or a test double), never across a network.
 * Trailing punctuation that is not part of a URL (a closing bracket, a full stop) is dropped.
 */
export function acceptableEndpointUrl(candidate: string): string | null {
  const trimmed = candidate.replace(/[)\].,;'"]+$/, '');
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return null;
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') return null;
  if (url.protocol === 'https:' || (url.protocol === 'http:' && loopbackHosts.has(url.hostname))) {
    return url.href.replace(/\/+$/, '');
  }
  return null;
}
