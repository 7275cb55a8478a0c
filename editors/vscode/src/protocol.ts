/**
 * What the llm-session language server speaks (docs/lsp.md): method and command
 * names, and the shapes of their results. Types only; no behaviour.
 *
 * Session objects are the snake_case JSON of `llm-session list --json`.
 */

export const SESSIONS = 'llmSession/sessions';
export const STATUS = 'llmSession/status';
export const RECALL = 'llmSession/recall';
export const DID_CHANGE_SESSIONS = 'llmSession/didChangeSessions';
export const EXECUTE_COMMAND = 'workspace/executeCommand';

/** The server's `workspace/executeCommand` commands. */
export const ServerCommand = {
  refresh: 'llmSession.refresh',
  export: 'llmSession.export',
  tag: 'llmSession.tag',
  recall: 'llmSession.recall',
  optimizeContext: 'llmSession.optimizeContext',
} as const;

/** The requests and notifications the extension needs from a connection. Both
 * vscode-languageclient's `LanguageClient` and vscode-jsonrpc's `MessageConnection`
 * have this shape, so the same tree/status/commands code runs in VS Code and in
 * the end-to-end test against the real server. */
export interface RpcClient {
  sendRequest<R>(method: string, params?: unknown): Promise<R>;
  onNotification(method: string, handler: (params: any) => void): { dispose(): void };
}

export type HealthStatus = 'healthy' | 'warning' | 'critical';

export interface Session {
  id: string;
  provider: string;
  project: string | null;
  cwd: string | null;
  title: string | null;
  model: string | null;
  started_at: string | null;
  last_activity: string | null;
  active: boolean;
  tokens: {
    input: number;
    output: number;
    cache_creation: number;
    cache_read: number;
    total: number;
    source: 'exact' | 'estimated';
  };
  context: { used: number; limit: number; percent: number };
  cost_usd: number;
  health: { score: number; status: HealthStatus | string; components: Record<string, number> };
  tags: string[];
}

export interface StatusResult {
  session: Session | null;
  summary: { count: number; healthy: number; warning: number; critical: number };
  label: string;
}

export interface Memory {
  id: string;
  text: string;
  score: number;
  project: string | null;
  session_id: string | null;
  created_at: string | null;
  tags: string[];
}

export interface RecallResult {
  memories: Memory[];
  message?: string;
}

export interface ScanResult {
  files: number;
  records: number;
  sessions: number;
  malformed: number;
  seconds: number;
  files_read?: number;
  warnings?: string[];
}

export interface TagResult {
  id: string;
  tags: string[];
}

export interface ContextFile {
  path: string;
  actions: string[];
  uses: number;
  tokens: number | null;
  token_source: string | null;
}

export interface OptimizeResult {
  session_id: string;
  files: ContextFile[];
  total_tokens: number;
}

export type ExportFormat = 'markdown' | 'json' | 'yaml' | 'csv';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['markdown', 'json', 'yaml', 'csv'];

/** `workspace/executeCommand` of one of the server's commands. */
export function executeCommand<R>(client: RpcClient, command: string, ...args: unknown[]): Promise<R> {
  return client.sendRequest<R>(EXECUTE_COMMAND, { command, arguments: args });
}

/**
 * The same client, but any number of listeners per notification. Both real
 * clients (vscode-languageclient's `onNotification` and vscode-jsonrpc's) keep
 * ONE handler per method, so the tree and the status bar, each listening for
 * `llmSession/didChangeSessions`, would silently replace each other.
 */
export function shareNotifications(client: RpcClient): RpcClient {
  const listeners = new Map<string, Set<(params: any) => void>>();
  return {
    sendRequest: <R>(method: string, params?: unknown) => client.sendRequest<R>(method, params),
    onNotification(method: string, handler: (params: any) => void) {
      let set = listeners.get(method);
      if (!set) {
        const created = new Set<(params: any) => void>();
        listeners.set(method, (set = created));
        client.onNotification(method, (params) => {
          for (const listener of [...created]) listener(params);
        });
      }
      const own = set;
      own.add(handler);
      return { dispose: () => void own.delete(handler) };
    },
  };
}
