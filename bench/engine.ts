/**
 * Engine benchmark: `npm run bench:engine` (after `npx tsc -p tsconfig.json`).
 *
 * Measures, in one run and on the same seeded workload (bench/workloads.ts, `mix`):
 *   native-batch       C++ addon, commands written with CommandWriter, one process() per
 *                      batch of --batch (1024) records;
 *   native-call        the same addon, one process(cmd, 1) per command (the N-API cost);
 *   ts                 the TypeScript engine, batched exactly like native-batch;
 *   nodejs-order-book  the npm peer (bench/lib/peer.ts lists the semantics differences);
 * at each resting depth (1k, 100k, 1M by default).
 *
 * Isolation: every (implementation, depth) pair runs in a fresh child process (`node
 * --expose-gc`, same script with --child), in a fixed order: depth by depth, implementations in
 * the order above. So no JIT profile, inline cache, heap shape or GC debt of one
 * implementation reaches another, and the memory deltas belong to one book only. Each child:
 *   1. generates the workload from the seed (identical in every child), untimed;
 *   2. creates the book, gc(), reads memoryUsage(), prefills `resting` orders, gc(), reads it
 *      again: (heapUsed + external) and RSS deltas / resting = bytes per resting order;
 *   3. warm-up: --warmup ops through the measured code path, untimed (JIT tiers up, pools and
 *      buffers reach their steady size);
 *   4. throughput: --ops ops, inputs prepared beforehand, gc() first, one clock read before and
 *      after the loop (plus one per 1024 ops to honour --budget): ops/s and ns/op;
 *   5. per-op latency with tinybench (runSync, time 0, a fixed iteration count, no tinybench
 *      warm-up because step 3 did it). Each tinybench iteration is one call of the
 *      implementation's real entry point:
 *        - per-call implementations (native-call, nodejs-order-book): one op per iteration, so
 *          each sample is one op's latency;
 *        - batched implementations (native-batch, ts): one process() of --lat-batch (16)
 *          commands per iteration; the sample is divided by 16 and recorded 16 times. This is
 *          the per-op cost inside a small batch: a slow op is spread over its 15 neighbours,
 *          so tails are smoothed by up to 16x, and the 1024-batch throughput loop amortises
 *          call overhead further. Timing each op of a batch individually is not possible from
 *          JS, and timing 1-command batches would measure native-call instead.
 *      The clock-read overhead (median of an empty tinybench task, ~50-60 ns here) is
 *      subtracted from every sample before dividing. Samples go into an HDR histogram
 *      (bench/lib/stats.ts) for p50 / p99 / p99.9 / max.
 *      Why tinybench only here: it times each call (two clock reads per iteration), which is
 *      right for a latency distribution but would add ~55 ns per op to a throughput figure;
 *      the throughput loop is therefore a plain loop timed once.
 *   6. checks the book's resting count against the shadow book's expectation, and that none of
 *      the first min(50k, warmup/4) ops (run batched, untimed, every outcome inspected) was
 *      rejected; either failing means the workload did not do what it says for that
 *      implementation: flagged BAD in the `check` column.
 *
 * Output: a human table (default) or, with --json, one JSON object per line on stdout (the
 * environment header then goes to stderr). Results are also written to
 * bench/results/engine-<timestamp>.json (git-ignored; figures worth keeping go to
 * PERFORMANCE.md).
 *
 * Options: --quick, --workload mix|mix-recent (diagnostic, bench/workloads.ts), --impl a,b, --depth 1k,100k,1m, --ops N, --warmup N, --lat-ops N,
 * --batch N, --lat-batch N, --budget SECONDS (per phase), --seed N, --json, --no-file,
 * --cpu-prof DIR (CPU profile of each throughput phase into DIR), --help.
 */
