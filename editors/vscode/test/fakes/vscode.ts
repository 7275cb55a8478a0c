/**
 * A small hand-written stand-in for the `vscode` module, aliased in
 * vitest.config.ts. It holds just the API the extension uses, records what the
 * extension shows (`fake.messages`, `fake.documents`, ...) and answers the
 * user's side from `fake.answers`, which a test sets. `fake.reset()` between tests.
 */

/* eslint-disable @typescript-eslint/no-explicit-any */

type Listener<T> = (value: T) => unknown;

export class Disposable {
  constructor(private readonly callOnDispose: () => unknown = () => undefined) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((item) => item.dispose()));
  }
  dispose(): void {
    this.callOnDispose();
  }
}

export class EventEmitter<T> {
  private listeners = new Set<Listener<T>>();
  readonly event = (listener: Listener<T>): Disposable => {
    this.listeners.add(listener);
    return new Disposable(() => this.listeners.delete(listener));
  };
  fire(value: T): void {
    for (const listener of [...this.listeners]) listener(value);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

export class Uri {
  private constructor(readonly scheme: string, readonly path: string, readonly query = '') {}
  static file(path: string): Uri {
    return new Uri('file', path);
  }
  static parse(value: string): Uri {
    const match = /^([a-z][\w+.-]*):(?:\/\/[^/]*)?(.*)$/i.exec(value);
    return match ? new Uri(match[1]!, decodeURIComponent(match[2]!)) : new Uri('file', value);
  }
  static from(parts: { scheme: string; path?: string; query?: string }): Uri {
    return new Uri(parts.scheme, parts.path ?? '', parts.query ?? '');
  }
  get fsPath(): string {
    return this.path;
  }
  toString(): string {
    return this.scheme === 'file' ? `file://${encodeURI(this.path)}` : `${this.scheme}:${this.path}`;
  }
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

export class ThemeIcon {
  constructor(readonly id: string, readonly color?: ThemeColor) {}
}

export class MarkdownString {
  constructor(public value = '') {}
}

export enum TreeItemCollapsibleState { None = 0, Collapsed = 1, Expanded = 2 }
export enum StatusBarAlignment { Left = 1, Right = 2 }
export enum ProgressLocation { SourceControl = 1, Window = 10, Notification = 15 }

export class TreeItem {
  id?: string;
  description?: string;
  tooltip?: string | MarkdownString;
  iconPath?: ThemeIcon;
  contextValue?: string;
  command?: unknown;
  accessibilityInformation?: { label: string };
  constructor(public label: string, public collapsibleState = TreeItemCollapsibleState.None) {}
}

export interface Message { level: 'error' | 'warning' | 'info'; text: string; actions: string[] }
export interface OpenedDocument { uri: Uri; content: string; language: string }

class StatusBarItem {
  text = '';
  tooltip: string | MarkdownString | undefined;
  command: string | undefined;
  backgroundColor: ThemeColor | undefined;
  name: string | undefined;
  visible = false;
  constructor(readonly id: string | undefined) {}
  show(): void {
    this.visible = true;
  }
  hide(): void {
    this.visible = false;
  }
  dispose(): void {
    this.visible = false;
  }
}

class OutputChannel {
  lines: string[] = [];
  shown = false;
  readonly logLevel = 2;
  readonly onDidChangeLogLevel = new EventEmitter<number>().event;
  constructor(readonly name: string) {}
  append(text: string): void {
    this.lines.push(text);
  }
  appendLine(line: string): void {
    this.lines.push(line);
  }
  replace(text: string): void {
    this.lines = [text];
  }
  clear(): void {
    this.lines = [];
  }
  trace(line: string): void {
    this.lines.push(line);
  }
  debug(line: string): void {
    this.lines.push(line);
  }
  info(line: string): void {
    this.lines.push(line);
  }
  warn(line: string): void {
    this.lines.push(line);
  }
  error(line: string | Error): void {
    this.lines.push(String(line));
  }
  show(): void {
    this.shown = true;
  }
  hide(): void {}
  dispose(): void {}
}

function initialState() {
  return {
    /** Every message box, in order. */
    messages: [] as Message[],
    statusMessages: [] as string[],
    progress: [] as { title?: string; reports: unknown[]; done: boolean }[],
    documents: [] as OpenedDocument[],
    shownDocuments: [] as (OpenedDocument | Uri)[],
    quickPicks: [] as { items: any[]; options: any }[],
    inputBoxes: [] as any[],
    executed: [] as { command: string; args: unknown[] }[],
    commands: new Map<string, (...args: any[]) => unknown>(),
    contentProviders: new Map<string, { provideTextDocumentContent(uri: Uri): unknown }>(),
    statusBarItems: [] as StatusBarItem[],
    treeViews: [] as { id: string; options: any; message?: string }[],
    outputChannels: [] as OutputChannel[],
    clipboard: '',
    /** Setting values by full name, e.g. `'llmSession.serverPath'`. */
    settings: {} as Record<string, unknown>,
    extensions: {} as Record<string, unknown>,
    workspaceFolders: undefined as { uri: Uri; name: string; index: number }[] | undefined,
    configurationChanged: new EventEmitter<{ affectsConfiguration(name: string): boolean }>(),
    answers: {
      /** Which quick pick item the user chooses (undefined: dismissed). */
      quickPick: (items: any[], _options: any): any => items[0],
      inputBox: (_options: any): string | undefined => undefined,
      /** Which action of a message box the user clicks (undefined: closed). */
      message: (_message: Message): string | undefined => undefined,
    },
  };
}

export const fake = {
  ...initialState(),
  reset(): void {
    Object.assign(fake, initialState());
  },
};

function showMessage(level: Message['level']) {
  return (text: string, ...rest: any[]): Promise<string | undefined> => {
    const actions = rest.filter((item): item is string => typeof item === 'string');
    const message = { level, text, actions };
    fake.messages.push(message);
    return Promise.resolve(fake.answers.message(message));
  };
}

export const window = {
  showErrorMessage: showMessage('error'),
  showWarningMessage: showMessage('warning'),
  showInformationMessage: showMessage('info'),
  async showInputBox(options: any): Promise<string | undefined> {
    fake.inputBoxes.push(options);
    return fake.answers.inputBox(options);
  },
  async showQuickPick(items: any, options: any): Promise<any> {
    const resolved = await items;
    fake.quickPicks.push({ items: resolved, options });
    return fake.answers.quickPick(resolved, options);
  },
  async showTextDocument(document: OpenedDocument | Uri): Promise<void> {
    fake.shownDocuments.push(document);
  },
  setStatusBarMessage(text: string): Disposable {
    fake.statusMessages.push(text);
    return new Disposable();
  },
  async withProgress<R>(options: { title?: string },
    task: (progress: unknown, token: unknown) => Promise<R>): Promise<R> {
    const shown = { title: options.title, reports: [] as unknown[], done: false };
    fake.progress.push(shown);
    const token = { isCancellationRequested: false, onCancellationRequested: () => new Disposable() };
    try {
      return await task({ report(value: unknown) { shown.reports.push(value); } }, token);
    } finally {
      shown.done = true;
    }
  },
  createStatusBarItem(id?: string): StatusBarItem {
    const item = new StatusBarItem(id);
    fake.statusBarItems.push(item);
    return item;
  },
  createTreeView(id: string, options: any) {
    const view = { id, options, message: undefined as string | undefined, dispose() {} };
    fake.treeViews.push(view);
    return view;
  },
  createOutputChannel(name: string): OutputChannel {
    const channel = new OutputChannel(name);
    fake.outputChannels.push(channel);
    return channel;
  },
};

let untitled = 0;

export const workspace = {
  get workspaceFolders() {
    return fake.workspaceFolders;
  },
  getConfiguration(section?: string) {
    const key = (name: string) => (section ? `${section}.${name}` : name);
    return {
      get<T>(name: string, defaultValue?: T): T | undefined {
        return key(name) in fake.settings ? (fake.settings[key(name)] as T) : defaultValue;
      },
      inspect<T>(name: string) {
        return { key: key(name), globalValue: fake.settings[key(name)] as T | undefined };
      },
    };
  },
  async openTextDocument(arg: Uri | { content?: string; language?: string }): Promise<OpenedDocument> {
    let document: OpenedDocument;
    if (arg instanceof Uri) {
      const provider = fake.contentProviders.get(arg.scheme);
      const content = provider ? String(await provider.provideTextDocumentContent(arg)) : '';
      document = { uri: arg, content, language: arg.path.endsWith('.md') ? 'markdown' : 'plaintext' };
    } else {
      document = {
        uri: Uri.from({ scheme: 'untitled', path: `Untitled-${++untitled}` }),
        content: arg.content ?? '',
        language: arg.language ?? 'plaintext',
      };
    }
    fake.documents.push(document);
    return document;
  },
  registerTextDocumentContentProvider(scheme: string, provider: any): Disposable {
    fake.contentProviders.set(scheme, provider);
    return new Disposable(() => fake.contentProviders.delete(scheme));
  },
  onDidChangeConfiguration(listener: Listener<{ affectsConfiguration(name: string): boolean }>): Disposable {
    return fake.configurationChanged.event(listener);
  },
  onDidChangeWorkspaceFolders(_listener: Listener<unknown>): Disposable {
    return new Disposable();
  },
};

export const commands = {
  registerCommand(command: string, callback: (...args: any[]) => unknown): Disposable {
    if (fake.commands.has(command)) throw new Error(`command '${command}' already exists`);
    fake.commands.set(command, callback);
    return new Disposable(() => fake.commands.delete(command));
  },
  async executeCommand(command: string, ...args: unknown[]): Promise<unknown> {
    fake.executed.push({ command, args });
    return fake.commands.get(command)?.(...args);
  },
};

export const env = {
  clipboard: {
    async writeText(text: string): Promise<void> {
      fake.clipboard = text;
    },
    async readText(): Promise<string> {
      return fake.clipboard;
    },
  },
};

export const extensions = {
  getExtension(id: string): unknown {
    return fake.extensions[id];
  },
};

export const version = '1.91.0';

// --- what vscode-languageclient itself touches --------------------------------
// Enough for the bundled extension (dist/extension.js) to run its real
// LanguageClient in test/e2e/bundle.test.ts: the client registers providers,
// listens to documents and converts a few results.

export class Position {
  constructor(readonly line: number, readonly character: number) {}
}

export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(a: Position | number, b: Position | number, c?: number, d?: number) {
    this.start = a instanceof Position ? a : new Position(a, b as number);
    this.end = a instanceof Position ? (b as Position) : new Position(c!, d!);
  }
}

export class Hover {
  readonly contents: MarkdownString[];
  constructor(contents: MarkdownString | MarkdownString[], readonly range?: Range) {
    this.contents = Array.isArray(contents) ? contents : [contents];
  }
}

class Placeholder {
  constructor(..._args: unknown[]) {}
}
export class CodeLens {
  constructor(readonly range: Range, public command?: { title: string; command: string }) {}
}
export class CompletionItem extends Placeholder {}
export class DocumentLink extends Placeholder {}
export class InlayHint extends Placeholder {}
export class SymbolInformation extends Placeholder {}
export class CallHierarchyItem extends Placeholder {}
export class TypeHierarchyItem extends Placeholder {}
export class CodeAction extends Placeholder {}
export class Diagnostic {
  source?: string;
  code?: unknown;
  constructor(readonly range: Range, readonly message: string, readonly severity?: number) {}
}
export class CancellationError extends Error {}
export class CancellationTokenSource {
  private readonly cancelled = new EventEmitter<void>();
  readonly token = { isCancellationRequested: false, onCancellationRequested: this.cancelled.event };
  cancel(): void {
    this.token.isCancellationRequested = true;
    this.cancelled.fire();
  }
  dispose(): void {}
}

export enum LogLevel { Off = 0, Trace = 1, Debug = 2, Info = 3, Warning = 4, Error = 5 }
export enum DiagnosticSeverity { Error = 0, Warning = 1, Information = 2, Hint = 3 }

/** A text document as the language client sees one. */
export interface FakeTextDocument {
  uri: Uri;
  fileName: string;
  languageId: string;
  version: number;
  isClosed: boolean;
  getText(): string;
}

export const lsp = {
  documentOpened: new EventEmitter<FakeTextDocument>(),
  providers: new Map<string, any[]>(),
  diagnostics: new Map<string, Diagnostic[]>(),
};

const noEvent = (): Disposable => new Disposable();

function matchesPattern(pattern: string, path: string): boolean {
  // Only the `**/NAME` patterns the extension registers.
  const name = pattern.replace(/^\*\*\//, '');
  return path === name || path.endsWith(`/${name}`);
}

export const languages = new Proxy({
  match(selector: any, document: FakeTextDocument): number {
    const selectors = Array.isArray(selector) ? selector : [selector];
    return selectors.some((s: any) => typeof s !== 'string' && s.scheme === document.uri.scheme &&
      (!s.pattern || matchesPattern(String(s.pattern), document.uri.path))) ? 10 : 0;
  },
  createDiagnosticCollection(name?: string) {
    return {
      name,
      set(uri: Uri, diagnostics: Diagnostic[] | undefined) {
        lsp.diagnostics.set(uri.toString(), diagnostics ?? []);
      },
      delete(uri: Uri) {
        lsp.diagnostics.delete(uri.toString());
      },
      clear() {
        lsp.diagnostics.clear();
      },
      get: (uri: Uri) => lsp.diagnostics.get(uri.toString()),
      has: (uri: Uri) => lsp.diagnostics.has(uri.toString()),
      forEach() {},
      dispose() {},
    };
  },
} as Record<string, any>, {
  get(target, name: string) {
    if (name in target) return target[name];
    if (name.startsWith('register')) {
      // registerHoverProvider(selector, provider) and the like: kept for the test to call.
      return (_selector: unknown, provider: unknown) => {
        const kind = name.replace(/^register|Provider$/g, '');
        lsp.providers.set(kind, [...(lsp.providers.get(kind) ?? []), provider]);
        return new Disposable(() => lsp.providers.set(kind, (lsp.providers.get(kind) ?? []).filter((p) => p !== provider)));
      };
    }
    return undefined;
  },
});

Object.assign(workspace, {
  textDocuments: [] as FakeTextDocument[],
  notebookDocuments: [],
  onDidOpenTextDocument: (listener: Listener<FakeTextDocument>) => lsp.documentOpened.event(listener),
  onDidCloseTextDocument: noEvent,
  onDidChangeTextDocument: noEvent,
  onDidSaveTextDocument: noEvent,
  onWillSaveTextDocument: noEvent,
  onDidOpenNotebookDocument: noEvent,
  onDidCloseNotebookDocument: noEvent,
  onDidChangeNotebookDocument: noEvent,
  onDidSaveNotebookDocument: noEvent,
  onDidCreateFiles: noEvent,
  onDidRenameFiles: noEvent,
  onDidDeleteFiles: noEvent,
  onWillCreateFiles: noEvent,
  onWillRenameFiles: noEvent,
  onWillDeleteFiles: noEvent,
  createFileSystemWatcher: () => ({
    onDidCreate: noEvent, onDidChange: noEvent, onDidDelete: noEvent, dispose() {},
  }),
  applyEdit: async () => false,
});

Object.assign(window, {
  activeTextEditor: undefined,
  visibleTextEditors: [],
  onDidChangeVisibleTextEditors: noEvent,
  onDidChangeActiveTextEditor: noEvent,
  tabGroups: { all: [], onDidChangeTabs: noEvent, onDidChangeTabGroups: noEvent },
});

Object.assign(env, {
  language: 'en',
  appName: 'Visual Studio Code (fake)',
  openExternal: async () => false,
});

/** `CodeActionKind.Empty.append('x')` and the like: kinds are names here. */
class Kind {
  constructor(readonly value: string) {}
  append(part: string): Kind {
    return new Kind(this.value ? `${this.value}.${part}` : part);
  }
  contains(other: Kind): boolean {
    return other.value === this.value || other.value.startsWith(`${this.value}.`);
  }
  intersects(other: Kind): boolean {
    return this.contains(other) || other.contains(this);
  }
}
const kinds = (): Record<string, any> => new Proxy({}, { get: (_, name: string) => new Kind(name === 'Empty' ? '' : name) });
export const CodeActionKind = kinds();
export const FoldingRangeKind = kinds();
/** Numeric enums the client converts to and from; any number will do for what is tested. */
const numbers = (): Record<string, any> => new Proxy({}, { get: (_, name: string) => name.length });
export const CompletionItemKind = numbers();
export const SymbolKind = numbers();
export const DocumentHighlightKind = numbers();
export const CompletionItemTag = numbers();
export const SymbolTag = numbers();
export const DiagnosticTag = numbers();
export const NotebookCellKind = numbers();
export const TextDocumentSaveReason = numbers();
export const SignatureHelpTriggerKind = numbers();
export const CodeActionTriggerKind = numbers();
export const CompletionTriggerKind = numbers();
export const InlineCompletionTriggerKind = numbers();
export const FileType = numbers();
export class TabInputText extends Placeholder {}
export class TabInputTextDiff extends Placeholder {}
export class TabInputCustom extends Placeholder {}
export class TabInputNotebook extends Placeholder {}
export class RelativePattern {
  constructor(readonly base: unknown, readonly pattern: string) {}
}
export class Location extends Placeholder {}
export class TextEdit extends Placeholder {}
export class WorkspaceEdit extends Placeholder {}
