/**
 * Turning the server's numbers into text. Pure functions, no `vscode`: the
 * tree, the status bar and the commands all format through here, so a session
 * reads the same everywhere in the editor.
 */

import type { ContextFile, Session, StatusResult } from './protocol';

/** `950`, `81.1k`, `1.25M`: short enough for a tree row. */
export function compactTokens(n: number): string {
  if (n < 1000) return String(n);
  if (n < 999_950) return `${trim(n / 1000, n < 10_000 ? 2 : 1)}k`;
  return `${trim(n / 1_000_000, n < 10_000_000 ? 2 : 1)}M`;
}

/** `81,139`: the exact figure, for tooltips and details. */
export function groupedTokens(n: number): string {
  return n.toLocaleString('en-US');
}

/** The server rounds `percent` to one decimal; show it as it comes. */
export function contextPercent(session: Session): string {
  return `${session.context.percent}%`;
}

export function usd(cost: number): string {
  return cost < 0.01 && cost > 0 ? `$${cost.toFixed(4)}` : `$${cost.toFixed(2)}`;
}

export function shortId(id: string): string {
  return id.slice(0, 8);
}

/** `claude-code/shop`: which assistant, which project. */
export function sessionLabel(session: Session): string {
  return `${session.provider}/${session.project ?? 'no project'}`;
}

/** The dimmed text after the label: `81.1k tokens · 2.6% context · running · title`. */
export function sessionDescription(session: Session): string {
  const parts = [`${compactTokens(session.tokens.total)} tokens`, `${contextPercent(session)} context`];
  if (session.active) parts.push('running');
  if (session.title) parts.push(session.title);
  return parts.join(' · ');
}

const COMPONENT_NAMES: Record<string, string> = {
  token_usage: 'token usage',
  cache_creation: 'cache write',
  cache_read: 'cache read',
};

function words(key: string): string {
  return COMPONENT_NAMES[key] ?? key.replace(/_/g, ' ');
}

/** Everything the session object says, as Markdown: the tooltip and the details page. */
export function describeSession(session: Session): string {
  const t = session.tokens;
  const c = session.context;
  const lines = [
    `**${escapeMarkdown(session.title ?? '(untitled session)')}**`,
    '',
    `- **Session:** \`${session.id}\`${session.active ? ' (running)' : ''}`,
    `- **Assistant:** ${session.provider}${session.model ? ` · ${session.model}` : ''}`,
    `- **Project:** ${escapeMarkdown(session.project ?? '(none)')}${session.cwd ? ` · \`${session.cwd}\`` : ''}`,
    `- **Tokens:** ${groupedTokens(t.total)} (${t.source}): input ${groupedTokens(t.input)}, ` +
      `output ${groupedTokens(t.output)}, cache write ${groupedTokens(t.cache_creation)}, ` +
      `cache read ${groupedTokens(t.cache_read)}`,
    `- **Context:** ${groupedTokens(c.used)} of ${groupedTokens(c.limit)} (${c.percent}%)`,
    `- **Cost:** ${usd(session.cost_usd)}`,
    `- **Health:** ${session.health.score} (${session.health.status})` +
      componentList(session.health.components),
    `- **Started:** ${session.started_at ?? '?'} · **last activity:** ${session.last_activity ?? '?'}`,
  ];
  if (session.tags.length) lines.push(`- **Tags:** ${session.tags.map(escapeMarkdown).join(', ')}`);
  return lines.join('\n');
}

function componentList(components: Record<string, number>): string {
  const entries = Object.entries(components);
  return entries.length ? `: ${entries.map(([k, v]) => `${words(k)} ${v}`).join(', ')}` : '';
}

/** The status bar tooltip: the counts, then the workspace's session when there is one. */
export function statusTooltip(status: StatusResult): string {
  const s = status.summary;
  const head = `**LLM sessions now** (running or active in the last 24 hours): ${s.count}` +
    ` · healthy ${s.healthy} · warning ${s.warning} · critical ${s.critical}`;
  return status.session ? `${head}\n\n---\n\n${describeSession(status.session)}` : head;
}

/** One row of the optimize-context list: `{label, description, detail}`. */
export function contextFileRow(file: ContextFile): { label: string; description: string; detail: string } {
  const cost = file.tokens === null
    ? 'not readable now'
    : `${groupedTokens(file.tokens)} tokens${file.token_source ? ` (${file.token_source})` : ''}`;
  return {
    label: file.path,
    description: cost,
    detail: `${file.actions.join(', ')} · used ${file.uses} time${file.uses === 1 ? '' : 's'}`,
  };
}

function trim(value: number, digits: number): string {
  return value.toFixed(digits).replace(/\.?0+$/, '');
}

function escapeMarkdown(text: string): string {
  return text.replace(/([\\`*_{}[\]<>|])/g, '\\$1');
}
