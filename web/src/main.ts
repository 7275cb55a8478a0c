// The web dashboard's script: the grid, charts and filters at `/`, one session at `/sessions/<id>`.
// Everything comes from this server's JSON API (frontends/web/app.py); nothing from elsewhere.
import { api, esc, post, queryFromUrl, root } from './api';
import { drawCharts, redrawOnThemeChange } from './charts';
import { fmtCost, fmtTime, fmtTokens } from './format';
import type { Board, Facets, Me, Overview, Session, SessionPage, View } from './types';

const main = document.getElementById('main') as HTMLElement;
const status = document.getElementById('live') as HTMLElement;

function say(text: string): void {
  status.textContent = text;
}

function sessionHref(id: string): string {
  return `${root}/sessions/${encodeURIComponent(id)}`;
}

// ---- the dashboard --------------------------------------------------------------------------

async function dashboard(): Promise<void> {
  document.title = 'LLM sessions';
  const tpl = document.getElementById('dashboard') as HTMLTemplateElement;
  main.replaceChildren(tpl.content.cloneNode(true));
  const form = main.querySelector('form') as HTMLFormElement;
  const facets = await api<Facets>('/api/facets');
  fillFilters(form, facets);
  if (facets.team) await leaderboard(await signedIn());
  let overview: Overview | null = null;
  const load = async (): Promise<void> => {
    const q = queryFromUrl();
    const view = await api<View>('/api/view', q);
    overview = view.overview;
    renderGrid(view.sessions);
    renderSummary(view.overview);
    drawCharts(view.overview);
  };
  redrawOnThemeChange(() => overview && drawCharts(overview));
  form.addEventListener('reset', (e) => {
    e.preventDefault();
    location.search = '';
  });
  await load();
  live(load);
}

function fillFilters(form: HTMLFormElement, facets: Facets): void {
  const q = queryFromUrl();
  const choices: Record<string, string[]> = {
    project: facets.projects, provider: facets.providers, user: facets.users, device: facets.devices,
  };
  for (const [name, values] of Object.entries(choices)) {
    const select = form.elements.namedItem(name) as HTMLSelectElement;
    for (const v of values) select.add(new Option(v, v));
    const chosen = q.get(name);
    if (chosen && !values.includes(chosen)) select.add(new Option(chosen, chosen));
    select.value = chosen ?? '';
  }
  for (const name of ['since', 'until']) {
    (form.elements.namedItem(name) as HTMLInputElement).value = q.get(name) ?? '';
  }
  // Users and devices mean something on a team server only.
  for (const el of form.querySelectorAll<HTMLElement>('[data-team]')) el.hidden = !facets.team;
}

function renderSummary(ov: Overview): void {
  const el = main.querySelector('#summary') as HTMLElement;
  el.innerHTML = `<div><dt>Sessions</dt><dd>${ov.sessions}</dd></div>`
    + `<div><dt>Tokens</dt><dd>${fmtTokens(ov.total_tokens)}</dd></div>`
    + `<div><dt>Cost</dt><dd>${fmtCost(ov.cost_usd)}</dd></div>`;
}

function renderGrid(sessions: Session[]): void {
  const body = main.querySelector('#grid tbody') as HTMLTableSectionElement;
  const focused = (document.activeElement as HTMLElement | null)?.dataset?.id;
  body.innerHTML = sessions.map((s) => `
    <tr tabindex="0" data-id="${esc(s.id)}" data-href="${esc(sessionHref(s.id))}" class="${s.active ? 'active' : ''}">
      <th scope="row"><a tabindex="-1" href="${esc(sessionHref(s.id))}">${esc(s.title || s.id.slice(0, 12))}</a></th>
      <td>${esc(s.provider)}</td>
      <td>${esc(s.project ?? '')}</td>
      <td>${esc(s.model ?? '')}</td>
      <td>${s.active ? '<span class="dot" aria-hidden="true"></span>active' : 'stopped'}</td>
      <td><time datetime="${esc(s.last_activity ?? '')}">${fmtTime(s.last_activity)}</time></td>
      <td class="num">${fmtTokens(s.tokens.total)}</td>
      <td class="num">${s.context.percent.toFixed(0)} %</td>
      <td class="num">${fmtCost(s.cost_usd)}</td>
      <td><span class="health ${esc(s.health.status)}">${esc(s.health.status)}</span> ${s.health.score.toFixed(0)}</td>
    </tr>`).join('');
  const count = main.querySelector('#grid-count') as HTMLElement;
  count.textContent = sessions.length === 1 ? '1 session' : `${sessions.length} sessions`;
  if (focused) body.querySelector<HTMLElement>(`tr[data-id="${CSS.escape(focused)}"]`)?.focus();
}