import { fork } from 'node:child_process';
import inspector from 'node:inspector';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Bench, hrtimeNow } from 'tinybench';
import { busyCores, cpuSample, envInfo, topProcesses, type EnvInfo } from './lib/env.js';
import { IMPLEMENTATIONS, loadEngine, makeRunner, type ImplName, type Runner } from './lib/runners.js';
import { OpLatency, fmtInt, fmtNs, fmtRate, median, type LatencySummary } from './lib/stats.js';
import { WORKLOADS, describeMix, generateMix, type MixCounts, type WorkloadName } from './workloads.js';
import { peerVersion } from './lib/peer.js';
import { fmtLatencies, memoryLatencies, type ChaseResult } from './lib/memprobe.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// dist/bench/engine.js -> repo root is two levels up; bench/engine.ts (tsx) -> one level.
const repoRoot = path.resolve(here, here.includes(`${path.sep}dist${path.sep}`) ? '../..' : '..');

interface Options {
  workload: WorkloadName;
  impls: ImplName[];
  depths: number[];
  ops: number;
  warmup: number;
  latOps: number;
  batch: number;
  latBatch: number;
  budgetSec: number;
  seed: number;
  json: boolean;
  file: boolean;
  cpuProf: string | null;
  quick: boolean;
}

interface ChildSpec {
  impl: ImplName;
  resting: number;
  opts: Options;
}

export interface Result {
  bench: 'engine';
  implementation: ImplName;
  workload: WorkloadName;
  resting_orders: number;
  ops: number;
  ops_per_sec: number;
  ns_per_op: number;
  /** Best rate among the throughput phase's consecutive segments (see runPhase). */
  ops_per_sec_best_segment: number;
  segments: number;
  /** Start and end of the throughput phase, CLOCK_MONOTONIC seconds (for perf --time). */
  throughput_window_s: [number, number];
  /** ops / CPU seconds of the whole child process during the throughput phase (GC helper
   *  threads included): less sensitive than ops_per_sec to being descheduled by other load. */
  ops_per_cpu_sec: number;
  p50_ns: number;
  p99_ns: number;
  p999_ns: number;
  max_ns: number;
  latency_ops: number;
  latency_method: string;
  timer_overhead_ns: number;
  bytes_per_order_heap: number;
  bytes_per_order_rss: number;
  /** Engine's own count of bytes reserved by the book after the prefill / resting (native). */
  engine_reported_bytes_per_order: number | null;
  prefill_ms: number;
  resting_after: number;
  expected_resting_after: number;
  /** Resting count matches the shadow book and no checked op was rejected. */
  resting_ok: boolean;
  /** Ops at the start of the warm-up whose every outcome was inspected, and how many of them
   *  were rejected (must be 0). */
  checked_ops: number;
  checked_rejects: number;
  cpu_util: number;
  other_load_cores: number;
  info: string;
  /** See codeHash: which build of the implementation this row measured. */
  code_sha256: string | null;
  mix: MixCounts;
  mix_summary: string;
  vs_peer?: { ops_per_sec: number; ops_per_cpu_sec: number; p50: number; p99: number; p999: number; bytes_per_order_rss: number };
  seed: number;
  batch: number;
  node: string;
  cpu: string;
  commit: string;
  error?: string;
}

const nowNs = (): number => Number(process.hrtime.bigint());

/**
 * First 12 hex digits of a SHA-256 over the code an implementation runs, read when the child
 * starts: the addon file (native-*) or the compiled TS engine + codec (ts). Other sessions
 * rebuild both during a run; rows with different hashes measured different code.
 */
function codeHash(impl: ImplName): string | null {
  try {
    const h = createHash('sha256');
    if (impl.startsWith('native')) {
      h.update(readFileSync(path.join(repoRoot, 'build/Release/simex_engine.node')));
    } else if (impl === 'ts') {
      const dir = path.join(here.includes(`${path.sep}dist${path.sep}`) ? path.resolve(here, '..') : repoRoot, 'src/engine');
      const files = [...readdirSync(path.join(dir, 'ts')).filter((f) => f.endsWith('.js')).map((f) => path.join(dir, 'ts', f)).sort(),
        path.join(dir, 'codec.js')];
      for (const f of files) h.update(readFileSync(f));
    } else {
      return null;
    }
    return h.digest('hex').slice(0, 12);
  } catch {
    return null;
  }
}

