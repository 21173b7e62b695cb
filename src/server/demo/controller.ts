/**
 * The load-test demo's state machine: at most one test at a time; each test runs the load
 * generator in a CHILD PROCESS (dist/src/loadgen/child.js), so the generator's CPU and GC
 * never run on the server's event loop and the server's own CPU/memory figures (sampled
 * here with process.cpuUsage / memoryUsage, all server threads included) exclude it.
 * The generator connects to the server's own port on 127.0.0.1 over the binary protocol.
 *
 *   idle --start--> starting --ready--> running --done--> completed
 *                      |                   |--stop---> (drains) --> stopped
 *                      +--child error/exit-+----------------------> failed
 *
 * Cost on the server's loop: one IPC message per second from the child and one CPU/memory
 * sample per second.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { ulid } from 'ulid';
import { distFile } from '../../loadgen/paths.js';
import { DEFAULT_OPTIONS } from '../../loadgen/types.js';
import type { ChildCommand, ChildEvent, LoadgenOptions } from '../../loadgen/types.js';
import type { LiveStatus } from '../../loadgen/runner.js';
import type { LoadgenReport } from '../../loadgen/report.js';
import { RateProfile } from '../../loadgen/profile.js';
import { formatDuration } from '../../loadgen/duration.js';
import { SCENARIOS } from './scenarios.js';
import type { LoadTestSpec } from './validate.js';
import { checkSlos, recommend } from './recommend.js';
import type { Measured } from './recommend.js';
import os from 'node:os';

export interface DemoLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface DemoDeps {
  /** Port the server listens on (a function when it is known only after listen). */
  port: number | (() => number);
  /** Binary order-entry WebSocket path (default /ws/v1). */
  wsPath?: string;
  /** Symbols the server trades (default BTCUSD, ETHUSD, ADAUSD). */
  symbols?: readonly string[] | (() => readonly string[]);
  logger?: DemoLogger;
  /** Tests: generator target instead of ws://127.0.0.1:<port><wsPath>. Must be loopback. */
  targetUrl?: string;
  /** Session secret of the generator's accounts (server with SESSION_KEYS_FILE: an
   *  ephemeral one, SessionAuth.sharedSecretFor); passed to the child over IPC, not argv. */
  sessionSecret?: string;
}

export class ConflictError extends Error {}

type Status = 'starting' | 'running' | 'completed' | 'stopped' | 'failed';

interface TestRun {
  id: string;
  spec: LoadTestSpec;
  profile: RateProfile;
  status: Status;
  startTime: Date;
  /** performance.now() when the generator's schedule started (ready), else null. */
  scheduleStart: number | null;
  endTime: Date | null;
  /** performance.now() at the end. */
  endPerf: number | null;
  child: ChildProcess | null;
  stopRequested: boolean;
  live: LiveStatus | null;
  report: LoadgenReport | null;
  error: string | null;
  stderrTail: string;
  // Server resource samples while the test runs.
  cpuPrev: NodeJS.CpuUsage;
  cpuPrevAt: number;
  cpuNow: number;
  cpuPeak: number;
  cpuSum0: NodeJS.CpuUsage;
  cpuSumAt0: number;
  memNow: number;
  memPeak: number;
  memStart: number;
  sampler: NodeJS.Timeout | null;
}

const MB = 1024 * 1024;
const r1 = (x: number): number => Math.round(x * 10) / 10;
const r3 = (x: number): number => Math.round(x * 1000) / 1000;

export class LoadTestController {
  private current: TestRun | null = null;
  private last: TestRun | null = null;

  constructor(private readonly deps: DemoDeps) {}

  symbols(): readonly string[] {
    const s = this.deps.symbols;
    return typeof s === 'function' ? s() : s ?? ['BTCUSD', 'ETHUSD', 'ADAUSD'];
  }

  get running(): boolean {
    return this.current !== null;
  }

  private targetUrl(): string {
    if (this.deps.targetUrl) return this.deps.targetUrl;
    const port = typeof this.deps.port === 'function' ? this.deps.port() : this.deps.port;
    return `ws://127.0.0.1:${port}${this.deps.wsPath ?? '/ws/v1'}`;
  }

