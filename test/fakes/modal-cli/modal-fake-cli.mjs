// The fake `modal` CLI: deploy, app list, app stop, --version, with the real CLI's argument rules, exit
// codes (1 for errors, 2 for usage errors) and output shapes as described in shared/contracts/modal.md §2.
// It "deploys" by recording the app in the shared state file; the fake vLLM server in modal-fake.ts
// serves every live app under its printed URL.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { hangMarker, readAppConstants, readState, updateState } from './modal-fake-state.mjs';

const knownGpus = ['B200', 'B200+', 'H200', 'H100', 'H100!', 'RTX-PRO-6000', 'A100', 'A100-40GB', 'A100-80GB', 'L40S', 'A10', 'A10G', 'L4', 'T4'];
// Renamed in 2025 and removed in modal 1.4: passing them raises at decoration time.
const removedParameters = ['keep_warm', 'concurrency_limit', 'container_idle_timeout', 'allow_concurrent_inputs'];

class Exit extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

export async function main(argv) {
  const stateDir = process.env.MODAL_FAKE_STATE_DIR;
  if (!stateDir) {
    process.stderr.write('fake modal: MODAL_FAKE_STATE_DIR is not set\n');
    process.exit(3);
  }
  const call = {
    argv,
    tokenId: process.env.MODAL_TOKEN_ID ?? null,
    hasTokenSecret: Boolean(process.env.MODAL_TOKEN_SECRET),
    environment: process.env.MODAL_ENVIRONMENT ?? null,
    columns: process.env.COLUMNS ?? null,
    exitCode: null,
  };
  const index = updateState(stateDir, (state) => state.calls.push(call) - 1);
  let exitCode = 0;
  try {
    await run(stateDir, argv);
  } catch (error) {
    if (!(error instanceof Exit)) throw error;
    if (error.message) process.stderr.write(`${error.message}\n`);
    exitCode = error.code;
  }
  updateState(stateDir, (state) => {
    const recorded = state.calls[index];
    if (recorded) recorded.exitCode = exitCode;
  });
  process.exitCode = exitCode;
}

async function run(stateDir, argv) {
  const [command, ...rest] = argv;
  if (command === '--version') {
    process.stdout.write('modal client version: 1.5.4\n');
    return;
  }
  if (command === 'deploy') return deploy(stateDir, rest);
  if (command === 'app' && rest[0] === 'list') return listApps(stateDir, rest.slice(1));
  if (command === 'app' && rest[0] === 'stop') return stopApp(stateDir, rest.slice(1));
  throw new Exit(2, `Usage: modal [OPTIONS] COMMAND [ARGS]...\nError: No such command '${[command, ...rest].join(' ')}'.`);
}

/** click-style parsing: known flags only, values after them, positionals collected. */
function parseArgs(args, flags, switches) {
  const options = {};
  const positionals = [];
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index];
    if (switches.includes(arg)) options[arg] = true;
    else if (flags.includes(arg)) {
      const value = args[index + 1];
      if (value === undefined || value.startsWith('-')) throw new Exit(2, `Error: Option '${arg}' requires an argument.`);
      options[arg] = value;
      index += 1;
    } else if (arg.startsWith('-')) throw new Exit(2, `Error: No such option: ${arg}`);
    else positionals.push(arg);
  }
  return { options, positionals };
}

function authenticate(state) {
  const tokenId = process.env.MODAL_TOKEN_ID;
  const tokenSecret = process.env.MODAL_TOKEN_SECRET;
  if (!tokenId || !tokenSecret) {
    throw new Exit(1, 'Token missing. Could not authenticate client. If you have token credentials, see modal.com/docs/reference/modal.config for setup help.');
  }
  if (tokenId !== state.tokenId || tokenSecret !== state.tokenSecret) {
    // The real server echoes the id it rejected; a leak check must find it redacted on our side.
    throw new Exit(1, `AuthError: Token ID ${tokenId} is invalid or has been revoked (secret ${tokenSecret}).`);
  }
}

function environmentOf(options) {
  return options['-e'] ?? options['--env'] ?? process.env.MODAL_ENVIRONMENT ?? 'main';
}

