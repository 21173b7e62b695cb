/**
 * ChaosController: one chaos experiment at a time, driven by POST /demo/chaos-test.
 *
 * Lifecycle (all times real, from one 250 ms timer; measurements from the MetricsHub):
 *   start     baseline captured from the hub's last <= 10 closed seconds before start
 *   injection first clamp(10% of duration, 1 s, 10 s): in-process fault probabilities ramp
 *             linearly 0 -> target (proxy toxics, CPU burners and crashes start at once)
 *   sustained until `duration`: faults at full strength
 *   recovery  auto_recover: faults removed (graceful_recover: probabilities ramp down over
 *             recovery_time first); ends when the system is measured recovered, or after
 *             recovery_time + RECOVERY_GRACE_S (then `recovered: false`)
 *             auto_recover=false: faults stay until POST /demo/chaos-test/stop (or MAX hold)
 *   completed every fault removed (the same rollback as POST .../stop)
 *
 * Measures, per closed second (hub.livePoint()): orders, errors (rejected + failed), ack
 * latency avg/p99 (order received at the edge -> ack sent).
 *
 *   service_degradation (percent, per sample) = max(latency, errors, throughput) where
 *     latency    = max(0, avg - (base_avg + 2 sd)) / avg * 100       (extra share of latency)
 *     errors     = max(0, err% - (base_err% + 2 sd))                 (percentage points)
 *     throughput = max(0, (base_tput - 2 sd / sqrt(n)) - tput_n) / base_tput * 100
 *                  (tput_n = mean orders/s over the last n <= 3 seconds)
 *   (the 2-sd terms keep the baseline's own noise from reading as degradation).
 *   Recovered: 2 consecutive hub seconds <= RECOVERED_PCT that began after the faults were
 *   gone (and every targeted shard up). system_recovery_time = recovery phase start -> start
 *   of the first of those seconds (1 s resolution: the hub's seconds).
 *
 *   resilience_score = 100 * (0.5 A + 0.3 L + 0.2 R)
 *     A = 1 - excess error fraction during the chaos window (injection + sustained)
 *     L = share of chaos-window seconds with p99 ack latency <= SLA_P99_MS (100 ms)
 *     R = 1 while not yet known; after recovery min(1, W / t_rec), W = max(recovery_time, 1 s);
 *         0 when not recovered. null when no order traffic was measured (nothing to score).
 */
import os from 'node:os';
import { ulid } from 'ulid';
import { OrdType, Side } from '../engine/layout.js';
import { EdgeReason } from '../protocol/reasons.js';
import { formatDuration } from '../loadgen/duration.js';
import { CHAOS_INJECTED, FaultInjector, type ExchangeLike } from './faults.js';
import { ChaosProxy, type Stream } from './proxy.js';
import { CpuBurner } from './cpu.js';
import type { ChaosSpec, ValidateContext } from './validate.js';

export const SLA_P99_MS = 100;
export const SLA_ERROR_PCT = 1;
export const RECOVERED_PCT = 10;
export const RECOVERY_GRACE_S = 30;
export const MAX_HOLD_S = 600;
const TICK_MS = 250;
const BASELINE_POINTS = 10;
const TIMELINE_MAX = 800;

/** The hub's per-second point, the subset read here (src/metrics/hub.ts FeedPoint). */
export interface HubPoint {
  ts: number;
  orders_1s: number;
  errors_1s: number;
  ack: { count: number; avg_us: number | null; p99_us: number | null };
}

/** What the controller reads from the MetricsHub (the real MetricsHub satisfies it). */
export interface MetricsLike {
  historyPoints(): HubPoint[];
  livePoint(): HubPoint;
  recordOrder(symbol: string, side: string, type: string, result: string): void;
}

/** What the controller needs from the shard pool (the real ShardPool satisfies it). */
export interface PoolLike {
  readonly shards: readonly { readonly id: number; readonly state: string; readonly symbols: string[] }[];
  readonly routeList: readonly { readonly shard: number; readonly spec: { readonly symbol: string } }[];
  crash(shard: number, how: 'throw' | 'exit' | 'hang'): boolean;
}

export interface ChaosLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface ChaosDeps {
  exchange: ExchangeLike;
  /** null when metrics are disabled: faults still work, degradation/score are null. */
  hub: MetricsLike | null;
  pool: PoolLike;
  /** The server's bound port (network_partition proxies 127.0.0.1:<port>). */
  port: () => number;
  /** True when real shard crashes are allowed (server started with SIMEX_TEST_ROUTES=true). */
  allowCrash: boolean;
  logger?: ChaosLogger;
  /** Seed for the injector's PRNG (tests). */
  seed?: number;
}

export type Phase = 'injection' | 'sustained' | 'recovery' | 'completed';

export class ConflictError extends Error {}