function parseDepth(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(s.trim());
  if (!m) throw new Error(`bad --depth value ${s} (use e.g. 1k,100k,1m)`);
  const mult = m[2]!.toLowerCase() === 'k' ? 1e3 : m[2]!.toLowerCase() === 'm' ? 1e6 : 1;
  return Math.round(Number(m[1]) * mult);
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      workload: { type: 'string', default: 'mix' },
      impl: { type: 'string' },
      depth: { type: 'string' },
      ops: { type: 'string' },
      warmup: { type: 'string' },
      'lat-ops': { type: 'string' },
      batch: { type: 'string' },
      'lat-batch': { type: 'string' },
      budget: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean', default: false },
      'no-file': { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'usage: node dist/bench/engine.js [--quick] [--workload mix|mix-recent] [--impl native-batch,native-call,ts,nodejs-order-book]\n' +
      '  [--depth 1k,100k,1m] [--ops N] [--warmup N] [--lat-ops N] [--batch 1024] [--lat-batch 16]\n' +
      '  [--budget SECONDS] [--seed 42] [--json] [--no-file] [--cpu-prof DIR]\n');
    process.exit(0);
  }
  const quick = values.quick!;
  const impls = (values.impl ?? IMPLEMENTATIONS.join(',')).split(',').map((s) => s.trim()).filter(Boolean)
    .map((s) => (s === 'peer' ? 'nodejs-order-book' : s));
  for (const i of impls) {
    if (!(IMPLEMENTATIONS as readonly string[]).includes(i)) throw new Error(`unknown --impl ${i}; one of ${IMPLEMENTATIONS.join(', ')}`);
  }
  const num = (v: string | undefined, d: number): number => (v === undefined ? d : parseDepth(v));
  if (!(WORKLOADS as readonly string[]).includes(values.workload!)) throw new Error(`unknown --workload ${values.workload}; one of ${WORKLOADS.join(', ')}`);
  return {
    workload: values.workload as WorkloadName,
    // Fixed order regardless of how --impl was written.
    impls: IMPLEMENTATIONS.filter((i) => impls.includes(i)),
    depths: (values.depth ?? '1k,100k,1m').split(',').map(parseDepth),
    ops: num(values.ops, quick ? 300_000 : 3_000_000),
    warmup: num(values.warmup, quick ? 30_000 : 200_000),
    latOps: num(values['lat-ops'], quick ? 50_000 : 300_000),
    batch: num(values.batch, 1024),
    latBatch: num(values['lat-batch'], 16),
    budgetSec: values.budget === undefined ? (quick ? 3 : 15) : Number(values.budget),
    seed: values.seed === undefined ? 42 : Number(values.seed),
    json: values.json!,
    file: !values['no-file'],
    cpuProf: values['cpu-prof'] ?? null,
    quick,
  };
}

// ---------------------------------------------------------------------------------------
// Child: one implementation at one depth.
// ---------------------------------------------------------------------------------------

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('child needs --expose-gc');
  g(); g();
}

/** Runs ops [from, to) in prepare-sized chunks; stops after budgetNs of timed work.
 *  `afterFirstPrepare` runs once, after the first chunk's inputs are built and before any
 *  timed op (the CPU profiler starts there). */
