import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { editorResolveContext, pythonExtensionInterpreter } from '../../src/launchContext';
import { commandLine, expandVariables, type ResolveContext, resolveServerLaunch, which } from '../../src/serverCommand';
import { fake, Uri } from '../fakes/vscode';

function context(overrides: {
  settings?: Record<string, string>;
  onPath?: string;
  interpreter?: string;
} = {}): ResolveContext {
  return {
    setting: (name) => overrides.settings?.[name],
    which: async (name) => (name === 'llm-session' ? overrides.onPath : undefined),
    pythonExtensionInterpreter: async () => overrides.interpreter,
    workspaceFolder: '/work/shop',
    env: { HOME: '/home/dev', VENV: '/opt/venv' },
  };
}

const everything = {
  settings: {
    'llmSession.serverPath': '/opt/bin/llm-session',
    'llmSession.pythonPath': '/opt/py/bin/python',
    'python.defaultInterpreterPath': '/usr/bin/python3.12',
  },
  onPath: '/usr/local/bin/llm-session',
  interpreter: '/work/shop/.venv/bin/python',
};

describe('finding the server', () => {
  it('uses llmSession.serverPath first, with the lsp subcommand', async () => {
    expect(await resolveServerLaunch(context(everything))).toEqual({
      command: '/opt/bin/llm-session', args: ['lsp'], origin: 'setting llmSession.serverPath',
    });
  });

  it('then llmSession.pythonPath, running the module', async () => {
    const { 'llmSession.serverPath': _, ...settings } = everything.settings;
    expect(await resolveServerLaunch(context({ ...everything, settings }))).toEqual({
      command: '/opt/py/bin/python', args: ['-m', 'llm_session_manager', 'lsp'], origin: 'setting llmSession.pythonPath',
    });
  });

  it('then llm-session on PATH', async () => {
    const settings = { 'python.defaultInterpreterPath': '/usr/bin/python3.12' };
    expect(await resolveServerLaunch(context({ ...everything, settings }))).toEqual({
      command: '/usr/local/bin/llm-session', args: ['lsp'], origin: 'PATH',
    });
  });

  it("then the Python extension's interpreter, then python.defaultInterpreterPath", async () => {
    const settings = { 'python.defaultInterpreterPath': '/usr/bin/python3.12' };
    expect(await resolveServerLaunch(context({ settings, interpreter: everything.interpreter }))).toMatchObject({
      command: '/work/shop/.venv/bin/python', args: ['-m', 'llm_session_manager', 'lsp'],
      origin: "the Python extension's interpreter",
    });
    expect(await resolveServerLaunch(context({ settings }))).toMatchObject({
      command: '/usr/bin/python3.12', origin: 'setting python.defaultInterpreterPath',
    });
  });

  it('finds nothing when nothing is set or installed', async () => {
    expect(await resolveServerLaunch(context())).toBeUndefined();
  });

  it('a blank setting counts as unset, and a failing Python extension is skipped', async () => {
    const ctx = context({ settings: { 'llmSession.serverPath': '   ' }, onPath: undefined });
    ctx.pythonExtensionInterpreter = () => Promise.reject(new Error('extension broke'));
    expect(await resolveServerLaunch(ctx)).toBeUndefined();
  });

  it('expands ~, ${workspaceFolder}, ${userHome} and ${env:NAME} in settings', async () => {
    expect((await resolveServerLaunch(context({ settings: { 'llmSession.serverPath': '~/bin/llm-session' } })))?.command)
      .toBe('/home/dev/bin/llm-session');
    expect((await resolveServerLaunch(context({
      settings: { 'llmSession.pythonPath': '${workspaceFolder}/.venv/bin/python' },
    })))?.command).toBe('/work/shop/.venv/bin/python');
    expect(expandVariables('${env:VENV}/bin/python', undefined, { VENV: '/opt/venv' })).toBe('/opt/venv/bin/python');
    expect(expandVariables('${userHome}/x', undefined, { HOME: '/h' })).toBe('/h/x');
  });

  it('shows the command line as one would type it', () => {
    expect(commandLine({ command: '/My Tools/python', args: ['-m', 'llm_session_manager', 'lsp'], origin: 'x' }))
      .toBe('"/My Tools/python" -m llm_session_manager lsp');
  });
});

describe('which', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'which-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the first executable file on PATH, skipping plain files and directories', async () => {
    const [a, b, c] = ['a', 'b', 'c'].map((name) => join(dir, name));
    for (const d of [a, b, c]) mkdirSync(d!);
    writeFileSync(join(a!, 'llm-session'), 'not executable');
    mkdirSync(join(b!, 'llm-session'));
    writeFileSync(join(c!, 'llm-session'), '#!/bin/sh\n');
    chmodSync(join(c!, 'llm-session'), 0o755);
    expect(await which('llm-session', { PATH: [a, b, c].join(':') }, 'linux')).toBe(join(c!, 'llm-session'));
    expect(await which('llm-session', { PATH: [a, b].join(':') }, 'linux')).toBeUndefined();
    expect(await which('llm-session', {}, 'linux')).toBeUndefined();
  });
});

describe('what VS Code knows', () => {
  beforeEach(() => fake.reset());

  it('reads only settings someone set, so the default "python" is not taken for a choice', async () => {
    fake.workspaceFolders = [{ uri: Uri.file('/work/shop'), name: 'shop', index: 0 }];
    fake.settings['llmSession.pythonPath'] = '/opt/py/bin/python';
    const ctx = editorResolveContext();
    expect(ctx.setting('llmSession.pythonPath')).toBe('/opt/py/bin/python');
    expect(ctx.setting('python.defaultInterpreterPath')).toBeUndefined();
    expect(ctx.workspaceFolder).toBe('/work/shop');
  });

  it("asks the Python extension for the workspace's environment, activating it first", async () => {
    const workspace = Uri.file('/work/shop');
    const getActiveEnvironmentPath = vi.fn(() => ({ id: 'venv', path: '/work/shop/.venv' }));
    const resolveEnvironment = vi.fn(async () => ({ executable: { uri: Uri.file('/work/shop/.venv/bin/python') } }));
    const activate = vi.fn(async () => ({ environments: { getActiveEnvironmentPath, resolveEnvironment } }));
    fake.extensions['ms-python.python'] = { isActive: false, exports: undefined, activate };
    expect(await pythonExtensionInterpreter(workspace as never)).toBe('/work/shop/.venv/bin/python');
    expect(activate).toHaveBeenCalledOnce();
    expect(getActiveEnvironmentPath).toHaveBeenCalledWith(workspace);
  });

  it('is undefined without the Python extension, and gives up on one that never activates', async () => {
    expect(await pythonExtensionInterpreter()).toBeUndefined();
    vi.useFakeTimers();
    try {
      fake.extensions['ms-python.python'] = { isActive: false, activate: () => new Promise(() => undefined) };
      const answer = pythonExtensionInterpreter();
      await vi.advanceTimersByTimeAsync(5000);
      expect(await answer).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });
});
