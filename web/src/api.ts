// Fetching from this server's JSON API, and escaping what goes into the page.

export const root = document.documentElement.dataset.root ?? '';

const FILTERS = ['project', 'provider', 'since', 'until', 'user', 'device'];

export function queryFromUrl(): URLSearchParams {
  const here = new URLSearchParams(location.search);
  const q = new URLSearchParams();
  for (const name of FILTERS) {
    const v = here.get(name);
    if (v) q.set(name, v);
  }
  return q;
}

export async function api<T>(path: string, query?: URLSearchParams): Promise<T> {
  const qs = query && query.toString() ? `?${query}` : '';
  const r = await fetch(`${root}${path}${qs}`, { headers: { accept: 'application/json' } });
  const body = await r.json().catch(() => ({ error: `${r.status} ${r.statusText}` }));
  if (!r.ok) throw new Error(body.error ?? `${r.status} ${r.statusText}`);
  return body as T;
}

// A change on the team server: JSON with the sign-in's CSRF token (frontends/web needs none: it only reads).
export async function post<T>(path: string, body: unknown, csrf: string | null): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/json' };
  if (csrf) headers['x-csrf-token'] = csrf;
  const r = await fetch(`${root}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const answer = await r.json().catch(() => ({ error: `${r.status} ${r.statusText}` }));
  if (!r.ok) throw new Error(answer.error ?? `${r.status} ${r.statusText}`);
  return answer as T;
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}
