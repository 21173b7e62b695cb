/**
 * pprof-style debug endpoints (in the spirit of Go's net/http/pprof), per thread.
 *
 *   GET /debug/pprof/                      JSON index: endpoints and thread names
 *   GET /debug/pprof/profile?seconds=30    CPU profile, gzipped pprof protobuf
 *        &thread=main|shard-0|all          (all: every thread at once, merged, label thread=)
 *        &interval_us=1000                 V8 sampling interval
 *   GET /debug/pprof/heap?thread=main      sampling heap profile (live sampled allocations)
 *        &seconds=0                        0: since the sampler started; N: fresh N s window
 *        &interval_bytes=524288            window only: one sample per N bytes (1 KiB..64 MiB)
 *        &collected=1                      window only: keep freed objects too = bytes
 *                                          allocated in the window (pprof alloc_space)
 *   GET /debug/heapsnapshot?thread=main    full V8 heap snapshot (.heapsnapshot JSON)
 *   GET /debug/cpuprofile?seconds=30       raw V8 .cpuprofile JSON of one thread (for
 *        &thread=main                      Chrome DevTools or `0x --visualize-cpu-profile`)
 *   GET /debug/heapprofile?thread=main     raw V8 sampling heap profile (.heapprofile JSON,
 *        &seconds=0                        Chrome DevTools "Allocation sampling"); same
 *        &interval_bytes=&collected=       window parameters as /debug/pprof/heap
 *   GET /debug/pprof/goroutine?debug=1     text: JS threads, kernel threads (/proc), active
 *                                          handles by type: Node's nearest to Go's goroutine
 *                                          dump (goroutine.ts); debug=0|1|2 give the same text
 *   GET /debug/pprof/mutex                 501 JSON: Node has no mutex profile; names the
 *                                          equivalents (bpf/offcpu.bt, bpf/runqlat.bt)
 *
 * Security contract: nothing is registered unless `enabled` (DEBUG_ENDPOINTS=1). When
 * enabled, a request is served if its peer address is loopback (127.0.0.0/8, ::1,
 * ::ffff:127.x), or if it carries the admin token (`Authorization: Bearer <token>` or
 * `X-Simex-Admin-Token: <token>`). With no token configured, non-loopback peers always get
 * 403. Profiles expose source paths and heap contents: never enable this on an exposed
 * port without a token.
 *
 * Cost: see profiler.ts (a heap snapshot pauses the thread it is taken on). One profile of
 * each kind per thread at a time (409 PROFILER_BUSY otherwise).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import {
  HttpError, intParam, queryOf, sendError, sendHttpError, sendJson, trackAbort,
  type ResponseState,
} from '../http.js';
import { remoteIsLoopback } from '../http.js';
import { cpuProfilesToPprof, heapProfilesToPprof } from './pprof.js';
import {
  HEAP_INTERVAL_MAX, HEAP_INTERVAL_MIN, HEAP_SAMPLING_INTERVAL, startHeapSampling,
  type ProfilerReply, type ProfilerRequest,
} from './profiler.js';
import { ProfilerThreadRegistry, type ProfilerThreads } from './threads.js';
import { MUTEX_EXPLANATION, goroutineText, type ThreadInfo } from './goroutine.js';

export { cpuProfilesToPprof, heapProfilesToPprof } from './pprof.js';
export {
  handleProfilerMessage, serveProfiler, startHeapSampling, isProfilerEnvelope, PROFILER_TAG,
  type ProfilerEnvelope, type ProfilerReply, type ProfilerRequest,
} from './profiler.js';
export { ProfilerThreadRegistry, type ProfilerPort, type ProfilerThreads } from './threads.js';

export interface DebugRoutesOptions {
  /** Register the routes at all. Default: false. */
  enabled: boolean;
  /** Admin token that admits non-loopback peers. Empty/undefined: loopback only. */
  token?: string;
  /** Threads that can be profiled; default: the main thread only. */
  threads?: ProfilerThreads;
  /** JavaScript threads with a one-line state for /debug/pprof/goroutine; default: the
   *  profiler registry's names. */
  describeThreads?: () => ThreadInfo[];
}

