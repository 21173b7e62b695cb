// Quick throughput check of the native addon on the "mix" workload (adds near the touch,
// ~40% cancels, ~5% marketable), batched. Not the official benchmark (bench/engine.ts).
// Usage: node native/bench/mix.mjs [resting=1000,100000,1000000] [ops=2000000] [batch=1024]
// The command stream is generated outside the timed region by replaying it through a
// separate engine instance (so cancels target orders that are really live).
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const addon = require('../../build/Release/simex_engine.node');

const restingList = (process.argv[2] ?? '1000,100000,1000000').split(',').map(Number);
const OPS = Number(process.argv[3] ?? 2_000_000);
const BATCH = Number(process.argv[4] ?? 1024);
const SPEC = { tickSize: 1, lotSize: 100, minQty: 100, maxQty: 1e9, minPrice: 1, maxPrice: 1e10,
  bandBps: 0, maxOrders: 4_194_304 };
const MID = 5_000_000;

let seed = 12345;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);

function cmd(dv, i, type, side, ordType, tif, id, price, qty, owner) {
  const o = i * 48;
  dv.setUint8(o, type); dv.setUint8(o + 1, side); dv.setUint8(o + 2, ordType); dv.setUint8(o + 3, tif);
  dv.setUint8(o + 4, 0); dv.setUint8(o + 5, 0); dv.setUint16(o + 6, 0, true); dv.setUint32(o + 8, owner, true);
  dv.setUint32(o + 12, 0, true); dv.setBigInt64(o + 16, BigInt(i), true);
  dv.setBigInt64(o + 24, BigInt(id), true); dv.setBigInt64(o + 32, BigInt(price), true);
  dv.setBigInt64(o + 40, BigInt(qty), true);
}

function build(resting) {
  const gen = new addon.Engine(); gen.addBook(SPEC);
  const live = []; const pos = new Map(); let nextId = 1;
  const addLive = (id) => { pos.set(id, live.length); live.push(id); };
  const dropLive = (id) => { const p = pos.get(id); if (p === undefined) return; const last = live.pop(); if (last !== id) { live[p] = last; pos.set(last, p); } pos.delete(id); };
  const one = new Uint8Array(48); const odv = new DataView(one.buffer);
  const apply = () => { // track makers removed by fills
    const n = gen.process(one, 1); const ev = new DataView(gen.events());
    for (let k = 0; k < n; k++) { const t = ev.getUint8(k * 80); if (t === 3 && ev.getBigInt64(k * 80 + 64, true) === 0n) dropLive(Number(ev.getBigInt64(k * 80 + 32, true))); }
  };
  // initial book: resting orders spread over 2000 ticks each side
  const init = new Uint8Array(resting * 48); const idv = new DataView(init.buffer);
  for (let i = 0; i < resting; i++) {
    const side = i & 1; const k = 1 + Math.floor(rnd() * 2000);
    cmd(idv, i, 1, side, 0, 0, nextId, side === 0 ? MID - k : MID + k, 100 * (1 + Math.floor(rnd() * 10)), 1 + (i % 50));
    addLive(nextId++);
  }
  for (let i = 0; i < resting; i += 4096) gen.process(init.subarray(i * 48), Math.min(4096, resting - i));
  const ops = new Uint8Array(OPS * 48); const dv = new DataView(ops.buffer);
  let cancels = 0, mkt = 0;
  for (let i = 0; i < OPS; i++) {
    const u = rnd();
    const bb = gen.bestBid(0)?.price ?? MID - 1, ba = gen.bestAsk(0)?.price ?? MID + 1;
    if (u < 0.40 && live.length > 0) {
      const id = live[Math.floor(rnd() * live.length)];
      cmd(dv, i, 2, 0, 0, 0, id, 0, 0, gen.order(0, id).owner); dropLive(id); cancels++;
    } else if (u < 0.45) {
      const side = rnd() < 0.5 ? 0 : 1;
      cmd(dv, i, 1, side, 0, 1, nextId++, side === 0 ? ba + 2 : bb - 2, 100 * (1 + Math.floor(rnd() * 20)), 1 + (i % 50)); mkt++;
    } else {
      const side = rnd() < 0.5 ? 0 : 1; const k = Math.floor(rnd() * rnd() * 50);
      cmd(dv, i, 1, side, 0, 0, nextId, side === 0 ? Math.min(bb + 1, ba - 1) - k : Math.max(ba - 1, bb + 1) + k, 100 * (1 + Math.floor(rnd() * 10)), 1 + (i % 50));
      addLive(nextId++);
    }
    one.set(ops.subarray(i * 48, i * 48 + 48)); apply();
  }
  return { init, ops, cancels, mkt, endResting: gen.stats(0).orders };
}

for (const resting of restingList) {
  const w = build(resting);
  const results = [];
  for (let rep = 0; rep < 3; rep++) {
    const e = new addon.Engine(); e.addBook(SPEC);
    for (let i = 0; i < resting; i += 4096) e.process(w.init.subarray(i * 48), Math.min(4096, resting - i));
    let events = 0;
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < OPS; i += BATCH) events += e.process(w.ops.subarray(i * 48), Math.min(BATCH, OPS - i));
    const ns = Number(process.hrtime.bigint() - t0);
    const cpu = process.cpuUsage(c0);
    results.push({ opsPerSec: OPS / (ns / 1e9), cpuOpsPerSec: OPS / ((cpu.user + cpu.system) / 1e6), events, mem: e.memoryBytes(0), orders: e.stats(0).orders });
  }
  results.sort((a, b) => b.opsPerSec - a.opsPerSec);
  const r = results[1];
  console.log(`native-batch resting=${resting} ops=${OPS} batch=${BATCH} median ${(r.opsPerSec / 1e6).toFixed(2)}M ops/s ` +
    `(best ${(results[0].opsPerSec / 1e6).toFixed(2)}M; on-CPU ${(r.cpuOpsPerSec / 1e6).toFixed(2)}M) events/op=${(r.events / OPS).toFixed(2)} cancels=${(w.cancels / OPS * 100).toFixed(1)}% ` +
    `marketable=${(w.mkt / OPS * 100).toFixed(1)}% resting end=${r.orders} bytes/order=${(r.mem / r.orders).toFixed(0)}`);
}
