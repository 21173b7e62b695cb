/**
 * Is the generator itself the bottleneck? A load test whose generator ran out of CPU or
 * fell behind its own schedule measures the generator, not the server (uWS's benchmark
 * README: "if the server is not at 100% CPU you are benchmarking your client").
 *
 * Inputs are measured by the runner: schedule lag (actual - planned send time, HDR), the
 * generator process's CPU (process.cpuUsage over the run, all its threads), each worker
 * thread's event-loop utilisation, and the whole machine's idle share (os.cpus deltas).
 * Thresholds are constants here so the report can state them.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

export const LAG_P99_LIMIT_US = 1_000; // 1 ms
export const ACHIEVED_MIN_RATIO = 0.95;
/** Orders one scheduler tick sends at most (scheduler.ts MAX_PER_TICK). */
export const SEND_BUDGET = 2048;
export const MACHINE_IDLE_MIN = 0.05;
/** Hypervisor steal above this share of the machine's CPU time is reported: on a shared VM
 *  the host's other tenants then set the latency tail as much as the server does. */
export const STEAL_WARN = 0.02;

export interface GeneratorLoad {
  /** Generator process CPU over the run, in % of ONE core (200 = two cores busy). */
  cpuPercent: number;
  /** Event-loop utilisation of each worker thread, 0..1. */
  threadElu: number[];
  /** Share of all the machine's CPU time that was idle during the run, 0..1. */
  machineIdle: number;
  /** Share of it the hypervisor gave to other guests (steal), 0..1; null where the OS does
   *  not report steal (only Linux's /proc/stat does). */
  machineSteal?: number | null;
  cores: number;
}

export interface BottleneckInput {
  load: GeneratorLoad;
  lagP99Us: number;
  plannedRate: number; // mean planned orders/s
  achievedRate: number; // sent orders/s
  windowFull: number;
  saturatedTicks: number;
}

export function detectBottleneck(i: BottleneckInput): string[] {
  const w: string[] = [];
  if (i.lagP99Us > LAG_P99_LIMIT_US) {
    w.push(
      `generator fell behind its schedule: p99 send lag ${fmt(i.lagP99Us)} µs > ${LAG_P99_LIMIT_US} µs ` +
        `(corrected latency includes this lag; add --threads or lower --rate)`,
    );
  }
  if (i.plannedRate > 0 && i.achievedRate < i.plannedRate * ACHIEVED_MIN_RATIO) {
    w.push(
      `achieved send rate ${fmt(i.achievedRate)}/s is ${fmt((100 * i.achievedRate) / i.plannedRate)}% of the planned ` +
        `${fmt(i.plannedRate)}/s (< ${ACHIEVED_MIN_RATIO * 100}%)`,
    );
  }
  // Event-loop utilisation is reported but not judged: a polling scheduler keeps its loop
  // "busy" by design. A tick that found more orders due than its budget is the real signal.
  if (i.saturatedTicks > 0) {
    w.push(`generator send loop saturated ${i.saturatedTicks} times (more than ${SEND_BUDGET} orders already due in one tick): add --threads`);
  }
  if (i.load.machineIdle < MACHINE_IDLE_MIN) {
    w.push(
      `machine CPU saturated: ${fmt(i.load.machineIdle * 100)}% idle over ${i.load.cores} cores while the generator used ` +
        `${fmt(i.load.cpuPercent)}% of one core; server and generator compete for the same cores`,
    );
  }
  const steal = i.load.machineSteal;
  if (steal !== undefined && steal !== null && steal >= STEAL_WARN) {
    w.push(
      `hypervisor steal was ${fmt(steal * 100)}% of the machine's CPU time: this VM's vCPUs waited for other guests, ` +
        `so the latency tail measures the host as much as the server (compare bench/floor/pingpong.c at the same rate)`,
    );
  }
  if (i.windowFull > 0) {
    w.push(`${i.windowFull} planned orders not sent: a connection's in-flight window was full (server seconds behind)`);
  }
  return w;
}

function fmt(x: number): string {
  return x >= 100 ? x.toFixed(0) : x.toFixed(1);
}

/** Snapshot for the machine's idle and steal shares, in clock ticks (or ms: os.cpus). */
export interface CpuTimes {
  idle: number;
  total: number;
  /** null: the OS does not report steal. */
  steal: number | null;
}

/**
 * Linux: the first line of /proc/stat (user nice system idle iowait irq softirq steal; guest
 * time is already inside user), so softirq (loopback TCP's receive work) and steal count in
 * the total; idle includes iowait. Elsewhere os.cpus(), which has neither softirq nor steal.
 */
export function machineTimes(): CpuTimes {
  try {
    const text = readFileSync('/proc/stat', 'latin1');
    const f = text.slice(0, text.indexOf('\n')).trim().split(/\s+/);
    if (f[0] === 'cpu' && f.length >= 9) {
      const v = f.slice(1, 9).map(Number);
      if (v.every((x) => Number.isFinite(x))) {
        return { idle: v[3]! + v[4]!, total: v.reduce((a, x) => a + x, 0), steal: v[7]! };
      }
    }
  } catch {
    // not Linux (or /proc not mounted): fall through
  }
  let idle = 0;
  let total = 0;
  for (const c of os.cpus()) {
    const t = c.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total, steal: null };
}

export function idleShare(a: CpuTimes, b: CpuTimes): number {
  const dt = b.total - a.total;
  return dt > 0 ? (b.idle - a.idle) / dt : 1;
}

/** Steal share between two snapshots, 0..1; null when either has no steal figure. */
export function stealShare(a: CpuTimes, b: CpuTimes): number | null {
  if (a.steal === null || b.steal === null) return null;
  const dt = b.total - a.total;
  return dt > 0 ? (b.steal - a.steal) / dt : 0;
}

/** Process CPU (all threads) between two process.cpuUsage() readings over wallMs, in % of one core. */
export function cpuPercent(a: NodeJS.CpuUsage, b: NodeJS.CpuUsage, wallMs: number): number {
  if (wallMs <= 0) return 0;
  return ((b.user - a.user + b.system - a.system) / 1000 / wallMs) * 100;
}
