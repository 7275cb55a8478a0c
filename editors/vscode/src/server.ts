/**
 * The language server's life: find it, start it, restart it after a crash (a
 * few times), and when it cannot run say so once, clearly, with the ways out
 * ("Open Settings", "Restart", "Show Output"). Starting never hangs: a server
 * that does not answer `initialize` in time is killed and reported.
 *
 * The LSP client itself comes from a factory (extension.ts makes a
 * vscode-languageclient `LanguageClient`), so this policy is tested without VS Code.
 */

import * as vscode from 'vscode';
import { type RpcClient, shareNotifications } from './protocol';
import { commandLine, type ServerLaunch } from './serverCommand';
import { errorText } from './tree';

export type ServerState = 'starting' | 'running' | 'stopped';

/** The context key the views' welcome texts and menus look at. */
export const STATE_CONTEXT_KEY = 'llmSessionManager.serverState';

export interface ManagedClient extends RpcClient {
  /** Spawn the server and complete `initialize`. */
  start(): Promise<void>;
  /** `shutdown` then `exit`; only called while running. */
  stop(): Promise<void>;
  /** End the server process now, whatever state it is in, and release the client. */
  kill(): void;
  /** The last line the server wrote to stderr, if any: often the reason it failed. */
  lastServerMessage?(): string | undefined;
}

export interface ClientEvents {
  /** The connection closed without our asking (the server crashed or exited). */
  closed(): void;
}

export type ClientFactory = (launch: ServerLaunch, events: ClientEvents) => ManagedClient;

export interface ServerManagerOptions {
  resolve(): Promise<ServerLaunch | undefined>;
  createClient: ClientFactory;
  log(line: string): void;
  showOutput(): void;
  startTimeoutMs?: number;
  /** Crashes restarted automatically within `crashWindowMs`; one more and it stays stopped. */
  maxRestarts?: number;
  crashWindowMs?: number;
  restartDelayMs?: number;
  /** After a failed start, how long the server's last stderr lines may take to arrive. */
  failureGraceMs?: number;
  now?: () => number;
}

export const Action = { openSettings: 'Open Settings', restart: 'Restart', showOutput: 'Show Output' } as const;

export const NOT_FOUND_MESSAGE =
  'LLM Sessions: cannot find the llm-session language server. Install llm-session-manager ' +
  '(`pip install llm-session-manager`), or set llmSession.serverPath (the llm-session executable) ' +
  'or llmSession.pythonPath (a Python that has it).';

export class ServerManager implements vscode.Disposable {
  private current: ManagedClient | undefined;
  private shared: RpcClient | undefined; // `current`, with any number of listeners per notification
  private currentState: ServerState = 'stopped';
  private crashes: number[] = [];
  private starting: Promise<boolean> | undefined;
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private generation = 0; // bumped by stop() and restart(): a start begun before gives up
  private readonly stateChanged = new vscode.EventEmitter<ServerState>();
  /** Fires on every change; `client` is set exactly while the state is `running`. */
  readonly onDidChangeState = this.stateChanged.event;

  constructor(private readonly options: ServerManagerOptions) {}

  get state(): ServerState {
    return this.currentState;
  }

  /** The running server's connection; the tree and the status bar may both listen on it. */
  get client(): RpcClient | undefined {
    return this.currentState === 'running' ? this.shared : undefined;
  }

