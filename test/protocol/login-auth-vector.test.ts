// The session-authentication test vector of docs/PROTOCOL.md "Session authentication": the MAC
// input bytes, the MAC and the 72-byte LOGIN, computed by src/protocol/auth.ts + the codec,
// and printed in the doc exactly.
import { readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loginMac, loginMacInput, LOGIN_MAC_INPUT_BYTES } from '../../src/protocol/auth.js';
import { FrameWriter } from '../../src/protocol/codec.js';

const SECRET = 'simex-test-vector-secret-0123456789abcdef';
const SESSION = 4886718345;
const ACCOUNT = 42;
const TS = 1764547200000000; // 2025-12-01T00:00:00Z
const INPUT_HEX = '53494d45582d4c4f47494e2d31' + '8967452301000000' + '2a000000' + '00a00ba9d8440600';
const MAC_HEX = 'ae5743463f42c6400b387f197b6e0779fd8f6a83e505dcc03ffe8c5bd56338a8';
const LOGIN_DUMP = [
  '000: 48 00 01 00 01 00 00 00 89 67 45 23 01 00 00 00',
  '016: 01 00 00 00 00 00 00 00 2a 00 00 00 00 00 00 00',
  '032: 00 a0 0b a9 d8 44 06 00 ae 57 43 46 3f 42 c6 40',
  '048: 0b 38 7f 19 7b 6e 07 79 fd 8f 6a 83 e5 05 dc c0',
  '064: 3f fe 8c 5b d5 63 38 a8',
];

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
function dump(b: Uint8Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < b.length; i += 16) {
    out.push(`${String(i).padStart(3, '0')}: ${[...b.subarray(i, i + 16)].map((x) => x.toString(16).padStart(2, '0')).join(' ')}`);
  }
  return out;
}

describe('LOGIN credential test vector', () => {
  it('MAC input is the 33 documented bytes', () => {
    const input = loginMacInput(SESSION, ACCOUNT, TS);
    expect(input.length).toBe(LOGIN_MAC_INPUT_BYTES);
    expect(hex(input)).toBe(INPUT_HEX);
  });

  it('loginMac = HMAC-SHA256(UTF-8 secret, input) = the vector (string and bytes secrets agree)', () => {
    expect(hex(loginMac(SECRET, SESSION, ACCOUNT, TS))).toBe(MAC_HEX);
    expect(hex(loginMac(new TextEncoder().encode(SECRET), SESSION, ACCOUNT, TS))).toBe(MAC_HEX);
    // independent computation over the documented bytes
    expect(createHmac('sha256', SECRET).update(Buffer.from(INPUT_HEX, 'hex')).digest('hex')).toBe(MAC_HEX);
    // every input field matters
    expect(hex(loginMac(SECRET, SESSION + 1, ACCOUNT, TS))).not.toBe(MAC_HEX);
    expect(hex(loginMac(SECRET, SESSION, ACCOUNT + 1, TS))).not.toBe(MAC_HEX);
    expect(hex(loginMac(SECRET, SESSION, ACCOUNT, TS + 1))).not.toBe(MAC_HEX);
    expect(hex(loginMac(SECRET + 'x', SESSION, ACCOUNT, TS))).not.toBe(MAC_HEX);
  });

  it('the signed 72-byte LOGIN encodes to the documented bytes', () => {
    const w = new FrameWriter();
    w.login({ protocolVersion: 1, sessionId: SESSION, nextExpectedSeq: 1, account: ACCOUNT, authTs: TS, authMac: loginMac(SECRET, SESSION, ACCOUNT, TS) });
    expect(dump(w.bytes())).toEqual(LOGIN_DUMP);
  });

  it('docs/PROTOCOL.md prints this vector', () => {
    const doc = readFileSync(new URL('../../docs/PROTOCOL.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('### Session authentication'), doc.indexOf('### Sequence numbers'));
    expect(section).toContain(`secret     ${SECRET}`);
    expect(section).toContain(`sessionId  ${SESSION} `);
    expect(section).toContain(`account ${ACCOUNT} `);
    expect(section).toContain(`authTs ${TS} `);
    expect(section.replace(/ /g, '')).toContain(INPUT_HEX);
    expect(section).toContain(`authMac    ${MAC_HEX}`);
    for (const line of LOGIN_DUMP) expect(section).toContain(line);
  });

  it('negative authTs is two\'s complement; out-of-range fields throw', () => {
    expect(hex(loginMacInput(0, 0, -1).subarray(25))).toBe('ffffffffffffffff');
    expect(() => loginMacInput(-1, 0, 0)).toThrow(RangeError);
    expect(() => loginMacInput(2 ** 53, 0, 0)).toThrow(RangeError);
    expect(() => loginMacInput(0, 2 ** 32, 0)).toThrow(RangeError);
    expect(() => loginMacInput(0, 0, 0.5)).toThrow(RangeError);
  });
});