async function runPhase(r: Runner, from: number, to: number, budgetNs: number, timed: boolean,
  afterFirstPrepare?: () => Promise<void>): Promise<{ ops: number; ns: number; segments: number[] }> {
  let ops = 0;
  let ns = 0;
  let a = from;
  let first = true;
  // The phase is timed in SEGMENTS consecutive pieces (one clock pair each, so no extra cost
  // per op): the best segment's rate is reported beside the whole-phase rate, the usual guard
  // against other processes stealing the CPU for part of the run.
  const seg = Math.max(65_536, Math.ceil((to - from) / SEGMENTS));
  const segments: number[] = [];
  outer: while (a < to && ns < budgetNs) {
    const b = Math.min(to, a + r.prepareChunk);
    r.prepare(a, b);
    if (timed) gc();
    if (first && afterFirstPrepare) await afterFirstPrepare();
    first = false;
    for (let i = a; i < b;) {
      const e = Math.min(b, i + seg);
      const res = r.throughput(i, e, budgetNs - ns);
      ops += res.ops;
      ns += res.ns;
      if (res.ops === e - i && res.ops >= 16_384) segments.push(res.ops / (res.ns / 1e9));
      if (i + res.ops < e || ns >= budgetNs) break outer; // budget ran out
      i = e;
    }
    a = b;
  }
  return { ops, ns, segments };
}

const SEGMENTS = 5;

/** CPU profile of the throughput phase only (node:inspector; sampling at 100 µs), so the
 *  workload generation and prefill do not dilute it. Figures of a profiled run are inflated by
 *  the sampler; use them for where time goes, not for the table. */