/** Reads DEBUG_ENDPOINTS=1 and DEBUG_TOKEN from an environment. */
export function debugOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): Omit<DebugRoutesOptions, 'threads'> {
  const token = env.DEBUG_TOKEN?.trim();
  return { enabled: env.DEBUG_ENDPOINTS === '1', ...(token ? { token } : {}) };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Decides synchronously (inside the handler) whether the request may proceed. */
function admitted(res: HttpResponse, req: HttpRequest, tokenDigest: Buffer | null): 'ok' | 'forbidden' | 'unauthorized' {
  if (remoteIsLoopback(res)) return 'ok';
  if (!tokenDigest) return 'forbidden';
  const auth = req.getHeader('authorization');
  const given = auth.startsWith('Bearer ') ? auth.slice(7).trim() : req.getHeader('x-simex-admin-token').trim();
  if (given === '') return 'unauthorized';
  return timingSafeEqual(digest(given), tokenDigest) ? 'ok' : 'unauthorized';
}

const REPLY_STATUS: Record<string, number> = {
  BAD_REQUEST: 400, UNKNOWN_THREAD: 404, BUSY: 409, FAILED: 500, TIMEOUT: 504,
};

function failed(reply: ProfilerReply & { ok: false }): HttpError {
  return new HttpError(REPLY_STATUS[reply.code] ?? 500, reply.code === 'BUSY' ? 'PROFILER_BUSY' : reply.code,
    reply.error, reply.code === 'UNKNOWN_THREAD' ? 'thread' : undefined);
}

function sendBody(res: HttpResponse, state: ResponseState, contentType: string, filename: string,
  body: string | Uint8Array): void {
  if (state.aborted) return;
  res.cork(() => {
    res.writeStatus('200 OK');
    res.writeHeader('Content-Type', contentType);
    res.writeHeader('Content-Disposition', `attachment; filename="${filename}"`);
    res.writeHeader('Cache-Control', 'no-store');
    res.end(body);
  });
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

/**
 * Registers the debug routes on `app` when `opts.enabled`. Returns whether it did.
 * Starts the main thread's continuous heap sampler when enabled.
 */
export function registerDebugRoutes(app: TemplatedApp, opts: DebugRoutesOptions): boolean {
  if (!opts.enabled) return false;
  const threads: ProfilerThreads = opts.threads ?? new ProfilerThreadRegistry();
  const tokenDigest = opts.token ? digest(opts.token) : null;
  void startHeapSampling().catch(() => { /* reported per request */ });

  /** Common wrapper: access check, abort tracking, query parsing before any await. */
  const route = (path: string,
    run: (q: URLSearchParams, res: HttpResponse, state: ResponseState) => Promise<void>) => {
    app.get(path, (res, req) => {
      const state = trackAbort(res);
      const verdict = admitted(res, req, tokenDigest);
      if (verdict === 'forbidden') {
        sendError(res, state, 403, 'DEBUG_LOOPBACK_ONLY', 'debug endpoints answer loopback peers only (no admin token configured)');
        return;
      }
      if (verdict === 'unauthorized') {
        sendError(res, state, 401, 'DEBUG_TOKEN_REQUIRED', 'missing or wrong admin token');
        return;
      }
      const q = queryOf(req);
      run(q, res, state).catch((err) => sendHttpError(res, state, err));
    });
  };

  const threadParam = (q: URLSearchParams, allowAll: boolean): string[] => {
    const t = q.get('thread') ?? 'main';
    const names = threads.names();
    if (t === 'all' && allowAll) return names;
    if (!names.includes(t)) {
      throw new HttpError(404, 'UNKNOWN_THREAD', `no thread named ${t}; known: ${names.join(', ')}${allowAll ? ', all' : ''}`, 'thread');
    }
    return [t];
  };

  /** Heap request from the query: window parameters only make sense with seconds > 0. */
  const heapRequest = (q: URLSearchParams): ProfilerRequest & { op: 'heap' } => {
    const seconds = intParam(q, 'seconds', 0, 0, 300);
    const intervalBytes = intParam(q, 'interval_bytes', HEAP_SAMPLING_INTERVAL, HEAP_INTERVAL_MIN, HEAP_INTERVAL_MAX);
    const c = q.get('collected') ?? '0';
    if (c !== '0' && c !== '1') throw new HttpError(400, 'INVALID_PARAMETER', 'collected must be 0 or 1', 'collected');
    if (seconds === 0 && (q.has('interval_bytes') || c === '1')) {
      throw new HttpError(400, 'INVALID_PARAMETER', 'interval_bytes and collected need a window (seconds >= 1)', 'seconds');
    }
    return { op: 'heap', seconds, intervalBytes, collected: c === '1' };
  };

  const ask = async (thread: string, req: ProfilerRequest) => {
    const reply = await threads.request(thread, req);
    if (!reply.ok) throw failed(reply);
    return reply;
  };

  const index = async (_q: URLSearchParams, res: HttpResponse, state: ResponseState) => {
    sendJson(res, state, 200, {
      threads: threads.names(),
      endpoints: {
        profile: '/debug/pprof/profile?seconds=30&thread=main|<thread>|all&interval_us=1000',
        heap: '/debug/pprof/heap?thread=main&seconds=0&interval_bytes=524288&collected=0',
        heapsnapshot: '/debug/heapsnapshot?thread=main',
        cpuprofile: '/debug/cpuprofile?seconds=30&thread=main',
        heapprofile: '/debug/heapprofile?thread=main&seconds=0&interval_bytes=524288&collected=0',
        goroutine: '/debug/pprof/goroutine?debug=1 (threads and active handles, text)',
        mutex: '/debug/pprof/mutex (not available in Node: explanation and equivalents)',
      },
    });
  };
  route('/debug/pprof', index);
  route('/debug/pprof/', index);

  route('/debug/pprof/profile', async (q, res, state) => {
    const seconds = intParam(q, 'seconds', 30, 1, 300);
    const intervalUs = intParam(q, 'interval_us', 1000, 100, 100_000);
    const names = threadParam(q, true);
    const replies = await Promise.all(names.map((t) => ask(t, { op: 'cpu', seconds, intervalUs })));
    const body = cpuProfilesToPprof(replies.map((r, i) => {
      if (r.op !== 'cpu') throw new Error('profiler replied with the wrong kind');
      return { thread: names[i]!, profile: r.profile, intervalUs: r.intervalUs };
    }));
    sendBody(res, state, 'application/octet-stream', `profile-${names.length > 1 ? 'all' : names[0]}-${stamp()}.pb.gz`, body);
  });

  route('/debug/pprof/heap', async (q, res, state) => {
    const req = heapRequest(q);
    const names = threadParam(q, true);
    const replies = await Promise.all(names.map((t) => ask(t, req)));
    const body = heapProfilesToPprof(replies.map((r, i) => {
      if (r.op !== 'heap') throw new Error('profiler replied with the wrong kind');
      return { thread: names[i]!, profile: r.profile, samplingIntervalBytes: r.samplingIntervalBytes, collected: r.collected };
    }));
    sendBody(res, state, 'application/octet-stream', `heap-${names.length > 1 ? 'all' : names[0]}-${stamp()}.pb.gz`, body);
  });

  route('/debug/heapsnapshot', async (q, res, state) => {
    const [thread] = threadParam(q, false) as [string];
    const r = await ask(thread, { op: 'heapsnapshot' });
    if (r.op !== 'heapsnapshot') throw new Error('profiler replied with the wrong kind');
    sendBody(res, state, 'application/json', `${thread}-${stamp()}.heapsnapshot`, r.snapshot);
  });

  route('/debug/cpuprofile', async (q, res, state) => {
    const seconds = intParam(q, 'seconds', 30, 1, 300);
    const intervalUs = intParam(q, 'interval_us', 1000, 100, 100_000);
    const [thread] = threadParam(q, false) as [string];
    const r = await ask(thread, { op: 'cpu', seconds, intervalUs });
    if (r.op !== 'cpu') throw new Error('profiler replied with the wrong kind');
    sendBody(res, state, 'application/json', `${thread}-${stamp()}.cpuprofile`, JSON.stringify(r.profile));
  });

  route('/debug/heapprofile', async (q, res, state) => {
    const req = heapRequest(q);
    const [thread] = threadParam(q, false) as [string];
    const r = await ask(thread, req);
    if (r.op !== 'heap') throw new Error('profiler replied with the wrong kind');
    sendBody(res, state, 'application/json', `${thread}-${stamp()}.heapprofile`, JSON.stringify(r.profile));
  });
  route('/debug/pprof/goroutine', async (q, res, state) => {
    const d = q.get('debug') ?? '0';
    if (d !== '0' && d !== '1' && d !== '2') throw new HttpError(400, 'INVALID_PARAMETER', 'debug must be 0, 1 or 2', 'debug');
    const threadsNow = opts.describeThreads?.() ?? threads.names().map((name) => ({ name }));
    const body = goroutineText(threadsNow);
    if (state.aborted) return;
    res.cork(() => {
      res.writeStatus('200 OK');
      res.writeHeader('Content-Type', 'text/plain; charset=utf-8');
      res.writeHeader('Cache-Control', 'no-store');
      res.end(body);
    });
  });

  route('/debug/pprof/mutex', async (_q, res, state) => {
    if (state.aborted) return;
    const body = JSON.stringify(MUTEX_EXPLANATION);
    res.cork(() => {
      res.writeStatus('501 Not Implemented');
      res.writeHeader('Content-Type', 'application/json');
      res.end(body);
    });
  });
  return true;
}