// Rows are focusable: Enter opens the session, the arrow keys move between rows.
document.addEventListener('keydown', (e) => {
  const row = (e.target as HTMLElement).closest?.('#grid tbody tr') as HTMLTableRowElement | null;
  if (!row) return;
  if (e.key === 'Enter') {
    location.href = row.dataset.href as string;
  } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    const next = (e.key === 'ArrowDown' ? row.nextElementSibling : row.previousElementSibling) as HTMLElement | null;
    if (next) {
      next.focus();
      e.preventDefault();
    }
  }
});
document.addEventListener('click', (e) => {
  const target = e.target as HTMLElement;
  const row = target.closest?.('#grid tbody tr') as HTMLTableRowElement | null;
  if (row && !target.closest('a')) location.href = row.dataset.href as string;
});

// The open page fetches again whenever the server says the data changed.
function live(load: () => Promise<void>): void {
  const events = new EventSource(`${root}/api/events`);
  let first = true;
  let loading: Promise<void> | null = null;
  events.addEventListener('change', () => {
    say('Live');
    document.body.dataset.live = 'on';
    if (first) {
      first = false;
      return;
    }
    loading ??= load().catch((e: Error) => say(`Could not refresh: ${e.message}`)).finally(() => {
      loading = null;
      document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed ?? 0) + 1);
    });
  });
  events.addEventListener('trouble', (e) => say(`Store unavailable: ${JSON.parse((e as MessageEvent).data)}`));
  events.addEventListener('error', () => {
    say('Reconnecting…');
    document.body.dataset.live = 'off';
  });
}

// ---- one session ----------------------------------------------------------------------------

async function sessionPage(ref: string): Promise<void> {
  const page = await showSession(ref);
  if (page.annotations !== null) await teamSession(ref, page, await signedIn());
  live(async () => {
    await showSession(ref);
  });
}

// ---- the team server's part: who is signed in, notes, presence --------------------------------

async function signedIn(): Promise<Me> {
  const me = await api<Me>('/api/me');
  const button = document.getElementById('signout') as HTMLButtonElement;
  button.textContent = `Sign out ${me.user}`;
  button.hidden = false;
  button.addEventListener('click', () => {
    void fetch(me.logout, { method: 'POST', headers: { 'x-csrf-token': me.csrf_token ?? '' } })
      .finally(() => { location.href = me.signin; });
  });
  return me;
}

// Opt-in: only members who ticked the box are on it, and only they can tick it.
async function leaderboard(me: Me): Promise<void> {
  const section = main.querySelector('#leaderboard') as HTMLElement;
  const box = section.querySelector('input') as HTMLInputElement;
  const show = (board: Board): void => {
    section.hidden = false;
    box.checked = board.joined;
    (section.querySelector('h2') as HTMLElement).textContent = `Leaderboard, week of ${board.week_of}`;
    (section.querySelector('ol') as HTMLElement).innerHTML = board.places.map((p) =>
      `<li><strong>${esc(p.user)}</strong> ${fmtTokens(p.total_tokens)} tokens, ${fmtCost(p.cost_usd)}</li>`).join('')
      || '<li>Nobody has joined yet.</li>';
  };
  box.addEventListener('change', () => {
    post<Board>('/api/leaderboard', { leaderboard: box.checked }, me.csrf_token).then(show)
      .catch((err: Error) => say(`Could not change it: ${err.message}`));
  });
  show(await api<Board>('/api/leaderboard'));
}

async function teamSession(ref: string, page: SessionPage, me: Me): Promise<void> {
  const path = `/api/sessions/${encodeURIComponent(ref)}`;
  const form = main.querySelector('#note-form') as HTMLFormElement;
  form.hidden = false;
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const field = form.elements.namedItem('text') as HTMLTextAreaElement;
    post(`${path}/notes`, { text: field.value }, me.csrf_token)
      .then(() => {
        field.value = '';
        say('Note added');
        return showSession(ref);
      })
      .catch((err: Error) => say(`Could not add the note: ${err.message}`));
  });
  // The owner (or an admin) shares the session from here: a grant of read or write to one member.
  const owner = sessionOwner(page);
  const share = main.querySelector('#share-form') as HTMLFormElement;
  share.hidden = !(owner === me.user || me.role === 'admin');
  share.addEventListener('submit', (e) => {
    e.preventDefault();
    const user = (share.elements.namedItem('user') as HTMLInputElement).value.trim();
    const access = (share.elements.namedItem('access') as HTMLSelectElement).value;
    post(`${path}/share`, { user, access }, me.csrf_token)
      .then(() => say(`Shared with ${user} (${access})`))
      .catch((err: Error) => say(`Could not share: ${err.message}`));
  });
  // The page says it is open every heartbeat_s; the server forgets a page silent for two.
  const beat = (): Promise<void> => post(`${path}/presence`, {}, me.csrf_token).then(() => undefined);
  await beat();
  window.setInterval(() => void beat().catch(() => say('Reconnecting…')), me.heartbeat_s * 1000);
}