interface Sample {
  t: number; // seconds since start
  ts: number;
  phase: Phase;
  orders: number;
  errors: number;
  avgUs: number | null;
  p99Us: number | null;
  latCount: number;
  degradation: number | null;
  injections: number;
}

interface Baseline {
  points: number;
  ordersPerSec: number;
  ordersSd: number;
  errorPct: number;
  errorSd: number;
  avgUs: number | null;
  avgSd: number;
  p99Us: number | null;
}

interface Run {
  id: string;
  spec: ChaosSpec;
  startMs: number;
  startIso: string;
  injectionEndS: number;
  phase: Phase;
  status: 'running' | 'completed' | 'stopped' | 'aborted';
  endMs: number | null;
  recoveryStartS: number | null;
  faultsRemovedS: number | null;
  recoveredAtS: number | null;
  baseline: Baseline | null;
  samples: Sample[];
  lastTs: number;
  calmStreak: number;
  calmFromS: number;
  abortStreak: number;
  abortReason: string | null;
  affectedSymbols: string[];
  proxy: ChaosProxy | null;
  cpu: CpuBurner | null;
  crash: { shard: number; how: string; accepted: boolean } | null;
  injected: { successful: number; failed: number; affected: number };
  rolledBack: string[];
  timer: NodeJS.Timeout | null;
  errors: string[];
}

const round = (v: number, d = 1): number => Math.round(v * 10 ** d) / 10 ** d;

function meanSd(xs: number[]): [number, number] {
  if (xs.length === 0) return [0, 0];
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length;
  return [m, Math.sqrt(v)];
}

export function computeBaseline(points: HubPoint[]): Baseline {
  const pts = points.slice(-BASELINE_POINTS);
  const [ordersPerSec, ordersSd] = meanSd(pts.map((p) => p.orders_1s));
  const orders = pts.reduce((a, p) => a + p.orders_1s, 0);
  const errors = pts.reduce((a, p) => a + p.errors_1s, 0);
  const errPerPoint = pts.filter((p) => p.orders_1s > 0).map((p) => (p.errors_1s / p.orders_1s) * 100);
  const [, errorSd] = meanSd(errPerPoint);
  const lat = pts.filter((p) => p.ack.count > 0 && p.ack.avg_us !== null);
  const latN = lat.reduce((a, p) => a + p.ack.count, 0);
  const avgUs = latN > 0 ? lat.reduce((a, p) => a + p.ack.avg_us! * p.ack.count, 0) / latN : null;
  const [, avgSd] = meanSd(lat.map((p) => p.ack.avg_us!));
  const p99s = lat.map((p) => p.ack.p99_us!).filter((v) => v !== null).sort((a, b) => a - b);
  return {
    points: pts.length, ordersPerSec, ordersSd, errorPct: orders > 0 ? (errors / orders) * 100 : 0, errorSd,
    avgUs, avgSd, p99Us: p99s.length ? p99s[Math.floor(p99s.length / 2)]! : null,
  };
}

/** Degradation of one second against the baseline (formula in the file header); null = no data. */
export function degradationOf(b: Baseline, orders: number, errors: number, avgUs: number | null,
  ordersRecent: readonly number[] = [orders]): number | null {
  if (orders === 0 && b.ordersPerSec === 0) return null;
  let lat = 0;
  if (avgUs !== null && b.avgUs !== null && avgUs > 0) lat = Math.max(0, avgUs - (b.avgUs + 2 * b.avgSd)) / avgUs * 100;
  const errPct = orders > 0 ? (errors / orders) * 100 : 0;
  const err = Math.max(0, errPct - (b.errorPct + 2 * b.errorSd));
  // Throughput over the last n <= 3 seconds: at simulator rates (~10/s) one second is too noisy.
  const n = Math.max(1, ordersRecent.length);
  const tMean = ordersRecent.reduce((a, x) => a + x, 0) / n;
  const tput = b.ordersPerSec > 0 ? Math.max(0, b.ordersPerSec - (2 * b.ordersSd) / Math.sqrt(n) - tMean) / b.ordersPerSec * 100 : 0;
  return round(Math.min(100, Math.max(lat, err, tput)), 1);
}

export class ChaosController {
  readonly injector: FaultInjector;
  private run: Run | null = null;
  private last: Run | null = null;

  constructor(private readonly deps: ChaosDeps) {
    this.injector = new FaultInjector(deps.exchange, deps.seed === undefined ? {} : { seed: deps.seed });
    this.injector.onReject = (symbol, side, ordType) => {
      deps.hub?.recordOrder(symbol, side === Side.SELL ? 'sell' : 'buy', ordType === OrdType.MARKET ? 'market' : 'limit', 'rejected');
    };
  }

