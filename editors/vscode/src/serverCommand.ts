/**
 * Which command starts the language server. First match wins:
 *
 * 1. the setting `llmSession.serverPath` -> `<serverPath> lsp`
 * 2. the setting `llmSession.pythonPath` -> `<pythonPath> -m llm_session_manager lsp`
 * 3. `llm-session` on PATH -> `llm-session lsp`
 * 4. the Python extension's interpreter for the workspace -> `<python> -m llm_session_manager lsp`
 * 5. the setting `python.defaultInterpreterPath`, when set -> the same
 *
 * Settings may use `~`, `${userHome}`, `${workspaceFolder}` and `${env:NAME}`.
 * No `vscode` import here: the editor is reached through `ResolveContext`.
 */

import { constants, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const SERVER_ARGS = ['lsp'];
export const MODULE_ARGS = ['-m', 'llm_session_manager', 'lsp'];

export interface ServerLaunch {
  command: string;
  args: string[];
  /** Where it came from, for messages: "setting llmSession.serverPath", "PATH", ... */
  origin: string;
}

export interface ResolveContext {
  /** A setting's value as the user wrote it (undefined or '' when unset). */
  setting(name: 'llmSession.serverPath' | 'llmSession.pythonPath' | 'python.defaultInterpreterPath'): string | undefined;
  /** The Python extension's interpreter for the workspace, if it is installed and has one. */
  pythonExtensionInterpreter(): Promise<string | undefined>;
  /** The full path of an executable on PATH. */
  which(name: string): Promise<string | undefined>;
  workspaceFolder?: string;
  env?: NodeJS.ProcessEnv;
}

export async function resolveServerLaunch(ctx: ResolveContext): Promise<ServerLaunch | undefined> {
  const expand = (value: string | undefined) => expandVariables(value, ctx.workspaceFolder, ctx.env ?? process.env);

  const serverPath = expand(ctx.setting('llmSession.serverPath'));
  if (serverPath) return { command: serverPath, args: SERVER_ARGS, origin: 'setting llmSession.serverPath' };

  const pythonPath = expand(ctx.setting('llmSession.pythonPath'));
  if (pythonPath) return { command: pythonPath, args: MODULE_ARGS, origin: 'setting llmSession.pythonPath' };

  const onPath = await ctx.which('llm-session');
  if (onPath) return { command: onPath, args: SERVER_ARGS, origin: 'PATH' };

  const interpreter = expand(await ctx.pythonExtensionInterpreter().catch(() => undefined));
  if (interpreter) return { command: interpreter, args: MODULE_ARGS, origin: "the Python extension's interpreter" };

  const fallback = expand(ctx.setting('python.defaultInterpreterPath'));
  if (fallback) return { command: fallback, args: MODULE_ARGS, origin: 'setting python.defaultInterpreterPath' };

  return undefined;
}

/** The command line as a person would type it, for messages. */
export function commandLine(launch: ServerLaunch): string {
  return [launch.command, ...launch.args].map((part) => (/\s/.test(part) ? `"${part}"` : part)).join(' ');
}

export function expandVariables(value: string | undefined, workspaceFolder: string | undefined,
                                env: NodeJS.ProcessEnv): string | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  const home = env.HOME ?? env.USERPROFILE ?? os.homedir();
  let result = trimmed.replace(/^~(?=$|[\\/])/, home);
  result = result.replace(/\$\{(userHome|workspaceFolder|env:([^}]+))\}/g, (whole, name: string, envName?: string) => {
    if (name === 'userHome') return home;
    if (name === 'workspaceFolder') return workspaceFolder ?? whole;
    return env[envName ?? ''] ?? '';
  });
  return result;
}

/** Like `which`: the first executable `name` in the PATH directories (with PATHEXT on Windows). */
export async function which(name: string, env: NodeJS.ProcessEnv = process.env,
                            platform: NodeJS.Platform = process.platform): Promise<string | undefined> {
  const dirs = (env.PATH ?? env.Path ?? '').split(path.delimiter).filter(Boolean);
  const extensions = platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of dirs) {
    for (const ext of extensions) {
      const candidate = path.join(dir, name + ext);
      if (await isExecutableFile(candidate, platform)) return candidate;
    }
  }
  return undefined;
}

async function isExecutableFile(file: string, platform: NodeJS.Platform): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return false;
    if (platform !== 'win32') await fs.access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
