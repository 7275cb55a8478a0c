/**
 * The extension's own code against the REAL server: `python -m llm_session_manager lsp`
 * spawned over stdio, spoken to with vscode-jsonrpc (the library under
 * vscode-languageclient), in a sandboxed home holding copies of the repository's
 * Claude Code and Codex fixtures.
 *
 * The tree, the status bar and the commands are the extension's modules, fed by
 * this connection instead of a LanguageClient (both are an `RpcClient`): what is
 * asserted is what VS Code would render.
 *
 * The Python comes from LLM_SESSION_PYTHON, else the repository's .venv, else python3.
 */

import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMessageConnection, type MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { exportSession, optimizeContext, recall, refresh, SessionDetails, tagSession } from '../../src/commands';
import {
  DID_CHANGE_SESSIONS, type RpcClient, ServerCommand, type Session, SESSIONS, shareNotifications, STATUS, type StatusResult,
} from '../../src/protocol';
import { StatusBar } from '../../src/status';
import { SessionItem, SessionTreeProvider } from '../../src/tree';
import { fake, type MarkdownString, type ThemeColor, type ThemeIcon, window } from '../fakes/vscode';

const REPO = resolve(__dirname, '../../../..');
const FIXTURES = join(REPO, 'tests/fixtures');
const SHOP_SESSION = '9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6';
const REQUEST_TIMEOUT_MS = 20_000;

function python(): string {
  if (process.env.LLM_SESSION_PYTHON) return process.env.LLM_SESSION_PYTHON;
  const venv = join(REPO, '.venv/bin/python');
  return existsSync(venv) ? venv : 'python3';
}

