import { describe, expect, it } from 'vitest';
import { DID_CHANGE_SESSIONS, shareNotifications } from '../../src/protocol';
import { FakeClient } from './helpers';

describe('sharing one connection', () => {
  it('gives every listener the notification, though the client keeps one handler per method', () => {
    const client = new FakeClient();
    const shared = shareNotifications(client);
    const heard: string[] = [];
    const tree = shared.onNotification(DID_CHANGE_SESSIONS, () => heard.push('tree'));
    shared.onNotification(DID_CHANGE_SESSIONS, () => heard.push('status'));
    client.notify(DID_CHANGE_SESSIONS, { changed: [] });
    expect(heard).toEqual(['tree', 'status']);
    tree.dispose();
    client.notify(DID_CHANGE_SESSIONS, { changed: [] });
    expect(heard).toEqual(['tree', 'status', 'status']);
  });

  it('passes requests through', async () => {
    const client = new FakeClient((method, params) => ({ method, params }));
    expect(await shareNotifications(client).sendRequest('llmSession/status', { cwd: '/x' }))
      .toEqual({ method: 'llmSession/status', params: { cwd: '/x' } });
  });
});
