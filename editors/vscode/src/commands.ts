/**
 * The extension's commands. Each one asks the user what it needs (a session,
 * a format, tags, a query), sends one request to the server and shows the
 * answer; the server does the work.
 *
 * A command run from a tree row gets that row's `SessionItem`; run from the
 * command palette it asks which session with a quick pick.
 */

import * as vscode from 'vscode';
import {
  compactTokens, contextFileRow, describeSession, groupedTokens, sessionDescription, sessionLabel, shortId,
} from './format';
import {
  EXPORT_FORMATS, type ExportFormat, executeCommand, type OptimizeResult, RECALL, type RecallResult,
  type RpcClient, type ScanResult, ServerCommand, type Session, SESSIONS, STATUS, type StatusResult, type TagResult,
} from './protocol';
import { errorText } from './tree';

export const Command = {
  refresh: 'llmSessionManager.refresh',
  export: 'llmSessionManager.export',
  tag: 'llmSessionManager.tag',
  recall: 'llmSessionManager.recall',
  showDetails: 'llmSessionManager.showDetails',
  optimizeContext: 'llmSessionManager.optimizeContext',
  restartServer: 'llmSessionManager.restartServer',
  showOutput: 'llmSessionManager.showOutput',
} as const;

/** A tree row, a session id, or nothing (then the user picks). */
export type SessionArg = { session: Session } | string | undefined;

const LANGUAGES: Record<ExportFormat, string> = { markdown: 'markdown', json: 'json', yaml: 'yaml', csv: 'plaintext' };

/** `llmSession.refresh`: scan now. The tree and status bar follow the notification it causes. */
export async function refresh(client: RpcClient): Promise<ScanResult> {
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: 'LLM: scanning session logs' },
    () => executeCommand<ScanResult>(client, ServerCommand.refresh),
  );
  vscode.window.setStatusBarMessage(
    `LLM: scanned ${result.files} files: ${result.records} new records, ${result.sessions} sessions` +
      (result.malformed ? `, ${result.malformed} malformed lines skipped` : ''),
    5000,
  );
  if (result.warnings?.length) void vscode.window.showWarningMessage(`LLM Sessions: ${result.warnings.join('; ')}`);
  return result;
}

/** `llmSession.export`: the report in the chosen format, in a new untitled document. */
export async function exportSession(client: RpcClient, arg: SessionArg, format?: ExportFormat): Promise<void> {
  const id = await sessionId(client, arg, 'Session to export');
  if (!id) return;
  const chosen = format ?? (await vscode.window.showQuickPick([...EXPORT_FORMATS], {
    placeHolder: `Export session ${shortId(id)} as`,
  })) as ExportFormat | undefined;
  if (!chosen) return;
  const text = await executeCommand<string>(client, ServerCommand.export, id, chosen);
  const document = await vscode.workspace.openTextDocument({ content: text, language: LANGUAGES[chosen] });
  await vscode.window.showTextDocument(document);
}

/** `llmSession.tag`: add the tags typed in (separated by spaces or commas). */
export async function tagSession(client: RpcClient, arg: SessionArg): Promise<TagResult | undefined> {
  const id = await sessionId(client, arg, 'Session to tag');
  if (!id) return undefined;
  const typed = await vscode.window.showInputBox({
    title: `Tag session ${shortId(id)}`,
    prompt: 'Tags to add, separated by spaces or commas',
    placeHolder: 'review billing',
  });
  const tags = (typed ?? '').split(/[\s,]+/).filter(Boolean);
  if (!tags.length) return undefined;
  const result = await executeCommand<TagResult>(client, ServerCommand.tag, id, ...tags);
  void vscode.window.showInformationMessage(`Session ${shortId(result.id)} is tagged ${result.tags.join(', ')}.`);
  return result;
}

/** `llmSession/recall`: memories matching a query; the chosen one goes to the clipboard. */
export async function recall(client: RpcClient, query?: string): Promise<RecallResult | undefined> {
  const asked = query ?? (await vscode.window.showInputBox({ title: 'Recall memories', prompt: 'What to look for' }));
  if (!asked?.trim()) return undefined;
  const result = await client.sendRequest<RecallResult>(RECALL, { query: asked.trim() });
  if (!result.memories.length) {
    void vscode.window.showInformationMessage(result.message ?? `No memory matches "${asked.trim()}".`);
    return result;
  }
  const picked = await vscode.window.showQuickPick(
    result.memories.map((m) => ({
      label: m.text.split('\n')[0] ?? '',
      description: [m.project, m.tags.join(', ')].filter(Boolean).join(' · '),
      detail: `score ${m.score.toFixed(2)}${m.session_id ? ` · session ${shortId(m.session_id)}` : ''}`,
      memory: m,
    })),
    { placeHolder: 'Copy a memory to the clipboard', matchOnDescription: true, matchOnDetail: true },
  );
  if (picked) {
    await vscode.env.clipboard.writeText(picked.memory.text);
    vscode.window.setStatusBarMessage('LLM: memory copied to the clipboard', 3000);
  }
  return result;
}

