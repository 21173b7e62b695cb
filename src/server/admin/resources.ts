/**
 * Process, thread and host figures for GET /admin/system/resources, all read from Node APIs
 * and /proc at request time or differenced between two readings.
 *
 * Rates (CPU %, event-loop utilisation, steal) need two readings: the collector calls
 * `sample()` every few seconds (cost: one /proc/stat read, one /proc/self/task scan of ~15
 * threads, one ELU read per worker: < 1 ms), and `measure()` differences "now" against the
 * newest kept reading at least MIN_WINDOW_MS old (else the oldest one). Every rate says its
 * window_s; right after start that window is short and says so.
 *
 * /proc/<pid>/task/<tid>/stat utime/stime are in USER_HZ clock ticks; USER_HZ is 100 on
 * every Linux architecture Node supports (it is the userspace ABI, independent of the
 * kernel's HZ).
 */
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import v8 from 'node:v8';
import { STEAL_WARN, cpuPercent, idleShare, machineTimes, stealShare, type CpuTimes } from '../../loadgen/bottleneck.js';

const USER_HZ = 100;
const MIN_WINDOW_MS = 1000;
const KEEP = 4;

export interface OsThread {
  tid: number;
  /** Kernel thread name (/proc/.../comm); Node 20 leaves every thread named "node". */
  comm: string;
  /** R running, S sleeping, D disk wait, ... (proc(5)). */
  state: string;
  /** user + system CPU since the thread started, ms. */
  cpu_ms: number;
}