  validateContext(): ValidateContext {
    const p = this.deps.pool;
    return {
      symbols: p.routeList.map((r) => r.spec.symbol),
      shardOf: p.routeList.map((r) => r.shard),
      shards: p.shards.length,
      cores: Math.max(1, os.availableParallelism?.() ?? os.cpus().length),
      crashAllowed: this.deps.allowCrash,
    };
  }

  get running(): boolean {
    return this.run !== null;
  }

  async start(spec: ChaosSpec): Promise<Run> {
    if (this.run) throw new ConflictError(`chaos test ${this.run.id} is running (POST /demo/chaos-test/stop to end it)`);
    const now = Date.now();
    const run: Run = {
      id: `chaos_${ulid()}`, spec, startMs: now, startIso: new Date(now).toISOString(),
      injectionEndS: Math.min(10, Math.max(1, spec.durationSec * 0.1), spec.durationSec),
      phase: 'injection', status: 'running', endMs: null, recoveryStartS: null, faultsRemovedS: null, recoveredAtS: null,
      baseline: this.deps.hub ? computeBaseline(this.deps.hub.historyPoints().filter((p) => p.ts <= now)) : null,
      samples: [], lastTs: this.deps.hub?.livePoint().ts ?? 0, calmStreak: 0, calmFromS: 0, abortStreak: 0, abortReason: null,
      affectedSymbols: [], proxy: null, cpu: null, crash: null, injected: { successful: 0, failed: 0, affected: 0 },
      rolledBack: [], timer: null, errors: [],
    };
    this.run = run;
    this.injector.resetCounters();
    const syms = this.validateContext().symbols;
    run.affectedSymbols = spec.instruments ? spec.instruments.map((i) => syms[i]!) : ['network_partition', 'resource_exhaustion'].includes(spec.type) ? [] : [...syms];
    try {
      await this.inject(run);
    } catch (err) {
      await this.rollback(run);
      this.run = null;
      throw err;
    }
    run.timer = setInterval(() => this.tick(), TICK_MS);
    run.timer.unref();
    this.deps.logger?.warn({ test_id: run.id, type: spec.type, component: spec.component, duration_s: spec.durationSec },
      'Chaos test started');
    return run;
  }

  /** Install the faults (in-process ones at probability 0: the injection phase ramps them). */
  private async inject(run: Run): Promise<void> {
    const s = run.spec;
    const inst = s.instruments ? new Set(s.instruments) : null;
    switch (s.type) {
      case 'latency_injection':
        this.injector.set('latency', { kind: 'latency', delayMs: s.latencyMs, jitterMs: s.jitterMs, probability: 0, instruments: inst });
        break;
      case 'error_simulation':
        this.injector.set('errors', { kind: 'reject', reason: CHAOS_INJECTED, probability: 0, instruments: inst });
        break;
      case 'service_failure':
        if (s.failureMode === 'outage') {
          this.injector.set('outage', { kind: 'reject', reason: EdgeReason.SHARD_UNAVAILABLE, probability: 0, instruments: inst, allCommands: true });
        } else {
          const ok = this.deps.pool.crash(s.shard!, s.failureMode);
          run.crash = { shard: s.shard!, how: s.failureMode, accepted: ok };
          if (ok) run.injected.successful = 1;
          else run.injected.failed = 1;
        }
        break;
      case 'network_partition': {
        const proxy = new ChaosProxy({ listenPort: s.proxyPort, upstreamPort: this.deps.port() });
        await proxy.start();
        const streams: Stream[] = s.toxicStream === 'both' ? ['upstream', 'downstream'] : [s.toxicStream];
        for (const st of streams) {
          proxy.addToxic({ name: `${s.toxic}_${st}`, type: s.toxic, stream: st, toxicity: s.percentage / 100, attributes: s.toxicAttributes });
        }
        run.proxy = proxy;
        break;
      }
      case 'resource_exhaustion': {
        const cpu = new CpuBurner();
        const holdS = s.autoRecover ? s.durationSec : MAX_HOLD_S;
        cpu.start({ workers: s.cpuWorkers, dutyPct: Math.max(1, s.percentage), maxMs: holdS * 1000, memoryMb: s.memoryMb });
        run.cpu = cpu;
        break;
      }
    }
  }

  /** Target probability of the in-process rule of this run, 0..1. */
  private targetProbability(s: ChaosSpec): number {
    if (s.type === 'error_simulation') return (s.percentage / 100) * s.errorRate;
    return s.percentage / 100;
  }

  private ruleName(s: ChaosSpec): string | null {
    if (s.type === 'latency_injection') return 'latency';
    if (s.type === 'error_simulation') return 'errors';
    if (s.type === 'service_failure' && s.failureMode === 'outage') return 'outage';
    return null;
  }

