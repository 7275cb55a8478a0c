// Numbers and times for people, in the browser's locale.

const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
const money = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD', maximumFractionDigits: 2 });
const when = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function fmtTokens(n: number): string {
  return compact.format(n);
}

export function fmtCost(usd: number | null): string {
  return usd === null ? 'unknown' : money.format(usd);
}

export function fmtTime(iso: string | null): string {
  return iso ? when.format(new Date(iso)) : '—';
}
