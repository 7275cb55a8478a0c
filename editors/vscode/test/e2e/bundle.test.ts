/**
 * The packaged extension, as VS Code would load it: dist/extension.js (built by
 * `npm test` first) with its bundled vscode-languageclient, `require`d with the
 * fake `vscode` module, activated, and left to find, spawn and talk to the REAL
 * server through `llmSession.pythonPath`. Nothing here calls the extension's
 * modules directly: the tree, the status bar, the hover and the commands are
 * reached the way VS Code reaches them.
 */

import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as vscode from '../fakes/vscode';
import { fake, lsp, type MarkdownString, Uri } from '../fakes/vscode';

const HERE = __dirname;
const BUNDLE = resolve(HERE, '../../dist/extension.js');
const REPO = resolve(HERE, '../../../..');
const FIXTURES = join(REPO, 'tests/fixtures');
const SHOP_SESSION = '9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6';

function python(): string {
  if (process.env.LLM_SESSION_PYTHON) return process.env.LLM_SESSION_PYTHON;
  const venv = join(REPO, '.venv/bin/python');
  return existsSync(venv) ? venv : 'python3';
}

/** `require('vscode')` inside the bundle gets the fake. */
function loadBundle(): any {
  const resolveFilename = (Module as any)._resolveFilename;
  (Module as any)._resolveFilename = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? 'vscode' : resolveFilename.call(this, request, ...rest);
  };
  (Module as any)._cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: vscode };
  return createRequire(__filename)(BUNDLE);
}

let root: string;
let extension: any;
const context = { subscriptions: [] as { dispose(): unknown }[] };
const saved = { ...process.env };

beforeAll(() => {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npm run build\` (npm test does)`);
  // The server inherits the extension host's environment: sandbox it.
  root = mkdtempSync(join(tmpdir(), 'llm-session-vscode-bundle-'));
  cpSync(join(FIXTURES, 'claude-code'), join(root, 'claude'), { recursive: true });
  cpSync(join(FIXTURES, 'codex/home'), join(root, 'codex'), { recursive: true });
  mkdirSync(join(root, 'home'));
  Object.assign(process.env, {
    HOME: join(root, 'home'),
    XDG_CONFIG_HOME: join(root, 'home/.config'),
    XDG_DATA_HOME: join(root, 'home/.local/share'),
    XDG_CACHE_HOME: join(root, 'home/.cache'),
    LLM_SESSION_DATA_DIR: join(root, 'data'),
    CLAUDE_CONFIG_DIR: join(root, 'claude'),
    CODEX_HOME: join(root, 'codex'),
    TZ: 'UTC',
  });
  for (const name of ['ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL']) delete process.env[name];
  // The server's watcher looks at the store every refresh_interval seconds (5 by default).
  writeFileSync(join(root, 'config.yaml'), 'dashboard:\n  refresh_interval: 0.3\n');
  process.env.LLM_SESSION_CONFIG = join(root, 'config.yaml');
  fake.reset();
  fake.settings['llmSession.pythonPath'] = python();
  fake.workspaceFolders = [{ uri: Uri.file('/home/dev/shop'), name: 'shop', index: 0 }];
  extension = loadBundle();
});

afterAll(async () => {
  await extension?.deactivate();
  for (const disposable of context.subscriptions) disposable.dispose();
  process.env = saved;
  if (root) rmSync(root, { recursive: true, force: true });
});

const tree = () => fake.treeViews.find((view) => view.id === 'llmSessionManager.sessions')!.options.treeDataProvider;
const statusItem = () => fake.statusBarItems.find((item) => item.id === 'llmSessionManager.status')!;

