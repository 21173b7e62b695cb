/**
 * CpuBurner: resource exhaustion inside the simex process, bounded in time.
 *
 * `workers` worker threads (named `simex-chaos-cpu-<n>`) each spin for `dutyPct`% of every
 * 100 ms period and sleep (Atomics.wait) for the rest, optionally holding `memoryMb` MiB of
 * touched memory. Every worker also carries its own deadline, so it exits by itself even if
 * the main thread never calls stop(). Measured: `busyMs` (sum of the workers' spin time, from
 * a shared counter) — the injection actually delivered, not the one requested.
 *
 * The worker source is inline (eval worker): it runs the same from src/ under vitest and from
 * dist/ in production.
 */
import { Worker } from 'node:worker_threads';
import os from 'node:os';

const WORKER_SRC = `
const { workerData } = require('node:worker_threads');
const { ctl, duty, deadline, memoryMb } = workerData;
const flags = new Int32Array(ctl, 0, 2);     // [0] stop flag
const acc = new Int32Array(ctl, 16, 2);      // [0] busy ms integer sum across workers
let hold = null;
if (memoryMb > 0) { hold = Buffer.alloc(memoryMb * 1048576); for (let i = 0; i < hold.length; i += 4096) hold[i] = 1; }
const PERIOD = 100;
let x = 0;
while (Atomics.load(flags, 0) === 0 && Date.now() < deadline) {
  const t0 = performance.now();
  const spin = PERIOD * duty;
  while (performance.now() - t0 < spin) { x = (x * 1103515245 + 12345) | 0; }
  Atomics.add(acc, 0, Math.round(performance.now() - t0));
  const rest = PERIOD - (performance.now() - t0);
  if (rest > 0) Atomics.wait(flags, 0, 0, rest);
}
if (hold) hold[0] = x & 1;
`;

export interface CpuBurnerOptions {
  workers: number;
  /** Busy share of each 100 ms period, 1..100. */
  dutyPct: number;
  /** Hard upper bound of the burn, ms (the workers' own deadline). */
  maxMs: number;
  memoryMb?: number;
}

export class CpuBurner {
  private readonly ctl = new SharedArrayBuffer(32);
  private readonly flags = new Int32Array(this.ctl, 0, 2);
  private readonly acc = new Int32Array(this.ctl, 16, 2);
  private workers: Worker[] = [];
  errors = 0;
  running = false;

  static maxWorkers(): number {
    return Math.max(1, os.availableParallelism?.() ?? os.cpus().length) * 2;
  }

  start(o: CpuBurnerOptions): void {
    if (this.running) return;
    const n = Math.max(1, Math.min(CpuBurner.maxWorkers(), Math.floor(o.workers)));
    const duty = Math.max(0.01, Math.min(1, o.dutyPct / 100));
    const deadline = Date.now() + Math.max(0, o.maxMs);
    Atomics.store(this.flags, 0, 0);
    this.running = true;
    for (let i = 0; i < n; i++) {
      const w = new Worker(WORKER_SRC, {
        eval: true, name: `simex-chaos-cpu-${i}`,
        workerData: { ctl: this.ctl, duty, deadline, memoryMb: Math.max(0, Math.min(1024, o.memoryMb ?? 0)) },
      });
      w.on('error', () => {
        this.errors++;
      });
      w.unref();
      this.workers.push(w);
    }
  }

  /** Sum of the workers' measured spin time, ms. */
  get busyMs(): number {
    return Atomics.load(this.acc, 0);
  }

  get workerCount(): number {
    return this.workers.length;
  }

  /** Stop every worker (flag + wake), terminating any that has not exited within 1 s. */
  async stop(): Promise<void> {
    Atomics.store(this.flags, 0, 1);
    Atomics.notify(this.flags, 0);
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => new Promise<void>((resolve) => {
      const t = setTimeout(() => void w.terminate().then(() => resolve(), () => resolve()), 1000);
      w.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      if (w.threadId === -1) {
        clearTimeout(t);
        resolve();
      }
    })));
    this.running = false;
  }
}