  private tick(): void {
    const run = this.run;
    if (!run) return;
    const s = run.spec;
    const el = (Date.now() - run.startMs) / 1000;
    const rule = this.ruleName(s);
    const target = this.targetProbability(s);
    if (run.phase === 'injection' || run.phase === 'sustained') {
      if (el < run.injectionEndS) {
        if (rule) this.injector.setProbability(rule, target * (el / run.injectionEndS));
      } else {
        if (run.phase === 'injection') run.phase = 'sustained';
        if (rule) this.injector.setProbability(rule, target);
      }
      const holdEnd = s.autoRecover ? s.durationSec : MAX_HOLD_S;
      if (el >= holdEnd || run.abortReason) this.beginRecovery(run, el);
    } else if (run.phase === 'recovery') {
      const rs = run.recoveryStartS!;
      if (run.faultsRemovedS === null) {
        const f = s.recoverySec > 0 ? Math.min(1, (el - rs) / s.recoverySec) : 1;
        if (rule && f < 1) this.injector.setProbability(rule, target * (1 - f));
        else this.removeFaults(run, el).catch((err: unknown) => run.errors.push(String(err)));
      }
    }
    this.sample(run, el);
    if (run.phase === 'recovery' && run.faultsRemovedS !== null) {
      const recovered = run.recoveredAtS !== null;
      if (recovered || el - run.recoveryStartS! > s.recoverySec + RECOVERY_GRACE_S || !this.deps.hub) this.finish(run, run.abortReason ? 'aborted' : 'completed');
    }
  }

  private beginRecovery(run: Run, el: number): void {
    run.phase = 'recovery';
    run.recoveryStartS = el;
    run.calmStreak = 0;
    if (!run.spec.gracefulRecover || !this.ruleName(run.spec)) this.removeFaults(run, el).catch((err: unknown) => run.errors.push(String(err)));
  }

  private async removeFaults(run: Run, el: number): Promise<void> {
    if (run.faultsRemovedS !== null) return;
    run.faultsRemovedS = el;
    this.captureInjections(run);
    await this.rollback(run);
  }

  /** Remove everything this run installed. Idempotent. */
  private async rollback(run: Run): Promise<void> {
    const removed: string[] = [];
    if (this.injector.installed || this.injector.ruleNames.length) {
      removed.push(...this.injector.ruleNames.map((n) => `injector:${n}`));
      this.injector.clear();
    }
    if (run.proxy) {
      removed.push(...run.proxy.listToxics().map((t) => `proxy-toxic:${t.name}`), `proxy:127.0.0.1:${run.proxy.port}`);
      run.proxy.clearToxics();
      await run.proxy.stop();
    }
    if (run.cpu && run.cpu.running) {
      removed.push(`cpu-burner:${run.cpu.workerCount}-workers`);
      await run.cpu.stop();
    }
    run.rolledBack.push(...removed);
  }

  private captureInjections(run: Run): void {
    const c = this.injector.counters;
    switch (run.spec.type) {
      case 'latency_injection':
        run.injected.successful = c.delayed;
        run.injected.failed = c.releaseFailed;
        run.injected.affected = c.delayed + c.queuedBehind;
        break;
      case 'error_simulation':
        run.injected.successful = c.rejected;
        run.injected.affected = c.rejected;
        break;
      case 'service_failure':
        if (!run.crash) {
          run.injected.successful = c.rejected;
          run.injected.affected = c.rejected;
        }
        break;
      case 'network_partition':
        if (run.proxy) {
          run.injected.successful = Object.values(run.proxy.stats.toxic_applications).reduce((a, b) => a + b, 0);
          run.injected.failed = run.proxy.stats.upstream_connect_failures;
          run.injected.affected = run.injected.successful;
        }
        break;
      case 'resource_exhaustion':
        if (run.cpu) {
          run.injected.successful = run.cpu.workerCount;
          run.injected.failed = run.cpu.errors;
          run.injected.affected = run.cpu.workerCount;
        }
        break;
    }
  }

  private shardsUp(run: Run): boolean {
    if (!run.crash) return true;
    return this.deps.pool.shards[run.crash.shard]?.state === 'up';
  }

