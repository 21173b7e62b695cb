// LOGIN with and without a credential on the wire: 32 bytes stays valid and carries none;
// 72 bytes carries authTs + authMac at the offsets LAYOUTS' LOGIN extension gives; 33..71
// bytes carries none (longer-is-valid rule); a bad authTs is VALUE_OUT_OF_RANGE.
import { describe, expect, it } from 'vitest';
import { AUTH_MAC_BYTES, loginMac, nextAuthTs, verifyLoginMac, secretKey } from '../../src/protocol/auth.js';
import { FrameWriter, decodeFrame } from '../../src/protocol/codec.js';
import { LAYOUTS, LOGIN_SIGNED_SIZE, MSG_SIZE, MsgType, type Login, type DecodeError } from '../../src/protocol/messages.js';
import { EdgeReason } from '../../src/protocol/reasons.js';

const base = { protocolVersion: 1, sessionId: 77, nextExpectedSeq: 3, account: 9 };

function encode(m: Omit<Login, 'type'>): Uint8Array {
  const w = new FrameWriter();
  w.login(m);
  return w.take();
}

describe('LOGIN credential fields', () => {
  it('LAYOUTS: the LOGIN extension is contiguous from 32 to LOGIN_SIGNED_SIZE (72)', () => {
    const l = LAYOUTS.find((x) => x.type === MsgType.LOGIN)!;
    expect(l.size).toBe(MSG_SIZE.LOGIN);
    expect(l.size).toBe(32);
    expect(l.ext?.size).toBe(LOGIN_SIGNED_SIZE);
    let o = l.size;
    for (const f of l.ext!.fields) {
      expect(f.off).toBe(o);
      o += f.size;
    }
    expect(o).toBe(72);
    expect(l.ext!.fields.map((f) => f.name)).toEqual(['authTs', 'authMac']);
  });

  it('without a credential the writer emits 32 bytes and the reader adds no credential fields', () => {
    const b = encode(base);
    expect(b.length).toBe(32);
    const [m] = decodeFrame(b);
    expect(m).toStrictEqual({ type: MsgType.LOGIN, ...base });
  });

  it('with one: 72 bytes, authTs (i64) at 32 and authMac at 40, decoded back', () => {
    const mac = loginMac('k'.repeat(32), base.sessionId, base.account, 1_764_547_200_123_456);
    for (const authTs of [1_764_547_200_123_456, 0, -5, -(2 ** 53 - 1), 2 ** 53 - 1]) {
      const b = encode({ ...base, authTs, authMac: mac });
      expect(b.length).toBe(72);
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      expect(dv.getUint16(0, true)).toBe(72);
      expect(Number(dv.getBigInt64(32, true))).toBe(authTs);
      expect(Buffer.from(b.subarray(40, 72)).equals(Buffer.from(mac))).toBe(true);
      const [m] = decodeFrame(b) as Login[];
      expect(m!.authTs).toBe(authTs);
      expect(Buffer.from(m!.authMac!).equals(Buffer.from(mac))).toBe(true);
      expect(m!.account).toBe(base.account);
    }
  });

  it('the decoded authMac is a copy: reusing the frame buffer does not change it', () => {
    const mac = new Uint8Array(AUTH_MAC_BYTES).fill(7);
    const b = Buffer.from(encode({ ...base, authTs: 1, authMac: mac }));
    const [m] = decodeFrame(b) as Login[];
    b.fill(0);
    expect([...m!.authMac!]).toEqual([...mac]);
  });

  it('a LOGIN of 33..71 bytes decodes with no credential; the next message still decodes', () => {
    for (const len of [33, 40, 71]) {
      const b = new Uint8Array(len + 4);
      b.set(encode(base));
      new DataView(b.buffer).setUint16(0, len, true);
      b.fill(0xab, 32, len);
      b.set([4, 0, MsgType.LOGOUT, 0], len);
      const ms = decodeFrame(b);
      expect(ms).toHaveLength(2);
      expect(ms[0]).toStrictEqual({ type: MsgType.LOGIN, ...base });
      expect(ms[1]!.type).toBe(MsgType.LOGOUT);
    }
  });

  it('a LOGIN longer than 72 bytes carries the credential and is skipped to its length', () => {
    const mac = new Uint8Array(32).fill(1);
    const b = new Uint8Array(80 + 4);
    b.set(encode({ ...base, authTs: 99, authMac: mac }));
    new DataView(b.buffer).setUint16(0, 80, true);
    b.set([4, 0, MsgType.LOGOUT, 0], 80);
    const ms = decodeFrame(b) as Login[];
    expect(ms[0]!.authTs).toBe(99);
    expect(ms[1]!.type).toBe(MsgType.LOGOUT);
  });

  it('authTs beyond +-(2^53-1) is VALUE_OUT_OF_RANGE (field authTs)', () => {
    const b = encode({ ...base, authTs: 0, authMac: new Uint8Array(32) });
    new DataView(b.buffer, b.byteOffset).setBigInt64(32, 2n ** 60n, true);
    const [e] = decodeFrame(b) as DecodeError[];
    expect(e!.type).toBe(MsgType.DECODE_ERROR);
    expect(e!.code).toBe(EdgeReason.VALUE_OUT_OF_RANGE);
    expect(e!.field).toBe('authTs');
  });

  it('verifyLoginMac: true for the right key and fields only; a MAC of another length is false', () => {
    const key = secretKey('s'.repeat(40));
    const mac = loginMac(key, 5, 6, 7);
    expect(verifyLoginMac(key, 5, 6, 7, mac)).toBe(true);
    expect(verifyLoginMac(secretKey('t'.repeat(40)), 5, 6, 7, mac)).toBe(false);
    expect(verifyLoginMac(key, 5, 6, 8, mac)).toBe(false);
    expect(verifyLoginMac(key, 5, 6, 7, mac.subarray(0, 31))).toBe(false);
    expect(verifyLoginMac(key, 5, 6, 7, new Uint8Array(0))).toBe(false);
  });

  it('nextAuthTs is wall-clock µs and strictly increasing per account', () => {
    const before = Date.now() * 1000;
    const xs = Array.from({ length: 1000 }, () => nextAuthTs(123));
    for (let i = 1; i < xs.length; i++) expect(xs[i]!).toBeGreaterThan(xs[i - 1]!);
    expect(xs[0]!).toBeGreaterThanOrEqual(before);
    expect(Math.abs(xs[0]! - Date.now() * 1000)).toBeLessThan(60_000_000);
  });
});
