import type { Problem } from './types';

export interface HintContext {
  /** Credentials the deployment's platform still lacks, from the platform catalogue. */
  missingCredentials?: readonly string[];
}

/** What the user can do about a problem, per stable `code`. Null when the detail says it all. */
export function hintFor(problem: Pick<Problem, 'code' | 'retryAfterMs' | 'issues'>, context: HintContext = {}): string | null {
  switch (problem.code) {
    case 'validation_failed':
      return problem.issues && problem.issues.length > 0
        ? 'Correct the fields listed below, then try again.'
        : 'Check the values you entered, then try again.';
    case 'invalid_json':
      return 'The request was not valid JSON. Reload the page and try again.';
    case 'platform_not_configured': {
      const names = context.missingCredentials?.length ? context.missingCredentials.join(', ') : 'the credentials named above';
      return `Set ${names} in the environment of the modelport server (or store them through the API) and restart it. Until then, pick a platform marked "Ready".`;
    }
    case 'platform_auth_failed':
      return 'The platform refused the API key. Check that the key in the server environment is current and has access to deployments.';
    case 'platform_api_error':
      return 'The platform reported an error. Read its message above; fix the setting it names, or retry later if it is a temporary outage.';
    case 'platform_capacity':
      return 'The platform has no capacity for this hardware right now. Pick other hardware or retry in a few minutes.';
    case 'conflict':
      return 'Something with this name or key already exists. Choose another deployment name, or open the existing one.';
    case 'invalid_transition':
      return 'The deployment is in a status that does not allow this action. Wait until it settles, or stop it first.';
    case 'unsupported_capability':
      return 'This platform cannot do what was asked. Change the setting, or choose a platform that supports it.';
    case 'not_found':
      return 'It may have been deleted. Go back to the dashboard to see what exists.';
    case 'rate_limited':
      return problem.retryAfterMs !== undefined
        ? `Too many requests: wait ${Math.ceil(problem.retryAfterMs / 1000)} s and try again.`
        : 'Too many requests: wait a moment and try again.';
    case 'payload_too_large':
      return 'Shorten the prompt or the configuration and try again.';
    case 'timeout':
      return 'The platform did not answer in time. Retry, or raise the request timeout in the deployment settings.';
    case 'network_error':
      return 'Start the server (npm start) or check your connection; this page retries by itself.';
    case 'unauthorized':
      return 'This server requires an API token. Enter one when asked (create it with `modelport token create`).';
    case 'forbidden':
      return 'Your API token may only read. Ask an admin for a deployer token, then enter it again.';
    case 'internal_error':
      return 'The server logged the details. Retry; if it keeps failing, check the server log.';
    default:
      return null;
  }
}
