import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DeploymentSpecSchema, type DeploymentSpecInput } from '../../core/deployment-spec.js';
import { modalAppConfig } from './modal-app-config.js';
import { renderModalApp } from './modal-app-template.js';

const python = (() => {
  try {
    execFileSync('python3', ['--version'], { stdio: 'ignore' });
    return 'python3';
  } catch {
    return null;
  }
})();

const workDir = mkdtempSync(path.join(tmpdir(), 'modal-template-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function specOf(overrides: Partial<DeploymentSpecInput> = {}) {
  return DeploymentSpecSchema.parse({
    name: 'support-bot',
    platform: 'modal',
    baseModel: 'Qwen/Qwen2.5-7B-Instruct',
    adapter: { id: 'acme/support-lora' },
    extraAdapters: [{ id: 'team/billing', source: 'volume' }],
    hardware: 'H100:2',
    scaling: { minReplicas: 1, maxReplicas: 3, scaleDownDelaySeconds: 120 },
    env: { VLLM_LOGGING_LEVEL: 'DEBUG' },
    platformOptions: {
      modal: { maxModelLen: 8192, maxLoraRank: 32, concurrency: { maxInputs: 16, targetInputs: 8 }, huggingFaceSecret: 'hf-token' },
    },
    ...overrides,
  });
}

function render(overrides: Partial<DeploymentSpecInput> = {}, deploymentId = 'dep-template-test'): string {
  return renderModalApp(modalAppConfig(specOf(overrides), deploymentId));
}

/**
 * A stand-in `modal` package that records what the app file asks of it, so the file can be executed
 * here: decorators return the function, and `subprocess.Popen` is caught to see the vLLM command.
 */
const modalStub = `
import json
RECORD = {"images": [], "volumes": [], "secrets": []}

class App:
    def __init__(self, name=None, **kwargs):
        RECORD["app_name"] = name
    def function(self, **kwargs):
        RECORD["function"] = {k: describe(v) for k, v in kwargs.items()}
        return lambda fn: fn

class _Image:
    def __init__(self, ops):
        self.ops = ops
    def uv_pip_install(self, *packages, **kwargs):
        return _Image(self.ops + [["uv_pip_install", list(packages)]])
    def env(self, values):
        return _Image(self.ops + [["env", dict(values)]])

class Image:
    @staticmethod
    def debian_slim(python_version=None):
        return _Image([["debian_slim", python_version]])

class _Volume:
    def __init__(self, name, create_if_missing):
        self.name = name
        self.create_if_missing = create_if_missing

class Volume:
    @staticmethod
    def from_name(name, create_if_missing=False):
        return _Volume(name, create_if_missing)

class _Secret:
    def __init__(self, name):
        self.name = name

class Secret:
    @staticmethod
    def from_name(name):
        return _Secret(name)

def describe(value):
    if isinstance(value, _Image):
        return {"image": value.ops}
    if isinstance(value, _Volume):
        return {"volume": value.name, "create_if_missing": value.create_if_missing}
    if isinstance(value, _Secret):
        return {"secret": value.name}
    if isinstance(value, dict):
        return {k: describe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [describe(v) for v in value]
    return value

def concurrent(**kwargs):
    RECORD["concurrent"] = kwargs
    return lambda fn: fn

def web_server(**kwargs):
    RECORD["web_server"] = kwargs
    return lambda fn: fn
`;

const runner = `
import json, runpy, subprocess, sys
sys.path.insert(0, sys.argv[1])
import modal
commands = []
class FakePopen:
    def __init__(self, command, **kwargs):
        commands.append(list(command))
subprocess.Popen = FakePopen
namespace = runpy.run_path(sys.argv[2], run_name="app_under_test")
namespace["serve"]()
modal.RECORD["commands"] = commands
sys.stdout.write(json.dumps(modal.RECORD))
`;

interface Executed {
  app_name: string;
  function: Record<string, unknown>;
  concurrent: Record<string, unknown>;
  web_server: Record<string, unknown>;
  commands: string[][];
}

function execute(source: string, name: string): Executed {
  if (python === null) throw new Error('python3 not available');
  const stubDir = path.join(workDir, 'stub');
  const file = path.join(workDir, `${name}.py`);
  execFileSync('mkdir', ['-p', stubDir]);
  writeFileSync(path.join(stubDir, 'modal.py'), modalStub);
  writeFileSync(path.join(workDir, 'runner.py'), runner);
  writeFileSync(file, source);
  return JSON.parse(execFileSync(python, [path.join(workDir, 'runner.py'), stubDir, file], { encoding: 'utf8' })) as Executed;
}

describe('renderModalApp', () => {
  it('states every setting as a literal in the settings block', () => {
    const source = render();
    expect(source).toMatch(/^APP_NAME = "mp-dep-template-[0-9a-f]{8}"$/m);
    expect(source).toContain('DEPLOYMENT_ID = "dep-template-test"');
    expect(source).toContain('BASE_MODEL = "Qwen/Qwen2.5-7B-Instruct"');
    expect(source).toContain('LORA_MODULES = ["acme/support-lora=acme/support-lora", "team/billing=/adapters/team/billing"]');
    expect(source).toContain('GPU = "H100:2"');
    expect(source).toContain('TENSOR_PARALLEL_SIZE = 2');
    expect(source).toContain('MIN_CONTAINERS = 1');
    expect(source).toContain('MAX_CONTAINERS = 3');
    expect(source).toContain('SCALEDOWN_WINDOW_SECONDS = 120');
    expect(source).toContain('STARTUP_TIMEOUT_SECONDS = 1200');
    expect(source).toContain('MAX_MODEL_LEN = 8192');
    expect(source).toContain('MAX_LORA_RANK = 32');
    expect(source).toContain('TARGET_INPUTS = 8');
    expect(source).toContain('HUGGING_FACE_SECRET = "hf-token"');
    expect(source).toContain('CONTAINER_ENV = {"VLLM_LOGGING_LEVEL": "DEBUG"}');
    expect(source).toContain('REQUIRES_PROXY_AUTH = False');
  });

  it('uses only the parameter names modal 1.4+ accepts', () => {
    const source = render();
    for (const removed of ['keep_warm', 'concurrency_limit', 'container_idle_timeout', 'allow_concurrent_inputs']) {
      expect(source).not.toContain(removed);
    }
    expect(source).toContain('min_containers=MIN_CONTAINERS');
    expect(source).toContain('max_containers=MAX_CONTAINERS');
    expect(source).toContain('scaledown_window=SCALEDOWN_WINDOW_SECONDS');
    expect(source).toContain('@modal.web_server(port=PORT, startup_timeout=STARTUP_TIMEOUT_SECONDS');
  });

  it('is deterministic: the same spec renders the same bytes', () => {
    expect(render()).toBe(render());
    expect(render({ scaling: { minReplicas: 0, maxReplicas: 3 } })).not.toBe(render());
  });

  it('keeps spec text inside its literals, whatever it contains', () => {
    const source = render({ env: { INJECTED: '"\nimport os\nos.system("rm -rf /")\n"' } });
    const lines = source.split('\n');
    expect(lines.some((line) => line.startsWith('import os'))).toBe(false);
    expect(lines.some((line) => line.startsWith('os.system'))).toBe(false);
  });

  it.skipIf(python === null)('compiles with python3 -m py_compile', () => {
    const files = ['with-adapters', 'base-only'].map((name) => {
      const file = path.join(workDir, `${name}.py`);
      writeFileSync(file, name === 'base-only' ? render({ adapter: null, extraAdapters: [], platformOptions: {} }) : render());
      return file;
    });
    expect(() => execFileSync(python ?? 'python3', ['-m', 'py_compile', ...files], { stdio: 'pipe' })).not.toThrow();
  });

  it.skipIf(python === null)('asks Modal for the GPU, scaling and timeouts of the spec, and runs vLLM with the adapters', () => {
    const executed = execute(render(), 'executed');
    expect(executed.app_name).toMatch(/^mp-dep-template-[0-9a-f]{8}$/);
    expect(executed.function).toMatchObject({
      gpu: 'H100:2',
      cpu: 4,
      memory: 32_768,
      min_containers: 1,
      max_containers: 3,
      scaledown_window: 120,
      timeout: 600,
      startup_timeout: 1200,
      secrets: [{ secret: 'hf-token' }],
      volumes: {
        '/hf-cache': { volume: 'modelport-hf-cache', create_if_missing: true },
        '/adapters': { volume: 'modelport-lora-adapters', create_if_missing: true },
      },
      image: {
        image: [
          ['debian_slim', '3.12'],
          ['uv_pip_install', ['vllm==0.33.0']],
          ['env', { VLLM_LOGGING_LEVEL: 'DEBUG' }],
        ],
      },
    });
    expect(executed.concurrent).toEqual({ max_inputs: 16, target_inputs: 8 });
    expect(executed.web_server).toEqual({ port: 8000, startup_timeout: 1200, requires_proxy_auth: false });
    expect(executed.commands).toEqual([
      [
        'vllm', 'serve', 'Qwen/Qwen2.5-7B-Instruct',
        '--served-model-name', 'Qwen/Qwen2.5-7B-Instruct',
        '--host', '0.0.0.0',
        '--port', '8000',
        '--tensor-parallel-size', '2',
        '--max-model-len', '8192',
        '--enable-lora', '--max-lora-rank', '32', '--max-loras', '4',
        '--lora-modules', 'acme/support-lora=acme/support-lora', 'team/billing=/adapters/team/billing',
      ],
    ]);
  });

  it.skipIf(python === null)('leaves LoRA flags out for a base model and passes extra vLLM arguments as list items', () => {
    const executed = execute(
      render({
        adapter: null,
        extraAdapters: [],
        hardware: 'L4',
        platformOptions: { modal: { vllmArgs: ['--enforce-eager', '--gpu-memory-utilization', '0.9'], proxyAuth: true } },
      }),
      'base-only-executed',
    );
    expect(executed.function).toMatchObject({ gpu: 'L4', secrets: [] });
    expect(executed.web_server).toMatchObject({ requires_proxy_auth: true });
    expect(executed.commands[0]).toEqual([
      'vllm', 'serve', 'Qwen/Qwen2.5-7B-Instruct',
      '--served-model-name', 'Qwen/Qwen2.5-7B-Instruct',
      '--host', '0.0.0.0',
      '--port', '8000',
      '--tensor-parallel-size', '1',
      '--enforce-eager', '--gpu-memory-utilization', '0.9',
    ]);
  });
});
