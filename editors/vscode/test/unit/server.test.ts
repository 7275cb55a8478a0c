import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Action, type ClientEvents, type ManagedClient, NOT_FOUND_MESSAGE, ServerManager, type ServerManagerOptions } from '../../src/server';
import type { ServerLaunch } from '../../src/serverCommand';
import { fake } from '../fakes/vscode';
import { settle } from './helpers';

const launch: ServerLaunch = { command: '/opt/bin/llm-session', args: ['lsp'], origin: 'setting llmSession.serverPath' };

class FakeManagedClient implements ManagedClient {
  started = 0;
  stopped = 0;
  killed = 0;
  lastServerMessage?: () => string | undefined;
  requests: string[] = [];
  constructor(readonly events: ClientEvents, private readonly starting: () => Promise<void>) {}
  private killedWhileStarting: ((error: Error) => void) | undefined;
  start(): Promise<void> {
    this.started++;
    // As with a real client, killing the process ends a start in progress.
    return Promise.race([this.starting(), new Promise<never>((_, reject) => (this.killedWhileStarting = reject))]);
  }
  async stop(): Promise<void> {
    this.stopped++;
  }
  kill(): void {
    this.killed++;
    this.killedWhileStarting?.(new Error('Connection got disposed'));
  }
  async sendRequest<R>(method: string): Promise<R> {
    this.requests.push(method);
    return null as R;
  }
  onNotification() {
    return { dispose() {} };
  }
}

function manager(options: Partial<ServerManagerOptions> & { starts?: (() => Promise<void>)[] } = {}) {
  const clients: FakeManagedClient[] = [];
  const starts = options.starts ?? [];
  const log: string[] = [];
  const showOutput = vi.fn();
  const m = new ServerManager({
    resolve: async () => launch,
    createClient: (_launch, events) => {
      const client = new FakeManagedClient(events, starts.shift() ?? (async () => undefined));
      clients.push(client);
      return client;
    },
    log: (line) => log.push(line),
    showOutput,
    restartDelayMs: 0,
    failureGraceMs: 0,
    ...options,
  });
  const states: string[] = [];
  m.onDidChangeState((state) => states.push(state));
  return { m, clients, log, states, showOutput };
}

/** Whether `m.client` talks to `client`. */
async function servedBy(m: ServerManager, client: FakeManagedClient): Promise<boolean> {
  const before = client.requests.length;
  await m.client?.sendRequest('llmSession/status', {});
  return client.requests.length === before + 1;
}

const contextKey = () => fake.executed.filter((e) => e.command === 'setContext').map((e) => e.args[1]);

