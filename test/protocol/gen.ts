/**
 * Seeded random generators of valid protocol messages (test helper, not a test file).
 * Values are built from LAYOUTS so every field of every type is exercised, with a bias
 * towards boundary values (0, 1, 2^32 +- 1, 2^53 - 1).
 */
import { Prng } from '../../bench/lib/prng.js';
import { LAYOUTS, MsgType, MAX_SUBSCRIBE_IDS, type Message, type LayoutSpec } from '../../src/protocol/messages.js';

export type Rng = () => number;

/** Seeded [0, 1) source (the benchmarks' xoshiro128**, bench/lib/prng.ts). */
export function rng(seed: number): Rng {
  const p = new Prng(seed);
  return () => p.float();
}

export function int(r: Rng, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

const EDGE_U64 = [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1];
/** 0 .. 2^53-1 with every bit random (two 32-bit draws: one draw alone has 32 bits). */
function u64(r: Rng): number {
  if (r() < 0.3) return EDGE_U64[int(r, 0, EDGE_U64.length - 1)]!;
  return int(r, 0, 0x1fffff) * 2 ** 32 + int(r, 0, 0xffffffff);
}
function i64(r: Rng): number {
  const v = u64(r);
  return r() < 0.3 && v !== 0 ? -v : v;
}

/** Valid value range of an enum-like field of a given type, or undefined for plain ints. */
function enumRange(type: number, name: string): [number, number] | undefined {
  switch (name) {
    case 'side':
    case 'aggressorSide':
    case 'ordType':
    case 'status':
      return [0, 1];
    case 'tif':
      return [0, 2];
    case 'stp':
      return [0, 4];
    case 'liquidity':
      return [1, 2];
    case 'requestType':
      return [MsgType.NEW_ORDER, MsgType.MASS_CANCEL];
    case 'flags':
      return type === MsgType.UNSUBSCRIBE ? [0, 0] : [0, 1];
    case 'reason':
      return type === MsgType.CANCELLED || type === MsgType.REDUCED ? [1, 5] : undefined;
  }
  return undefined;
}

const SYM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export function randomMessageOf(r: Rng, layout: LayoutSpec): Message {
  const m: Record<string, unknown> = { type: layout.type };
  for (const f of layout.fields) {
    if (f.kind === 'pad' || f.name === 'length' || f.name === 'type' || (f.name === 'count' && layout.type !== MsgType.MASS_CANCEL_ACK) || f.name === 'levelCount') continue;
    const e = enumRange(layout.type, f.name);
    if (e) { m[f.name] = int(r, e[0], e[1]); continue; }
    switch (f.kind) {
      case 'u8': m[f.name] = int(r, 0, 255); break;
      case 'u16': m[f.name] = int(r, 0, 65535); break;
      case 'u32': m[f.name] = r() < 0.2 ? 4294967295 : int(r, 0, 4294967295); break;
      case 'u64': m[f.name] = u64(r); break;
      case 'i64': m[f.name] = i64(r); break;
      case 'sym16': {
        let s = '';
        const n = int(r, 1, 16);
        for (let i = 0; i < n; i++) s += SYM[int(r, 0, SYM.length - 1)];
        m[f.name] = s;
        break;
      }
    }
  }
  if (layout.type === MsgType.SUBSCRIBE || layout.type === MsgType.UNSUBSCRIBE) {
    const n = r() < 0.05 ? MAX_SUBSCRIBE_IDS : int(r, 1, 8);
    m.instruments = Array.from({ length: n }, () => int(r, 0, 65535));
  }
  if (layout.type === MsgType.NOTICE || layout.type === MsgType.DISCONNECT) {
    const words = ['', 'slow consumer', 'ünïcødé ✓', 'x'.repeat(int(r, 0, 300))];
    m.text = words[int(r, 0, words.length - 1)];
  }
  if (layout.type === MsgType.SNAPSHOT) {
    const n = r() < 0.05 ? 2048 : int(r, 0, 10);
    m.levels = Array.from({ length: n }, () => ({
      side: int(r, 0, 1), orders: int(r, 0, 4294967295), price: i64(r), qty: i64(r),
    }));
  }
  return m as unknown as Message;
}

export function randomMessage(r: Rng): Message {
  return randomMessageOf(r, LAYOUTS[int(r, 0, LAYOUTS.length - 1)]!);
}
