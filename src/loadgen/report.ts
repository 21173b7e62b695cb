/**
 * The load generator's report: one JSON-able object (printed with --json), a human table,
 * and the .hgrm percentile distribution of the corrected histogram (--hgrm FILE).
 * All latencies are in microseconds; rates in orders per second.
 */
import { summarizeUs, toHgrm } from './histogram.js';
import type { Histogram, LatencySummaryUs } from './histogram.js';
import type { Counters, MixSpec } from './types.js';

export interface LoadgenReport {
  tool: 'simex-loadgen';
  started_at: string;
  url: string;
  /** How orders reach the server, e.g. "ws + src/protocol codec". */
  transport: string;
  /** Peak planned rate (the --rate option). */
  target_rate: number;
  /** Mean planned rate over the whole profile (equals target_rate without ramps). */
  planned_rate: number;
  /** Orders written to sockets per second of the send window (at least the duration). */
  achieved_rate: number;
  /** Replies (accepted + rejected) per second over the same window. */
  ack_rate: number;
  duration_s: number;
  ramp_up_s: number;
  ramp_down_s: number;
  send_window_s: number;
  total_s: number;
  connections: number;
  connect_failures: number;
  threads: number;
  orders_per_frame: number;
  /** Minimum µs between send ticks (orders due in between share frames); see types.ts. */
  batch_us: number;
  /** Leading seconds whose orders were sent but not timed (types.ts warmupSec); 0 = none. */
  warmup_s: number;
  symbols: string[];
  mix: MixSpec;
  counters: Counters;
  latency_us: { corrected: LatencySummaryUs; uncorrected: LatencySummaryUs };
  schedule_lag_us: LatencySummaryUs;
  generator: {
    cpu_percent: number;
    thread_elu: number[];
    machine_idle_percent: number;
    /** Hypervisor steal over the run, % of the machine's CPU time; null where the OS does not
     *  report it (bottleneck.ts machineTimes). */
    machine_steal_percent: number | null;
    cores: number;
  };
  reject_reasons: Record<string, number>;
  error_kinds: Record<string, number>;
  warnings: string[];
}

export interface MergedHistograms {
  corrected: Histogram;
  uncorrected: Histogram;
  lag: Histogram;
}

export function latencyBlock(h: MergedHistograms): Pick<LoadgenReport, 'latency_us' | 'schedule_lag_us'> {
  return {
    latency_us: { corrected: summarizeUs(h.corrected), uncorrected: summarizeUs(h.uncorrected) },
    schedule_lag_us: summarizeUs(h.lag),
  };
}

const int = (x: number): string => Math.round(x).toLocaleString('en-US');
const dec = (x: number, d = 1): string => x.toFixed(d);

function latencyNum(x: number): string {
  if (x >= 100_000) return int(x);
  if (x >= 100) return x.toFixed(0);
  return x.toFixed(1);
}

export function formatHuman(r: LoadgenReport): string {
  const c = r.counters;
  const lines: string[] = [];
  lines.push(
    `simex loadgen  ${r.url}  (open loop, ${r.connections} connections on ${r.threads || 1} thread${r.threads > 1 ? 's' : ''}, ` +
      `<= ${r.orders_per_frame} orders/frame, batch ${r.batch_us} µs, ${r.transport})`,
  );
  const ramp = r.ramp_up_s || r.ramp_down_s ? ` (ramp up ${r.ramp_up_s} s, down ${r.ramp_down_s} s; mean planned ${int(r.planned_rate)}/s)` : '';
  lines.push(`  rate       target ${int(r.target_rate)}/s${ramp}   achieved ${int(r.achieved_rate)}/s   acked ${int(r.ack_rate)}/s`);
  lines.push(`  duration   ${dec(r.duration_s)} s${r.warmup_s ? ` (first ${dec(r.warmup_s)} s warm-up: sent, not timed)` : ''}   send window ${dec(r.send_window_s, 2)} s   total with drain ${dec(r.total_s, 2)} s`);
  lines.push(
    `  orders     planned ${int(c.planned)}  sent ${int(c.sent)}  accepted ${int(c.accepted)}  rejected ${int(c.rejected)}  ` +
      `timeouts ${int(c.timeouts)}  errors ${int(c.errors)}` + (c.windowFull ? `  window-full ${int(c.windowFull)}` : '') +
      (c.lateAcks ? `  late ${int(c.lateAcks)}` : '') + `  fills ${int(c.fills)}`,
  );
  if (r.connect_failures) lines.push(`  connect failures ${r.connect_failures}`);
  const head = ['', 'p50', 'p90', 'p99', 'p99.9', 'p99.99', 'max', 'mean'];
  const row = (name: string, s: LatencySummaryUs): string[] => [
    name, latencyNum(s.p50), latencyNum(s.p90), latencyNum(s.p99), latencyNum(s.p999), latencyNum(s.p9999), latencyNum(s.max), latencyNum(s.mean),
  ];
  const table = [
    head,
    row('ack corrected', r.latency_us.corrected),
    row('ack uncorrected', r.latency_us.uncorrected),
    row('schedule lag', r.schedule_lag_us),
  ];
  const widths = head.map((_, i) => Math.max(...table.map((t) => t[i]!.length)));
  lines.push('  latency in µs (corrected = from the planned send time, uncorrected = from the actual send)');
  for (const t of table) {
    lines.push('    ' + t.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]! + 2))).join(''));
  }
  const elu = r.generator.thread_elu.map((e) => `${Math.round(e * 100)}%`).join(' ');
  lines.push(
    `  generator  CPU ${dec(r.generator.cpu_percent)}% of one core; loop utilisation ${elu || '-'} (polling counts as busy); ` +
      `machine idle ${dec(r.generator.machine_idle_percent)}% of ${r.generator.cores} cores` +
      (r.generator.machine_steal_percent === null ? '' : `, hypervisor steal ${dec(r.generator.machine_steal_percent)}%`),
  );
  const reasons = Object.entries(r.reject_reasons);
  if (reasons.length) lines.push(`  rejects by reason  ${reasons.map(([k, v]) => `${k}: ${int(v)}`).join(', ')}`);
  const kinds = Object.entries(r.error_kinds);
  if (kinds.length) lines.push(`  errors by kind  ${kinds.map(([k, v]) => `${k}: ${int(v)}`).join(', ')}`);
  for (const w of r.warnings) lines.push(`  WARNING: ${w}`);
  return lines.join('\n') + '\n';
}

export function formatJson(r: LoadgenReport): string {
  return JSON.stringify(r, null, 2) + '\n';
}

/** .hgrm text of the corrected ack latency in µs: exactly HdrHistogram's
 *  outputPercentileDistribution format (no extra header, so HdrHistogram's plotter reads it). */
export function formatHgrm(h: MergedHistograms): string {
  return toHgrm(h.corrected);
}