describe('the bundled extension in a (fake) VS Code, with the real server', () => {
  it('activates, starts the server with llmSession.pythonPath and fills the tree once it has scanned', async () => {
    const api = extension.activate(context);
    // scanOnStart: the server scans after `initialized` and tells the client.
    await vi.waitFor(async () => expect(await tree().getChildren()).toHaveLength(6), { timeout: 20_000, interval: 200 });
    expect(api.manager.state).toBe('running');
    expect(fake.executed).toContainEqual({ command: 'setContext', args: ['llmSessionManager.serverState', 'running'] });
    const rows = await tree().getChildren();
    const shop = rows.find((row: { id: string }) => row.id === SHOP_SESSION);
    expect(shop.label).toBe('claude-code/shop');
    expect(shop.description).toContain('2.6% context');
    // The scan showed its progress through vscode-languageclient, from start to end.
    await vi.waitFor(() => expect(fake.progress.find((p) => p.title === 'Scanning assistant logs')?.done).toBe(true));
  });

  it('updates the status bar when the server announces its start-up scan', async () => {
    // The status bar asks only on start and on llmSession/didChangeSessions: the
    // workspace's session appears once the server's watcher has seen the scan.
    await vi.waitFor(() => expect((statusItem().tooltip as MarkdownString).value).toContain('**Project:** shop'),
      { timeout: 15_000, interval: 100 });
    expect(statusItem().text).toBe('LLM: none active'); // the fixtures are months old
  });

  it('runs a contributed command through the server: export opens the report', async () => {
    fake.answers.quickPick = (items) => items.find((item: string) => item === 'json');
    await vscode.commands.executeCommand('llmSessionManager.export', SHOP_SESSION);
    const report = fake.documents.at(-1)!;
    expect(report.language).toBe('json');
    expect(JSON.parse(report.content).session.id).toBe(SHOP_SESSION);
  });

  it("hovers a CLAUDE.md through vscode-languageclient's own hover provider", async () => {
    const path = join(root, 'project/CLAUDE.md');
    mkdirSync(join(root, 'project'));
    const text = '# Project\n\nRun `make test` before committing.\n';
    writeFileSync(path, text);
    const document: vscode.FakeTextDocument = {
      uri: Uri.file(path), fileName: path, languageId: 'markdown', version: 1, isClosed: false, getText: () => text,
    };
    lsp.documentOpened.fire(document); // the client sends didOpen: the file matches its selector
    const [provider] = lsp.providers.get('Hover') ?? [];
    expect(provider).toBeDefined();
    const source = new vscode.CancellationTokenSource();
    const hover = await provider.provideHover(document, new vscode.Position(2, 3), source.token);
    expect(hover.contents[0].value).toMatch(/CLAUDE\.md: [\d,]+ tokens every turn/);
  });

  it('"Restart Server" replaces the server and the tree comes back', async () => {
    await vscode.commands.executeCommand('llmSessionManager.restartServer');
    expect(extension).toBeDefined();
    await vi.waitFor(async () => expect(await tree().getChildren()).toHaveLength(6), { timeout: 20_000, interval: 200 });
    expect(fake.messages.filter((m) => m.level === 'error')).toEqual([]);
  });

  it('a server that cannot start is one error with its ways out, not a hang', async () => {
    fake.settings['llmSession.pythonPath'] = join(root, 'no-such-python');
    fake.configurationChanged.fire({ affectsConfiguration: (name) => name === 'llmSession.pythonPath' });
    await vi.waitFor(() => expect(fake.messages.filter((m) => m.level === 'error')).toHaveLength(1), { timeout: 20_000 });
    const [error] = fake.messages.filter((m) => m.level === 'error');
    expect(error!.text).toContain('no-such-python');
    expect(error!.text).toContain('ENOENT');
    expect(error!.actions).toEqual(['Open Settings', 'Restart', 'Show Output']);
    expect(statusItem().text).toBe('$(error) LLM: server stopped');
    expect(await tree().getChildren()).toEqual([]);
  });

  it("a Python without the package: the error quotes the server's last words", async () => {
    const python = join(root, 'bare-python');
    writeFileSync(python, '#!/bin/sh\necho "$0: No module named llm_session_manager" >&2\nexit 1\n', { mode: 0o755 });
    fake.messages.length = 0;
    fake.settings['llmSession.pythonPath'] = python;
    fake.configurationChanged.fire({ affectsConfiguration: (name) => name === 'llmSession.pythonPath' });
    await vi.waitFor(() => expect(fake.messages.filter((m) => m.level === 'error')).toHaveLength(1), { timeout: 20_000 });
    expect(fake.messages[0]!.text).toContain(`The server said: "${python}: No module named llm_session_manager".`);
  });
});
