/**
 * `npm run bench` (node dist/bench/run-all.js): the whole benchmark suite, one JSON record.
 *
 *   engine   bench/engine.ts (engine-bench) in a child: `--json` lines
 *   codec    bench/codec.ts (protocol): tinybench, with its JSON baseline
 *   e2e      binary order entry stepped up until p99 breaks the budget (bench/e2e.ts)
 *   rest     POST /api/orders with wrk (autocannon when wrk is missing; bench/e2e-rest.ts)
 *   fanout   N subscribers of BTCUSD at a target update rate, drops by mdSeq gaps
 *
 * Writes bench/results/<timestamp>-<commit>.json (git-ignored), appends its figures to
 * bench/results/history.jsonl (committed: the "previous run" for compare.ts), renders the
 * step-up chart (docs/img/latency-vs-throughput.svg on a full run; dist/bench/ on --quick), prints a summary and the comparison with the previous recorded run.
 *
 * Options: --quick (whole suite in < 2 min: smaller engine set, short steps, 100
 * subscribers), --only a,b / --skip a,b (engine,codec,e2e,rest,fanout), --no-record,
 * --shard-mode worker|inline (the servers' SHARD_MODE for e2e, rest and fanout; recorded in
 * meta, and compare.ts only compares runs of the same mode).
 * Every end-to-end benchmark starts its own fresh server on an ephemeral loopback port.
 */
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, distFile } from '../src/loadgen/paths.js';
import { runE2e, e2eOptionsFromArgs } from './e2e.js';
import type { E2eResult } from './e2e.js';
import { runRest } from './e2e-rest.js';
import type { RestResult } from './e2e-rest.js';
import { runFanout, fanoutOptionsFromArgs } from './e2e-fanout.js';
import type { FanoutResult } from './e2e-fanout.js';
import { renderLatencyChart } from './e2e-chart.js';
import { compareRuns, RESULTS_DIR, sameGenerator } from './compare.js';
import type { Figure, RecordedRun } from './compare.js';

const SUITES = ['engine', 'codec', 'e2e', 'rest', 'fanout'] as const;
type Suite = (typeof SUITES)[number];

interface EngineRow {
  implementation: string;
  workload: string;
  resting_orders: number;
  ops_per_sec: number;
  p99_ns: number;
  [k: string]: unknown;
}

export interface SuiteRecord extends RecordedRun {
  meta: RecordedRun['meta'] & { node: string; cpus: string; cores: number; loadavg_start: number[]; loadavg_end: number[]; duration_s: number };
  engine?: EngineRow[] | { error: string };
  codec?: unknown[] | { error: string };
  e2e?: E2eResult | { error: string };
  rest?: RestResult | { error: string };
  fanout?: FanoutResult | { error: string };
}

const log = (s: string): void => void process.stderr.write(s + '\n');

