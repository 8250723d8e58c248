/** Types of modal-fake-state.mjs (plain JS so the fake CLI starts without a TypeScript loader). */

export interface FakeModalApp {
  appId: string;
  name: string;
  environment: string;
  state: string;
  tasks: number;
  createdAt: string;
  stoppedAt: string | null;
  /** Deploys of this app id so far (a redeploy of a live name updates it in place). */
  deployCount: number;
  file: string;
  fileContent: string;
  constants: Record<string, unknown>;
  url: string;
  /** `app list` runs left before a `stopping...` app shows as `stopped`. */
  stoppingLists?: number;
}

export interface FakeModalCall {
  argv: string[];
  tokenId: string | null;
  hasTokenSecret: boolean;
  environment: string | null;
  columns: string | null;
  exitCode: number | null;
}

export interface FakeModalScenario {
  /** The next `times` deploys fail with this message (exit 1). */
  deployFailure?: { message: string; times: number } | null;
  /** The next deploy records the app, then hangs until killed: a crash between create and record. */
  deployHangsAfterCreate?: boolean;
  /** Deploy prints no endpoint lines. */
  omitUrl?: boolean;
  /** Deploy wraps the URL onto its own line, as a narrow terminal would. */
  wrapUrl?: boolean;
  /** The next `times` `app list` runs fail with this message. */
  listFailure?: { message: string; times: number } | null;
  /** `app list --json` prints something that is not JSON. */
  listMalformed?: boolean;
  /** Apps stay `stopping...` for this many `app list` runs after a stop. */
  stoppingLists?: number;
  /** `app stop` fails with this message. */
  stopFailure?: string | null;
}

export interface FakeModalState {
  workspace: string;
  serverUrl: string;
  tokenId: string;
  tokenSecret: string;
  apps: FakeModalApp[];
  calls: FakeModalCall[];
  scenario: FakeModalScenario;
  [key: string]: unknown;
}

export const stateFileName: string;
export const hangMarker: string;
export function initialState(overrides?: Partial<FakeModalState>): FakeModalState;
export function readState(stateDir: string): FakeModalState;
export function writeState(stateDir: string, state: FakeModalState): void;
export function updateState<T>(stateDir: string, change: (state: FakeModalState) => T): T;
export function readAppConstants(source: string): Record<string, unknown>;
