/**
 * Dependent random-access latency (pointer chase) over buffers of a few sizes: the cost of
 * one cache miss at each level of this machine's memory hierarchy. Printed in the benchmark
 * header because the engines' per-op cost at 100k-1M resting orders is dominated by such
 * misses (id hash slot, order record, FIFO and owner-list neighbours are unrelated lines).
 * Cost: ~0.5 s, 256 MiB transiently.
 */
import { Prng } from './prng.js';

export interface ChaseResult { bytes: number; ns: number }

/** Average ns per dependent load over a random cyclic permutation of 64-byte lines. */
export function pointerChase(bytes: number, loads = 2_000_000): number {
  const lines = Math.max(2, Math.floor(bytes / 64));
  const words = new Int32Array(lines * 16); // one int32 used per 64-byte line
  const order = new Int32Array(lines);
  for (let i = 0; i < lines; i++) order[i] = i;
  const rng = new Prng(7);
  for (let i = lines - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i]!; order[i] = order[j]!; order[j] = t;
  }
  for (let i = 0; i < lines; i++) words[order[i]! * 16] = order[(i + 1) % lines]! * 16;
  let p = 0;
  for (let i = 0; i < Math.min(loads, lines); i++) p = words[p]!; // touch every page once
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < loads; i++) p = words[p]!;
  const ns = Number(process.hrtime.bigint() - t0) / loads;
  if (p === -1) throw new Error('unreachable'); // keeps the chase live
  return Math.round(ns * 10) / 10;
}

export function memoryLatencies(): ChaseResult[] {
  return [32 * 1024, 512 * 1024, 8 * 2 ** 20, 256 * 2 ** 20].map((bytes) => ({ bytes, ns: pointerChase(bytes) }));
}

export function fmtLatencies(rs: ChaseResult[]): string {
  const size = (b: number): string => (b >= 2 ** 20 ? `${b / 2 ** 20} MiB` : `${b / 1024} KiB`);
  return rs.map((r) => `${size(r.bytes)} ${r.ns} ns`).join(', ');
}
