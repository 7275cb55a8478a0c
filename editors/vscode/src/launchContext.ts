/**
 * What VS Code knows about where the server is: the settings, and the
 * interpreter the Python extension (ms-python.python) chose for the workspace.
 * `serverCommand.ts` decides the order; this only reads.
 */

import * as vscode from 'vscode';
import { type ResolveContext, which } from './serverCommand';

export const PYTHON_EXTENSION_ID = 'ms-python.python';
/** The Python extension can be slow to activate; never wait on it longer than this. */
const PYTHON_API_TIMEOUT_MS = 5000;

/** The part of the Python extension's API (`@vscode/python-extension`) used here. */
interface EnvironmentPath {
  id: string;
  path: string;
}
interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): EnvironmentPath;
    resolveEnvironment(environment: EnvironmentPath | string): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  };
}

export function editorResolveContext(): ResolveContext {
  const folder = vscode.workspace.workspaceFolders?.[0];
  return {
    setting: (name) => explicitSetting(name, folder?.uri),
    pythonExtensionInterpreter: () => pythonExtensionInterpreter(folder?.uri),
    which: (name) => which(name),
    workspaceFolder: folder?.uri.fsPath,
  };
}

/** A setting only when someone set it: `python.defaultInterpreterPath` defaults to a bare "python". */
function explicitSetting(name: string, scope: vscode.Uri | undefined): string | undefined {
  const dot = name.lastIndexOf('.');
  const inspected = vscode.workspace.getConfiguration(name.slice(0, dot), scope).inspect<string>(name.slice(dot + 1));
  return inspected?.workspaceFolderValue ?? inspected?.workspaceValue ?? inspected?.globalValue;
}

/** The interpreter the Python extension has selected for `resource`, if it is installed. */
export async function pythonExtensionInterpreter(resource?: vscode.Uri): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
  if (!extension) return undefined;
  const api = extension.isActive ? extension.exports : await withTimeout(extension.activate(), PYTHON_API_TIMEOUT_MS);
  const environments = api?.environments;
  if (!environments) return undefined;
  const active = environments.getActiveEnvironmentPath(resource);
  const resolved = await withTimeout(environments.resolveEnvironment(active), PYTHON_API_TIMEOUT_MS)
    .catch(() => undefined);
  return resolved?.executable?.uri?.fsPath ?? active?.path;
}

function withTimeout<T>(promise: Thenable<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([Promise.resolve(promise), timeout]).finally(() => clearTimeout(timer));
}