/** `llmSession.optimizeContext`: the session's files by what they cost; the chosen one opens. */
export async function optimizeContext(client: RpcClient, arg: SessionArg): Promise<OptimizeResult | undefined> {
  const id = await sessionId(client, arg, 'Session whose context to inspect');
  if (!id) return undefined;
  const result = await executeCommand<OptimizeResult>(client, ServerCommand.optimizeContext, id);
  if (!result.files.length) {
    void vscode.window.showInformationMessage(`Session ${shortId(result.session_id)} used no files.`);
    return result;
  }
  const picked = await vscode.window.showQuickPick(
    result.files.map((file) => ({ ...contextFileRow(file), file })),
    {
      title: `Session ${shortId(result.session_id)}: ${groupedTokens(result.total_tokens)} tokens of files ` +
        `(${compactTokens(result.total_tokens)}), most expensive first`,
      placeHolder: 'Open a file',
      matchOnDescription: true,
    },
  );
  if (picked && picked.file.tokens !== null) {
    await vscode.window.showTextDocument(vscode.Uri.file(picked.file.path));
  }
  return result;
}

/** "Show details": a read-only Markdown page of the session, fetched fresh with `llmSession/status`. */
export class SessionDetails implements vscode.TextDocumentContentProvider {
  static readonly scheme = 'llm-session';
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly client: () => RpcClient | undefined) {}

  static uri(id: string): vscode.Uri {
    return vscode.Uri.from({ scheme: SessionDetails.scheme, path: `/${id}.md` });
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const id = uri.path.replace(/^\//, '').replace(/\.md$/, '');
    const client = this.client();
    if (!client) return 'The llm-session language server is not running.';
    try {
      const status = await client.sendRequest<StatusResult>(STATUS, { sessionId: id });
      return status.session ? describeSession(status.session) + '\n' : `No session ${id}.`;
    } catch (error) {
      return `Could not read session ${id}: ${errorText(error)}`;
    }
  }

  async show(client: RpcClient, arg: SessionArg): Promise<void> {
    const id = await sessionId(client, arg, 'Session to show');
    if (!id) return;
    const uri = SessionDetails.uri(id);
    this.changed.fire(uri); // an open page is read again
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document, { preview: true });
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** The session id of a tree row or an id; else the one the user picks from the list. */
export async function sessionId(client: RpcClient, arg: SessionArg, placeHolder: string): Promise<string | undefined> {
  if (typeof arg === 'string') return arg;
  if (arg?.session) return arg.session.id;
  const sessions = await client.sendRequest<Session[]>(SESSIONS, {});
  if (!sessions.length) {
    void vscode.window.showInformationMessage('LLM Sessions: no sessions yet. Run "LLM Sessions: Refresh" to scan.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    sessions.map((s) => ({ label: sessionLabel(s), description: sessionDescription(s), detail: s.id, id: s.id })),
    { placeHolder, matchOnDescription: true, matchOnDetail: true },
  );
  return picked?.id;
}

export interface CommandDeps {
  /** The running server's connection; undefined while it is stopped or starting. */
  client(): RpcClient | undefined;
  restart(): Promise<unknown>;
  showOutput(): void;
  details: SessionDetails;
}

/** Register every command; failures become one error message, never an exception in VS Code. */
export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const withClient = (name: string, run: (client: RpcClient, ...args: any[]) => Promise<unknown>) =>
    vscode.commands.registerCommand(name, async (...args: any[]) => {
      const client = deps.client();
      if (!client) {
        const choice = await vscode.window.showErrorMessage(
          'LLM Sessions: the llm-session language server is not running.', 'Restart Server');
        if (choice === 'Restart Server') await deps.restart();
        return;
      }
      try {
        await run(client, ...args);
      } catch (error) {
        void vscode.window.showErrorMessage(`LLM Sessions: ${errorText(error)}`);
      }
    });
  return [
    withClient(Command.refresh, (client) => refresh(client)),
    // From a tree row VS Code may pass the selected rows second: only a known format counts.
    withClient(Command.export, (client, arg, format) =>
      exportSession(client, arg, EXPORT_FORMATS.includes(format) ? format : undefined)),
    withClient(Command.tag, (client, arg) => tagSession(client, arg)),
    withClient(Command.recall, (client, query) => recall(client, typeof query === 'string' ? query : undefined)),
    withClient(Command.showDetails, (client, arg) => deps.details.show(client, arg)),
    withClient(Command.optimizeContext, (client, arg) => optimizeContext(client, arg)),
    vscode.commands.registerCommand(Command.restartServer, () => deps.restart()),
    vscode.commands.registerCommand(Command.showOutput, () => deps.showOutput()),
  ];
}
