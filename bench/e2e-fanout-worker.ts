/**
 * Piscina worker for bench/e2e-fanout.ts (compiled: dist/bench/e2e-fanout-worker.js): opens
 * `count` binary-protocol sessions, subscribes each to one instrument's market data, and
 * counts, per subscriber, messages received and messages MISSED (gaps in the per-instrument
 * mdSeq), plus MARKET_DATA_DROPPED notices and disconnects. Delivery latency (receipt time
 * minus the message's ts, same machine clock, µs) goes into one HDR histogram per thread.
 * Replies are peeked at fixed offsets (no object per message): 10k updates/s x 1,000
 * subscribers is 10M messages/s to count.
 */
import WebSocket from 'ws';
import { FrameReader, FrameWriter } from '../src/protocol/codec.js';
import { LAYOUT_BY_TYPE, MsgType, PROTOCOL_VERSION, isMarketDataType } from '../src/protocol/messages.js';
import { EdgeReason } from '../src/protocol/reasons.js';
import { encodeHistogram, newLatencyHistogram } from '../src/loadgen/histogram.js';
import type { MessagePortLike } from '../src/loadgen/types.js';

export interface FanoutTask {
  url: string;
  count: number;
  symbol: string;
  workerIndex: number;
  port: MessagePortLike;
}

export interface SubscriberStats {
  received: number;
  missed: number;
  gaps: number;
  firstSeq: number;
  lastSeq: number;
}

export interface FanoutWorkerResult {
  workerIndex: number;
  connected: number;
  failed: number;
  firstError: string;
  subscribers: SubscriberStats[];
  dropNotices: number;
  disconnects: Record<string, number>;
  latency: string; // encoded HDR, ns
}

const f = (t: number, name: string): number => LAYOUT_BY_TYPE.get(t)!.fields.find((x) => x.name === name)!.off;
const MD_INST = f(MsgType.MD_L2, 'instrument');
const MD_SEQ = f(MsgType.MD_L2, 'mdSeq');
const MD_TS = f(MsgType.MD_L2, 'ts');
const NOTICE_REASON = f(MsgType.NOTICE, 'reason');
const DISC_REASON = f(MsgType.DISCONNECT, 'reason');

const u64 = (b: Buffer, o: number): number => b.readUInt32LE(o) + b.readUInt32LE(o + 4) * 4294967296;

export default async function fanoutTask(task: FanoutTask): Promise<FanoutWorkerResult> {
  const hist = newLatencyHistogram();
  const stats: SubscriberStats[] = [];
  const socks: WebSocket[] = [];
  let dropNotices = 0;
  const disconnects: Record<string, number> = {};
  let failed = 0;
  let firstError = '';
  let measuring = true;

  const hbInline = new FrameWriter(64);
  const open = (i: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const st: SubscriberStats = { received: 0, missed: 0, gaps: 0, firstSeq: 0, lastSeq: 0 };
      const ws = new WebSocket(task.url, { perMessageDeflate: false });
      let inst = -1;
      let live = false;
      let lastBeat = performance.now();
      const t = setTimeout(() => reject(new Error('subscribe timed out')), 15_000);
      ws.on('open', () => {
        const w = new FrameWriter(64);
        w.login({ protocolVersion: PROTOCOL_VERSION, sessionId: 0, nextExpectedSeq: 0, account: 0 });
        ws.send(w.bytes());
      });
      ws.on('message', (d: Buffer) => {
        if (!live) {
          const r = new FrameReader().reset(d);
          for (let m = r.next(); m !== null; m = r.next()) {
            if (m.type === MsgType.INSTRUMENT && m.symbol === task.symbol) inst = m.instrument;
            if (m.type === MsgType.LOGIN_REJECT) return reject(new Error(`login rejected ${m.reason}`));
          }
          if (inst >= 0) {
            live = true;
            const w = new FrameWriter(64);
            w.subscribe({ flags: 0, instruments: [inst] });
            ws.send(w.bytes());
            clearTimeout(t);
            stats[i] = st;
            socks[i] = ws;
            resolve();
          }
          return;
        }
        const pnow = performance.now();
        const now = (performance.timeOrigin + pnow) * 1000;
        // Heartbeat from the receive path too: a thread busy draining 500 sockets may not run
        // its timers for seconds, and the server drops silent peers (HEARTBEAT_TIMEOUT).
        if (pnow - lastBeat > 500) {
          lastBeat = pnow;
          hbInline.reset();
          hbInline.clientHeartbeat({ ts: Math.round(now), lastSeqSeen: 0 });
          ws.send(hbInline.bytes());
        }
        let p = 0;
        while (p + 4 <= d.length) {
          const len = d.readUInt16LE(p);
          const type = d[p + 2]!;
          if (len < 4) break;
          if (isMarketDataType(type) && type !== MsgType.SNAPSHOT && d.readUInt16LE(p + MD_INST) === inst) {
            const seq = u64(d, p + MD_SEQ);
            if (measuring) {
              st.received++;
              if (st.lastSeq !== 0 && seq > st.lastSeq + 1) {
                st.missed += seq - st.lastSeq - 1;
                st.gaps++;
              }
              if (st.firstSeq === 0) st.firstSeq = seq;
              const lat = now - (d.readUInt32LE(p + MD_TS) + d.readInt32LE(p + MD_TS + 4) * 4294967296);
              if (lat > 0) hist.recordValue(Math.round(lat * 1000));
            }
            if (seq > st.lastSeq) st.lastSeq = seq;
          } else if (type === MsgType.NOTICE && d.readUInt16LE(p + NOTICE_REASON) === EdgeReason.MARKET_DATA_DROPPED) {
            dropNotices++;
          } else if (type === MsgType.DISCONNECT) {
            const k = String(d.readUInt16LE(p + DISC_REASON));
            disconnects[k] = (disconnects[k] ?? 0) + 1;
          }
          p += len;
        }
      });
      ws.on('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
    });

  // Open in batches of 50 so the server's accept queue and our event loop stay sane.
  for (let i = 0; i < task.count; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(task.count, i + 50); j++) batch.push(open(j).catch((e: Error) => {
      failed++;
      firstError ||= e.message;
    }));
    await Promise.all(batch);
  }
  // Heartbeats: subscribers send nothing else, and the server drops silent peers.
  const hb = new FrameWriter(64);
  const beat = setInterval(() => {
    hb.reset();
    hb.clientHeartbeat({ ts: Math.round((performance.timeOrigin + performance.now()) * 1000), lastSeqSeen: 0 });
    const bytes = hb.bytes();
    for (const ws of socks) if (ws && ws.readyState === WebSocket.OPEN) ws.send(bytes);
  }, 500);

  await new Promise<void>((resolve) => {
    task.port.on('message', (m: unknown) => {
      const type = (m as { type: string }).type;
      if (type === 'poll') {
        const seqs = stats.filter(Boolean).map((x) => x.lastSeq);
        task.port.postMessage({ type: 'poll', min: seqs.length ? Math.min(...seqs) : 0, max: seqs.length ? Math.max(...seqs) : 0 });
      } else if (type === 'stop') {
        measuring = false;
        resolve();
      }
    });
    task.port.postMessage({ type: 'ready', workerIndex: task.workerIndex, connected: socks.filter(Boolean).length, failed, firstError });
  });
  clearInterval(beat);
  for (const ws of socks) ws?.terminate();
  task.port.close?.();
  return {
    workerIndex: task.workerIndex,
    connected: socks.filter(Boolean).length,
    failed,
    firstError,
    subscribers: stats.filter(Boolean),
    dropNotices,
    disconnects,
    latency: encodeHistogram(hist),
  };
}
