/**
 * The "LLM Sessions" tree: one row per session, exactly the list that
 * `llmSession/sessions` returns (the server orders it, most recent first),
 * asked for again whenever the server sends `llmSession/didChangeSessions`.
 */

import * as vscode from 'vscode';
import { contextPercent, describeSession, sessionDescription, sessionLabel } from './format';
import { DID_CHANGE_SESSIONS, type RpcClient, type Session, SESSIONS } from './protocol';

/** `contextValue` of a session row; menus match `viewItem =~ /^llmSession\.session/`. */
export const SESSION_CONTEXT = 'llmSession.session';

const HEALTH_ICONS: Record<string, { icon: string; color: string }> = {
  healthy: { icon: 'pass', color: 'testing.iconPassed' },
  warning: { icon: 'warning', color: 'list.warningForeground' },
  critical: { icon: 'error', color: 'list.errorForeground' },
};

export function healthIcon(status: string): vscode.ThemeIcon {
  const known = HEALTH_ICONS[status];
  return known ? new vscode.ThemeIcon(known.icon, new vscode.ThemeColor(known.color)) : new vscode.ThemeIcon('circle-outline');
}

export class SessionItem extends vscode.TreeItem {
  constructor(readonly session: Session) {
    super(sessionLabel(session), vscode.TreeItemCollapsibleState.None);
    this.id = session.id;
    this.description = sessionDescription(session);
    this.iconPath = healthIcon(session.health.status);
    this.tooltip = new vscode.MarkdownString(describeSession(session));
    this.contextValue = session.active ? `${SESSION_CONTEXT}.running` : SESSION_CONTEXT;
    this.accessibilityInformation = {
      label: `${sessionLabel(session)}, health ${session.health.status}, ${session.tokens.total} tokens, ` +
        `context ${contextPercent(session)}`,
    };
  }
}

export class SessionTreeProvider implements vscode.TreeDataProvider<SessionItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<SessionItem | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private client: RpcClient | undefined;
  private subscription: { dispose(): void } | undefined;

  /** @param showMessage sets the text above the tree (undefined clears it). */
  constructor(private readonly showMessage: (message: string | undefined) => void = () => undefined) {}

  /** Use this connection from now on: list its sessions, and again on each change. */
  attach(client: RpcClient): void {
    this.detach();
    this.client = client;
    this.subscription = client.onNotification(DID_CHANGE_SESSIONS, () => this.refresh());
    this.refresh();
  }

  /** The server has stopped: show no rows (the view's welcome text explains why). */
  detach(): void {
    this.subscription?.dispose();
    this.subscription = undefined;
    if (this.client) {
      this.client = undefined;
      this.showMessage(undefined);
      this.refresh();
    }
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(item: SessionItem): vscode.TreeItem {
    return item;
  }

  async getChildren(parent?: SessionItem): Promise<SessionItem[]> {
    const client = this.client;
    if (parent || !client) return [];
    try {
      const sessions = await client.sendRequest<Session[]>(SESSIONS, {});
      this.showMessage(undefined);
      return sessions.map((session) => new SessionItem(session));
    } catch (error) {
      if (client !== this.client) return []; // the server went away meanwhile
      this.showMessage(`Could not list sessions: ${errorText(error)}`);
      return [];
    }
  }

  dispose(): void {
    this.detach();
    this.changed.dispose();
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