  /** Start the server (stopping a running one first); false when it could not start (already reported). */
  start(): Promise<boolean> {
    this.starting ??= this.startOnce().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  /**
   * What the user (or a changed setting) asks for: forget past crashes and
   * start afresh, with the settings as they are now. A start in progress is
   * abandoned (its server killed) rather than waited for.
   */
  async restart(): Promise<boolean> {
    this.crashes = [];
    const pending = this.starting;
    if (pending) {
      this.generation++;
      this.abandonStarting();
      await pending;
    }
    return this.start();
  }

  async stop(): Promise<void> {
    this.generation++;
    clearTimeout(this.restartTimer);
    this.abandonStarting();
    await this.stopCurrent();
    this.setState('stopped');
  }

  private abandonStarting(): void {
    if (this.currentState !== 'starting' || !this.current) return;
    const client = this.current;
    this.current = undefined;
    client.kill();
  }

  private async startOnce(): Promise<boolean> {
    const generation = ++this.generation;
    clearTimeout(this.restartTimer);
    await this.stopCurrent();
    this.setState('starting');
    let launch: ServerLaunch | undefined;
    try {
      launch = await this.options.resolve();
    } catch (error) {
      this.fail(`LLM Sessions: could not look for the language server: ${errorText(error)}`);
      return false;
    }
    if (generation !== this.generation) return false; // stopped or restarted meanwhile
    if (!launch) {
      this.fail(NOT_FOUND_MESSAGE);
      return false;
    }
    const line = commandLine(launch);
    this.options.log(`Starting the language server: ${line} (from ${launch.origin})`);
    let client: ManagedClient;
    try {
      client = this.options.createClient(launch, { closed: () => this.closed(client) });
    } catch (error) {
      this.fail(`LLM Sessions: could not start \`${line}\` (from ${launch.origin}): ${errorText(error)}`);
      return false;
    }
    this.current = client;
    const timeoutMs = this.options.startTimeoutMs ?? 20_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer to initialize within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    try {
      await Promise.race([client.start(), timeout]);
    } catch (error) {
      if (this.current !== client) return false; // stopped or restarted meanwhile
      this.current = undefined;
      client.kill();
      await delay(this.options.failureGraceMs ?? 200);
      this.fail(`LLM Sessions: the language server did not start: \`${line}\` (from ${launch.origin}) ` +
        `failed: ${errorText(error)}.${said(client)} The output has the server's own messages.`);
      return false;
    } finally {
      clearTimeout(timer);
    }
    if (this.current !== client) return false;
    this.shared = shareNotifications(client);
    this.setState('running');
    return true;
  }

  private async stopCurrent(): Promise<void> {
    const client = this.current;
    this.current = undefined; // from here on its close is expected
    if (!client) return;
    if (this.currentState === 'running') {
      await Promise.race([client.stop().catch(() => undefined), delay(3000)]);
    }
    client.kill();
  }

  private closed(client: ManagedClient): void {
    if (client !== this.current || this.currentState !== 'running') return; // asked for, or a failed start
    this.current = undefined;
    client.kill();
    const now = (this.options.now ?? Date.now)();
    const window = this.options.crashWindowMs ?? 180_000;
    const maxRestarts = this.options.maxRestarts ?? 3;
    this.crashes = [...this.crashes.filter((t) => now - t < window), now];
    if (this.crashes.length <= maxRestarts) {
      this.options.log(`The language server stopped unexpectedly; restarting it ` +
        `(${this.crashes.length} of ${maxRestarts} restarts within ${window / 60_000} minutes).`);
      this.setState('starting');
      this.restartTimer = setTimeout(() => void this.start(), this.options.restartDelayMs ?? 1000);
    } else {
      this.fail(`LLM Sessions: the language server stopped unexpectedly ${this.crashes.length} times within ` +
        `${window / 60_000} minutes and was not restarted again.${said(client)} The output has its messages.`);
    }
  }

  /** Stopped, and the user told once with the ways out; never awaited, so nothing waits on the user. */
  private fail(message: string): void {
    this.setState('stopped');
    this.options.log(message);
    void Promise.resolve(vscode.window.showErrorMessage(message, Action.openSettings, Action.restart, Action.showOutput))
      .then((choice) => {
        if (choice === Action.openSettings) {
          return vscode.commands.executeCommand('workbench.action.openSettings', 'llmSession');
        }
        if (choice === Action.restart) return this.restart();
        if (choice === Action.showOutput) this.options.showOutput();
        return undefined;
      });
  }

  private setState(state: ServerState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    void vscode.commands.executeCommand('setContext', STATE_CONTEXT_KEY, state);
    this.stateChanged.fire(state);
  }

  dispose(): void {
    void this.stop();
    this.stateChanged.dispose();
  }
}

function said(client: ManagedClient): string {
  const line = client.lastServerMessage?.();
  return line ? ` The server said: "${line}".` : '';
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