  private sample(run: Run, el: number): void {
    const hub = this.deps.hub;
    if (!hub || !run.baseline) return;
    const p = hub.livePoint();
    if (p.ts === run.lastTs || p.ts <= run.startMs) return;
    run.lastTs = p.ts;
    if (run.faultsRemovedS === null) this.captureInjections(run);
    const recent = [...run.samples.slice(-2).map((x) => x.orders), p.orders_1s];
    const deg = degradationOf(run.baseline, p.orders_1s, p.errors_1s, p.ack.count > 0 ? p.ack.avg_us : null, recent);
    const sm: Sample = {
      t: round(el, 1), ts: p.ts, phase: run.phase, orders: p.orders_1s, errors: p.errors_1s, avgUs: p.ack.count > 0 ? p.ack.avg_us : null,
      p99Us: p.ack.count > 0 ? p.ack.p99_us : null, latCount: p.ack.count, degradation: deg, injections: run.injected.successful,
    };
    if (run.samples.length < TIMELINE_MAX) run.samples.push(sm);
    // Safety abort on excess errors.
    const lim = run.spec.abortErrorRatePct;
    if (lim !== null && run.phase !== 'recovery' && p.orders_1s > 0) {
      const excess = (p.errors_1s / p.orders_1s) * 100 - run.baseline.errorPct;
      run.abortStreak = excess > lim ? run.abortStreak + 1 : 0;
      if (run.abortStreak >= 3) {
        run.abortReason = `excess error rate ${round(excess, 1)}% above the abort threshold ${lim}% for 3 s`;
        this.deps.logger?.warn({ test_id: run.id, reason: run.abortReason }, 'Chaos test aborted by its safety limit');
      }
    }
    // Recovery detection (only after the faults are gone; the sample must describe a second
    // that began after removal).
    if (run.faultsRemovedS !== null && run.recoveredAtS === null && p.ts - 1000 >= run.startMs + run.faultsRemovedS * 1000) {
      const calm = deg !== null && deg <= RECOVERED_PCT && this.shardsUp(run);
      run.calmStreak = calm ? run.calmStreak + 1 : 0;
      // Recovered at the START of the first of the two calm seconds (hub seconds end at p.ts).
      if (run.calmStreak === 1) run.calmFromS = round((p.ts - 1000 - run.startMs) / 1000, 1);
      if (run.calmStreak >= 2) run.recoveredAtS = Math.max(run.faultsRemovedS, run.calmFromS);
    }
  }

  private finish(run: Run, status: Run['status']): void {
    if (run.timer) clearInterval(run.timer);
    run.timer = null;
    run.phase = 'completed';
    run.status = status;
    run.endMs = Date.now();
    this.last = run;
    this.run = null;
    this.deps.logger?.info({ test_id: run.id, status, recovered: run.recoveredAtS !== null, rolled_back: run.rolledBack },
      'Chaos test finished');
  }

  /** POST /demo/chaos-test/stop: rollback now. */
  async stop(): Promise<Run> {
    const run = this.run;
    if (!run) throw new ConflictError('no chaos test is running');
    const el = (Date.now() - run.startMs) / 1000;
    if (run.faultsRemovedS === null) {
      if (run.recoveryStartS === null) run.recoveryStartS = el;
      run.faultsRemovedS = el;
      this.captureInjections(run);
    }
    await this.rollback(run);
    this.finish(run, 'stopped');
    return run;
  }

  /** Server shutdown: rollback whatever runs. */
  async close(): Promise<void> {
    if (this.run) await this.stop();
    this.injector.clear();
  }

  // ------------------------------------------------------------------ bodies

  startBody(run: Run): Record<string, unknown> {
    return {
      test_id: run.id, status: 'started', type: run.spec.type, start_time: run.startIso, phase: run.phase,
      severity: run.spec.severity, duration: run.spec.durationText, target: { component: run.spec.component, percentage: run.spec.percentage },
      affected_symbols: run.affectedSymbols,
      ...(run.proxy ? { proxy: { listen: `127.0.0.1:${run.proxy.port}`, upstream: `127.0.0.1:${run.proxy.upstreamPort}` } } : {}),
      ...(run.crash ? { crash: run.crash } : {}),
    };
  }

  private chaosWindow(run: Run): Sample[] {
    return run.samples.filter((x) => x.phase === 'injection' || x.phase === 'sustained');
  }

  /** Numbers shared by status and results. */
  private measures(run: Run) {
    const win = this.chaosWindow(run);
    const all = run.samples;
    const ordersWin = win.reduce((a, x) => a + x.orders, 0);
    const errorsWin = win.reduce((a, x) => a + x.errors, 0);
    const ordersAll = all.reduce((a, x) => a + x.orders, 0);
    const errorsAll = all.reduce((a, x) => a + x.errors, 0);
    const b = run.baseline;
    const baseFrac = b ? b.errorPct / 100 : 0;
    const errPctWin = ordersWin > 0 ? (errorsWin / ordersWin) * 100 : null;
    const A = errPctWin === null ? 1 : Math.max(0, Math.min(1, 1 - Math.max(0, errPctWin / 100 - baseFrac)));
    const withLat = win.filter((x) => x.p99Us !== null);
    const L = withLat.length ? withLat.filter((x) => x.p99Us! <= SLA_P99_MS * 1000).length / withLat.length : 1;
    let R = 1;
    let recoveryTime: number | null = null;
    if (run.recoveredAtS !== null && run.recoveryStartS !== null) {
      recoveryTime = round(Math.max(0, run.recoveredAtS - run.recoveryStartS), 1);
      const W = Math.max(run.spec.recoverySec, 1);
      R = Math.min(1, W / Math.max(recoveryTime, 1e-9));
    } else if (run.phase === 'completed' && run.faultsRemovedS !== null && run.status !== 'stopped') R = 0;
    else if (run.crash?.accepted && !this.shardsUp(run) && run.phase === 'recovery') R = 0;
    const traffic = ordersAll > 0;
    const score = !b || !traffic ? null : round(100 * (0.5 * A + 0.3 * L + 0.2 * R), 1);
    const degs = all.map((x) => x.degradation).filter((d): d is number => d !== null);
    const lastDeg = all.length ? all[all.length - 1]!.degradation : null;
    return {
      ordersWin, errorsWin, ordersAll, errorsAll, errPctWin, A, L, R, score, traffic, recoveryTime,
      maxDeg: degs.length ? Math.max(...degs) : null, lastDeg,
      errorsGenerated: Math.max(0, Math.round(errorsAll - baseFrac * ordersAll)),
      slaSeconds: withLat.length, slaBreaches: withLat.filter((x) => x.p99Us! > SLA_P99_MS * 1000).length,
    };
  }

