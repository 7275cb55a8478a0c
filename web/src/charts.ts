// The dashboard's charts, drawn by Chart.js (only the parts used are bundled), coloured from the
// page's CSS variables so that they follow the light or dark theme. Each canvas carries a text
// summary (aria-label) for screen readers.
import {
  BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement,
  PointElement, Tooltip,
} from 'chart.js';
import { fmtCost, fmtTokens } from './format';
import type { Bucket, Overview, Share } from './types';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement,
  Tooltip, Legend);

const drawn = new Map<string, Chart>();

function css(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function canvas(id: string, summary: string): HTMLCanvasElement {
  const el = document.getElementById(id) as HTMLCanvasElement;
  el.setAttribute('role', 'img');
  el.setAttribute('aria-label', summary);
  drawn.get(id)?.destroy();
  return el;
}

function base(): Record<string, unknown> {
  Chart.defaults.color = css('--fg-muted');
  Chart.defaults.borderColor = css('--rule');
  Chart.defaults.font.family = css('--font');
  return { animation: false, responsive: true, maintainAspectRatio: false };
}

function listed(items: { label: string; value: string }[]): string {
  return items.length ? items.map((i) => `${i.label} ${i.value}`).join(', ') : 'no data';
}

function tokensOverTime(ov: Overview): void {
  const labels = ov.days.map((d) => d.day);
  const summary = `Tokens and cost per day, ${labels.length} days: ${fmtTokens(ov.total_tokens)} tokens, ${fmtCost(ov.cost_usd)}`;
  drawn.set('chart-days', new Chart(canvas('chart-days', summary), {
    data: {
      labels,
      datasets: [
        { type: 'bar', label: 'Tokens', data: ov.days.map((d) => d.total_tokens), backgroundColor: css('--c1'), yAxisID: 'y' },
        { type: 'line', label: 'Cost (USD)', data: ov.days.map((d) => d.cost_usd ?? 0), borderColor: css('--c2'),
          backgroundColor: css('--c2'), yAxisID: 'cost', pointRadius: 2 },
      ],
    },
    options: {
      ...base(),
      scales: {
        y: { beginAtZero: true, ticks: { callback: (v) => fmtTokens(Number(v)) } },
        cost: { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false },
          ticks: { callback: (v) => fmtCost(Number(v)) } },
      },
    },
  }));
}

function buckets(id: string, title: string, items: Bucket[], colours: string[]): void {
  const summary = `${title}: ${listed(items.map((b) => ({ label: b.label, value: String(b.count) })))}`;
  drawn.set(id, new Chart(canvas(id, summary), {
    type: 'bar',
    data: { labels: items.map((b) => b.label), datasets: [{ label: 'Sessions', data: items.map((b) => b.count), backgroundColor: colours }] },
    options: { ...base(), plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  }));
}

function top(id: string, title: string, items: Share[], by: 'tokens' | 'count'): void {
  const value = (s: Share): number => (by === 'tokens' ? s.total_tokens : s.count);
  const show = (s: Share): string => (by === 'tokens' ? `${fmtTokens(s.total_tokens)} tokens` : `${s.count} uses`);
  const summary = `${title}: ${listed(items.map((s) => ({ label: s.key, value: show(s) })))}`;
  drawn.set(id, new Chart(canvas(id, summary), {
    type: 'bar',
    data: { labels: items.map((s) => s.key), datasets: [{ label: by === 'tokens' ? 'Tokens' : 'Uses', data: items.map(value), backgroundColor: css('--c1') }] },
    options: {
      ...base(), indexAxis: 'y', plugins: { legend: { display: false } },
      scales: { x: { beginAtZero: true, ticks: by === 'tokens' ? { callback: (v) => fmtTokens(Number(v)) } : { precision: 0 } } },
    },
  }));
}

export function drawCharts(ov: Overview): void {
  tokensOverTime(ov);
  buckets('chart-health', 'Sessions by health', ov.health, [css('--ok'), css('--warn'), css('--bad')]);
  buckets('chart-fill', 'Sessions by context fill', ov.context_fill, [css('--c1')]);
  top('chart-models', 'Top models', ov.top_models, 'tokens');
  top('chart-projects', 'Top projects', ov.top_projects, 'tokens');
  top('chart-providers', 'Top providers', ov.top_providers, 'tokens');
  top('chart-tools', 'Top tools', ov.top_tools, 'count');
}

export function redrawOnThemeChange(redraw: () => void): void {
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', redraw);
}
