/**
 * Shard wake-up path without WebSockets: the I/O-thread side of ShardPool against one real
 * shard worker (native engine unless ENGINE says otherwise), measuring
 *   1. ping-pong: one command, wait for its result, repeat (pure wake-up round trip);
 *   2. paced: 100 commands every 1 ms (~100k/s, setInterval), CPU per command (process
 *      CPU = both threads);
 *   3. pipelined: up to 4096 commands in flight for 2 s (throughput, CPU per command).
 * Commands alternate NEW (resting buy) / CANCEL of it, so the book stays small.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/shard-roundtrip.js [--json]
 *
 * Latency includes the scheduler of whatever else runs on the machine: compare builds
 * back to back, interleaved, on the same machine.
 */
import { ShardPool, type ShardSink } from '../src/shard/pool.js';
import { InOff } from '../src/shard/types.js';
import { CommandWriter } from '../src/engine/codec.js';
import { DEFAULT_INSTRUMENTS } from '../src/engine/instruments.js';

let done = 0;
let waiter: (() => void) | null = null;
const sink: ShardSink = {
  onResult(_s, _t, _d, _u8, _o, _n, final) { if (final) done++; },
  onDrainEnd() { if (waiter) { const w = waiter; waiter = null; w(); } },
  onShardDown() {},
  onShardMetrics() {},
};
const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const pool = new ShardPool({ shards: 1, instruments: DEFAULT_INSTRUMENTS, engineKind: process.env.ENGINE ?? 'native', logger: quiet, sink });
await pool.start();
const w = new CommandWriter(4);
let id = 1;
function put(n: number): number {
  const h = pool.shards[0]!;
  let i = 0;
  for (; i < n; i++) {
    w.reset();
    const oid = id++;
    if (oid % 2) w.newOrder({ book: 0, orderId: oid, owner: 1, side: 0, price: 4_000_000 + (oid % 100), qty: 100 });
    else w.cancel({ book: 0, orderId: oid - 1, owner: 1 });
    const off = pool.reserveCommand(0);
    if (off < 0) break;
    h.inRing.u8.set(w.bytes(), off + InOff.cmd);
    h.inRing.dv.setUint32(off + InOff.token, pool.lastToken, true);
  }
  pool.flush();
  return i;
}
const wait = () => new Promise<void>((r) => { waiter = r; });
const cpuUs = (c: NodeJS.CpuUsage) => c.user + c.system;

const N = 20_000;
const lat = new Float64Array(N);
let c0 = process.cpuUsage();
for (let i = 0; i < N; i++) {
  const t = performance.now();
  const target = done + 1;
  put(1);
  while (done < target) await wait();
  lat[i] = performance.now() - t;
}
const pingCpu = cpuUs(process.cpuUsage(c0)) / N;
lat.sort();
const pingpong = { p50_us: lat[N >> 1]! * 1000, p99_us: lat[Math.floor(N * 0.99)]! * 1000, cpu_us_per_cmd: pingCpu };

let start = done;
c0 = process.cpuUsage();
let t0 = performance.now();
let sent = 0;
await new Promise<void>((res) => {
  const iv = setInterval(() => {
    sent += put(100);
    if (performance.now() - t0 > 3000) { clearInterval(iv); res(); }
  }, 1);
});
while (done - start < sent) await wait();
let el = performance.now() - t0;
const paced = { rate: (sent / el) * 1000, cpu_us_per_cmd: cpuUs(process.cpuUsage(c0)) / sent, cpu_percent: cpuUs(process.cpuUsage(c0)) / el / 10 };

start = done;
c0 = process.cpuUsage();
t0 = performance.now();
sent = 0;
while (performance.now() - t0 < 2000) {
  const room = 4096 - (sent - (done - start));
  if (room > 0) sent += put(Math.min(room, 256));
  await wait();
}
while (done - start < sent) await wait();
el = performance.now() - t0;
const pipelined = { rate: (sent / el) * 1000, cpu_us_per_cmd: cpuUs(process.cpuUsage(c0)) / sent };
await pool.stop();

const r = { bench: 'shard-roundtrip', engine: pool.shards[0]!.implementation, pingpong, paced, pipelined };
if (process.argv.includes('--json')) console.log(JSON.stringify(r));
else {
  console.log(`ping-pong: p50 ${pingpong.p50_us.toFixed(1)} µs, p99 ${pingpong.p99_us.toFixed(1)} µs, CPU ${pingpong.cpu_us_per_cmd.toFixed(1)} µs/command`);
  console.log(`paced ~100k/s: ${paced.rate.toFixed(0)} commands/s, CPU ${paced.cpu_us_per_cmd.toFixed(2)} µs/command (${paced.cpu_percent.toFixed(0)}% of a core)`);
  console.log(`pipelined: ${pipelined.rate.toFixed(0)} commands/s, CPU ${pipelined.cpu_us_per_cmd.toFixed(2)} µs/command`);
}