  private details(run: Run): Record<string, unknown> {
    const c = this.injector.counters;
    const out: Record<string, unknown> = {};
    if (this.ruleName(run.spec)) {
      out.injector = {
        armed: this.injector.armed, rules: this.injector.ruleNames, held_now: this.injector.heldCount,
        commands_seen: c.seen, delayed: c.delayed, queued_behind: c.queuedBehind, rejected: c.rejected,
        release_failed: c.releaseFailed, mean_measured_delay_ms: c.delayed ? round(c.delayedMsSum / c.delayed, 2) : null,
      };
    }
    if (run.proxy) {
      out.proxy = { listen: `127.0.0.1:${run.proxy.port}`, upstream: `127.0.0.1:${run.proxy.upstreamPort}`, toxics: run.proxy.listToxics(), stats: run.proxy.stats };
    }
    if (run.cpu) out.cpu = { workers: run.cpu.workerCount, duty_pct: run.spec.percentage, busy_ms: run.cpu.busyMs, running: run.cpu.running, memory_mb: run.spec.memoryMb };
    if (run.crash) {
      const sh = this.deps.pool.shards[run.crash.shard];
      out.crash = { ...run.crash, shard_state: sh?.state ?? null, symbols: sh?.symbols ?? [] };
    }
    return out;
  }

  statusBody(): Record<string, unknown> {
    const run = this.run ?? this.last;
    if (!run) return { is_running: false, phase: null, scenario: null, message: 'no chaos test has run yet (POST /demo/chaos-test)' };
    const elMs = (run.endMs ?? Date.now()) - run.startMs;
    const el = elMs / 1000;
    const m = this.measures(run);
    if (this.run === run && run.faultsRemovedS === null) this.captureInjections(run);
    const b = run.baseline;
    const cur = run.samples[run.samples.length - 1];
    return {
      test_id: run.id,
      is_running: this.run === run,
      status: run.status,
      scenario: { type: run.spec.type, severity: run.spec.severity, duration: run.spec.durationText },
      start_time: run.startIso,
      elapsed_time: formatDuration(Math.floor(el)),
      remaining_time: formatDuration(Math.max(0, Math.ceil(run.spec.durationSec - el))),
      progress: round(Math.min(100, (el / run.spec.durationSec) * 100), 1),
      phase: run.phase,
      affected_targets: [run.spec.component],
      affected_symbols: run.affectedSymbols,
      metrics: {
        timestamp: new Date().toISOString(),
        targets_affected: run.spec.instruments ? run.spec.instruments.length : run.affectedSymbols.length || 1,
        successful_injections: run.injected.successful,
        failed_injections: run.injected.failed,
        system_recovery_time: m.recoveryTime,
        errors_generated: m.errorsGenerated,
        service_degradation: m.lastDeg,
        resilience_score: m.score,
        baseline: b ? { avg_latency_us: b.avgUs === null ? null : round(b.avgUs, 1), p99_latency_us: b.p99Us, error_rate: round(b.errorPct, 3),
          orders_per_sec: round(b.ordersPerSec, 2), seconds: b.points } : null,
        current: cur ? { avg_latency_us: cur.avgUs === null ? null : round(cur.avgUs, 1), p99_latency_us: cur.p99Us,
          error_rate: cur.orders ? round((cur.errors / cur.orders) * 100, 3) : 0, orders_per_sec: cur.orders } : null,
        ...(m.traffic ? {} : { measurement_warning: b ? 'no order traffic measured since the start: degradation and score need load (simulator or /demo/load-test)' : 'metrics disabled: no measurements' }),
      },
      ...this.details(run),
      ...(run.abortReason ? { abort_reason: run.abortReason } : {}),
      ...(run.rolledBack.length ? { rolled_back: run.rolledBack } : {}),
      ...(run.errors.length ? { errors: run.errors } : {}),
    };
  }

