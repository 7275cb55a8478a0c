import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Command } from '../../src/commands';
import { activate, deactivate, VIEW_ID } from '../../src/extension';
import { CLIENT_ID, createLanguageClient } from '../../src/languageClient';
import { DID_CHANGE_SESSIONS, SESSIONS, STATUS } from '../../src/protocol';
import { fake } from '../fakes/vscode';
import { FakeClient, session, settle, statusResult } from './helpers';

// The real factory needs VS Code; here the server is a scripted client, or one that cannot start.
vi.mock('../../src/languageClient', () => ({ CLIENT_ID: 'llmSession', createLanguageClient: vi.fn() }));

const manifest = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8'));
const context = () => ({ subscriptions: [] as { dispose(): unknown }[] });

function startsWith(client: FakeClient | Error) {
  vi.mocked(createLanguageClient).mockImplementation(() => Object.assign(client instanceof Error ? new FakeClient() : client, {
    start: () => (client instanceof Error ? Promise.reject(client) : Promise.resolve()),
    stop: async () => undefined,
    kill: () => undefined,
  }));
}

describe('activating the extension', () => {
  beforeEach(() => {
    fake.reset();
    vi.mocked(createLanguageClient).mockReset();
    fake.settings['llmSession.serverPath'] = '/opt/bin/llm-session';
  });
  afterEach(() => deactivate());

  it('registers every command the manifest contributes, and no other', () => {
    startsWith(new FakeClient());
    activate(context() as never);
    const contributed = manifest.contributes.commands.map((c: { command: string }) => c.command).sort();
    expect([...fake.commands.keys()].sort()).toEqual(contributed);
    expect(Object.values(Command).sort()).toEqual(contributed);
  });

  it('fills the tree and the status bar from the server once it runs', async () => {
    const client = new FakeClient((method) => (method === SESSIONS ? [session()] : method === STATUS ? statusResult() : null));
    startsWith(client);
    fake.workspaceFolders = [{ uri: { toString: () => 'file:///home/dev/shop' } as never, name: 'shop', index: 0 }];
    activate(context() as never);
    await vi.waitFor(() => expect(fake.statusBarItems[0]!.text).toBe('LLM: 3 sessions ✅2 ⚠️1'));
    const view = fake.treeViews.find((v) => v.id === VIEW_ID)!;
    const rows = await view.options.treeDataProvider.getChildren();
    expect(rows.map((r: { label: string }) => r.label)).toEqual(['claude-code/shop']);
    expect(client.sent).toContainEqual({ method: STATUS, params: { cwd: 'file:///home/dev/shop' } });
    // One notification reaches both the tree and the status bar.
    let treeChanges = 0;
    view.options.treeDataProvider.onDidChangeTreeData(() => treeChanges++);
    const statusRequests = () => client.sent.filter((r) => r.method === STATUS).length;
    const before = statusRequests();
    client.notify(DID_CHANGE_SESSIONS, { changed: [] });
    expect(treeChanges).toBe(1);
    await vi.waitFor(() => expect(statusRequests()).toBe(before + 1));
    expect(vi.mocked(createLanguageClient).mock.calls[0]![0]).toEqual({
      command: '/opt/bin/llm-session', args: ['lsp'], origin: 'setting llmSession.serverPath',
    });
  });

  it('when the server cannot start: an error with actions, a red status bar, an empty tree', async () => {
    startsWith(new Error('spawn /opt/bin/llm-session ENOENT'));
    activate(context() as never);
    await vi.waitFor(() => expect(fake.messages).toHaveLength(1));
    expect(fake.messages[0]).toMatchObject({ level: 'error', actions: ['Open Settings', 'Restart', 'Show Output'] });
    expect(fake.messages[0]!.text).toContain('spawn /opt/bin/llm-session ENOENT');
    expect(fake.statusBarItems[0]!.text).toBe('$(error) LLM: server stopped');
    expect(fake.executed).toContainEqual({ command: 'setContext', args: ['llmSessionManager.serverState', 'stopped'] });
    const view = fake.treeViews.find((v) => v.id === VIEW_ID)!;
    expect(await view.options.treeDataProvider.getChildren()).toEqual([]);
  });

  it('restarts the server when a launch setting changes', async () => {
    startsWith(new FakeClient(() => statusResult()));
    activate(context() as never);
    await settle(20);
    fake.configurationChanged.fire({ affectsConfiguration: (name) => name === 'llmSession.pythonPath' });
    await vi.waitFor(() => expect(createLanguageClient).toHaveBeenCalledTimes(2));
  });
});

describe('the manifest', () => {
  const commandIds = new Set(manifest.contributes.commands.map((c: { command: string }) => c.command));

  it('menus name only contributed commands, and every session command is on the tree rows', () => {
    const menus = Object.values(manifest.contributes.menus).flat() as { command: string; when: string }[];
    for (const entry of menus) expect(commandIds).toContain(entry.command);
    const rowCommands = manifest.contributes.menus['view/item/context'].map((e: { command: string }) => e.command);
    for (const id of [Command.export, Command.tag, Command.showDetails, Command.optimizeContext]) {
      expect(rowCommands).toContain(id);
    }
  });

  it('has the view container, the settings the code reads and a vsce-ready header', () => {
    expect(manifest.contributes.viewsContainers.activitybar[0].title).toBe('LLM Sessions');
    expect(manifest.contributes.views.llmSessionManager[0].id).toBe(VIEW_ID);
    expect(Object.keys(manifest.contributes.configuration.properties).sort()).toEqual([
      'llmSession.pythonPath', 'llmSession.scanOnStart', 'llmSession.serverPath', `${CLIENT_ID}.trace.server`,
    ]);
    expect(manifest.activationEvents).toEqual(expect.arrayContaining(['onStartupFinished', 'workspaceContains:**/CLAUDE.md']));
    expect(manifest).toMatchObject({ name: 'llm-session-manager', main: './dist/extension.js', license: 'MIT' });
    expect(manifest.scripts.package).toContain('--no-dependencies'); // the bundle has them
    expect(manifest.engines.vscode).toBe('^1.91.0');
  });
});
