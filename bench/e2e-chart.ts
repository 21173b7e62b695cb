/**
 * Latency-vs-throughput chart of an e2e step-up run, rendered as a self-contained SVG
 * (no chart library, no fonts beyond the generic family): x = achieved ack rate (orders/s,
 * linear), y = ack latency (µs, log10), one line per percentile (corrected: solid;
 * uncorrected p99: dashed), the p99 budget as a horizontal rule.
 */
import type { E2eResult } from './e2e.js';

const W = 860;
const H = 500;
const M = { l: 80, r: 190, t: 56, b: 56 };

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function fmtRate(x: number): string {
  return x >= 1000 ? `${Math.round(x / 1000)}k` : String(Math.round(x));
}
function fmtUs(x: number): string {
  if (x >= 1_000_000) return `${x / 1_000_000} s`;
  if (x >= 1000) return `${x / 1000} ms`;
  return `${x} µs`;
}

export function renderLatencyChart(r: E2eResult, subtitle: string): string {
  const steps = r.steps.filter((s) => s.ack_rate > 0);
  const series: { name: string; key: keyof E2eResult['steps'][number]; color: string; dash?: string }[] = [
    { name: 'p50 corrected', key: 'p50_us', color: '#2b8a3e' },
    { name: 'p99 corrected', key: 'p99_us', color: '#1864ab' },
    { name: 'p99.9 corrected', key: 'p999_us', color: '#862e9c' },
    { name: 'p99 uncorrected', key: 'p99_uncorrected_us', color: '#1864ab', dash: '6 4' },
  ];
  // x ticks at a 1/2/5 x 10^k step, at most 8 of them.
  const raw = Math.max(1, ...steps.map((s) => s.ack_rate)) * 1.1;
  const mag = Math.pow(10, Math.floor(Math.log10(raw / 8)));
  const xStep = [1, 2, 5, 10].map((m) => m * mag).find((st) => raw / st <= 8)!;
  const xticks = Math.ceil(raw / xStep);
  const xMax = xticks * xStep;
  const floor = r.floor && 'p99_us' in r.floor ? r.floor : null;
  const vals = [...steps.flatMap((s) => series.map((x) => Number(s[x.key]))), ...(floor ? [floor.p50_us, floor.p99_us] : [])].filter((v) => v > 0);
  const yLo = Math.pow(10, Math.floor(Math.log10(Math.max(1, Math.min(r.budget_p99_us, ...vals)))));
  const yHi = Math.pow(10, Math.ceil(Math.log10(Math.max(r.budget_p99_us * 10, ...vals))));
  const pw = W - M.l - M.r;
  const ph = H - M.t - M.b;
  const X = (v: number): number => M.l + (v / xMax) * pw;
  const Y = (v: number): number => M.t + ph - ((Math.log10(Math.max(v, yLo)) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo))) * ph;
  const o: string[] = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  o.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  o.push(`<text x="${M.l}" y="24" font-size="16" font-weight="bold">simex binary order entry: ack latency vs throughput (open loop)</text>`);
  o.push(`<text x="${M.l}" y="42" fill="#555">${esc(subtitle)}</text>`);
  // grid + axes
  for (let d = yLo; d <= yHi; d *= 10) {
    o.push(`<line x1="${M.l}" x2="${M.l + pw}" y1="${Y(d)}" y2="${Y(d)}" stroke="#e0e0e0"/>`);
    o.push(`<text x="${M.l - 8}" y="${Y(d) + 4}" text-anchor="end">${fmtUs(d)}</text>`);
  }
  for (let i = 0; i <= xticks; i++) {
    const v = xStep * i;
    o.push(`<line x1="${X(v)}" x2="${X(v)}" y1="${M.t}" y2="${M.t + ph}" stroke="#f0f0f0"/>`);
    o.push(`<text x="${X(v)}" y="${M.t + ph + 18}" text-anchor="middle">${fmtRate(v)}</text>`);
  }
  o.push(`<rect x="${M.l}" y="${M.t}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  o.push(`<text x="${M.l + pw / 2}" y="${H - 14}" text-anchor="middle">achieved ack rate (orders/s)</text>`);
  o.push(`<text x="18" y="${M.t + ph / 2}" text-anchor="middle" transform="rotate(-90 18 ${M.t + ph / 2})">ack latency (log scale)</text>`);
  // budget
  o.push(`<line x1="${M.l}" x2="${M.l + pw}" y1="${Y(r.budget_p99_us)}" y2="${Y(r.budget_p99_us)}" stroke="#e03131" stroke-dasharray="2 3"/>`);
  o.push(`<text x="${M.l + pw - 4}" y="${Y(r.budget_p99_us) - 5}" text-anchor="end" fill="#e03131">p99 budget ${fmtUs(r.budget_p99_us)}</text>`);
  // series
  for (const s of series) {
    const pts = steps.map((st) => `${X(st.ack_rate).toFixed(1)},${Y(Number(st[s.key])).toFixed(1)}`);
    if (pts.length) o.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''} points="${pts.join(' ')}"/>`);
    for (const st of steps) o.push(`<circle cx="${X(st.ack_rate).toFixed(1)}" cy="${Y(Number(st[s.key])).toFixed(1)}" r="${st.sustained ? 3 : 4}" fill="${st.sustained ? s.color : '#ffffff'}" stroke="${s.color}"><title>${esc(`${s.name}: ${st[s.key]} µs at ${st.ack_rate}/s (target ${st.target_rate}/s)`)}</title></circle>`);
  }
  // the same run's loopback floor (bench/floor/run.ts): what the host allows with no server
  if (floor) {
    const fx = X(floor.rate);
    for (const [v, name] of [[floor.p50_us, 'p50'], [floor.p99_us, 'p99']] as const) {
      const fy = Y(v);
      o.push(`<path d="M${fx.toFixed(1)},${(fy - 6).toFixed(1)} l6,6 l-6,6 l-6,-6 z" fill="#868e96" stroke="#495057"><title>${esc(`floor ${name} (C echo, no server): ${v} µs at ${floor.rate}/s, steal ${floor.machine_steal_percent ?? '?'}%`)}</title></path>`);
    }
  }
  // legend
  series.forEach((s, i) => {
    const y = M.t + 16 + i * 20;
    o.push(`<line x1="${M.l + pw + 16}" x2="${M.l + pw + 44}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    o.push(`<text x="${M.l + pw + 50}" y="${y + 4}">${s.name}</text>`);
  });
  const ly = M.t + 16 + series.length * 20 + 16;
  o.push(`<text x="${M.l + pw + 16}" y="${ly}" fill="#333">held budget: ${fmtRate(r.highest_rate_within_budget)}/s</text>`);
  o.push(`<text x="${M.l + pw + 16}" y="${ly + 18}" fill="#333">sustained: ${fmtRate(r.highest_sustained_rate)}/s</text>`);
  o.push(`<text x="${M.l + pw + 16}" y="${ly + 36}" fill="#333">${r.connections} conns, ${r.orders_per_frame}/frame</text>`);
  const unsus = steps.filter((st) => !st.sustained);
  let ny = ly + 60;
  if (unsus.length) {
    o.push(`<text x="${M.l + pw + 16}" y="${ny}" fill="#333">open circles: not sustained</text>`);
    o.push(`<text x="${M.l + pw + 16}" y="${ny + 16}" fill="#333">(target ${unsus.map((st) => fmtRate(st.target_rate)).join(', ')}/s)</text>`);
    ny += 40;
  }
  if (floor) {
    o.push(`<path d="M${M.l + pw + 22},${ny - 10} l6,6 l-6,6 l-6,-6 z" fill="#868e96" stroke="#495057"/>`);
    o.push(`<text x="${M.l + pw + 34}" y="${ny}" fill="#333">floor p50/p99 (C echo)</text>`);
    o.push(`<text x="${M.l + pw + 16}" y="${ny + 16}" fill="#333">p99 ${fmtUs(floor.p99_us)}, steal ${floor.machine_steal_percent ?? '?'}%</text>`);
    const st = steps.map((x) => x.machine_steal_percent).filter((x): x is number => typeof x === 'number');
    if (st.length) o.push(`<text x="${M.l + pw + 16}" y="${ny + 32}" fill="#333">steal in steps ${Math.min(...st)}-${Math.max(...st)}%</text>`);
  }
  o.push('</svg>');
  return o.join('\n') + '\n';
}
