import { beforeEach, describe, expect, it } from 'vitest';
import { compactTokens, contextFileRow, describeSession, usd } from '../../src/format';
import { DID_CHANGE_SESSIONS, SESSIONS } from '../../src/protocol';
import { SessionItem, SessionTreeProvider } from '../../src/tree';
import { fake, MarkdownString, ThemeColor, ThemeIcon } from '../fakes/vscode';
import { FakeClient, session } from './helpers';

const sessions = [
  session(),
  session({
    id: '019cab42-9e15-7b63-a4d8-6f0e1c2b3a59', provider: 'codex', project: 'acme-api', title: null, active: true,
    tokens: { input: 159000, output: 3600, cache_creation: 0, cache_read: 100000, total: 262600, source: 'exact' },
    context: { used: 250100, limit: 258400, percent: 96.8 },
    health: { score: 38, status: 'critical', components: {} },
  }),
  session({ id: 'aaaa1111', project: null, health: { score: 90, status: 'healthy', components: {} }, tags: ['review'] }),
];

function icon(item: SessionItem): { id: string; color?: string } {
  const themeIcon = item.iconPath as unknown as ThemeIcon;
  return { id: themeIcon.id, color: (themeIcon.color as ThemeColor | undefined)?.id };
}

describe('the sessions tree', () => {
  beforeEach(() => fake.reset());

  it('has one row per session of the llmSession/sessions answer, in its order', async () => {
    const client = new FakeClient((method) => (method === SESSIONS ? sessions : null));
    const tree = new SessionTreeProvider();
    tree.attach(client);
    const rows = await tree.getChildren();
    expect(client.sent).toEqual([{ method: SESSIONS, params: {} }]);
    expect(rows.map((row) => row.label)).toEqual(['claude-code/shop', 'codex/acme-api', 'claude-code/no project']);
    expect(rows.map((row) => row.id)).toEqual(sessions.map((s) => s.id));
    expect(await tree.getChildren(rows[0])).toEqual([]);
  });

  it('shows tokens and context % on each row, and whether it runs', async () => {
    const [shop, acme] = sessions.map((s) => new SessionItem(s));
    expect(shop!.description).toBe('81.1k tokens · 2.6% context · Fix double coupon discount in cart total');
    expect(acme!.description).toBe('262.6k tokens · 96.8% context · running');
    expect(acme!.contextValue).toBe('llmSession.session.running');
    expect(shop!.contextValue).toBe('llmSession.session');
  });

  it('colours the health icon: green healthy, yellow warning, red critical', () => {
    const [warning, critical, healthy] = sessions.map((s) => icon(new SessionItem(s)));
    expect(healthy).toEqual({ id: 'pass', color: 'testing.iconPassed' });
    expect(warning).toEqual({ id: 'warning', color: 'list.warningForeground' });
    expect(critical).toEqual({ id: 'error', color: 'list.errorForeground' });
    expect(icon(new SessionItem(session({ health: { score: 1, status: 'mystery', components: {} } }))))
      .toEqual({ id: 'circle-outline', color: undefined });
  });

  it('has a tooltip with the details', () => {
    const tooltip = (new SessionItem(sessions[0]!).tooltip as unknown as MarkdownString).value;
    expect(tooltip).toContain('**Fix double coupon discount in cart total**');
    expect(tooltip).toContain('`9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6`');
    expect(tooltip).toContain('81,139 (exact): input 47, output 992, cache write 13,030, cache read 67,070');
    expect(tooltip).toContain('5,130 of 200,000 (2.6%)');
    expect(tooltip).toContain('**Cost:** $0.07');
    expect(tooltip).toContain('60 (warning): token usage 100, duration 0, activity 0, errors 100');
    expect(describeSession(sessions[2]!)).toContain('**Tags:** review');
  });

  it('asks again when the server says sessions changed', async () => {
    let answer = [sessions[0]];
    const client = new FakeClient(() => answer);
    const tree = new SessionTreeProvider();
    let changes = 0;
    tree.onDidChangeTreeData(() => changes++);
    tree.attach(client);
    expect(changes).toBe(1);
    expect(await tree.getChildren()).toHaveLength(1);
    answer = sessions;
    client.notify(DID_CHANGE_SESSIONS, { changed: [sessions[1]!.id] });
    expect(changes).toBe(2);
    expect(await tree.getChildren()).toHaveLength(3);
  });

  it('is empty and stops listening when the server stops', async () => {
    const client = new FakeClient(() => sessions);
    const tree = new SessionTreeProvider();
    tree.attach(client);
    tree.detach();
    expect(client.listening(DID_CHANGE_SESSIONS)).toBe(false);
    expect(await tree.getChildren()).toEqual([]);
  });

  it("shows the server's error above the tree, and clears it once a listing works", async () => {
    let fail = true;
    const client = new FakeClient(() => (fail ? new Error('the database is corrupt') : [sessions[0]]));
    const messages: (string | undefined)[] = [];
    const tree = new SessionTreeProvider((message) => messages.push(message));
    tree.attach(client);
    expect(await tree.getChildren()).toEqual([]);
    expect(messages.at(-1)).toBe('Could not list sessions: the database is corrupt');
    fail = false;
    expect(await tree.getChildren()).toHaveLength(1);
    expect(messages.at(-1)).toBeUndefined();
  });
});

describe('numbers as text', () => {
  it('shortens token counts', () => {
    expect([0, 950, 1000, 1500, 81139, 262600, 999_999, 1_250_000, 12_345_678].map(compactTokens))
      .toEqual(['0', '950', '1k', '1.5k', '81.1k', '262.6k', '1M', '1.25M', '12.3M']);
  });

  it('shows small costs with more digits', () => {
    expect([0, 0.004, 0.071057, 12.5].map(usd)).toEqual(['$0.00', '$0.0040', '$0.07', '$12.50']);
  });

  it('describes a context file row; an unreadable file says so', () => {
    expect(contextFileRow({ path: 'src/cart.py', actions: ['read', 'edit'], uses: 3, tokens: 1234, token_source: 'estimated' }))
      .toEqual({ label: 'src/cart.py', description: '1,234 tokens (estimated)', detail: 'read, edit · used 3 times' });
    expect(contextFileRow({ path: 'gone.py', actions: ['read'], uses: 1, tokens: null, token_source: null }).description)
      .toBe('not readable now');
  });
});
