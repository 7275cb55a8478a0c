/**
 * The status bar item: `llmSession/status`'s ready-made `label`
 * (`LLM: 3 sessions ✅2 ⚠️1`) for the workspace folder, asked for again
 * whenever the server sends `llmSession/didChangeSessions`.
 */

import * as vscode from 'vscode';
import { statusTooltip } from './format';
import { DID_CHANGE_SESSIONS, type RpcClient, STATUS, type StatusResult } from './protocol';
import { errorText } from './tree';

export const FOCUS_VIEW_COMMAND = 'llmSessionManager.sessions.focus';
export const RESTART_COMMAND = 'llmSessionManager.restartServer';

export class StatusBar implements vscode.Disposable {
  private client: RpcClient | undefined;
  private subscription: { dispose(): void } | undefined;
  private generation = 0; // answers to an older request or connection are dropped

  /** @param cwd the workspace folder (path or file:// URI) whose sessions count, if any. */
  constructor(
    private readonly item: vscode.StatusBarItem,
    private readonly cwd: () => string | undefined = () => undefined,
  ) {
    item.name = 'LLM Sessions';
    this.showStarting();
  }

  attach(client: RpcClient): void {
    this.subscription?.dispose();
    this.client = client;
    this.subscription = client.onNotification(DID_CHANGE_SESSIONS, () => void this.update());
    void this.update();
  }

  detach(): void {
    this.subscription?.dispose();
    this.subscription = undefined;
    this.client = undefined;
    this.generation++;
  }

  /** Ask the server again; the item shows its answer (or the error). */
  async update(): Promise<void> {
    const client = this.client;
    if (!client) return;
    const generation = ++this.generation;
    const cwd = this.cwd();
    try {
      const status = await client.sendRequest<StatusResult>(STATUS, cwd ? { cwd } : {});
      if (generation !== this.generation) return;
      this.show(status);
    } catch (error) {
      if (generation !== this.generation) return;
      this.set('$(warning) LLM: ?', `llmSession/status failed: ${errorText(error)}`, FOCUS_VIEW_COMMAND,
        'statusBarItem.warningBackground');
    }
  }

  show(status: StatusResult): void {
    const tooltip = new vscode.MarkdownString(statusTooltip(status));
    const background = status.summary.critical > 0 ? 'statusBarItem.warningBackground' : undefined;
    this.set(status.label, tooltip, FOCUS_VIEW_COMMAND, background);
  }

  showStarting(): void {
    this.set('$(sync~spin) LLM', 'Starting the llm-session language server...', undefined, undefined);
  }

  showStopped(): void {
    this.detach();
    this.set('$(error) LLM: server stopped', 'The llm-session language server is not running. Click to restart it.',
      RESTART_COMMAND, 'statusBarItem.errorBackground');
  }

  private set(text: string, tooltip: string | vscode.MarkdownString, command: string | undefined,
              background: string | undefined): void {
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.command = command;
    this.item.backgroundColor = background ? new vscode.ThemeColor(background) : undefined;
    this.item.show();
  }

  dispose(): void {
    this.detach();
    this.item.dispose();
  }
}
