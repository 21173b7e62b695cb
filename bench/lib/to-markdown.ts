/**
 * Renders a bench/results/engine-*.json file as the Markdown table used in PERFORMANCE.md:
 *   node dist/bench/lib/to-markdown.js bench/results/engine-<timestamp>.json
 */
import { readFileSync } from 'node:fs';
import { fmtInt, fmtNs, fmtRate } from './stats.js';

interface Row {
  implementation: string; resting_orders: number; ops: number; ops_per_sec: number;
  ops_per_sec_best_segment: number; ops_per_cpu_sec: number; ns_per_op: number;
  p50_ns: number; p99_ns: number; p999_ns: number; bytes_per_order_rss: number;
  bytes_per_order_heap: number; engine_reported_bytes_per_order: number | null;
  resting_ok: boolean; cpu_util: number; other_load_cores: number; code_sha256?: string | null;
}

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node dist/bench/lib/to-markdown.js bench/results/engine-<timestamp>.json\n');
  process.exit(2);
}
const j = JSON.parse(readFileSync(file, 'utf8')) as { results: Row[]; targets?: string[]; warnings?: string[] };
const head = ['resting', 'implementation', 'ops', 'ops/s', 'best seg', 'ops/cpu-s', 'ns/op', 'p50', 'p99', 'p99.9',
  'B/order RSS (heap)', '×peer ops/s (cpu-s)', 'check', 'cpu / other'];
const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => ' --- ').join('|')}|`];
for (const r of j.results) {
  const peer = j.results.find((p) => p.implementation === 'nodejs-order-book' && p.resting_orders === r.resting_orders);
  const ratio = (a: number, b: number): string => `${Math.round((a / b) * 10) / 10}×`;
  const mem = r.resting_orders >= 100_000 ? `${fmtInt(r.bytes_per_order_rss)} (${fmtInt(r.bytes_per_order_heap)})` : 'n/m';
  lines.push(`| ${[
    fmtInt(r.resting_orders), r.implementation, fmtInt(r.ops), fmtRate(r.ops_per_sec), fmtRate(r.ops_per_sec_best_segment),
    fmtRate(r.ops_per_cpu_sec), r.ns_per_op.toFixed(0), fmtNs(r.p50_ns), fmtNs(r.p99_ns), fmtNs(r.p999_ns), mem,
    peer && peer !== r ? `${ratio(r.ops_per_sec, peer.ops_per_sec)} (${ratio(r.ops_per_cpu_sec, peer.ops_per_cpu_sec)})` : '1',
    r.resting_ok ? 'ok' : 'BAD', `${r.cpu_util} / ${r.other_load_cores}`,
  ].join(' | ')} |`);
}
process.stdout.write(`${lines.join('\n')}\n`);
for (const w of j.warnings ?? []) process.stdout.write(`\n${w}\n`);
if (j.targets) process.stdout.write(`\n${j.targets.map((t) => `- ${t}`).join('\n')}\n`);
