import { beforeEach, describe, expect, it } from 'vitest';
import { DID_CHANGE_SESSIONS, STATUS } from '../../src/protocol';
import { StatusBar } from '../../src/status';
import { fake, MarkdownString, ThemeColor, window } from '../fakes/vscode';
import { FakeClient, session, settle, statusResult } from './helpers';

function statusBar(cwd?: string) {
  const item = window.createStatusBarItem('test');
  const bar = new StatusBar(item as never, () => cwd);
  return { item, bar };
}

describe('the status bar', () => {
  beforeEach(() => fake.reset());

  it("shows the server's label for the workspace folder", async () => {
    const client = new FakeClient(() => statusResult());
    const { item, bar } = statusBar('file:///home/dev/shop');
    bar.attach(client);
    await settle();
    expect(client.sent).toEqual([{ method: STATUS, params: { cwd: 'file:///home/dev/shop' } }]);
    expect(item.text).toBe('LLM: 3 sessions ✅2 ⚠️1');
    expect(item.visible).toBe(true);
    expect(item.command).toBe('llmSessionManager.sessions.focus');
    expect(item.backgroundColor).toBeUndefined();
    expect((item.tooltip as MarkdownString).value).toContain('healthy 2 · warning 1 · critical 0');
  });

  it("adds the workspace's session to the tooltip and turns yellow when one is critical", async () => {
    const client = new FakeClient(() => statusResult({
      session: session(),
      summary: { count: 1, healthy: 0, warning: 0, critical: 1 },
      label: 'LLM: 1 session 🔴1',
    }));
    const { item, bar } = statusBar();
    bar.attach(client);
    await settle();
    expect(client.sent[0]!.params).toEqual({});
    expect(item.text).toBe('LLM: 1 session 🔴1');
    expect((item.backgroundColor as ThemeColor).id).toBe('statusBarItem.warningBackground');
    expect((item.tooltip as MarkdownString).value).toContain('Fix double coupon discount in cart total');
  });

  it('asks again when sessions change', async () => {
    let label = 'LLM: none active';
    const client = new FakeClient(() => statusResult({ label }));
    const { item, bar } = statusBar();
    bar.attach(client);
    await settle();
    expect(item.text).toBe('LLM: none active');
    label = 'LLM: 1 session ✅1';
    client.notify(DID_CHANGE_SESSIONS, { changed: [] });
    await settle();
    expect(item.text).toBe('LLM: 1 session ✅1');
  });

  it('says when the server is starting or stopped; clicking restarts it', () => {
    const { item, bar } = statusBar();
    expect(item.text).toBe('$(sync~spin) LLM');
    bar.showStopped();
    expect(item.text).toBe('$(error) LLM: server stopped');
    expect(item.command).toBe('llmSessionManager.restartServer');
    expect((item.backgroundColor as ThemeColor).id).toBe('statusBarItem.errorBackground');
  });

  it('shows a failed request instead of a stale count', async () => {
    const client = new FakeClient(() => new Error('the config file is broken'));
    const { item, bar } = statusBar();
    bar.attach(client);
    await settle();
    expect(item.text).toBe('$(warning) LLM: ?');
    expect(item.tooltip).toBe('llmSession/status failed: the config file is broken');
  });
});
