// Stands in front of the fake `modal` CLI for crash tests. Every run takes the next call number
// (one file per call, created exclusively, so concurrent runs never share a number). When the test has
// armed a crash point (arm.json) and this run reaches it, the run writes fired.json and then blocks,
// so the server waiting on it cannot move on, until the test kills the server's process group:
// `before` blocks without running the real CLI, `after` runs it (the app is created or stopped) and
// then blocks instead of handing back its output.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const dir = process.env.MODAL_CRASH_DIR;
const real = process.env.MODAL_REAL_CLI;
if (!dir || !real) {
  process.stderr.write('modal-crash-cli: MODAL_CRASH_DIR and MODAL_REAL_CLI must be set\n');
  process.exit(3);
}
const argv = process.argv.slice(2);
const callsDir = path.join(dir, 'calls');
fs.mkdirSync(callsDir, { recursive: true });
let number = fs.readdirSync(callsDir).length + 1;
for (;;) {
  try {
    fs.writeFileSync(path.join(callsDir, String(number).padStart(6, '0')), JSON.stringify(argv), { flag: 'wx' });
    break;
  } catch (error) {
    if (error.code !== 'EEXIST') throw error;
    number += 1;
  }
}

let arm = null;
try {
  arm = JSON.parse(fs.readFileSync(path.join(dir, 'arm.json'), 'utf8'));
} catch {
  // not armed
}
const due = arm !== null && number - arm.base >= arm.atCall;

function fired(when) {
  try {
    fs.writeFileSync(path.join(dir, 'fired.json'), JSON.stringify({ number, argv, when }), { flag: 'wx' });
  } catch {
    // another run fired first; block all the same
  }
  setInterval(() => undefined, 60_000);
}

if (due && arm.when === 'before') {
  fired('before');
} else {
  const child = spawn(real, argv, { stdio: due ? ['ignore', 'pipe', 'pipe'] : 'inherit', env: process.env });
  child.stdout?.resume();
  child.stderr?.resume();
  child.on('exit', (code) => {
    if (due) fired('after');
    else process.exit(code ?? 1);
  });
}