function commit(): string {
  try {
    const c = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${c}+dirty` : c;
  } catch {
    return 'unknown';
  }
}

function runEngine(quick: boolean): Promise<EngineRow[]> {
  const args = [distFile('bench/engine.js'), '--json', '--no-file', ...(quick ? ['--quick', '--depth', '1k', '--budget', '1'] : [])];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    p.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
    p.on('exit', (code) => {
      const rows = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as EngineRow);
      if (code === 0 || rows.length) resolve(rows);
      else reject(new Error(`bench/engine.js exited ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

async function runCodec(quick: boolean): Promise<unknown[]> {
  const file = distFile('bench/codec.js');
  if (!existsSync(file)) throw new Error('dist/bench/codec.js missing (protocol owns bench/codec.ts)');
  const mod = (await import(pathToFileURL(file).href)) as { runCodecBench: (o: { timeMs?: number }) => Promise<unknown[]> };
  return mod.runCodecBench({ timeMs: quick ? 150 : 1000 });
}

function fig(value: number, unit: string, better: 'higher' | 'lower'): Figure {
  return { value, unit, better };
}

export function figuresOf(r: SuiteRecord): Record<string, Figure> {
  const f: Record<string, Figure> = {};
  if (Array.isArray(r.engine)) {
    for (const e of r.engine) f[`engine.${e.implementation}.${e.workload}.${e.resting_orders}.ops_per_sec`] = fig(e.ops_per_sec, 'ops/s', 'higher');
  }
  if (Array.isArray(r.codec)) {
    for (const c of r.codec as { task: string; msgsPerSec: number }[]) f[`codec.${c.task.replace(/\s+/g, '_')}.msgs_per_sec`] = fig(c.msgsPerSec, 'msg/s', 'higher');
  }
  if (r.e2e && 'steps' in r.e2e) {
    f['e2e.highest_rate_within_p99_budget'] = fig(r.e2e.highest_rate_within_budget, 'orders/s', 'higher');
    f['e2e.highest_sustained_rate'] = fig(r.e2e.highest_sustained_rate, 'orders/s', 'higher');
    f['e2e.max_sustained_ack_rate'] = fig(r.e2e.max_sustained_ack_rate, 'orders/s', 'higher');
    if (r.e2e.server_cpu_us_per_order !== null) f['e2e.server_cpu_us_per_order'] = fig(r.e2e.server_cpu_us_per_order, 'µs', 'lower');
    if (r.e2e.generator_cpu_us_per_order !== null) f['e2e.generator_cpu_us_per_order'] = fig(r.e2e.generator_cpu_us_per_order, 'µs', 'lower');
    if (r.e2e.at_100k) {
      f[`e2e.p99_us_at_${r.e2e.at_100k.target_rate}`] = fig(r.e2e.at_100k.p99_us, 'µs', 'lower');
      f[`e2e.p50_us_at_${r.e2e.at_100k.target_rate}`] = fig(r.e2e.at_100k.p50_us, 'µs', 'lower');
    }
    const fl = r.e2e.floor;
    if (fl && 'p99_us' in fl) f[`floor.p99_us_at_${fl.rate}`] = fig(fl.p99_us, 'µs', 'lower');
    if (r.e2e.p99_over_floor_at_100k != null && r.e2e.at_100k) {
      f[`e2e.p99_over_floor_at_${r.e2e.at_100k.target_rate}`] = fig(r.e2e.p99_over_floor_at_100k, 'x', 'lower');
    }
  }
  if (r.rest && 'requests_per_sec' in r.rest) f['rest.requests_per_sec'] = fig(r.rest.requests_per_sec, 'req/s', 'higher');
  if (r.fanout && 'messages_missed' in r.fanout) {
    f[`fanout.${r.fanout.subscribers_requested}_subs.messages_missed`] = fig(r.fanout.messages_missed + r.fanout.messages_undelivered, 'msgs', 'lower');
    f[`fanout.${r.fanout.subscribers_requested}_subs.delivery_p99_us`] = fig(r.fanout.delivery_latency_us.p99, 'µs', 'lower');
    f[`fanout.${r.fanout.subscribers_requested}_subs.update_rate`] = fig(r.fanout.measured_update_rate, 'upd/s', 'higher');
  }
  return f;
}

function summary(r: SuiteRecord): string {
  const lines: string[] = [`simex benchmark suite  ${r.meta.date}  commit ${r.meta.commit}${r.meta.quick ? '  (--quick)' : ''}`];
  lines.push(`  machine: ${r.meta.cpus} x${r.meta.cores}, node ${r.meta.node}, load average at start ${r.meta.loadavg_start.map((x) => x.toFixed(2)).join(' ')}`);
  if (Array.isArray(r.engine)) {
    for (const e of r.engine) lines.push(`  engine  ${e.implementation.padEnd(18)} ${e.workload} ${String(e.resting_orders).padStart(7)} resting: ${Math.round(e.ops_per_sec).toLocaleString('en-US')} ops/s, p99 ${e.p99_ns} ns`);
  } else if (r.engine) lines.push(`  engine  ERROR ${r.engine.error}`);
  if (Array.isArray(r.codec)) {
    for (const c of r.codec as { task: string; msgsPerSec: number; nsPerMsg: number }[]) lines.push(`  codec   ${c.task.padEnd(28)} ${Math.round(c.msgsPerSec).toLocaleString('en-US')} msg/s (${c.nsPerMsg.toFixed(1)} ns/msg)`);
  } else if (r.codec) lines.push(`  codec   ERROR ${r.codec.error}`);
  if (r.e2e && 'steps' in r.e2e) {
    lines.push(`  e2e     binary order entry, generator ${r.e2e.generator ?? 'ts'}, ${r.e2e.connections} connections, <= ${r.e2e.orders_per_frame} orders/frame, ${r.e2e.step_seconds} s steps, p99 budget ${r.e2e.budget_p99_us} µs`);
    for (const s of r.e2e.steps) {
      lines.push(`          ${String(s.target_rate).padStart(7)}/s -> acked ${String(s.ack_rate).padStart(7)}/s  p50 ${s.p50_us} µs  p99 ${s.p99_us} µs  p99.9 ${s.p999_us} µs  max ${s.max_us} µs  (uncorrected p99 ${s.p99_uncorrected_us} µs)  server CPU ${s.server_cpu_percent}%  steal ${s.machine_steal_percent ?? '?'}%  ${s.within_budget ? 'held' : s.sustained ? 'over budget' : 'not sustained'}`);
    }
    const fl = r.e2e.floor;
    if (fl && 'p99_us' in fl) {
      lines.push(`          floor (C echo) ${fl.rate}/s: p50 ${fl.p50_us} µs  p99 ${fl.p99_us} µs  p99.9 ${fl.p999_us} µs  steal ${fl.machine_steal_percent ?? '?'}%` +
        (r.e2e.p99_over_floor_at_100k != null ? `; e2e p99 at that rate = ${r.e2e.p99_over_floor_at_100k}x the floor` : '') +
        (r.e2e.floor_within_budget === false ? `; the floor itself breaks the ${r.e2e.budget_p99_us} µs budget: not reachable on this host during this run` : ''));
    } else if (fl) lines.push(`          floor: not measured (${fl.error})`);
    lines.push(`          highest rate within budget ${r.e2e.highest_rate_within_budget}/s; highest sustained ${r.e2e.highest_sustained_rate}/s`);
    lines.push(`          CPU per order: server ${r.e2e.server_cpu_us_per_order ?? '?'} µs + generator ${r.e2e.generator_cpu_us_per_order ?? '?'} µs -> ${r.meta.cores} cores could carry ~${r.e2e.projected_cpu_bound_rate ?? '?'}/s (projection)`);
  } else if (r.e2e) lines.push(`  e2e     ERROR ${r.e2e.error}`);
  if (r.rest && 'requests_per_sec' in r.rest) lines.push(`  rest    POST /api/orders: ${r.rest.requests_per_sec.toLocaleString('en-US')} req/s, ${r.rest.connections} connections, p99 ${r.rest.latency_ms.p99} ms, non-2xx ${r.rest.non_2xx}, errors ${r.rest.errors}`);
  else if (r.rest) lines.push(`  rest    ERROR ${r.rest.error}`);
  if (r.fanout && 'messages_missed' in r.fanout) {
    const f = r.fanout;
    lines.push(`  fanout  ${f.subscribers_connected}/${f.subscribers_requested} subscribers of ${f.symbol} at ${f.measured_update_rate} updates/s: missed ${f.messages_missed}, undelivered ${f.messages_undelivered}, drop notices ${f.drop_notices}, delivery p99 ${f.delivery_latency_us.p99} µs  ${f.no_drops ? 'NO DROPS' : 'DROPS'}`);
  } else if (r.fanout) lines.push(`  fanout  ERROR ${r.fanout.error}`);
  return lines.join('\n') + '\n';
}

export async function main(argv: string[]): Promise<number> {
  const quick = argv.includes('--quick');
  const listArg = (k: string): string[] | null => {
    const i = argv.indexOf(k);
    return i >= 0 && argv[i + 1] ? argv[i + 1]!.split(',') : null;
  };
  const only = listArg('--only');
  const modeArg = listArg('--shard-mode')?.[0];
  const shardMode: 'worker' | 'inline' = modeArg === 'inline' ? 'inline' : 'worker';
  // e2e load generator: native (bench/ordergen, the default of bench/e2e.ts) or ts.
  const generator: 'native' | 'ts' = listArg('--generator')?.[0] === 'ts' ? 'ts' : 'native';
  // Every bench server (startBenchServer) inherits this environment.
  process.env.SHARD_MODE = shardMode;
  const skip = listArg('--skip') ?? [];
  const want = (s: Suite): boolean => (only ? only.includes(s) : true) && !skip.includes(s);
  const t0 = performance.now();
  const date = new Date().toISOString();
  const rec: SuiteRecord = {
    meta: {
      commit: commit(), date, quick, node: process.version, cpus: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length,
      loadavg_start: os.loadavg(), loadavg_end: [], duration_s: 0, shard_mode: shardMode, generator,
    },
    figures: {},
  };
  const guard = async <T>(name: Suite, fn: () => Promise<T>): Promise<T | { error: string } | undefined> => {
    if (!want(name)) return undefined;
    log(`== ${name}`);
    try {
      return await fn();
    } catch (err) {
      log(`   ${name} failed: ${(err as Error).message}`);
      return { error: (err as Error).message };
    }
  };
  rec.engine = await guard('engine', () => runEngine(quick));
  rec.codec = await guard('codec', () => runCodec(quick));
  rec.e2e = await guard('e2e', () => runE2e(e2eOptionsFromArgs(['--shard-mode', shardMode, '--generator', generator], quick)));
  // The generator that actually ran (e2e falls back to ts without a C compiler).
  if (rec.e2e && 'generator' in rec.e2e && rec.e2e.generator) rec.meta.generator = rec.e2e.generator;
  rec.rest = await guard('rest', () => runRest({ seconds: quick ? 3 : 10, connections: 64 }));
  rec.fanout = await guard('fanout', () => runFanout(fanoutOptionsFromArgs([], quick)));
  rec.meta.loadavg_end = os.loadavg();
  rec.meta.duration_s = Math.round((performance.now() - t0) / 100) / 10;
  rec.figures = figuresOf(rec);

  process.stdout.write(summary(rec));
  if (!argv.includes('--no-record')) {
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = path.join(RESULTS_DIR, `${date.replace(/[:.]/g, '-')}-${rec.meta.commit}.json`);
    writeFileSync(file, JSON.stringify(rec, null, 2) + '\n');
    const hist = path.join(RESULTS_DIR, 'history.jsonl');
    let prev: RecordedRun | null = null;
    if (existsSync(hist)) {
      const lines = readFileSync(hist, 'utf8').split('\n').filter(Boolean);
      const same = lines.map((l) => JSON.parse(l) as RecordedRun)
        .filter((x) => x.meta.quick === quick && (x.meta.shard_mode ?? 'worker') === shardMode && sameGenerator(x.meta, rec.meta));
      prev = same.at(-1) ?? null;
    }
    appendFileSync(hist, JSON.stringify({ meta: rec.meta, figures: rec.figures }) + '\n');
    log(`results: ${file}`);
    if (rec.e2e && 'steps' in rec.e2e && rec.e2e.steps.length) {
      const svg = renderLatencyChart(rec.e2e, `commit ${rec.meta.commit}, ${date.slice(0, 16)}Z, ${rec.meta.cores} cores shared by server and generator, load avg ${rec.meta.loadavg_start[0]!.toFixed(1)}${quick ? ', --quick' : ''}`);
      const out = quick ? path.join(REPO_ROOT, 'dist', 'bench', 'latency-vs-throughput-quick.svg') : path.join(REPO_ROOT, 'docs', 'img', 'latency-vs-throughput.svg');
      mkdirSync(path.dirname(out), { recursive: true });
      writeFileSync(out, svg);
      log(`chart: ${out}`);
    }
    if (prev) process.stdout.write('\ncompared with the previous recorded run of the same kind:\n' + compareRuns(prev, rec));
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (c) => process.exit(c),
    (err) => {
      process.stderr.write(`${(err as Error).stack}\n`);
      process.exit(1);
    },
  );
}