async function startProfile(): Promise<{ stop(file: string): Promise<void> }> {
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params?: object): Promise<unknown> =>
    new Promise((res, rej) => session.post(method, params ?? {}, (err, r) => (err ? rej(err) : res(r))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 100 });
  await post('Profiler.start');
  return {
    async stop(file: string): Promise<void> {
      const { profile } = (await post('Profiler.stop')) as { profile: unknown };
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

async function runChild(spec: ChildSpec): Promise<Result> {
  const { impl, resting, opts } = spec;
  const budgetNs = opts.budgetSec * 1e9;
  const sha = codeHash(impl); // before the engine is loaded
  const wl = generateMix({ name: opts.workload, seed: opts.seed, resting, ops: opts.warmup + opts.ops + opts.latOps });
  const r = await makeRunner(impl, wl, opts.batch, opts.latBatch);

  // Memory across the prefill: book created first (fixed costs such as preallocated pools
  // that are reserved but not yet touched are not attributed to orders; touched pages are).
  r.createBook();
  gc();
  const m0 = process.memoryUsage();
  const tp0 = nowNs();
  r.prefill();
  const prefillNs = nowNs() - tp0;
  gc();
  const m1 = process.memoryUsage();
  const reported = r.reportedBytes();
  const heapDelta = (m1.heapUsed + m1.external) - (m0.heapUsed + m0.external);
  const rssDelta = m1.rss - m0.rss;

  let pos = wl.prefill;
  // First part of the warm-up: every outcome inspected (must be 0 rejects), batched.
  const checkedOps = Math.min(50_000, Math.floor(opts.warmup / 4));
  r.prepare(pos, pos + checkedOps);
  const warmupRejects = r.runChecked(pos, pos + checkedOps);
  pos += checkedOps;
  const warm = await runPhase(r, pos, pos + opts.warmup - checkedOps, Math.min(budgetNs, 5e9), false);
  pos += warm.ops;

  let prof: { stop(file: string): Promise<void> } | null = null;
  let c0 = process.cpuUsage();
  let s0 = cpuSample();
  const tp = await runPhase(r, pos, pos + opts.ops, budgetNs, true, async () => {
    if (opts.cpuProf) prof = await startProfile();
    c0 = process.cpuUsage();
    s0 = cpuSample();
  });
  const s1 = cpuSample();
  // CLOCK_MONOTONIC seconds (process.hrtime's clock), so `perf record -k CLOCK_MONOTONIC`
  // samples can be cut to this phase with `perf report --time <start>,<end>`.
  const window: [number, number] = [Math.round(s0.at * 1e6) / 1e6, Math.round(s1.at * 1e6) / 1e6];
  const c1 = process.cpuUsage(c0);
  if (prof) await (prof as { stop(file: string): Promise<void> }).stop(path.join(opts.cpuProf!, `${impl}-${resting}-${process.pid}.cpuprofile`));
  pos += tp.ops;
  const wallSec = tp.ns / 1e9;
  const ownCores = wallSec > 0 ? (c1.user + c1.system) / 1e6 / wallSec : 0;

  // Latency phase: cap the op count so the phase fits in the budget at the measured rate.
  const rate = tp.ops / (tp.ns / 1e9);
  const k = r.opsPerSample;
  const latOps = Math.max(k * 200, Math.min(opts.latOps, Math.floor(rate * opts.budgetSec * 0.5)));
  // +1 unit: tinybench calls the function once, untimed, when the task is added (to detect an
  // async function); `calls` counts every call so the op position stays exact.
  const samples = Math.floor(Math.min(latOps, wl.count - pos) / k) - 1;
  r.prepare(pos, pos + (samples + 1) * k);

  let sink = 0;
  const cal = new Bench({ time: 0, iterations: 20_000, warmup: false, now: hrtimeNow, throws: true });
  let calCalls = 0;
  const calStep = (): void => { sink ^= 1; };
  cal.add('empty', () => { calCalls++; calStep(); }); // same wrapper shape as the measured task
  cal.runSync();
  const overheadNs = median(cal.tasks[0]!.result!.latency.samples) * 1e6;

  gc();
  const bench = new Bench({ time: 0, iterations: samples, warmup: false, now: hrtimeNow, throws: true });
  const step = r.latencyStep(pos);
  let calls = 0;
  bench.add(impl, () => { calls++; step(); });
  bench.runSync();
  const lat = new OpLatency();
  for (const ms of bench.tasks[0]!.result!.latency.samples) lat.record(ms * 1e6, k, overheadNs);
  if (calls > samples + 1) throw new Error(`tinybench made ${calls} calls for ${samples} samples`);
  pos += calls * k;
  const L: LatencySummary = lat.summary();

  const restingNow = r.resting();
  const expected = wl.restingAfter[pos - 1]!;
  const env = envInfo(repoRoot);
  void sink; void calCalls;
  return {
    bench: 'engine',
    implementation: impl,
    workload: opts.workload,
    resting_orders: resting,
    ops: tp.ops,
    ops_per_sec: Math.round(rate),
    ns_per_op: Math.round((tp.ns / tp.ops) * 10) / 10,
    ops_per_sec_best_segment: Math.round(Math.max(rate, ...tp.segments)),
    segments: tp.segments.length,
    throughput_window_s: window,
    ops_per_cpu_sec: Math.round(tp.ops / Math.max(1e-9, (c1.user + c1.system) / 1e6)),
    p50_ns: L.p50_ns,
    p99_ns: L.p99_ns,
    p999_ns: L.p999_ns,
    max_ns: L.max_ns,
    latency_ops: L.count,
    latency_method: k === 1 ? 'each call timed (tinybench)' : `batches of ${k} timed (tinybench), divided by ${k}`,
    timer_overhead_ns: Math.round(overheadNs),
    bytes_per_order_heap: Math.round(heapDelta / resting),
    bytes_per_order_rss: Math.round(rssDelta / resting),
    engine_reported_bytes_per_order: reported === null ? null : Math.round(reported / resting),
    prefill_ms: Math.round(prefillNs / 1e6),
    resting_after: restingNow,
    expected_resting_after: expected,
    resting_ok: restingNow === expected && warmupRejects === 0,
    checked_ops: checkedOps,
    checked_rejects: warmupRejects,
    cpu_util: Math.round(ownCores * 100) / 100,
    other_load_cores: Math.round(Math.max(0, busyCores(s0, s1) - ownCores) * 100) / 100,
    info: r.info,
    code_sha256: sha,
    mix: wl.mix,
    mix_summary: describeMix(wl),
    seed: opts.seed,
    batch: impl === 'native-batch' || impl === 'ts' ? opts.batch : 1,
    node: env.node,
    cpu: env.cpu,
    commit: env.commit,
  };
}

// ---------------------------------------------------------------------------------------
// Parent: environment, children in a fixed order, table / JSON lines, results file.
// ---------------------------------------------------------------------------------------

function spawnChild(spec: ChildSpec): Promise<Result> {
  const execArgv = ['--expose-gc', '--max-old-space-size=12288'];
  return new Promise((resolve, reject) => {
    // Child stdout goes to our stderr so engine warnings never mix into --json output.
    const child = fork(fileURLToPath(import.meta.url), ['--child', JSON.stringify(spec)], {
      execArgv,
      stdio: ['ignore', 2, 2, 'ipc'],
    });
    let result: Result | null = null;
    let error: string | null = null;
    child.on('message', (m: { result?: Result; error?: string }) => {
      if (m.result) result = m.result;
      if (m.error) error = m.error;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (result) resolve(result);
      else reject(new Error(error ?? `child exited with ${signal ?? code}`));
    });
  });
}

function printHeader(env: EnvInfo, opts: Options, engines: Record<string, string>, memLat: ChaseResult[], out: (s: string) => void): void {
  out(`simex engine benchmark · workload ${opts.workload} · seed ${opts.seed}${opts.quick ? ' · QUICK' : ''}`);
  out(`node ${env.node} (V8 ${env.v8}) · ${env.cpu} × ${env.cores} cores · ${env.memGiB} GiB · ${env.kernel}`);
  out(`commit ${env.commit}${env.dirty.length ? ` + uncommitted changes in: ${env.dirty.join(', ')}` : ''}`);
  out(`dependent-load latency (pointer chase, JS): ${fmtLatencies(memLat)}`);
  const top = topProcesses();
  out(`load average ${env.loadavg.join(' ')}${top.length ? ` · busiest processes now: ${top.join(', ')}` : ''}`);
  for (const [k, v] of Object.entries(engines)) out(`${k.padEnd(18)} ${v}`);
  out(`per depth: warm-up ${fmtInt(opts.warmup)} ops, throughput ${fmtInt(opts.ops)} ops (batch ${opts.batch}), ` +
    `latency ${fmtInt(opts.latOps)} ops (batched: ${opts.latBatch} per timed call), budget ${opts.budgetSec}s per phase, ` +
    'each implementation in a fresh child process');
}

const COLS = ['implementation', 'ops', 'ops/s', 'best seg', 'ops/cpu-s', 'ns/op', 'p50', 'p99', 'p99.9', 'B/order heap', 'B/order RSS', '×peer ops/s', '×peer cpu-s', '×peer p99', 'check', 'cpu', 'other'];

function row(r: Result): string[] {
  return [
    r.implementation, fmtInt(r.ops), fmtRate(r.ops_per_sec), fmtRate(r.ops_per_sec_best_segment), fmtRate(r.ops_per_cpu_sec), r.ns_per_op.toFixed(0), fmtNs(r.p50_ns), fmtNs(r.p99_ns),
    fmtNs(r.p999_ns), fmtInt(r.bytes_per_order_heap), fmtInt(r.bytes_per_order_rss),
    r.vs_peer ? `${r.vs_peer.ops_per_sec.toFixed(1)}×` : '-', r.vs_peer ? `${r.vs_peer.ops_per_cpu_sec.toFixed(1)}×` : '-',
    r.vs_peer ? `${r.vs_peer.p99.toFixed(1)}×` : '-',
    r.resting_ok ? `ok ${fmtInt(r.resting_after)}`
      : `BAD ${r.resting_after}/${r.expected_resting_after} rej ${r.checked_rejects}`,
    r.cpu_util.toFixed(2), r.other_load_cores.toFixed(2),
  ];
}

function table(rows: string[][]): string {
  const w = COLS.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(COLS), ...rows.map(line)].join('\n');
}

function addPeerRatios(results: Result[]): void {
  const peer = results.find((r) => r.implementation === 'nodejs-order-book' && !r.error);
  if (!peer) return;
  for (const r of results) {
    if (r.error || r === peer) continue;
    r.vs_peer = {
      ops_per_sec: Math.round((r.ops_per_sec / peer.ops_per_sec) * 10) / 10,
      ops_per_cpu_sec: Math.round((r.ops_per_cpu_sec / peer.ops_per_cpu_sec) * 10) / 10,
      p50: Math.round((peer.p50_ns / r.p50_ns) * 10) / 10,
      p99: Math.round((peer.p99_ns / r.p99_ns) * 10) / 10,
      p999: Math.round((peer.p999_ns / r.p999_ns) * 10) / 10,
      bytes_per_order_rss: Math.round((r.bytes_per_order_rss / Math.max(1, peer.bytes_per_order_rss)) * 100) / 100,
    };
  }
}

/** Issue 2's targets, checked on whatever this run measured. */
function targetLines(all: Result[]): string[] {
  const out: string[] = [];
  const ok = (b: boolean): string => (b ? 'MET ' : 'MISS');
  const by = (impl: ImplName): Result[] => all.filter((r) => r.implementation === impl && !r.error);
  const nb = by('native-batch');
  const ts = by('ts');
  const cpuNote = (r: Result): string => ` (per CPU-second ${fmtRate(r.ops_per_cpu_sec)}, child had ${r.cpu_util} cores, others ${r.other_load_cores})`;
  for (const r of nb) out.push(`${ok(r.ops_per_sec >= 5e6)} native-batch >= 5M ops/s at ${fmtInt(r.resting_orders)}: ${fmtRate(r.ops_per_sec)}${cpuNote(r)}`);
  for (const r of ts) out.push(`${ok(r.ops_per_sec >= 1.5e6)} ts >= 1.5M ops/s at ${fmtInt(r.resting_orders)}: ${fmtRate(r.ops_per_sec)}${cpuNote(r)}`);
  for (const [name, rs] of [['native-batch', nb], ['ts', ts]] as const) {
    if (rs.length < 2) continue;
    const base = rs.reduce((a, b) => (a.resting_orders <= b.resting_orders ? a : b));
    for (const r of rs) {
      if (r === base) continue;
      const d = r.ops_per_sec / base.ops_per_sec - 1;
      const dc = r.ops_per_cpu_sec / base.ops_per_cpu_sec - 1;
      out.push(`${ok(Math.abs(d) <= 0.3)} ${name} within ±30% from ${fmtInt(base.resting_orders)} to ${fmtInt(r.resting_orders)}: ` +
        `${(d * 100).toFixed(0)}% (per CPU-second ${(dc * 100).toFixed(0)}%)`);
    }
  }
  for (const r of nb) {
    if (r.vs_peer) {
      out.push(`${ok(r.vs_peer.ops_per_sec >= 20)} native-batch >= 20× peer at ${fmtInt(r.resting_orders)}: ${r.vs_peer.ops_per_sec}× ` +
        `(per CPU-second: ${r.vs_peer.ops_per_cpu_sec}×)`);
    }
  }
  return out;
}

async function parent(opts: Options): Promise<void> {
  const env = envInfo(repoRoot);
  const out = opts.json ? (s: string) => process.stderr.write(`${s}\n`) : (s: string) => process.stdout.write(`${s}\n`);

  // Which engines load (reported first; an implementation that cannot load is reported, not
  // silently skipped).
  const engines: Record<string, string> = {};
  const unavailable = new Map<ImplName, string>();
  for (const impl of opts.impls) {
    if (impl === 'nodejs-order-book') { engines[impl] = `nodejs-order-book@${peerVersion()} (npm peer)`; continue; }
    try {
      engines[impl] = (await loadEngine(impl === 'ts' ? 'ts' : 'native')).info;
    } catch (e) {
      unavailable.set(impl, (e as Error).message);
      engines[impl] = `UNAVAILABLE: ${(e as Error).message}`;
    }
  }
  const memLat = memoryLatencies();
  printHeader(env, opts, engines, memLat, out);

  const all: Result[] = [];
  for (const resting of opts.depths) {
    const results: Result[] = [];
    for (const impl of opts.impls) {
      if (unavailable.has(impl)) continue;
      // The addon lives in the shared build/ directory; `node-gyp rebuild` by someone else
      // removes it for a while. Wait for it (up to ~2 min) instead of losing the row.
      for (let attempt = 0; ; attempt++) {
        try {
          results.push(await spawnChild({ impl, resting, opts }));
          break;
        } catch (e) {
          const msg = (e as Error).message;
          if (attempt < 12 && /native addon did not load|Cannot find module .*simex_engine\.node/.test(msg)) {
            out(`  ${impl} at ${fmtInt(resting)}: addon missing (being rebuilt?), retrying in 10 s`);
            await new Promise((res) => setTimeout(res, 10_000));
            continue;
          }
          out(`  ${impl} at ${fmtInt(resting)}: FAILED ${msg.split('\n')[0]}`);
          break;
        }
      }
    }
    addPeerRatios(results);
    all.push(...results);
    if (opts.json) {
      for (const r of results) process.stdout.write(`${JSON.stringify(r)}\n`);
    } else {
      out('');
      out(`resting orders ${fmtInt(resting)} · ${results[0]?.mix_summary ?? ''}`);
      out(table(results.map(row)));
    }
  }
  const warnings: string[] = [];
  for (const impl of opts.impls) {
    const hs = new Set(all.filter((r) => r.implementation === impl && r.code_sha256).map((r) => r.code_sha256));
    if (hs.size > 1) warnings.push(`WARNING: ${impl} code changed during the run (builds ${[...hs].join(', ')}): compare its rows with care`);
  }
  for (const w of warnings) out(w);
  if (!opts.json) {
    out('');
    out('p50/p99/p99.9: per-op latency; batched implementations time process() calls of ' +
      `${opts.latBatch} commands and divide (tails smoothed up to ${opts.latBatch}×), per-call ones time each call; ` +
      'timer overhead subtracted. B/order: (heapUsed+external) and RSS growth across the prefill / resting orders. ' +
      `best seg: best of the throughput phase's ${SEGMENTS} consecutive segments. ` +
      'ops/cpu-s: ops per CPU-second of the child (all its threads). ×peer p99: peer p99 / this p99. cpu: cores used by the child during the throughput phase; other: cores busy with other processes meanwhile.');
    for (const l of targetLines(all)) out(l);
  }
  if (opts.file) {
    const dir = path.join(repoRoot, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `engine-${env.date.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify({ env, memory_latency: memLat, options: opts, engines, results: all, targets: targetLines(all), warnings }, null, 2)}\n`);
    out(`results written to ${path.relative(process.cwd(), file)}`);
  }
}

const childIdx = process.argv.indexOf('--child');
if (childIdx >= 0) {
  const spec = JSON.parse(process.argv[childIdx + 1]!) as ChildSpec;
  spec.opts.workload ??= 'mix'; // hand-written specs (perf recipe in PERFORMANCE.md) may omit it
  // Without an IPC channel (a child started by hand, e.g. under `perf record`), the result is
  // printed as one JSON line instead.
  const send = (m: object, code: number): void => {
    if (process.send) process.send(m, () => process.exit(code));
    else { process.stdout.write(`${JSON.stringify(m)}\n`); process.exit(code); }
  };
  runChild(spec).then(
    (result) => send({ result }, 0),
    (e: unknown) => send({ error: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) }, 1),
  );
} else {
  parent(parseOptions(process.argv.slice(2))).catch((e: unknown) => {
    process.stderr.write(`bench:engine failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