/** A home with nothing of the real user's in it, and the fixtures where the assistants keep logs. */
function sandbox(root: string): NodeJS.ProcessEnv {
  const home = join(root, 'home');
  mkdirSync(home, { recursive: true });
  cpSync(join(FIXTURES, 'claude-code'), join(root, 'claude'), { recursive: true });
  cpSync(join(FIXTURES, 'codex/home'), join(root, 'codex'), { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local/share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    LLM_SESSION_DATA_DIR: join(root, 'data'),
    CLAUDE_CONFIG_DIR: join(root, 'claude'),
    CODEX_HOME: join(root, 'codex'),
    TZ: 'UTC',
  };
  for (const name of ['LLM_SESSION_CONFIG', 'ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL']) delete env[name];
  return env;
}

function within<T>(promise: Promise<T>, what: string, ms = REQUEST_TIMEOUT_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms\nserver stderr:\n${stderr}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

let root: string;
let server: ChildProcessWithoutNullStreams;
let connection: MessageConnection;
let client: RpcClient;
let stderr = '';
let exited: Promise<number | null>;
let initializeResult: any;

beforeAll(async () => {
  const py = python();
  const probe = spawnSync(py, ['-c', 'import llm_session_manager'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(`${py} cannot import llm_session_manager (run \`make install\` at the repository root, ` +
      `or set LLM_SESSION_PYTHON): ${probe.stderr || probe.error}`);
  }
  root = mkdtempSync(join(tmpdir(), 'llm-session-vscode-e2e-'));
  server = spawn(py, ['-m', 'llm_session_manager', 'lsp'], { env: sandbox(root), cwd: root, stdio: 'pipe' });
  server.stderr.on('data', (chunk) => (stderr += chunk));
  exited = new Promise((resolveExit) => server.on('exit', (code) => resolveExit(code)));
  connection = createMessageConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
  connection.listen();
  // As the extension's ServerManager does with its LanguageClient: one handler per
  // method underneath, any number of listeners (tree, status bar) on top.
  client = shareNotifications({
    sendRequest: <R>(method: string, params?: unknown) => within(connection.sendRequest<R>(method, params), method),
    onNotification: (method, handler) => connection.onNotification(method, handler),
  });
  initializeResult = await within(connection.sendRequest('initialize', {
    processId: process.pid,
    clientInfo: { name: 'llm-session-manager e2e' },
    rootUri: null,
    workspaceFolders: null,
    capabilities: {
      textDocument: { hover: { contentFormat: ['markdown', 'plaintext'] }, codeLens: {}, publishDiagnostics: {} },
      window: { showMessage: {} },
    },
    // The test scans when it wants to, with the extension's refresh command.
    initializationOptions: { scanOnStart: false },
  }), 'initialize');
  await connection.sendNotification('initialized', {});
});

afterAll(async () => {
  if (server && server.exitCode === null) server.kill();
  connection?.dispose();
  if (root) rmSync(root, { recursive: true, force: true });
});

beforeEach(() => fake.reset());

function nextTreeChange(tree: SessionTreeProvider): Promise<void> {
  return new Promise((resolveChange) => {
    const subscription = tree.onDidChangeTreeData(() => {
      subscription.dispose();
      resolveChange();
    });
  });
}

describe('the extension against the real llm-session server', () => {
  const tree = new SessionTreeProvider();
  let rows: SessionItem[] = [];

  it('is llm-session and offers every command the extension sends', () => {
    expect(initializeResult.serverInfo.name).toBe('llm-session');
    expect(initializeResult.capabilities.executeCommandProvider.commands)
      .toEqual(expect.arrayContaining(Object.values(ServerCommand)));
    expect(initializeResult.capabilities.hoverProvider).toBe(true);
  });

  it('the tree starts empty: nothing is scanned until asked', async () => {
    tree.attach(client);
    expect(await tree.getChildren()).toEqual([]);
  });

  it('"Refresh" scans the fixtures and the tree follows the server\'s notification', async () => {
    const changed = nextTreeChange(tree);
    const scan = await refresh(client);
    expect(scan).toMatchObject({ files: 7, sessions: 6, malformed: 2 });
    await within(changed, DID_CHANGE_SESSIONS);
    expect(fake.statusMessages).toEqual(['LLM: scanned 7 files: 73 new records, 6 sessions, 2 malformed lines skipped']);
    rows = await tree.getChildren();
    expect(rows).toHaveLength(6);
  });

  it('each row is a session as llmSession/sessions lists it, rendered by the extension', async () => {
    const sessions = await client.sendRequest<Session[]>(SESSIONS, {});
    expect(rows.map((row) => row.id)).toEqual(sessions.map((s) => s.id));
    const shop = rows.find((row) => row.id === SHOP_SESSION)!;
    expect(shop.label).toBe('claude-code/shop');
    expect(shop.description).toBe('81.1k tokens · 2.6% context · Fix double coupon discount in cart total');
    const tooltip = (shop.tooltip as unknown as MarkdownString).value;
    expect(tooltip).toContain('81,139 (exact): input 47, output 992, cache write 13,030, cache read 67,070');
    expect(tooltip).toContain('5,130 of 200,000 (2.6%)');
    expect(rows.map((row) => row.label)).toEqual(expect.arrayContaining(['codex/acme-api']));
    const colours = { healthy: 'testing.iconPassed', warning: 'list.warningForeground', critical: 'list.errorForeground' };
    for (const [i, row] of rows.entries()) {
      const icon = row.iconPath as unknown as ThemeIcon;
      const status = sessions[i]!.health.status as keyof typeof colours;
      expect(colours[status]).toBeDefined();
      expect((icon.color as ThemeColor).id).toBe(colours[status]);
    }
  });

  it("the status bar shows the server's label for the workspace, and its session in the tooltip", async () => {
    const item = window.createStatusBarItem('e2e');
    const bar = new StatusBar(item as never, () => pathToFileURL('/home/dev/shop').toString());
    bar.attach(client);
    await bar.update();
    const status = await client.sendRequest<StatusResult>(STATUS, { cwd: 'file:///home/dev/shop' });
    // The fixtures are months old: no session counts as current.
    expect(status.label).toBe('LLM: none active');
    expect(item.text).toBe(status.label);
    expect(status.session?.project).toBe('shop');
    expect((item.tooltip as MarkdownString).value).toContain(`\`${status.session!.id}\``);
    bar.dispose();
  });

  it('"Export" opens the markdown report in an untitled document', async () => {
    fake.answers.quickPick = (items) => items[0]; // markdown
    await exportSession(client, rows.find((row) => row.id === SHOP_SESSION));
    const [document] = fake.documents;
    expect(document!.language).toBe('markdown');
    expect(document!.content).toContain('Fix double coupon discount in cart total');
    expect(document!.content).toContain(SHOP_SESSION);
  });

  it('"Tag" adds the typed tags, and the tree shows them after the notification', async () => {
    fake.answers.inputBox = () => 'review, billing';
    const changed = nextTreeChange(tree);
    const result = await tagSession(client, SHOP_SESSION.slice(0, 8));
    expect(result).toEqual({ id: SHOP_SESSION, tags: ['billing', 'review'] });
    expect(fake.messages.at(-1)!.text).toBe('Session 9e8d7c6b is tagged billing, review.');
    await refresh(client); // the watcher would notice within its interval; refresh always notifies
    await within(changed, DID_CHANGE_SESSIONS);
    const tagged = (await tree.getChildren()).find((row) => row.id === SHOP_SESSION)!;
    expect((tagged.tooltip as unknown as MarkdownString).value).toContain('**Tags:** billing, review');
  });

  it('"Show details" renders the session fetched with llmSession/status', async () => {
    const details = new SessionDetails(() => client);
    expect(await details.provideTextDocumentContent(SessionDetails.uri(SHOP_SESSION) as never))
      .toContain('**Fix double coupon discount in cart total**');
  });

  it('"Optimize context" lists the files the session used', async () => {
    fake.answers.quickPick = () => undefined;
    const result = await optimizeContext(client, SHOP_SESSION);
    expect(result!.session_id).toBe(SHOP_SESSION);
    expect(fake.quickPicks[0]!.items.map((item: { label: string }) => item.label))
      .toEqual(result!.files.map((file) => file.path));
  });

  it('"Recall" says so when no memory matches', async () => {
    const result = await recall(client, 'coupon');
    expect(result!.memories).toEqual([]);
    expect(fake.messages.map((m) => m.text)).toEqual(['No memory matches "coupon".']);
  });

  it('a CLAUDE.md opened in the editor gets a hover and code lenses with its token cost', async () => {
    const project = join(root, 'project');
    mkdirSync(project);
    const path = join(project, 'CLAUDE.md');
    const text = '# Project\n\nUse pytest.\n\n## Testing\n\nRun `make test` before committing.\n';
    writeFileSync(path, text);
    const uri = pathToFileURL(path).toString();
    await connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'markdown', version: 1, text },
    });
    const hover = await client.sendRequest<any>('textDocument/hover', {
      textDocument: { uri }, position: { line: 6, character: 3 },
    });
    expect(hover.contents.value).toMatch(/CLAUDE\.md: [\d,]+ tokens every turn \(estimated, claude-sonnet/);
    const lenses = await client.sendRequest<any[]>('textDocument/codeLens', { textDocument: { uri } });
    expect(lenses[0].command.title).toMatch(/^[\d,]+ tokens every turn .* · budget 2,000$/);
  });

  it('shutdown then exit ends the server with 0', async () => {
    tree.detach();
    await client.sendRequest('shutdown');
    await connection.sendNotification('exit');
    expect(await within(exited, 'exit')).toBe(0);
  });
});
