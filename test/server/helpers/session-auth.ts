/**
 * Session-authentication test helpers: a keys file in a fresh temp dir, and one raw LOGIN
 * over a real WebSocket (any fields, any length) answered by the server's first message.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { FrameWriter, decodeFrame } from '../../../src/protocol/codec.js';
import type { Decoded, Login } from '../../../src/protocol/messages.js';

/** Write `keys` as SESSION_KEYS_FILE JSON (mode 0600 unless given); returns the path. */
export function writeKeysFile(keys: Record<string | number, unknown>, mode = 0o600): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'simex-keys-')), 'keys.json');
  writeFileSync(file, JSON.stringify(keys));
  chmodSync(file, mode);
  return file;
}

/** Send one LOGIN; resolve with the server's first message (LOGIN_ACK / LOGIN_REJECT) and
 *  the LOGIN's encoded length; the socket is closed after. */
export async function rawLogin(url: string, m: Omit<Login, 'type'>): Promise<{ first: Decoded; bytes: number }> {
  const ws = new WebSocket(url);
  ws.binaryType = 'nodebuffer';
  await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
  const got = new Promise<Decoded>((resolve, reject) => {
    ws.once('message', (d: Buffer) => resolve(decodeFrame(new Uint8Array(d))[0]!));
    ws.once('close', () => reject(new Error('closed without an answer')));
  });
  const w = new FrameWriter();
  w.login(m);
  const bytes = w.length;
  ws.send(w.take());
  try {
    return { first: await got, bytes };
  } finally {
    ws.terminate();
  }
}