/** Threads of this process from /proc (Linux); null elsewhere. */
export function osThreads(): OsThread[] | null {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return null;
  }
  const out: OsThread[] = [];
  for (const t of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${t}/stat`, 'latin1');
      // comm may contain spaces and parentheses: fields after the LAST ')' are fixed.
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      // f[0] = state (field 3), f[11] = utime (14), f[12] = stime (15)
      out.push({ tid: Number(t), comm, state: f[0]!, cpu_ms: ((Number(f[11]) + Number(f[12])) * 1000) / USER_HZ });
    } catch {
      // thread exited between readdir and read
    }
  }
  return out.sort((a, b) => a.tid - b.tid);
}

/** A worker-thread handle as far as this module needs it (ShardPool's ShardHandle). */
export interface WorkerLike {
  id: number;
  state: string;
  worker?: { threadId: number; performance: { eventLoopUtilization(a?: EventLoopUtilization): EventLoopUtilization } } | undefined;
}

interface Reading {
  t: number;
  cpu: NodeJS.CpuUsage;
  elu: EventLoopUtilization;
  machine: CpuTimes;
  /** Kernel threads at this reading (null: no /proc). */
  threads: OsThread[] | null;
  workers: Map<number, EventLoopUtilization>; // shard id -> ELU
}

export class ResourceSampler {
  private readonly readings: Reading[] = [];
  constructor(private readonly workers: () => readonly WorkerLike[]) {
    this.sample();
  }

  private read(): Reading {
    const workers = new Map<number, EventLoopUtilization>();
    for (const w of this.workers()) {
      try {
        if (w.worker && w.state !== 'down' && w.state !== 'stopped') workers.set(w.id, w.worker.performance.eventLoopUtilization());
      } catch {
        // worker already gone
      }
    }
    return {
      t: performance.now(),
      cpu: process.cpuUsage(),
      elu: performance.eventLoopUtilization(),
      machine: machineTimes(),
      threads: osThreads(),
      workers,
    };
  }

  sample(): void {
    this.readings.push(this.read());
    if (this.readings.length > KEEP) this.readings.shift();
  }

  /** The newest kept reading at least MIN_WINDOW_MS before `t` (else the oldest). */
  private refAt(t: number): Reading {
    let ref = this.readings[0]!;
    for (const r of this.readings) if (t - r.t >= MIN_WINDOW_MS) ref = r;
    return ref;
  }

  /** Every figure of the resources endpoint. */
  measure(): Record<string, unknown> {
    const now = this.read();
    const ref = this.refAt(now.t);
    const wallMs = now.t - ref.t;
    const windowS = round(wallMs / 1000, 3);
    const cores = os.availableParallelism();
    const proc = cpuPercent(ref.cpu, now.cpu, wallMs);
    const mem = process.memoryUsage();
    const heap = v8.getHeapStatistics();
    const elu = performance.eventLoopUtilization(now.elu, ref.elu);
    const steal = stealShare(ref.machine, now.machine);
    const threads = now.threads;
    const before = new Map((ref.threads ?? []).map((x) => [x.tid, x.cpu_ms]));
    return {
      cpu: {
        process_percent: round(proc, 2),
        process_percent_unit: 'percent of ONE core, all threads of the process (200 = two cores busy)',
        process_percent_of_machine: round(proc / cores, 2),
        user_percent: round(wallMs > 0 ? ((now.cpu.user - ref.cpu.user) / 1000 / wallMs) * 100 : 0, 2),
        system_percent: round(wallMs > 0 ? ((now.cpu.system - ref.cpu.system) / 1000 / wallMs) * 100 : 0, 2),
        window_s: windowS,
        cores,
      },
      memory: {
        rss_bytes: mem.rss,
        heap_used_bytes: mem.heapUsed,
        heap_total_bytes: mem.heapTotal,
        heap_limit_bytes: heap.heap_size_limit,
        external_bytes: mem.external,
        array_buffers_bytes: mem.arrayBuffers,
        rss_mb: round(mem.rss / 1048576, 1),
        host_total_bytes: os.totalmem(),
        host_free_bytes: os.freemem(),
      },
      event_loop: {
        utilization: round(elu.utilization, 4),
        utilization_window_s: windowS,
      },
      workers: this.workers().map((w) => {
        const a = now.workers.get(w.id);
        const b = ref.workers.get(w.id);
        const u = a && b ? workerElu(a, b) : null;
        return {
          name: `shard-${w.id}`,
          thread_name: w.worker ? `simex-shard-${w.id}` : null,
          thread_id: w.worker?.threadId ?? null,
          state: w.state,
          event_loop_utilization: u === null ? null : round(u, 4),
        };
      }),
      os_threads: threads === null ? null : {
        count: threads.length,
        note: 'kernel threads of this process (main, shard workers, libuv pool, V8 platform, inspector); Node 20 does not name them, so comm reads "node"',
        threads: threads.map((x) => {
          const prev = before.get(x.tid);
          return {
            tid: x.tid, comm: x.comm, state: x.state, cpu_ms_total: round(x.cpu_ms, 0),
            cpu_percent: prev === undefined || wallMs <= 0 ? null : round(((x.cpu_ms - prev) / wallMs) * 100, 1),
          };
        }),
        cpu_window_s: windowS,
      },
      host: {
        load_average: os.loadavg().map((x) => round(x, 2)),
        cores,
        cpu_busy_share: round(1 - idleShare(ref.machine, now.machine), 4),
        steal_share: steal === null ? null : round(steal, 4),
        steal_source: steal === null ? 'not reported by this OS (only Linux /proc/stat has steal)' : '/proc/stat steal ticks / all ticks',
        steal_warn_threshold: STEAL_WARN,
        window_s: windowS,
      },
      active_resources: countResources(),
    };
  }

  /** Host steal share over the measure() window (null: not Linux). For the alert rules. */
  steal(): { share: number | null; windowS: number } {
    const now = machineTimes();
    const t = performance.now();
    const ref = this.refAt(t);
    return { share: stealShare(ref.machine, now), windowS: (t - ref.t) / 1000 };
  }
}

function workerElu(a: EventLoopUtilization, b: EventLoopUtilization): number {
  const active = a.active - b.active;
  const idle = a.idle - b.idle;
  return active + idle > 0 ? active / (active + idle) : 0;
}

/** process.getActiveResourcesInfo() as {type: count} (timers, TCP handles, FS requests...). */
export function countResources(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}

export function round(v: number, d: number): number {
  const f = 10 ** d;
  return Math.round(v * f) / f;
}
