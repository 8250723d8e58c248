import type { DeploymentSpec } from '../core/deployment-spec.js';
import type { ProviderRef } from '../core/deployment.js';
import type { ValidationIssue } from '../core/errors/index.js';
import type { InvokeEvent, InvokeRequest } from '../core/invocation.js';
import type { PlatformId } from '../core/platform-id.js';
import type { PriceSource, PricingModel, TokenPrice } from '../core/pricing.js';
import type { Clock, Logger } from '../core/runtime.js';

/** The source of truth for what a platform must do. Every connector passes the suite in `contract/`. */

export interface HardwareOption {
  id: string;
  label: string;
  /** GPU memory in GiB, where it applies. */
  memoryGib?: number;
  /** USD per replica-hour while running; null when unknown. */
  usdPerHour: number | null;
}

export interface PlatformInfo {
  displayName: string;
  description: string;
  /** Short selling points for the wizard's platform comparison. */
  features: string[];
  /** Credential names this platform needs; empty when it needs none. */
  requiredCredentials: string[];
  hardware: HardwareOption[];
  defaults: {
    baseModel: string;
    adapter: string | null;
    hardware: string | null;
    minReplicas: number;
    maxReplicas: number;
  };
  /** Base models to suggest in the wizard. `synthetic` marks the demo weights whose text is meaningless. */
  suggestedModels: { id: string; label: string; synthetic?: boolean; adapters: string[] }[];
  pricing: { model: PricingModel } & PriceSource;
  docsUrl: string | null;
}

export interface PlatformCapabilities {
  /** per-request: any adapter on a running base (LoRAX, local); per-endpoint: fixed at deploy; none. */
  adapterMode: 'per-request' | 'per-endpoint' | 'none';
  scaleToZero: boolean;
  streaming: boolean;
}

export type { Clock, Logger } from '../core/runtime.js';

/**
 * Everything a connector may touch. Connectors never read env vars or the store: what they need
 * arrives here, so tests can point them at fake servers.
 */
export interface ConnectorContext {
  deploymentId: string;
  fetch: typeof fetch;
  clock: Clock;
  logger: Logger;
  /** Resolved credentials for this platform (from env or the encrypted store). */
  credentials: Record<string, string>;
  /** Per-platform settings such as base URL overrides. */
  settings: Record<string, string>;
  signal: AbortSignal;
}

export type ObservedPhase = 'provisioning' | 'ready' | 'degraded' | 'failed' | 'stopped' | 'gone';

export interface Observation {
  phase: ObservedPhase;
  endpointUrl?: string | null;
  /** The provider's own status word, shown raw. */
  providerStatus?: string;
  message?: string;
}

export interface PlatformConnector {
  readonly id: PlatformId;
  readonly info: PlatformInfo;
  readonly capabilities: PlatformCapabilities;

  /**
   * Checks a spec against what this platform supports. Pure, never throws. Unsupported settings are
   * reported, never silently clamped.
   */
  validate(spec: DeploymentSpec): ValidationIssue[];

  /**
   * Checks that need I/O and must fail before anything is stored or started (a model file that does
   * not exist, an adapter that does not fit its base). Optional. Throws ValidationError; changes nothing.
   */
  preflight?(spec: DeploymentSpec, context: ConnectorContext): Promise<void>;

  /**
   * Creates (or adopts) the provider resource for a deployment. Idempotent: the provider-side name is
   * derived from `context.deploymentId`, and an existing resource with that name is adopted, never
   * duplicated. Returns once the provider accepted the request, not once it is ready.
   * Throws ModelportError subclasses; `retryable` says whether repeating may help.
   */
  apply(spec: DeploymentSpec, context: ConnectorContext): Promise<ProviderRef>;

  /** Reads where the resource stands. Never changes anything. Unknown provider states map to a safe phase. */
  observe(ref: ProviderRef, spec: DeploymentSpec, context: ConnectorContext): Promise<Observation>;

  /** Applies a changed spec to an existing resource. Idempotent. Returns the (possibly new) reference. */
  update(ref: ProviderRef, spec: DeploymentSpec, context: ConnectorContext): Promise<ProviderRef>;

  /** Removes or stops the resource. Idempotent: already gone is success. */
  destroy(ref: ProviderRef, spec: DeploymentSpec, context: ConnectorContext): Promise<void>;

  /**
   * Runs one inference. Yields text deltas as they arrive, then exactly one `done` with usage.
   * Honours `context.signal` (abort ends the stream). Throws before the first delta for errors the
   * provider reports up front; mid-stream failures throw from the iterator.
   */
  invoke(ref: ProviderRef, spec: DeploymentSpec, request: InvokeRequest, context: ConnectorContext): AsyncIterable<InvokeEvent>;

  /** Price of one request on this deployment; null when unknown (unpriced). */
  tokenPrice(spec: DeploymentSpec): TokenPrice | null;

  /** USD per replica-hour while the deployment is active (dedicated hardware); null when not time-priced or unknown. */
  hourlyPrice(spec: DeploymentSpec): number | null;
}