  resultsBody(): Record<string, unknown> | null {
    if (this.run) throw new ConflictError(`chaos test ${this.run.id} is still running (phase ${this.run.phase})`);
    const run = this.last;
    if (!run) return null;
    const m = this.measures(run);
    const timeline = run.samples.map((x) => ({
      time: `${x.t}s`, phase: x.phase, degradation: x.degradation, orders: x.orders, errors: x.errors,
      avg_latency_us: x.avgUs === null ? null : round(x.avgUs, 1), p99_latency_us: x.p99Us, injections: x.injections,
    }));
    return {
      test_id: run.id, type: run.spec.type, severity: run.spec.severity, duration: run.spec.durationText, status: run.status,
      start_time: run.startIso, end_time: new Date(run.endMs!).toISOString(),
      target: { component: run.spec.component, percentage: run.spec.percentage }, affected_symbols: run.affectedSymbols,
      summary: {
        total_requests_affected: run.injected.affected,
        successful_injections: run.injected.successful,
        failed_injections: run.injected.failed,
        errors_caused: m.errorsGenerated,
        orders_measured: m.ordersAll,
        error_rate_during_chaos: m.errPctWin === null ? null : round(m.errPctWin, 3),
        baseline_error_rate: run.baseline ? round(run.baseline.errorPct, 3) : null,
        max_degradation_percent: m.maxDeg,
        final_degradation_percent: m.lastDeg,
        recovered: run.recoveredAtS !== null,
        recovery_time_seconds: m.recoveryTime,
        mttr_seconds: m.recoveryTime,
        resilience_score: m.score,
        score_components: { availability: round(m.A, 4), latency_within_sla: round(m.L, 4), recovery: round(m.R, 4) },
      },
      resilience_formula: '100 * (0.5*availability + 0.3*latency_within_sla + 0.2*recovery); see docs/CHAOS.md',
      ...this.verdict(run, m),
      timeline,
      observations: this.observations(run, m),
      recommendations: this.recommendations(run, m),
      ...this.details(run),
      rolled_back: run.rolledBack,
    };
  }

  /**
   * LitmusChaos-style verdict from three probes: error rate during chaos <= SLA_ERROR_PCT,
   * p99 ack latency <= SLA_P99_MS in every chaos second, recovered after the faults. A probe
   * without data is "N/A" and does not count. Verdict: Pass (all counted probes passed),
   * Fail, Stopped (ended by /stop) or Awaited (nothing measurable).
   */
  private verdict(run: Run, m: ReturnType<ChaosController['measures']>): Record<string, unknown> {
    const probes: { name: string; status: 'Passed' | 'Failed' | 'N/A' }[] = [
      { name: 'error-rate-within-sla', status: m.errPctWin === null ? 'N/A' : m.errPctWin <= SLA_ERROR_PCT ? 'Passed' : 'Failed' },
      { name: 'p99-latency-within-sla', status: m.slaSeconds === 0 ? 'N/A' : m.slaBreaches === 0 ? 'Passed' : 'Failed' },
      { name: 'recovered', status: run.status === 'stopped' || !m.traffic ? 'N/A' : run.recoveredAtS !== null ? 'Passed' : 'Failed' },
    ];
    const counted = probes.filter((p) => p.status !== 'N/A');
    const passed = counted.filter((p) => p.status === 'Passed').length;
    const verdict = run.status === 'stopped' ? 'Stopped' : counted.length === 0 ? 'Awaited' : passed === counted.length ? 'Pass' : 'Fail';
    return { verdict, probe_success_percentage: counted.length ? round((passed / counted.length) * 100, 1) : null, probes };
  }