async function deploy(stateDir, args) {
  const { options, positionals } = parseArgs(args, ['--name', '-e', '--env', '--tag', '--strategy'], ['--stream-logs', '--timestamps', '-m']);
  if (positionals.length !== 1) throw new Exit(2, 'Error: Missing argument \'APP_REF\'.');
  const file = positionals[0];
  const state = readState(stateDir);
  authenticate(state);
  if (!fs.existsSync(file)) throw new Exit(1, `Error: ${file} does not exist.`);
  const source = fs.readFileSync(file, 'utf8');
  checkAppFile(source);
  const constants = readAppConstants(source);
  const name = options['--name'] ?? constants.APP_NAME;
  if (typeof name !== 'string' || !/^[A-Za-z0-9._-]{1,63}$/.test(name)) {
    throw new Exit(1, `InvalidError: Invalid App name '${name}': use letters, digits, '-', '_' and '.', under 64 characters.`);
  }
  const environment = environmentOf(options);

  const failure = state.scenario.deployFailure;
  if (failure && failure.times > 0) {
    updateState(stateDir, (current) => {
      current.scenario.deployFailure = { ...failure, times: failure.times - 1 };
    });
    process.stdout.write('✓ Initialized.\n');
    throw new Exit(1, `╭─ Error ───────────────╮\n│ ${failure.message} │\n╰───────────────────────╯`);
  }

  const { app, skipped } = updateState(stateDir, (current) => {
    let existing = current.apps.find((candidate) => candidate.name === name && candidate.environment === environment && candidate.state !== 'stopped');
    const unchanged = existing !== undefined && existing.fileContent === source;
    if (existing === undefined) {
      existing = {
        appId: `ap-${randomId(22)}`,
        name,
        environment,
        state: 'deployed',
        tasks: 0,
        createdAt: modalTimestamp(new Date()),
        stoppedAt: null,
        deployCount: 0,
        file,
        fileContent: source,
        constants,
        url: `${current.serverUrl}/${current.workspace}--${name}-serve`,
      };
      current.apps.push(existing);
    }
    existing.deployCount += 1;
    existing.state = 'deployed';
    existing.file = file;
    existing.fileContent = source;
    existing.constants = constants;
    existing.tasks = Number(constants.MIN_CONTAINERS ?? 0);
    return { app: { ...existing }, skipped: unchanged };
  });

  if (state.scenario.deployHangsAfterCreate) {
    updateState(stateDir, (current) => {
      current.scenario.deployHangsAfterCreate = false;
    });
    process.stdout.write('✓ Created objects.\n');
    // Outside the lock, so a test that "crashes" us now leaves no stale lock behind.
    fs.writeFileSync(path.join(stateDir, hangMarker), String(process.pid));
    await new Promise(() => setInterval(() => {}, 60_000));
  }

  const lines = [
    `✓ Initialized. View run at https://modal.com/apps/${state.workspace}/${environment}/${app.appId}`,
    '✓ Created objects.',
    `├── 🔨 Created mount ${file}`,
  ];
  if (!state.scenario.omitUrl) {
    const lock = constants.REQUIRES_PROXY_AUTH ? ' 🔑' : '';
    lines.push(
      state.scenario.wrapUrl
        ? `└── 🔨 Created web function serve =>\n    ${app.url}${lock}`
        : `└── 🔨 Created web function serve => ${app.url}${lock}`,
    );
  }
  lines.push(skipped ? '✓ Deployment skipped: no changes detected! ⏭️' : '✓ App deployed in 1.234s! 🎉', '');
  lines.push(`View Deployment: https://modal.com/apps/${state.workspace}/${environment}/deployed/${name}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** What the real deploy rejects at import or decoration time, reduced to what a generated file can get wrong. */
function checkAppFile(source) {
  for (const parameter of removedParameters) {
    if (new RegExp(`\\b${parameter}\\s*=`).test(source)) {
      throw new Exit(1, `DeprecationError: '${parameter}' was removed in modal 1.4; use the new parameter name.`);
    }
  }
  for (const required of ['modal.App(', '@app.function(', '@modal.web_server(', '@modal.concurrent(']) {
    if (!source.includes(required)) throw new Exit(1, `InvalidError: the app file has no ${required}...`);
  }
  const constants = readAppConstants(source);
  const gpu = String(constants.GPU ?? '');
  const [type, count = '1'] = gpu.split(':');
  if (!knownGpus.includes(type.toUpperCase()) || !/^[1-8]$/.test(count)) {
    throw new Exit(1, `InvalidError: Invalid GPU type '${gpu}'. Value must be one of ${knownGpus.join(', ')}.`);
  }
  const min = constants.MIN_CONTAINERS;
  const max = constants.MAX_CONTAINERS;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < 1 || max < min) {
    throw new Exit(1, `InvalidError: max_containers (${max}) must be at least 1 and at least min_containers (${min}).`);
  }
  const window = constants.SCALEDOWN_WINDOW_SECONDS;
  if (!Number.isInteger(window) || window < 1) throw new Exit(1, 'InvalidError: scaledown_window must be > 0.');
  const startup = constants.STARTUP_TIMEOUT_SECONDS;
  if (!Number.isInteger(startup) || startup < 1) throw new Exit(1, 'InvalidError: startup_timeout must be > 0.');
  const target = constants.TARGET_INPUTS;
  if (target !== null && target !== undefined && target > constants.MAX_INPUTS) {
    throw new Exit(1, 'InvalidError: target_inputs must be <= max_inputs.');
  }
}

function listApps(stateDir, args) {
  const { options } = parseArgs(args, ['-e', '--env'], ['--json']);
  const state = readState(stateDir);
  authenticate(state);
  const failure = state.scenario.listFailure;
  if (failure && failure.times > 0) {
    updateState(stateDir, (current) => {
      current.scenario.listFailure = { ...failure, times: failure.times - 1 };
    });
    throw new Exit(1, failure.message);
  }
  const environment = environmentOf(options);
  const apps = updateState(stateDir, (current) => {
    for (const app of current.apps) {
      // `stopping...` lasts a few looks, then the app is stopped for good.
      if (app.state === 'stopping...' && (app.stoppingLists ?? 0) <= 0) app.state = 'stopped';
      if (app.state === 'stopping...') app.stoppingLists -= 1;
    }
    return current.apps.filter((app) => app.environment === environment);
  });
  if (state.scenario.listMalformed) {
    process.stdout.write('<html>upstream connect error</html>\n');
    return;
  }
  const rows = apps.map((app) => ({
    app_id: app.appId,
    description: app.name,
    state: app.state,
    tasks: String(app.tasks),
    created_at: app.createdAt,
    stopped_at: app.stoppedAt,
  }));
  if (options['--json']) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  process.stdout.write(rows.map((row) => `${row.app_id}  ${row.description}  ${row.state}  ${row.tasks}`).join('\n') + '\n');
}

function stopApp(stateDir, args) {
  const { options, positionals } = parseArgs(args, ['-e', '--env'], ['--yes', '-y']);
  if (positionals.length !== 1) throw new Exit(2, "Error: Missing argument 'APP_IDENTIFIER'.");
  const state = readState(stateDir);
  authenticate(state);
  if (!options['--yes'] && !options['-y']) {
    throw new Exit(1, 'Aborted: no interactive terminal detected. Rerun with --yes (-y) to stop the App without confirmation.');
  }
  if (state.scenario.stopFailure) throw new Exit(1, state.scenario.stopFailure);
  const target = positionals[0];
  const environment = environmentOf(options);
  updateState(stateDir, (current) => {
    const matching = current.apps.filter(
      (app) => (app.name === target || app.appId === target) && app.environment === environment,
    );
    const live = matching.find((app) => app.state !== 'stopped');
    if (live === undefined) {
      const stopped = matching.at(-1);
      if (stopped) throw new Exit(1, `App is already stopped. (Stopped at ${stopped.stoppedAt} by 'fake-user')`);
      throw new Exit(1, `No App with name '${target}' found in the '${environment}' environment.`);
    }
    const lingering = current.scenario.stoppingLists ?? 0;
    live.state = lingering > 0 ? 'stopping...' : 'stopped';
    live.stoppingLists = lingering;
    live.stoppedAt = modalTimestamp(new Date());
    live.tasks = 0;
  });
}

function randomId(length) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(length)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

/** `2026-08-21 16:23:40+00:00`: what the CLI's JSON prints. */
function modalTimestamp(date) {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}+00:00`;
}
