// State of the fake Modal workspace, shared by the fake `modal` CLI (one process per command) and the
// test-side controller (test/fakes/modal-fake.ts). One JSON file in the folder named by
// MODAL_FAKE_STATE_DIR; writes take a lock folder and replace the file atomically, so concurrent CLI
// runs and the fake HTTP server never see half a file.
import fs from 'node:fs';
import path from 'node:path';

export const stateFileName = 'state.json';
/** Written by a deploy that hangs after creating its app, once it holds no lock. */
export const hangMarker = 'deploy-hanging';
const lockName = 'state.lock';
const staleLockMs = 5_000;

/** A fresh workspace: no apps, no calls, no scenario. */
export function initialState(overrides = {}) {
  return {
    workspace: 'fake-ws',
    serverUrl: 'http://127.0.0.1:9',
    tokenId: 'ak-fake-token-id',
    tokenSecret: 'as-fake-token-secret',
    apps: [],
    calls: [],
    scenario: {},
    ...overrides,
  };
}

export function readState(stateDir) {
  return JSON.parse(fs.readFileSync(path.join(stateDir, stateFileName), 'utf8'));
}

export function writeState(stateDir, state) {
  const file = path.join(stateDir, stateFileName);
  const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify(state, null, 2));
  fs.renameSync(temporary, file);
}

/** Read, change and write the state under the lock. `change` mutates the state and may return a value. */
export function updateState(stateDir, change) {
  const lock = path.join(stateDir, lockName);
  acquire(lock);
  try {
    const state = readState(stateDir);
    const result = change(state);
    writeState(stateDir, state);
    return result;
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

function acquire(lock) {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const started = Date.now();
  for (;;) {
    try {
      fs.mkdirSync(lock);
      return;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      // A CLI killed while holding the lock (the hang scenario) must not block everyone after it.
      if (Date.now() - started > staleLockMs) {
        fs.rmSync(lock, { recursive: true, force: true });
        continue;
      }
      Atomics.wait(sleeper, 0, 0, 5);
    }
  }
}

/**
 * Reads the `NAME = literal` settings block of a generated app file. Python literals → JSON: only
 * True/False/None differ, and only outside strings.
 */
export function readAppConstants(source) {
  const constants = {};
  for (const line of source.split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*) = (.+)$/.exec(line);
    if (!match) continue;
    try {
      constants[match[1]] = JSON.parse(pythonToJson(match[2]));
    } catch {
      // Not a literal (e.g. a call); the deploy checks what it needs.
    }
  }
  return constants;
}

function pythonToJson(literal) {
  let out = '';
  let inString = false;
  for (let index = 0; index < literal.length; index += 1) {
    const character = literal[index];
    if (inString) {
      out += character;
      if (character === '\\') {
        const next = literal[index + 1] ?? '';
        // Python's \U0001f600 has no JSON form; turn it into the surrogate pair JSON understands.
        if (next === 'U') {
          const codePoint = Number.parseInt(literal.slice(index + 2, index + 10), 16);
          out = out.slice(0, -1) + JSON.stringify(String.fromCodePoint(codePoint)).slice(1, -1);
          index += 9;
        } else {
          out += next;
          index += 1;
        }
      } else if (character === '"') {
        inString = false;
      }
      continue;
    }
    if (character === '"') {
      inString = true;
      out += character;
      continue;
    }
    const rest = literal.slice(index);
    const word = /^(True|False|None)\b/.exec(rest);
    if (word) {
      out += { True: 'true', False: 'false', None: 'null' }[word[1]];
      index += word[1].length - 1;
      continue;
    }
    out += character;
  }
  return out;
}
