/**
 * Main-thread side of the per-thread profiler: a registry of named threads ("main" is
 * always present and runs in-process; "shard-<n>" are worker threads reached through a
 * MessagePort whose other end runs `serveProfiler`).
 *
 * Ordering: requests on one port are matched to replies by id, so several may be in
 * flight; each has a timeout (operation length + `slackMs`), after which the caller gets a
 * TIMEOUT reply and a late reply is dropped.
 */
import type { MessagePort } from 'node:worker_threads';
import {
  PROFILER_TAG, handleProfilerMessage, isProfilerEnvelope,
  type ProfilerEnvelope, type ProfilerReply, type ProfilerRequest,
} from './profiler.js';

/** Anything that can carry profiler envelopes to a worker and back: a MessagePort from a
 *  MessageChannel (recommended) or the Worker object itself. */
export interface ProfilerPort {
  postMessage(msg: unknown): void;
  on(event: 'message', fn: (msg: unknown) => void): unknown;
  off(event: 'message', fn: (msg: unknown) => void): unknown;
}

export interface ProfilerThreads {
  /** Thread names, "main" first. */
  names(): string[];
  request(thread: string, req: ProfilerRequest): Promise<ProfilerReply>;
}

interface Pending {
  resolve: (r: ProfilerReply) => void;
  timer: NodeJS.Timeout;
}

interface Remote {
  port: ProfilerPort;
  pending: Map<number, Pending>;
  onMessage: (msg: unknown) => void;
}

function expectedMs(req: ProfilerRequest): number {
  if (req.op === 'cpu') return req.seconds * 1000;
  if (req.op === 'heap') return Math.max(req.seconds, 1) * 1000;
  return 0;
}

export class ProfilerThreadRegistry implements ProfilerThreads {
  private remotes = new Map<string, Remote>();
  private nextId = 1;

  /** @param slackMs time allowed beyond the operation itself (heap snapshots, busy loops). */
  constructor(private readonly slackMs = 30_000) {}

  /** Registers a worker thread by name (e.g. "shard-0"); replaces an earlier one. */
  attach(name: string, port: ProfilerPort): void {
    if (name === 'main') throw new Error('"main" is the calling thread and cannot be attached');
    this.detach(name);
    const pending = new Map<number, Pending>();
    const onMessage = (msg: unknown) => {
      if (!isProfilerEnvelope(msg) || !('reply' in msg)) return;
      const p = pending.get(msg.id);
      if (!p) return; // timed out earlier
      pending.delete(msg.id);
      clearTimeout(p.timer);
      p.resolve(msg.reply);
    };
    port.on('message', onMessage);
    this.remotes.set(name, { port, pending, onMessage });
    if ('unref' in port && typeof (port as MessagePort).unref === 'function') (port as MessagePort).unref();
  }

  /** Forgets a thread (call when its worker exits); its pending requests fail. */
  detach(name: string): void {
    const r = this.remotes.get(name);
    if (!r) return;
    r.port.off('message', r.onMessage);
    for (const p of r.pending.values()) {
      clearTimeout(p.timer);
      p.resolve({ ok: false, code: 'UNKNOWN_THREAD', error: `thread ${name} went away` });
    }
    this.remotes.delete(name);
  }

  names(): string[] {
    return ['main', ...[...this.remotes.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))];
  }

  request(thread: string, req: ProfilerRequest): Promise<ProfilerReply> {
    if (thread === 'main') return handleProfilerMessage(req);
    const r = this.remotes.get(thread);
    if (!r) return Promise.resolve({ ok: false, code: 'UNKNOWN_THREAD', error: `no thread named ${thread}` });
    const id = this.nextId++;
    return new Promise<ProfilerReply>((resolve) => {
      const timer = setTimeout(() => {
        r.pending.delete(id);
        resolve({ ok: false, code: 'TIMEOUT', error: `thread ${thread} did not answer in time` });
      }, expectedMs(req) + this.slackMs);
      r.pending.set(id, { resolve, timer });
      r.port.postMessage({ [PROFILER_TAG]: 1, id, req } satisfies ProfilerEnvelope);
    });
  }
}
