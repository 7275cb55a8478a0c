/** Test doubles for the server side: a scripted RPC client and sample server answers. */

import type { RpcClient, Session, StatusResult } from '../../src/protocol';

export interface SentRequest { method: string; params: unknown }

/** An RpcClient whose answers a test scripts per method (or per executeCommand command). */
export class FakeClient implements RpcClient {
  readonly sent: SentRequest[] = [];
  /** One handler per method, as vscode-languageclient and vscode-jsonrpc keep them. */
  private readonly handlers = new Map<string, (params: unknown) => void>();
  constructor(public answer: (method: string, params: any) => unknown = () => null) {}

  async sendRequest<R>(method: string, params?: unknown): Promise<R> {
    this.sent.push({ method, params });
    const result = this.answer(method, params);
    if (result instanceof Error) throw result;
    return (await result) as R;
  }

  onNotification(method: string, handler: (params: unknown) => void) {
    this.handlers.set(method, handler);
    return { dispose: () => void (this.handlers.get(method) === handler && this.handlers.delete(method)) };
  }

  notify(method: string, params: unknown): void {
    this.handlers.get(method)?.(params);
  }

  listening(method: string): boolean {
    return this.handlers.has(method);
  }
}

/** A session object as `llmSession/sessions` returns it (docs/lsp.md's example). */
export function session(overrides: Partial<Session> = {}): Session {
  return {
    id: '9e8d7c6b-5a49-4382-9170-a1b2c3d4e5f6',
    provider: 'claude-code',
    project: 'shop',
    cwd: '/home/dev/shop',
    title: 'Fix double coupon discount in cart total',
    model: 'claude-sonnet-4-5-20250929',
    started_at: '2025-08-14T09:00:20Z',
    last_activity: '2025-08-15T10:20:06Z',
    active: false,
    tokens: { input: 47, output: 992, cache_creation: 13030, cache_read: 67070, total: 81139, source: 'exact' },
    context: { used: 5130, limit: 200000, percent: 2.6 },
    cost_usd: 0.071057,
    health: {
      score: 60.0,
      status: 'warning',
      components: { token_usage: 100.0, duration: 0.0, activity: 0.0, errors: 100.0 },
    },
    tags: [],
    ...overrides,
  };
}

export function statusResult(overrides: Partial<StatusResult> = {}): StatusResult {
  return {
    session: null,
    summary: { count: 3, healthy: 2, warning: 1, critical: 0 },
    label: 'LLM: 3 sessions ✅2 ⚠️1',
    ...overrides,
  };
}

/** Let pending promise callbacks run. */
export async function settle(times = 5): Promise<void> {
  for (let i = 0; i < times; i++) await new Promise((resolve) => setImmediate(resolve));
}