  private observations(run: Run, m: ReturnType<ChaosController['measures']>): string[] {
    const o: string[] = [];
    const b = run.baseline;
    if (!b) o.push('Metrics are disabled: nothing was measured, only the faults were injected');
    else if (!m.traffic) o.push(`No order traffic was measured during the ${run.samples.length} s sampled: the fault touched nothing measurable`);
    if (m.ordersAll > 0) {
      o.push(`${m.ordersAll} orders measured over ${run.samples.length} s; ${m.errorsAll} rejected or failed (baseline error rate ${round(b!.errorPct, 3)}%)`);
    }
    o.push(`${run.injected.successful} successful and ${run.injected.failed} failed injections; ${run.injected.affected} requests or connections affected`);
    if (m.errPctWin !== null) {
      o.push(`Error rate during chaos ${round(m.errPctWin, 3)}% vs the ${SLA_ERROR_PCT}% SLA: ${m.errPctWin <= SLA_ERROR_PCT ? 'within' : 'exceeded'}`);
    }
    const win = this.chaosWindow(run).filter((x) => x.avgUs !== null);
    if (b && b.avgUs !== null && win.length) {
      const peak = win.reduce((a, x) => (x.avgUs! > a.avgUs! ? x : a));
      o.push(`Average ack latency peaked at ${round(peak.avgUs! / 1000, 3)} ms at ${peak.t}s vs a baseline of ${round(b.avgUs / 1000, 3)} ms`);
    }
    if (m.slaSeconds > 0) o.push(`p99 ack latency exceeded ${SLA_P99_MS} ms in ${m.slaBreaches} of ${m.slaSeconds} chaos seconds`);
    if (m.maxDeg !== null) o.push(`Maximum service degradation ${m.maxDeg}%`);
    if (run.status === 'stopped') o.push('Stopped by request: faults were rolled back before the planned end; recovery was not measured');
    else if (run.recoveredAtS !== null) o.push(`Recovered ${m.recoveryTime} s after recovery began (degradation <= ${RECOVERED_PCT}% for 2 consecutive seconds)`);
    else if (run.faultsRemovedS !== null) o.push(`Did not recover within ${run.spec.recoverySec + RECOVERY_GRACE_S} s after the faults were removed`);
    if (run.crash) {
      const sh = this.deps.pool.shards[run.crash.shard];
      o.push(run.crash.accepted
        ? `Shard ${run.crash.shard} crashed (${run.crash.how}); it is now ${sh?.state ?? 'unknown'}: ${sh?.symbols.join(', ') ?? ''} ${sh?.state === 'up' ? 'trade again' : 'stay unavailable (no automatic restart)'}`
        : `Shard ${run.crash.shard} could not be crashed (not up, or crashes not allowed)`);
    }
    if (run.proxy) {
      const st = run.proxy.stats;
      o.push(`${st.connections_total} client connections went through the proxy; toxics applied to ${run.injected.successful} (connection, toxic) pairs; ${st.bytes_upstream} bytes up, ${st.bytes_downstream} down`);
    }
    if (run.cpu) o.push(`CPU burners spun ${round(run.cpu.busyMs / 1000, 1)} s of CPU time on ${run.cpu.workerCount} worker threads`);
    if (this.injector.counters.releaseFailed > 0) o.push(`${this.injector.counters.releaseFailed} delayed commands found their shard refusing them on release`);
    if (run.abortReason) o.push(`Aborted by the safety limit: ${run.abortReason}`);
    return o;
  }

  private recommendations(run: Run, m: ReturnType<ChaosController['measures']>): string[] {
    const r: string[] = [];
    if (!run.baseline || !m.traffic) {
      r.push('Run the experiment under load (simulator on, or POST /demo/load-test) so degradation and the score are measured');
      return r;
    }
    if (m.errPctWin !== null && m.errPctWin > SLA_ERROR_PCT) {
      r.push(`Error rate ${round(m.errPctWin, 2)}% broke the ${SLA_ERROR_PCT}% SLA: clients need retries with backoff for ${run.spec.type === 'service_failure' ? 'SHARD_UNAVAILABLE' : 'rejected'} orders, or a circuit breaker`);
    }
    if (m.slaBreaches > 0) {
      r.push(`p99 above ${SLA_P99_MS} ms in ${m.slaBreaches} s: set client timeouts above the injected ${run.spec.type === 'latency_injection' ? `${run.spec.latencyMs + run.spec.jitterMs} ms` : 'delay'} and alert on p99 ack latency`);
    }
    if (run.status !== 'stopped' && run.faultsRemovedS !== null && run.recoveredAtS === null) {
      r.push(run.crash?.accepted
        ? `Shard ${run.crash.shard} never came back: add supervised shard restart with journal replay before relying on this failure mode`
        : 'The system did not return to baseline after the faults were removed: look for queues that do not drain (GET /health backpressure, /api/metrics)');
    } else if (m.recoveryTime !== null && m.recoveryTime > run.spec.recoverySec + 1) {
      r.push(`Recovery took ${m.recoveryTime} s, longer than the ${run.spec.recoverySec} s recovery window: investigate what drains slowly`);
    }
    if (run.spec.type === 'service_failure' && run.spec.failureMode === 'outage') {
      r.push('An edge outage is invisible to /health (the shard is up): alert on error rate per symbol, not only on health');
    }
    if (run.proxy && run.proxy.stats.connections_total === 0) {
      r.push(`Point a client at the proxy (127.0.0.1:${run.proxy.port}) to put it behind the network fault`);
    }
    if (m.score !== null && m.score >= 80 && r.length === 0) {
      r.push(`Resilience score ${m.score}: no SLA was broken for this fault; raise severity or percentage to find the breaking point`);
    }
    return r;
  }
}
