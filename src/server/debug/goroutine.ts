/**
 * Node's closest equivalents of Go's /debug/pprof/goroutine and /debug/pprof/mutex, for
 * runbooks written against a Go service (seed 004: `goroutine?debug=1 | head -20`,
 * `mutex > mutex.prof`).
 *
 * goroutine: Node has no goroutines; what a Go operator looks for there (how many units of
 * concurrency, are they piling up, what are they waiting on) is here, as text:
 *   - the JavaScript threads: main + the profiler registry's workers (shard-<n>), with the
 *     shard pool's state when the server passes it;
 *   - the kernel threads of the process from /proc/self/task (main, shard workers, libuv
 *     pool, V8 platform workers, inspector), with state and CPU time;
 *   - process.getActiveResourcesInfo(): the main thread's pending handles and requests by
 *     type (a growing count is Node's "goroutine leak").
 * There are no per-thread stacks: V8 gives a stack only of the calling thread; use
 * /debug/pprof/profile for where time goes.
 *
 * mutex: JavaScript has no mutexes (one thread per isolate; shards communicate through
 * lock-free rings and Atomics), so there is no contention profile to serve; the body says
 * so and names what measures waiting on this machine (bpf/offcpu.bt, bpf/runqlat.bt).
 */
import { countResources, osThreads } from '../admin/resources.js';

export interface ThreadInfo {
  name: string;
  detail?: string;
}

/** The goroutine?debug=1 text. `threads` = JS thread names ("main" first). */
export function goroutineText(threads: readonly ThreadInfo[]): string {
  const os = osThreads();
  const res = countResources();
  const resTotal = Object.values(res).reduce((a, b) => a + b, 0);
  const lines: string[] = [];
  lines.push(`threads: total ${os ? os.length : 'unknown'} kernel threads, ${threads.length} JavaScript threads (Node ${process.version}, pid ${process.pid})`);
  lines.push('');
  lines.push(`# JavaScript threads (each its own V8 isolate and event loop): ${threads.length}`);
  for (const t of threads) lines.push(`${t.name}${t.detail ? `  ${t.detail}` : ''}`);
  lines.push('');
  lines.push(`# active resources on the main thread (process.getActiveResourcesInfo): ${resTotal}`);
  for (const [k, n] of Object.entries(res).sort((a, b) => b[1] - a[1])) lines.push(`${n} @ ${k}`);
  lines.push('');
  if (os) {
    lines.push(`# kernel threads (/proc/self/task): ${os.length}`);
    lines.push('# tid  state  cpu_ms  comm   (main thread = pid; Node 20 leaves comm "node" for all)');
    for (const t of os) lines.push(`${t.tid}  ${t.state}  ${Math.round(t.cpu_ms)}  ${t.comm}${t.tid === process.pid ? '  [main]' : ''}`);
  } else lines.push('# kernel threads: /proc not available on this OS');
  lines.push('');
  lines.push('# no per-thread stacks: use /debug/pprof/profile?thread=all (CPU) or bpf/offcpu.bt (blocking)');
  return lines.join('\n') + '\n';
}

export const MUTEX_EXPLANATION = {
  supported: false,
  error: 'Node.js has no mutex contention profile: JavaScript runs one thread per isolate and simex shards exchange work through lock-free rings (Atomics), so there are no JS locks to sample',
  code: 'NO_MUTEX_PROFILE',
  equivalents: [
    { what: 'where threads wait (futex in Atomics.wait / libuv pool, epoll, page faults), per thread and stack', how: 'sudo bpftrace bpf/offcpu.bt $(pgrep -f "simex.js start")' },
    { what: 'CPU saturation: runnable threads waiting for a core (scheduler run-queue latency)', how: 'sudo bpftrace bpf/runqlat.bt $(pgrep -f "simex.js start")' },
    { what: 'event-loop stalls of the I/O thread', how: 'sudo bpftrace bpf/event-loop-stalls.bt PID, or GET /admin/system/resources (event_loop)' },
    { what: 'CPU time per thread', how: 'GET /debug/pprof/profile?seconds=10&thread=all' },
  ],
} as const;
