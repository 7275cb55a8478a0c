/**
 * The one place that knows vscode-languageclient: a `LanguageClient` over
 * stdio for a resolved launch, shaped as the `ManagedClient` that
 * `ServerManager` drives. Crashes and failed starts are left to the manager
 * (which reports them once, with actions); the client only logs them.
 */

import * as readline from 'node:readline';
import type { Readable } from 'node:stream';
import * as vscode from 'vscode';
import {
  CloseAction, ErrorAction, LanguageClient, type LanguageClientOptions, RevealOutputChannelOn, type ServerOptions,
} from 'vscode-languageclient/node';
import type { ClientEvents, ManagedClient } from './server';
import type { ServerLaunch } from './serverCommand';

/** The client id: vscode-languageclient reads `<id>.trace.server`, our `llmSession.trace.server`. */
export const CLIENT_ID = 'llmSession';
export const CLIENT_NAME = 'LLM Session Manager';

/** The files the assistants send with every turn; the server hovers, lenses and diagnoses them. */
export const INSTRUCTION_FILES = [
  '**/CLAUDE.md',
  '**/AGENTS.md',
  '**/GEMINI.md',
  '**/.cursorrules',
  '**/.github/copilot-instructions.md',
];

class QuietLanguageClient extends LanguageClient {
  /** The manager's message says it better; the client's own pop-ups would repeat it. Still logged. */
  override error(message: string, data?: unknown, showNotification: boolean | 'force' = true): void {
    super.error(message, data, showNotification === 'force' ? false : showNotification);
  }
}

export function createLanguageClient(launch: ServerLaunch, events: ClientEvents,
                                     output: vscode.LogOutputChannel): ManagedClient {
  // No `transport`: with TransportKind.stdio the client would append `--stdio` to the arguments.
  const serverOptions: ServerOptions = { command: launch.command, args: launch.args, options: { env: process.env } };
  let lastStderrLine: string | undefined;
  const lines = (input: Readable, each: (line: string) => void) =>
    readline.createInterface({ input, crlfDelay: Infinity, terminal: false, historySize: 0 }).on('line', each);
  const config = vscode.workspace.getConfiguration('llmSession');
  const clientOptions: LanguageClientOptions = {
    documentSelector: INSTRUCTION_FILES.map((pattern) => ({ scheme: 'file', pattern })),
    outputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    initializationOptions: { scanOnStart: config.get<boolean>('scanOnStart', true) },
    // The server's stderr is its log (docs/lsp.md); its last line tells why a start failed.
    stdioOptions: {
      stdout: (input, channel) => lines(input, (line) => channel.info(line)),
      stderr: (input, channel) => lines(input, (line) => {
        if (line.trim()) lastStderrLine = line.trim();
        channel.appendLine(line);
      }),
    },
    initializationFailedHandler: () => false, // the manager reports it; no pop-up of the client's own
    errorHandler: {
      // A broken pipe is followed by `closed`, which the manager handles; the client
      // stopping on its own (ErrorAction.Shutdown) would skip `closed` and leave the manager unaware.
      error: () => ({ action: ErrorAction.Continue, handled: true }),
      closed: () => {
        events.closed();
        return { action: CloseAction.DoNotRestart, handled: true };
      },
    },
  };
  const client = new QuietLanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
  return {
    start: () => client.start(),
    stop: () => client.stop(2000),
    kill: () => {
      client.serverProcess?.kill();
      void client.dispose(1000).catch(() => undefined);
    },
    lastServerMessage: () => lastStderrLine,
    sendRequest: <R>(method: string, params?: unknown) => client.sendRequest<R>(method, params),
    onNotification: (method, handler) => client.onNotification(method, handler),
  };
}
