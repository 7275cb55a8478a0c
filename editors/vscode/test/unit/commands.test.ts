import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  Command, exportSession, optimizeContext, recall, refresh, registerCommands, SessionDetails, tagSession,
} from '../../src/commands';
import { EXECUTE_COMMAND, RECALL, SESSIONS, STATUS } from '../../src/protocol';
import { SessionItem } from '../../src/tree';
import { commands, fake, type OpenedDocument, Uri } from '../fakes/vscode';
import { FakeClient, session, statusResult } from './helpers';

const shop = session();
const row = new SessionItem(shop);

/** A client that answers each executeCommand with `results[command]`. */
function serverWith(results: Record<string, unknown>, other: Record<string, unknown> = {}) {
  return new FakeClient((method, params) =>
    method === EXECUTE_COMMAND ? results[params.command] : other[method]);
}

describe('commands', () => {
  beforeEach(() => fake.reset());

  it('refresh runs llmSession.refresh and shows what the scan found', async () => {
    const client = serverWith({
      'llmSession.refresh': { files: 7, records: 73, sessions: 6, malformed: 2, seconds: 0.01, warnings: ['codex: no such dir'] },
    });
    await refresh(client);
    expect(client.sent).toEqual([{ method: EXECUTE_COMMAND, params: { command: 'llmSession.refresh', arguments: [] } }]);
    expect(fake.statusMessages).toEqual(['LLM: scanned 7 files: 73 new records, 6 sessions, 2 malformed lines skipped']);
    expect(fake.messages).toEqual([{ level: 'warning', text: 'LLM Sessions: codex: no such dir', actions: [] }]);
  });

  it('export asks for a format and opens the report in a new untitled document', async () => {
    const client = serverWith({ 'llmSession.export': '{"id": "9e8d"}' });
    fake.answers.quickPick = (items) => items.find((item: string) => item === 'json');
    await exportSession(client, row);
    expect(fake.quickPicks[0]!.items).toEqual(['markdown', 'json', 'yaml', 'csv']);
    expect(client.sent).toEqual([{
      method: EXECUTE_COMMAND, params: { command: 'llmSession.export', arguments: [shop.id, 'json'] },
    }]);
    expect(fake.documents).toMatchObject([{ content: '{"id": "9e8d"}', language: 'json' }]);
    expect((fake.documents[0]!.uri as Uri).scheme).toBe('untitled');
    expect(fake.shownDocuments).toEqual([fake.documents[0]]);
  });

  it('export from the command palette first asks which session', async () => {
    const client = serverWith({ 'llmSession.export': '# report' }, { [SESSIONS]: [shop] });
    fake.answers.quickPick = (items) => items[0];
    await exportSession(client, undefined);
    expect(client.sent.map((r) => r.method)).toEqual([SESSIONS, EXECUTE_COMMAND]);
    expect(fake.quickPicks[0]!.items[0]).toMatchObject({ label: 'claude-code/shop', detail: shop.id });
    expect(fake.documents).toMatchObject([{ content: '# report', language: 'markdown' }]);
  });

  it('nothing is sent when the user dismisses a question', async () => {
    const client = serverWith({});
    fake.answers.quickPick = () => undefined;
    await exportSession(client, row);
    fake.answers.inputBox = () => '  ';
    await tagSession(client, row);
    expect(client.sent).toEqual([]);
  });

  it('tag asks for tags and sends them as separate arguments', async () => {
    const client = serverWith({ 'llmSession.tag': { id: shop.id, tags: ['billing', 'old', 'review'] } });
    fake.answers.inputBox = () => 'review, billing';
    await tagSession(client, shop.id);
    expect(client.sent[0]!.params).toEqual({ command: 'llmSession.tag', arguments: [shop.id, 'review', 'billing'] });
    expect(fake.messages).toEqual([{ level: 'info', text: 'Session 9e8d7c6b is tagged billing, old, review.', actions: [] }]);
  });

  it("recall sends llmSession/recall and shows the server's message when nothing is remembered", async () => {
    const client = new FakeClient(() => ({ memories: [], message: 'Memory is not available in this version.' }));
    fake.answers.inputBox = () => 'coupon bug';
    await recall(client);
    expect(client.sent).toEqual([{ method: RECALL, params: { query: 'coupon bug' } }]);
    expect(fake.messages.map((m) => m.text)).toEqual(['Memory is not available in this version.']);
  });

  it('recall lists memories and copies the chosen one', async () => {
    const memory = { id: 'm1', text: 'Coupons apply once per cart\nsee cart.py', score: 0.87, project: 'shop',
      session_id: shop.id, created_at: null, tags: ['billing'] };
    const client = new FakeClient(() => ({ memories: [memory] }));
    await recall(client, 'coupon');
    expect(fake.quickPicks[0]!.items[0]).toMatchObject({
      label: 'Coupons apply once per cart', description: 'shop · billing', detail: 'score 0.87 · session 9e8d7c6b',
    });
    expect(fake.clipboard).toBe(memory.text);
  });

  it('optimize context lists the files by cost and opens the chosen one', async () => {
    const client = serverWith({
      'llmSession.optimizeContext': {
        session_id: shop.id, total_tokens: 1500,
        files: [
          { path: '/home/dev/shop/cart.py', actions: ['read', 'edit'], uses: 3, tokens: 1500, token_source: 'estimated' },
          { path: '/home/dev/shop/gone.py', actions: ['read'], uses: 1, tokens: null, token_source: null },
        ],
      },
    });
    await optimizeContext(client, row);
    expect(client.sent[0]!.params).toEqual({ command: 'llmSession.optimizeContext', arguments: [shop.id] });
    const pick = fake.quickPicks[0]!;
    expect(pick.options.title).toBe('Session 9e8d7c6b: 1,500 tokens of files (1.5k), most expensive first');
    expect(pick.items.map((item: { description: string }) => item.description))
      .toEqual(['1,500 tokens (estimated)', 'not readable now']);
    expect((fake.shownDocuments[0] as Uri).fsPath).toBe('/home/dev/shop/cart.py');
  });

  it('show details reads the session fresh with llmSession/status into a read-only page', async () => {
    const client = new FakeClient(() => statusResult({ session: shop }));
    const details = new SessionDetails(() => client);
    fake.contentProviders.set(SessionDetails.scheme, details);
    await details.show(client, row);
    expect(client.sent).toEqual([{ method: STATUS, params: { sessionId: shop.id } }]);
    const page = fake.documents[0] as OpenedDocument;
    expect(page.uri.toString()).toBe(`llm-session:/${shop.id}.md`);
    expect(page.language).toBe('markdown');
    expect(page.content).toContain('**Fix double coupon discount in cart total**');
  });
});

