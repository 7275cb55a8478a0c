/**
 * LLM Session Manager for VS Code: a thin client of `llm-session lsp`.
 *
 * Everything shown comes from the language server (docs/lsp.md): the sessions
 * tree from `llmSession/sessions`, the status bar from `llmSession/status`,
 * the commands from `workspace/executeCommand`; hover, code lens and
 * diagnostics on instruction files, and health alerts, come through
 * vscode-languageclient unchanged. The extension formats; it decides nothing.
 */

import * as vscode from 'vscode';
import { registerCommands, SessionDetails } from './commands';
import { createLanguageClient } from './languageClient';
import { editorResolveContext } from './launchContext';
import { ServerManager } from './server';
import { resolveServerLaunch } from './serverCommand';
import { StatusBar } from './status';
import { SessionTreeProvider } from './tree';

export const VIEW_ID = 'llmSessionManager.sessions';
/** Changing these restarts the server. */
const LAUNCH_SETTINGS = ['llmSession.serverPath', 'llmSession.pythonPath', 'llmSession.scanOnStart'];

let manager: ServerManager | undefined;

export function activate(context: vscode.ExtensionContext): { manager: ServerManager } {
  const output = vscode.window.createOutputChannel('LLM Session Manager', { log: true });
  const tree = new SessionTreeProvider((message) => {
    view.message = message; // only called once a server is attached, after `view` exists
  });
  const view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: tree });
  const status = new StatusBar(
    vscode.window.createStatusBarItem('llmSessionManager.status', vscode.StatusBarAlignment.Left, 50),
    () => vscode.workspace.workspaceFolders?.[0]?.uri.toString(),
  );
  const server = new ServerManager({
    resolve: () => resolveServerLaunch(editorResolveContext()),
    createClient: (launch, events) => createLanguageClient(launch, events, output),
    log: (line) => output.info(line),
    showOutput: () => output.show(true),
  });
  manager = server;
  server.onDidChangeState((state) => {
    const client = server.client;
    if (client) {
      tree.attach(client);
      status.attach(client);
    } else {
      tree.detach();
      if (state === 'stopped') status.showStopped();
      else status.showStarting();
    }
  });
  const details = new SessionDetails(() => server.client);
  context.subscriptions.push(
    output, view, tree, status, server, details,
    vscode.workspace.registerTextDocumentContentProvider(SessionDetails.scheme, details),
    ...registerCommands({
      client: () => server.client,
      restart: () => server.restart(),
      showOutput: () => output.show(true),
      details,
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (LAUNCH_SETTINGS.some((name) => event.affectsConfiguration(name))) void server.restart();
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => void status.update()),
  );
  void server.start(); // activation does not wait for the server
  return { manager: server };
}

export async function deactivate(): Promise<void> {
  await manager?.stop();
  manager = undefined;
}