  start(spec: LoadTestSpec): TestRun {
    if (this.current) throw new ConflictError('load test already running');
    const profile = new RateProfile({ rate: spec.ordersPerSecond, durationSec: spec.durationSec, rampUpSec: spec.rampUpSec, rampDownSec: spec.rampDownSec });
    const opts: LoadgenOptions = {
      ...DEFAULT_OPTIONS,
      url: this.targetUrl(),
      rate: spec.ordersPerSecond,
      durationSec: spec.durationSec,
      rampUpSec: spec.rampUpSec,
      rampDownSec: spec.rampDownSec,
      connections: spec.concurrentUsers,
      // The child's own thread generates: on the 2-core target machine a second generator
      // thread competes with the server's threads and lowers the rate it sustains
      // (PERFORMANCE.md, end-to-end section).
      threads: 0,
      symbols: spec.symbols,
      ordersPerFrame: 16,
      progressIntervalMs: 1000,
      seed: Date.now() >>> 0,
      ...(this.deps.sessionSecret !== undefined ? { secret: this.deps.sessionSecret } : {}),
    };
    const mem = process.memoryUsage().rss / MB;
    const run: TestRun = {
      id: `loadtest_${ulid()}`, spec, profile, status: 'starting', startTime: new Date(), scheduleStart: null, endTime: null, endPerf: null,
      child: null, stopRequested: false, live: null, report: null, error: null, stderrTail: '',
      cpuPrev: process.cpuUsage(), cpuPrevAt: performance.now(), cpuNow: 0, cpuPeak: 0, cpuSum0: process.cpuUsage(),
      cpuSumAt0: performance.now(), memNow: mem, memPeak: mem, memStart: mem, sampler: null,
    };
    this.current = run;
    const child = fork(distFile('src/loadgen/child.js'), [], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      execArgv: [],
      serialization: 'advanced',
    });
    run.child = child;
    child.stderr?.on('data', (d: Buffer) => {
      run.stderrTail = (run.stderrTail + d.toString('utf8')).slice(-2000);
    });
    child.on('message', (m: unknown) => this.onChild(run, m as ChildEvent));
    child.on('error', (err) => this.fail(run, `generator process error: ${err.message}`));
    child.on('exit', (code, signal) => {
      if (run.status === 'starting' || run.status === 'running') {
        this.fail(run, `generator process exited (${signal ?? `code ${code}`}) before reporting${run.stderrTail ? `: ${run.stderrTail.trim().split('\n').at(-1)}` : ''}`);
      }
    });
    const cmd: ChildCommand = { type: 'run', opts };
    child.send(cmd);
    run.sampler = setInterval(() => this.sample(run), 1000);
    run.sampler.unref();
    this.deps.logger?.info({ test_id: run.id, scenario: spec.scenario, orders_per_second: spec.ordersPerSecond, concurrent_users: spec.concurrentUsers, duration_s: spec.durationSec, target: opts.url }, 'Load test started');
    return run;
  }

  /** Ask the running test to stop; it drains replies and completes as `stopped`. */
  stop(): TestRun {
    const run = this.current;
    if (!run) throw new ConflictError('no load test running');
    run.stopRequested = true;
    const cmd: ChildCommand = { type: 'stop' };
    if (run.child?.connected) run.child.send(cmd);
    // Bound the drain: if the child has not finished in 15 s, kill it.
    setTimeout(() => {
      if (this.current === run) {
        run.child?.kill('SIGKILL');
        this.fail(run, 'generator did not stop within 15 s');
      }
    }, 15_000).unref();
    this.deps.logger?.info({ test_id: run.id }, 'Load test stop requested');
    return run;
  }

  /** Server shutdown: stop any test and wait (bounded) for the child to exit. */
  async close(): Promise<void> {
    const run = this.current;
    if (!run?.child) return;
    const child = run.child;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      this.stop();
    } catch {
      /* not running */
    }
    const t = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
  }

  private sample(run: TestRun): void {
    const now = performance.now();
    const cpu = process.cpuUsage();
    const dt = now - run.cpuPrevAt;
    if (dt > 0) {
      run.cpuNow = ((cpu.user - run.cpuPrev.user + cpu.system - run.cpuPrev.system) / 1000 / dt) * 100;
      if (run.status === 'running') run.cpuPeak = Math.max(run.cpuPeak, run.cpuNow);
    }
    run.cpuPrev = cpu;
    run.cpuPrevAt = now;
    run.memNow = process.memoryUsage().rss / MB;
    run.memPeak = Math.max(run.memPeak, run.memNow);
  }

  private onChild(run: TestRun, ev: ChildEvent): void {
    switch (ev.type) {
      case 'ready':
        if (ev.connected === 0) {
          this.fail(run, `load generator could not connect to ${this.targetUrl()}: ${ev.firstError ?? 'unknown error'}`);
          run.child?.kill();
          return;
        }
        run.status = 'running';
        run.scheduleStart = performance.now() + 50;
        // Average CPU is measured over the schedule only.
        run.cpuSum0 = process.cpuUsage();
        run.cpuSumAt0 = performance.now();
        if (ev.failed) this.deps.logger?.warn({ test_id: run.id, failed: ev.failed, error: ev.firstError }, 'Load test: some generator connections failed');
        break;
      case 'progress':
        run.live = ev.status as LiveStatus;
        break;
      case 'done':
        this.sample(run);
        run.report = ev.report as LoadgenReport;
        this.finish(run, run.stopRequested ? 'stopped' : 'completed');
        break;
      case 'error':
        this.fail(run, ev.message);
        break;
    }
  }

  private finish(run: TestRun, status: Status): void {
    if (run.status === 'completed' || run.status === 'stopped' || run.status === 'failed') return;
    run.status = status;
    run.endTime = new Date();
    run.endPerf = performance.now();
    const cpu = process.cpuUsage();
    const wall = performance.now() - run.cpuSumAt0;
    run.cpuNow = wall > 0 ? ((cpu.user - run.cpuSum0.user + cpu.system - run.cpuSum0.system) / 1000 / wall) * 100 : 0;
    if (run.sampler) clearInterval(run.sampler);
    run.sampler = null;
    if (this.current === run) this.current = null;
    this.last = run;
    const s = run.report?.counters;
    this.deps.logger?.info({ test_id: run.id, status, sent: s?.sent, acked: s?.acked, timeouts: s?.timeouts }, 'Load test finished');
  }

  private fail(run: TestRun, error: string): void {
    if (run.status === 'completed' || run.status === 'stopped' || run.status === 'failed') return;
    run.error = error;
    this.finish(run, 'failed');
    this.deps.logger?.error({ test_id: run.id, error }, 'Load test failed');
  }

  // ------------------------------------------------------------------ views (JSON bodies)

  startBody(run: TestRun): Record<string, unknown> {
    const eta = new Date(run.startTime.getTime() + run.spec.durationSec * 1000);
    return {
      test_id: run.id,
      status: 'started',
      scenario: run.spec.scenario,
      start_time: run.startTime.toISOString(),
      estimated_completion: eta.toISOString(),
      orders_per_second: run.spec.ordersPerSecond,
      concurrent_users: run.spec.concurrentUsers,
      duration: formatDuration(run.spec.durationSec),
      symbols: run.spec.symbols,
    };
  }

  private scenarioBody(run: TestRun): Record<string, unknown> {
    const rate = run.spec.ordersPerSecond;
    const intensity = run.spec.scenario !== 'custom'
      ? run.spec.scenario
      : (Object.values(SCENARIOS).find((s) => s.name !== 'custom' && rate >= s.rate[0] && rate <= s.rate[1])?.name ??
        (rate > SCENARIOS.stress.rate[1] ? 'beyond-stress' : 'below-light'));
    return {
      name: run.spec.scenario,
      intensity,
      orders_per_second: rate,
      concurrent_users: run.spec.concurrentUsers,
      duration: formatDuration(run.spec.durationSec),
      ramp_up: formatDuration(run.spec.rampUpSec),
      ramp_down: formatDuration(run.spec.rampDownSec),
      symbols: run.spec.symbols,
    };
  }

  private elapsedSec(run: TestRun): number {
    if (run.scheduleStart === null) return 0;
    const end = run.endPerf ?? performance.now();
    return Math.max(0, Math.min(run.spec.durationSec, (end - run.scheduleStart) / 1000));
  }

  private phase(run: TestRun): string {
    if (run.status === 'starting') return 'starting';
    if (run.status !== 'running') return run.status;
    const t = this.elapsedSec(run);
    const p = run.profile.phaseAt(t);
    return p === 'done' ? 'draining' : p;
  }

  statusBody(): Record<string, unknown> {
    const run = this.current ?? this.last;
    if (!run) {
      return {
        is_running: false, test_id: null, scenario: null, start_time: null, elapsed_time: '0s', remaining_time: '0s',
        progress: 0, phase: 'idle', current_metrics: null, active_orders: 0, completed_orders: 0, failed_orders: 0,
      };
    }
    const live = run.live;
    const c = live?.counters ?? run.report?.counters;
    const failed = c ? c.timeouts + c.errors + c.windowFull + c.systemRejects : 0;
    const elapsed = this.elapsedSec(run);
    const done = run.status === 'completed';
    const running = run === this.current;
    const body: Record<string, unknown> = {
      is_running: running,
      test_id: run.id,
      scenario: this.scenarioBody(run),
      start_time: run.startTime.toISOString(),
      elapsed_time: formatDuration(Math.floor(elapsed)),
      remaining_time: formatDuration(Math.max(0, Math.ceil(run.spec.durationSec - elapsed))),
      progress: done ? 100 : r1((elapsed / run.spec.durationSec) * 100),
      phase: this.phase(run),
      current_metrics: {
        orders_per_second: running ? r1(live?.ackRate ?? 0) : 0,
        target_orders_per_second: running ? r1(run.profile.rateAt(elapsed)) : 0,
        average_latency: r3((live?.interval.mean ?? 0) / 1000),
        p95_latency: r3((live?.interval.p95 ?? 0) / 1000),
        p99_latency: r3((live?.interval.p99 ?? 0) / 1000),
        latency_unit: 'ms',
        error_rate: c && c.planned > 0 ? r3((failed / c.planned) * 100) : 0,
        active_connections: running ? live?.activeConnections ?? 0 : 0,
        cpu_usage_percent: r1(run.cpuNow),
        memory_usage_mb: r1(run.memNow),
      },
      active_orders: running ? live?.inflight ?? 0 : 0,
      completed_orders: c ? c.acked - c.systemRejects : 0,
      failed_orders: failed,
    };
    if (run.error) body.error = run.error;
    return body;
  }

  /** null when no test has finished yet; throws ConflictError while one runs. */
  resultsBody(): Record<string, unknown> | null {
    if (this.current) throw new ConflictError('load test still running; results are available when it completes');
    const run = this.last;
    if (!run) return null;
    const rep = run.report;
    const c = rep?.counters;
    const total = c?.planned ?? 0;
    const successful = c ? c.acked - c.systemRejects : 0;
    const failed = total - successful;
    const lat = rep?.latency_us.corrected;
    const ms = (us: number | undefined): number => r3((us ?? 0) / 1000);
    const windowS = rep ? Math.max(rep.send_window_s, rep.counters.planned > 0 && run.status === 'completed' ? rep.duration_s : rep.send_window_s) : 0;
    const throughput = windowS > 0 ? successful / windowS : 0;
    const measured: Measured = {
      scenario: run.spec.scenario,
      durationSec: run.spec.durationSec,
      // Mean planned rate (ramps lower it below the peak); a stopped test: over its window.
      targetRate: run.status === 'completed' || windowS <= 0 ? run.profile.total / run.spec.durationSec : total / windowS,
      throughput,
      total,
      successful,
      failed,
      timeouts: c?.timeouts ?? 0,
      errors: (c?.errors ?? 0) + (c?.windowFull ?? 0),
      systemRejects: c?.systemRejects ?? 0,
      businessRejects: c ? c.rejected - c.systemRejects : 0,
      successRatePercent: total > 0 ? (successful / total) * 100 : 0,
      p95Ms: ms(lat?.p95),
      p99Ms: ms(lat?.p99),
      maxMs: ms(lat?.max),
      avgCpuPercent: run.cpuNow,
      peakCpuPercent: Math.max(run.cpuPeak, run.cpuNow),
      cores: os.cpus().length,
      peakMemoryMb: run.memPeak,
      startMemoryMb: run.memStart,
      generatorWarnings: rep?.warnings ?? [],
    };
    const slos = checkSlos(measured);
    const body: Record<string, unknown> = {
      test_id: run.id,
      scenario: run.spec.scenario,
      status: run.status,
      duration: formatDuration(run.spec.durationSec),
      start_time: run.startTime.toISOString(),
      end_time: run.endTime?.toISOString() ?? null,
      configuration: this.scenarioBody(run),
      summary: {
        total_orders: total,
        successful_orders: successful,
        failed_orders: failed,
        success_rate: total > 0 ? r3((successful / total) * 100) : 0,
        average_latency_ms: ms(lat?.mean),
        p50_latency_ms: ms(lat?.p50),
        p90_latency_ms: ms(lat?.p90),
        p95_latency_ms: ms(lat?.p95),
        p99_latency_ms: ms(lat?.p99),
        p999_latency_ms: ms(lat?.p999),
        max_latency_ms: ms(lat?.max),
        throughput: r1(throughput),
        target_throughput: run.spec.ordersPerSecond,
        peak_cpu_percent: r1(measured.peakCpuPercent),
        average_cpu_percent: r1(measured.avgCpuPercent),
        peak_memory_mb: r1(run.memPeak),
      },
      failures: { timeouts: measured.timeouts, transport_errors: measured.errors, system_rejects: measured.systemRejects },
      business_rejects: measured.businessRejects,
      reject_reasons: rep?.reject_reasons ?? {},
      latency_uncorrected_ms: rep ? {
        p50: ms(rep.latency_us.uncorrected.p50), p99: ms(rep.latency_us.uncorrected.p99), max: ms(rep.latency_us.uncorrected.max),
      } : null,
      latency_note: 'latencies are coordinated-omission corrected: measured from each order\'s planned send time to its first execution report',
      generator: rep ? { cpu_percent: r1(rep.generator.cpu_percent), connections: rep.connections, warnings: rep.warnings } : null,
      slos,
      recommendations: recommend(measured, slos),
    };
    if (run.error) body.error = run.error;
    return body;
  }
}