describe('registered commands', () => {
  beforeEach(() => fake.reset());

  function register(client: FakeClient | undefined, restart = vi.fn(async () => true)) {
    const details = new SessionDetails(() => client);
    registerCommands({ client: () => client, restart, showOutput: vi.fn(), details });
    return restart;
  }

  it("turn the server's error into one message", async () => {
    register(new FakeClient(() => new Error('no session matches 9e8d')));
    fake.answers.quickPick = (items) => items[0];
    await commands.executeCommand(Command.export, '9e8d');
    expect(fake.messages).toEqual([{ level: 'error', text: 'LLM Sessions: no session matches 9e8d', actions: [] }]);
  });

  it('offer a restart when the server is not running', async () => {
    const restart = register(undefined);
    fake.answers.message = (m) => m.actions[0];
    await commands.executeCommand(Command.refresh);
    expect(fake.messages).toEqual([{
      level: 'error', text: 'LLM Sessions: the llm-session language server is not running.', actions: ['Restart Server'],
    }]);
    expect(restart).toHaveBeenCalledOnce();
  });

  it('from a tree row, ignore the selected rows VS Code passes second', async () => {
    const client = serverWith({ 'llmSession.export': '# report' });
    register(client);
    fake.answers.quickPick = (items) => items[0];
    await commands.executeCommand(Command.export, row, [row]);
    expect(client.sent[0]!.params).toEqual({ command: 'llmSession.export', arguments: [shop.id, 'markdown'] });
  });

  it('pass a tree row on to the command', async () => {
    const client = serverWith({ 'llmSession.export': 'x' });
    register(client);
    await commands.executeCommand(Command.export, row, 'csv');
    expect(client.sent[0]!.params).toEqual({ command: 'llmSession.export', arguments: [shop.id, 'csv'] });
    expect(fake.documents[0]!.language).toBe('plaintext');
  });
});
