import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FrameWriter } from '../../src/protocol/codec.js';
import { LAYOUTS, MSG_SIZE, type FieldSpec } from '../../src/protocol/messages.js';
import { refreshDoc } from '../../src/protocol/doc-tables.js';
import { randomMessageOf, rng } from './gen.js';

function readField(dv: DataView, b: Uint8Array, f: FieldSpec): number | string {
  switch (f.kind) {
    case 'u8': return b[f.off]!;
    case 'u16': return dv.getUint16(f.off, true);
    case 'u32': return dv.getUint32(f.off, true);
    case 'u64': return Number(dv.getBigUint64(f.off, true));
    case 'i64': return Number(dv.getBigInt64(f.off, true));
    case 'sym16': return new TextDecoder().decode(b.subarray(f.off, f.off + 16)).replace(/\0+$/, '');
    case 'bytes32': return Buffer.from(b.subarray(f.off, f.off + 32)).toString('hex');
    case 'pad': return [...b.subarray(f.off, f.off + f.size)].every((x) => x === 0) ? 0 : -1;
  }
}

describe('LAYOUTS is the byte-level truth', () => {
  it('every layout is contiguous from offset 0 to its size, sizes match MSG_SIZE, types unique', () => {
    const types = new Set<number>();
    for (const l of LAYOUTS) {
      let o = 0;
      for (const f of l.fields) {
        expect(f.off, `${l.name}.${f.name}`).toBe(o);
        o += f.size;
      }
      expect(o, l.name).toBe(l.size);
      expect(l.size).toBe(MSG_SIZE[l.name]);
      expect(types.has(l.type)).toBe(false);
      types.add(l.type);
    }
  });

  it.each(LAYOUTS.map((l) => [l.name, l] as const))('%s: the codec writes each field at the documented offset', (_n, l) => {
    const r = rng(l.type + 1000);
    const w = new FrameWriter();
    for (let i = 0; i < 200; i++) {
      const m = randomMessageOf(r, l) as unknown as Record<string, unknown>;
      w.reset();
      w.write(m as never);
      const b = w.bytes();
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (const f of l.fields) {
        const got = readField(dv, b, f);
        if (f.name === 'length') expect(got).toBe(b.length);
        else if (f.name === 'type') expect(got).toBe(l.type);
        else if (f.kind === 'pad') expect(got, `${l.name} reserved at ${f.off}`).toBe(0);
        else if (f.name === 'count' && Array.isArray(m.instruments)) expect(got).toBe(m.instruments.length);
        else if (f.name === 'levelCount') expect(got).toBe((m.levels as unknown[]).length);
        else expect(got, `${l.name}.${f.name}`).toBe(m[f.name]);
      }
    }
  });

  it('docs/PROTOCOL.md contains the generated tables (regenerate with doc-tables.ts --write)', () => {
    const doc = readFileSync(new URL('../../docs/PROTOCOL.md', import.meta.url), 'utf8');
    expect(refreshDoc(doc)).toBe(doc);
  });
});
