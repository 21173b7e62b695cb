/**
 * What a live engine migration costs the shard (src/shard/migration.ts): one ShardCore, one
 * book (BTCUSD, the `mix` workload of bench/workloads.ts, inputs built before timing), fed
 * through its real rings and drained, in three runs per primary engine kind:
 *   off      nothing migrating (the drain's fast path; the baseline)
 *   shadow   the book shadowing in the other engine kind at 100% (never cutting over)
 *   cut      the book cut over to the other engine kind (routed path, no shadow)
 * Prints, per run, shard drain time per command (ring in + engine + ring out, wall clock)
 * and, for `shadow`, the migrator's own measured split: source engine, shadow engine and
 * the whole extra time per compared command.
 *
 * One primary kind per process (so neither run's JIT feedback sees the other's engine):
 *   npx tsc -p tsconfig.json && node dist/bench/migration-shadow.js native|ts [ops=200000] [resting=10000]
 * The migrator's figures are taken over the timed segment only (status before and after).
 */
import { ShardCore } from '../src/shard/core.js';
import { RingConsumer, RingProducer, createRingBuffer } from '../src/shard/ring.js';
import { IN_CMD, IN_CMD_BYTES, InOff } from '../src/shard/types.js';
import { CommandWriter } from '../src/engine/codec.js';
import { CMD_SIZE } from '../src/engine/layout.js';
import { DEFAULT_INSTRUMENTS } from '../src/engine/instruments.js';
import { loadNativeEngine } from '../src/engine/native.js';
import { generateMix, writeCommands } from './workloads.js';

const KIND = process.argv[2] ?? 'native';
const OPS = Number(process.argv[3] ?? 200_000);
const RESTING = Number(process.argv[4] ?? 10_000);
const CHUNK = 2000;

const wl = generateMix({ name: 'mix', seed: 7, resting: RESTING, ops: OPS });
const w = new CommandWriter(wl.count);
writeCommands(wl, 0, wl.count, w, 0);
const cmds = w.bytes().slice();

function feed(core: ShardCore, prod: RingProducer, cons: RingConsumer, from: number, to: number, token: { n: number }): void {
  for (let i = from; i < to;) {
    const end = Math.min(to, i + CHUNK);
    for (; i < end; i++) {
      const off = prod.reserve(IN_CMD, IN_CMD_BYTES);
      prod.u8.set(cmds.subarray(i * CMD_SIZE, (i + 1) * CMD_SIZE), off + InOff.cmd);
      prod.dv.setUint32(off + InOff.token, token.n++, true);
    }
    prod.publish();
    core.drain();
    cons.poll(() => {});
  }
}

function run(kind: string, mode: 'off' | 'shadow' | 'cut'): Record<string, unknown> {
  const inSab = createRingBuffer(1 << 20);
  const outSab = createRingBuffer(1 << 23);
  const core = new ShardCore(0, DEFAULT_INSTRUMENTS, kind, inSab, outSab);
  const prod = new RingProducer(inSab);
  const cons = new RingConsumer(outSab);
  const token = { n: 0 };
  feed(core, prod, cons, 0, wl.prefill, token);
  if (mode !== 'off') core.migrationControl({ op: 'percentage', book: 0, percentage: 100, verifyCommands: mode === 'cut' ? 0 : 1e12 });
  const warm = Math.min(20_000, Math.floor(OPS / 10));
  feed(core, prod, cons, wl.prefill, wl.prefill + warm, token);
  const r0 = core.migrationStatus()?.rows[0];
  const t0 = process.hrtime.bigint();
  feed(core, prod, cons, wl.prefill + warm, wl.count, token);
  const ns = Number(process.hrtime.bigint() - t0) / (wl.count - wl.prefill - warm);
  const row = core.migrationStatus()?.rows[0];
  // Per-command averages over the timed segment from the cumulative averages before/after.
  const seg = (f: 'source_engine_ns_per_command' | 'shadow_engine_ns_per_command' | 'extra_ns_per_command') =>
    Math.round(((row![f] ?? 0) * row!.commands_compared - (r0![f] ?? 0) * r0!.commands_compared) / (row!.commands_compared - r0!.commands_compared));
  return {
    engine: kind, mode, drain_ns_per_command: Math.round(ns),
    ...(mode === 'shadow' && row && r0 ? {
      source_engine_ns: seg('source_engine_ns_per_command'), shadow_engine_ns: seg('shadow_engine_ns_per_command'),
      extra_ns: seg('extra_ns_per_command'), compared: row.commands_compared - r0.commands_compared, mismatches: row.mismatches,
    } : {}),
    ...(mode === 'cut' && row ? { state: row.state, owner: row.engine } : {}),
  };
}

console.log(`migration-shadow: primary ${KIND}, mix seed 7, ${RESTING} resting, ${OPS} ops (first ${Math.min(20_000, Math.floor(OPS / 10))} `
  + `warm-up), node ${process.version}`);
if (!loadNativeEngine().ok) {
  console.log('native addon not built: there is no other engine kind, nothing to shadow');
  process.exit(0);
}
for (const mode of ['off', 'shadow', 'cut'] as const) console.log(JSON.stringify(run(KIND, mode)));