describe('the server manager', () => {
  beforeEach(() => fake.reset());
  afterEach(() => vi.useRealTimers());

  it('starts the client and hands out its connection only while running', async () => {
    const { m, clients, states } = manager();
    expect(m.client).toBeUndefined();
    expect(await m.start()).toBe(true);
    expect(await servedBy(m, clients[0]!)).toBe(true);
    expect(states).toEqual(['starting', 'running']);
    expect(contextKey()).toEqual(['starting', 'running']);
    await m.stop();
    expect(clients[0]).toMatchObject({ stopped: 1, killed: 1 });
    expect(m.client).toBeUndefined();
    expect(m.state).toBe('stopped');
  });

  it('says how to fix it when no server can be found', async () => {
    const { m, clients } = manager({ resolve: async () => undefined });
    expect(await m.start()).toBe(false);
    expect(clients).toEqual([]);
    expect(m.state).toBe('stopped');
    expect(fake.messages).toEqual([{
      level: 'error', text: NOT_FOUND_MESSAGE, actions: [Action.openSettings, Action.restart, Action.showOutput],
    }]);
  });

  it('reports a server that cannot be spawned, with the command line, and restarts on request', async () => {
    const { m, clients } = manager({
      starts: [() => Promise.reject(new Error('spawn /opt/bin/llm-session ENOENT'))],
    });
    fake.answers.message = (message) => (message.level === 'error' ? Action.restart : undefined);
    expect(await m.start()).toBe(false);
    const [message] = fake.messages;
    expect(message!.text).toBe('LLM Sessions: the language server did not start: `/opt/bin/llm-session lsp` ' +
      '(from setting llmSession.serverPath) failed: spawn /opt/bin/llm-session ENOENT. ' +
      "The output has the server's own messages.");
    expect(clients[0]!.killed).toBe(1);
    await settle();
    expect(clients).toHaveLength(2); // "Restart" started a new one
    expect(m.state).toBe('running');
  });

  it("quotes the server's last stderr line: often the reason", async () => {
    const { m, clients } = manager({
      starts: [async () => {
        clients[0]!.lastServerMessage = () => '/usr/bin/python3: No module named llm_session_manager';
        throw new Error('Pending response rejected');
      }],
    });
    await m.start();
    expect(fake.messages[0]!.text).toContain(
      'failed: Pending response rejected. The server said: "/usr/bin/python3: No module named llm_session_manager".');
  });

  it('never hangs on a server that does not answer initialize', async () => {
    const { m, clients } = manager({ startTimeoutMs: 20, starts: [() => new Promise(() => undefined)] });
    expect(await m.start()).toBe(false);
    expect(clients[0]!.killed).toBe(1);
    expect(fake.messages[0]!.text).toContain('failed: no answer to initialize within 0.02 s');
    expect(m.state).toBe('stopped');
  });

  it('"Open Settings" opens the llmSession settings; "Show Output" the log', async () => {
    const { m, showOutput } = manager({ resolve: async () => undefined });
    fake.answers.message = () => Action.openSettings;
    await m.start();
    await settle();
    expect(fake.executed).toContainEqual({ command: 'workbench.action.openSettings', args: ['llmSession'] });
    fake.answers.message = () => Action.showOutput;
    await m.start();
    await settle();
    expect(showOutput).toHaveBeenCalledOnce();
  });

  it('restarts a crashed server a few times, then stops and says so', async () => {
    const { m, clients, log } = manager({ maxRestarts: 2 });
    await m.start();
    for (let crash = 1; crash <= 2; crash++) {
      clients.at(-1)!.events.closed();
      expect(m.state).toBe('starting');
      await vi.waitFor(() => expect(m.state).toBe('running'));
    }
    expect(clients).toHaveLength(3);
    expect(log.filter((line) => line.includes('restarting it'))).toHaveLength(2);
    clients.at(-1)!.events.closed();
    expect(m.state).toBe('stopped');
    expect(clients).toHaveLength(3);
    expect(fake.messages.map((msg) => msg.text)).toEqual([
      'LLM Sessions: the language server stopped unexpectedly 3 times within 3 minutes and was not restarted again. ' +
        'The output has its messages.',
    ]);
  });

  it('forgets crashes older than the window', async () => {
    let now = 0;
    const { m, clients } = manager({ maxRestarts: 1, crashWindowMs: 1000, now: () => now });
    await m.start();
    clients.at(-1)!.events.closed();
    await vi.waitFor(() => expect(m.state).toBe('running'));
    now = 5000;
    clients.at(-1)!.events.closed();
    await vi.waitFor(() => expect(m.state).toBe('running'));
    expect(fake.messages).toEqual([]);
  });

  it('a close it asked for is not a crash', async () => {
    const { m, clients } = manager();
    await m.start();
    const first = clients[0]!;
    await m.restart();
    first.events.closed();
    await settle();
    expect(clients).toHaveLength(2);
    expect(await servedBy(m, clients[1]!)).toBe(true);
    expect(fake.messages).toEqual([]);
  });

  it('a restart while starting abandons that start, quietly, and starts with the new settings', async () => {
    const { m, clients } = manager({ starts: [() => new Promise(() => undefined)] });
    const first = m.start();
    await vi.waitFor(() => expect(clients).toHaveLength(1));
    expect(await m.restart()).toBe(true);
    expect(await first).toBe(false);
    expect(clients[0]!.killed).toBeGreaterThan(0);
    expect(await servedBy(m, clients[1]!)).toBe(true);
    expect(fake.messages).toEqual([]);
  });

  it('a stop while starting leaves it stopped', async () => {
    let resolveLaunch: (launch: ServerLaunch) => void = () => undefined;
    const { m, clients } = manager({ resolve: () => new Promise((r) => (resolveLaunch = r)) });
    const starting = m.start();
    await m.stop();
    resolveLaunch(launch);
    expect(await starting).toBe(false);
    expect(clients).toEqual([]);
    expect(m.state).toBe('stopped');
  });

  it('two starts at once make one client', async () => {
    const { m, clients } = manager();
    await Promise.all([m.start(), m.start()]);
    expect(clients).toHaveLength(1);
  });
});
