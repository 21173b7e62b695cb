/**
 * The generator's hot encoder: NEW_ORDER and CANCEL messages (protocol v1, docs/PROTOCOL.md)
 * written straight into the Buffer that becomes the WebSocket frame, then framed and masked
 * in place — one allocation (a Buffer pool slice) and one DataView per frame, nothing per
 * order, no intermediate copy.
 *
 * Bytes: identical to src/protocol's FrameWriter.newOrder/cancel (test/loadgen/order-frame
 * compares them). Offsets are checked against the protocol's LAYOUTS when this module
 * loads, so a layout change fails loudly here instead of sending wrong bytes.
 *
 * Buffer layout while building: [0, PAYLOAD_AT) reserved for the WebSocket header (2 + 8 +
 * 4 bytes at most), payload from PAYLOAD_AT (a multiple of 8, so the in-place mask can run
 * on 32-bit words: Node's pool hands out 8-byte-aligned slices).
 */
import { randomFillSync } from 'node:crypto';
import { LAYOUT_BY_TYPE, MSG_SIZE, MsgType } from '../protocol/messages.js';

export const PAYLOAD_AT = 16;
const TWO32 = 4294967296;

function off(type: number, field: string): number {
  const f = LAYOUT_BY_TYPE.get(type)?.fields.find((x) => x.name === field);
  if (!f) throw new Error(`protocol layout has no ${field} in message type ${type}`);
  return f.off;
}

/** Offsets this encoder writes; checked against LAYOUTS below. */
const NO = { instrument: 4, side: 6, ordType: 7, tif: 8, flags: 9, stp: 10, clOrdId: 16, price: 24, qty: 32 } as const;
const CX = { instrument: 4, clOrdId: 8, origClOrdId: 16, orderId: 24 } as const;
export const NEW_ORDER_BYTES = 40;
export const CANCEL_BYTES = 32;
for (const [k, v] of Object.entries(NO)) {
  if (off(MsgType.NEW_ORDER, k) !== v) throw new Error(`NEW_ORDER.${k} moved: the loadgen encoder (order-frame.ts) needs updating`);
}
for (const [k, v] of Object.entries(CX)) {
  if (off(MsgType.CANCEL, k) !== v) throw new Error(`CANCEL.${k} moved: the loadgen encoder (order-frame.ts) needs updating`);
}
if (MSG_SIZE.NEW_ORDER !== NEW_ORDER_BYTES || MSG_SIZE.CANCEL !== CANCEL_BYTES) throw new Error('NEW_ORDER/CANCEL size changed: update order-frame.ts');
if (off(MsgType.NEW_ORDER, 'length') !== 0 || off(MsgType.NEW_ORDER, 'type') !== 2) throw new Error('message header changed: update order-frame.ts');

/** Header word (u16 length | u8 type << 16 | reserved 0), little-endian. */
const NO_HEAD = NEW_ORDER_BYTES | (MsgType.NEW_ORDER << 16);
const CX_HEAD = CANCEL_BYTES | (MsgType.CANCEL << 16);

/** A frame buffer with room for `maxPayload` payload bytes. */
export function newFrameBuffer(maxPayload: number): Buffer {
  return Buffer.allocUnsafe(PAYLOAD_AT + maxPayload);
}

/** NEW_ORDER at byte `o` of `b` (dv views b); flags and stp 0. Returns the next offset. */
export function putNewOrder(
  b: Buffer, dv: DataView, o: number, instrument: number, side: number, ordType: number, tif: number, clOrdId: number, price: number, qty: number,
): number {
  dv.setUint32(o, NO_HEAD, true);
  dv.setUint16(o + 4, instrument, true);
  b[o + 6] = side;
  b[o + 7] = ordType;
  b[o + 8] = tif;
  b[o + 9] = 0; // flags
  b[o + 10] = 0; // stp
  b[o + 11] = 0;
  dv.setUint32(o + 12, 0, true);
  dv.setUint32(o + 16, clOrdId >>> 0, true);
  dv.setUint32(o + 20, Math.floor(clOrdId / TWO32) >>> 0, true);
  dv.setUint32(o + 24, price >>> 0, true);
  dv.setInt32(o + 28, Math.floor(price / TWO32), true);
  dv.setUint32(o + 32, qty >>> 0, true);
  dv.setInt32(o + 36, Math.floor(qty / TWO32), true);
  return o + NEW_ORDER_BYTES;
}