async function showSession(ref: string): Promise<SessionPage> {
  const page = await api<SessionPage>(`/api/sessions/${encodeURIComponent(ref)}`);
  const s = page.conversation.session;
  const title = s.title || s.id;
  document.title = `${title} — LLM sessions`;
  if (!main.querySelector('#conversation')) {
    const tpl = document.getElementById('session') as HTMLTemplateElement;
    main.replaceChildren(tpl.content.cloneNode(true));
  }
  (main.querySelector('h1') as HTMLElement).textContent = title;
  const facts: [string, string][] = [
    ['Session', s.id], ['Provider', s.provider], ['Project', s.project ?? '—'], ['Model', s.model ?? '—'],
    ['Started', fmtTime(s.started_at)], ['Last activity', fmtTime(s.last_activity)],
    ['Tokens', `${fmtTokens(s.tokens.total)} (${s.tokens.source})`], ['Cost', fmtCost(s.cost_usd)],
    ['Context', `${fmtTokens(s.context.used)} of ${fmtTokens(s.context.limit)} (${s.context.percent.toFixed(0)} %)`],
    ['Health', `${s.health.status} (${s.health.score.toFixed(0)})`],
  ];
  (main.querySelector('#facts') as HTMLElement).innerHTML = facts
    .map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('');
  const list = main.querySelector('#conversation') as HTMLOListElement;
  list.innerHTML = page.conversation.messages.map((m) => `
    <li class="msg ${esc(m.role)} ${esc(m.kind)}">
      <div class="meta"><strong>${esc(m.kind === 'tool_use' ? 'tool' : m.role)}</strong>
        <span>${esc(m.kind)}</span> <time datetime="${esc(m.ts)}">${fmtTime(m.ts)}</time>
        ${m.usage ? `<span>${fmtTokens(m.usage.input_tokens + m.usage.output_tokens + m.usage.cache_creation_tokens + m.usage.cache_read_tokens)} tokens, ${fmtCost(m.usage.cost_usd)}</span>` : ''}
      </div>
      <pre>${esc(m.text)}</pre>
    </li>`).join('');
  const pruned = main.querySelector('#pruned') as HTMLElement;
  pruned.hidden = page.conversation.pruned === 0;
  pruned.textContent = `${page.conversation.pruned} older messages were emptied by retention.`;
  // Annotations and presence come from a team server; a local source has neither.
  const notes = main.querySelector('#annotations') as HTMLElement;
  notes.hidden = page.annotations === null;
  (notes.querySelector('ul') as HTMLElement).innerHTML = (page.annotations ?? [])
    .map((n) => `<li><strong>${esc(n.author)}</strong> <time>${fmtTime(n.at)}</time>: ${esc(n.text)}</li>`).join('');
  const presence = main.querySelector('#presence') as HTMLElement;
  presence.hidden = page.presence === null;
  presence.textContent = page.presence ? `Also here: ${page.presence.map((v) => v.name).join(', ') || 'nobody'}` : '';
  return page;
}

function sessionOwner(page: SessionPage): string | undefined {
  return page.conversation.session.tags?.find((t) => t.startsWith('owner:'))?.slice('owner:'.length);
}

// ---- start ----------------------------------------------------------------------------------

async function start(): Promise<void> {
  const path = location.pathname.slice(root.length);
  try {
    if (path.startsWith('/sessions/')) {
      await sessionPage(decodeURIComponent(path.slice('/sessions/'.length)));
    } else {
      await dashboard();
    }
    document.body.dataset.ready = 'yes';
  } catch (e) {
    main.innerHTML = `<h1>Cannot show this page</h1><p role="alert">${esc((e as Error).message)}</p>`
      + `<p><a href="${esc(root)}/">Back to all sessions</a></p>`;
    document.body.dataset.ready = 'error';
  }
}

void start();