/** CANCEL by origClOrdId (orderId 0) at byte `o`. Returns the next offset. */
export function putCancel(dv: DataView, o: number, instrument: number, clOrdId: number, origClOrdId: number): number {
  dv.setUint32(o, CX_HEAD, true);
  dv.setUint16(o + 4, instrument, true);
  dv.setUint16(o + 6, 0, true);
  dv.setUint32(o + 8, clOrdId >>> 0, true);
  dv.setUint32(o + 12, Math.floor(clOrdId / TWO32) >>> 0, true);
  dv.setUint32(o + 16, origClOrdId >>> 0, true);
  dv.setUint32(o + 20, Math.floor(origClOrdId / TWO32) >>> 0, true);
  dv.setUint32(o + 24, 0, true);
  dv.setUint32(o + 28, 0, true);
  return o + CANCEL_BYTES;
}

const KEY_POOL_BYTES = 4096;
const keyPool = new Uint8Array(KEY_POOL_BYTES);
const keyPool32 = new Uint32Array(keyPool.buffer);
let keyPos = KEY_POOL_BYTES;
const kb32 = new Uint32Array(1);
const kb8 = new Uint8Array(kb32.buffer);

/**
 * Turn `b` (payload of `len` bytes at PAYLOAD_AT) into one final binary WebSocket frame
 * masked with a fresh crypto-random key (RFC 6455 5.2/5.3; keys from a 4 KiB pool refilled
 * with randomFillSync, as ws does). Writes the header just before the payload and masks in
 * place; returns the view holding exactly the frame. `key` (4 bytes) is for tests.
 */
export function finishMaskedFrame(b: Buffer, len: number, key?: Uint8Array): Buffer {
  const hdr = len <= 125 ? 6 : len <= 0xffff ? 8 : 14;
  const s = PAYLOAD_AT - hdr;
  b[s] = 0x82; // FIN | opcode 2 (binary)
  if (hdr === 6) b[s + 1] = 0x80 | len;
  else if (hdr === 8) {
    b[s + 1] = 0x80 | 126;
    b[s + 2] = len >>> 8;
    b[s + 3] = len & 0xff;
  } else {
    b[s + 1] = 0x80 | 127;
    b.writeUInt32BE(Math.floor(len / TWO32), s + 2);
    b.writeUInt32BE(len >>> 0, s + 6);
  }
  // The key as bytes (kb8) and as a platform-endian u32 (kb32), matching the Uint32Array
  // view below whatever the byte order.
  if (key !== undefined) kb8.set(key.subarray(0, 4));
  else {
    if (keyPos === KEY_POOL_BYTES) {
      randomFillSync(keyPool);
      keyPos = 0;
    }
    kb32[0] = keyPool32[keyPos >>> 2]!;
    keyPos += 4;
  }
  const k = kb32[0]!;
  b[PAYLOAD_AT - 4] = kb8[0]!;
  b[PAYLOAD_AT - 3] = kb8[1]!;
  b[PAYLOAD_AT - 2] = kb8[2]!;
  b[PAYLOAD_AT - 1] = kb8[3]!;
  let i = 0;
  const words = len >>> 2;
  if (words > 4 && ((b.byteOffset + PAYLOAD_AT) & 3) === 0) {
    const w = new Uint32Array(b.buffer, b.byteOffset + PAYLOAD_AT, words);
    for (let j = 0; j < words; j++) w[j] = w[j]! ^ k;
    i = words << 2;
  }
  for (; i < len; i++) b[PAYLOAD_AT + i] = b[PAYLOAD_AT + i]! ^ kb8[i & 3]!;
  return b.subarray(s, PAYLOAD_AT + len);
}

/** Frame a copy of `payload` (login/heartbeat-sized or any): see finishMaskedFrame. */
export function maskedBinaryFrame(payload: Uint8Array, key?: Uint8Array): Buffer {
  const b = newFrameBuffer(payload.length);
  b.set(payload, PAYLOAD_AT);
  return finishMaskedFrame(b, payload.length, key);
}
