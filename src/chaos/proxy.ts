/**
 * ChaosProxy: a loopback-only TCP proxy with Toxiproxy-like toxics, for network faults
 * between a client and simex (tc netem does not work on our machines).
 *
 *   client --> 127.0.0.1:<listen> [toxics: upstream] --> 127.0.0.1:<upstream port> (simex)
 *          <--                    [toxics: downstream] <--
 *
 * Safety: both the listen address and the upstream host must be loopback (127.0.0.0/8 or
 * ::1); anything else throws at construction.
 *
 * Toxics (names and attributes as Toxiproxy's, probability = `toxicity` 0..1, rolled once
 * per connection and toxic, like Toxiproxy):
 *   latency     {latency ms, jitter ms}   each chunk delayed latency ± jitter (order kept)
 *   bandwidth   {rate KB/s}               chunks paced to `rate` kilobytes per second
 *   slicer      {average_size, size_variation bytes, delay µs}  chunks cut and spaced
 *   timeout     {timeout ms}              data stops (dropped); closes after timeout if > 0
 *   reset_peer  {timeout ms}              TCP RST to both sides `timeout` ms after connect
 *                                         (or after the toxic is added, for live connections)
 *   limit_data  {bytes}                   close once `bytes` passed in that direction
 *   slow_close  {delay ms}                the close is forwarded `delay` ms late
 * plus `setEnabled(false)` = Toxiproxy's "down": stop listening and cut every connection.
 *
 * Cost: one timer per delayed chunk; chunks are never copied except by the slicer.
 * Backpressure: a direction pauses its source while the destination's write buffer is full.
 */
import net from 'node:net';

export type ToxicType = 'latency' | 'bandwidth' | 'slicer' | 'timeout' | 'reset_peer' | 'limit_data' | 'slow_close';
export type Stream = 'upstream' | 'downstream';

export interface Toxic {
  name: string;
  type: ToxicType;
  stream: Stream;
  toxicity: number;
  attributes: Record<string, number>;
}

export interface ProxyStats {
  connections_total: number;
  connections_active: number;
  upstream_connect_failures: number;
  bytes_upstream: number;
  bytes_downstream: number;
  /** Per toxic name: connections it was applied to (after the toxicity roll). */
  toxic_applications: Record<string, number>;
  /** Per toxic name: chunks it delayed / dropped / cut, or connections it reset / closed. */
  toxic_effects: Record<string, number>;
}

export const TOXIC_TYPES: readonly ToxicType[] = ['latency', 'bandwidth', 'slicer', 'timeout', 'reset_peer', 'limit_data', 'slow_close'];

export function isLoopbackHost(h: string): boolean {
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

interface Dir {
  src: net.Socket;
  dst: net.Socket;
  stream: Stream;
  lastDue: number; // ms (performance.now) of the last scheduled write, keeps order
  bytes: number;
  pendingWrites: number;
  ended: boolean;
}

interface Conn {
  id: number;
  client: net.Socket;
  server: net.Socket;
  up: Dir;
  down: Dir;
  rolls: Map<string, boolean>;
  timers: Set<NodeJS.Timeout>;
  closed: boolean;
  openedAt: number;
}

export interface ChaosProxyOptions {
  listenHost?: string;
  listenPort?: number;
  upstreamHost?: string;
  upstreamPort: number;
  /** Seedable randomness for toxicity rolls and jitter (tests). */
  random?: () => number;
}

export class ChaosProxy {
  private server: net.Server | null = null;
  private readonly toxics = new Map<string, Toxic>();
  private readonly conns = new Set<Conn>();
  private nextId = 1;
  private readonly rand: () => number;
  readonly listenHost: string;
  readonly upstreamHost: string;
  readonly upstreamPort: number;
  private requestedPort: number;
  port = 0;
  enabled = false;
  readonly stats: ProxyStats = {
    connections_total: 0, connections_active: 0, upstream_connect_failures: 0,
    bytes_upstream: 0, bytes_downstream: 0, toxic_applications: {}, toxic_effects: {},
  };

  constructor(opts: ChaosProxyOptions) {
    this.listenHost = opts.listenHost ?? '127.0.0.1';
    this.upstreamHost = opts.upstreamHost ?? '127.0.0.1';
    if (!isLoopbackHost(this.listenHost)) throw new RangeError(`chaos proxy listens on loopback only, not ${this.listenHost}`);
    if (!isLoopbackHost(this.upstreamHost)) throw new RangeError(`chaos proxy targets loopback only, not ${this.upstreamHost}`);
    if (!Number.isInteger(opts.upstreamPort) || opts.upstreamPort < 1 || opts.upstreamPort > 65535) throw new RangeError('bad upstream port');
    this.upstreamPort = opts.upstreamPort;
    this.requestedPort = opts.listenPort ?? 0;
    this.rand = opts.random ?? Math.random;
  }

  /** Listen (resolves with the bound port). */
  async start(): Promise<number> {
    if (this.server) return this.port;
    // allowHalfOpen: a FIN is forwarded (slow_close can hold it) instead of closing both ways.
    const srv = net.createServer({ allowHalfOpen: true }, (c) => this.accept(c));
    this.server = srv;
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(this.requestedPort, this.listenHost, () => {
        srv.off('error', reject);
        resolve();
      });
    });
    this.port = (srv.address() as net.AddressInfo).port;
    this.requestedPort = this.port; // re-enable on the same port
    this.enabled = true;
    return this.port;
  }

  /** Toxiproxy "enabled": false closes the listener and every connection; true listens again. */
  async setEnabled(on: boolean): Promise<void> {
    if (on) {
      await this.start();
      return;
    }
    await this.stop();
  }

  /** Stop listening and destroy every connection and timer. */
  async stop(): Promise<void> {
    this.enabled = false;
    for (const c of [...this.conns]) this.closeConn(c, true);
    const srv = this.server;
    this.server = null;
    if (srv) await new Promise<void>((r) => srv.close(() => r()));
  }

  addToxic(t: Omit<Toxic, 'name' | 'stream' | 'toxicity'> & Partial<Pick<Toxic, 'name' | 'stream' | 'toxicity'>>): Toxic {
    if (!TOXIC_TYPES.includes(t.type)) throw new RangeError(`unknown toxic type ${String(t.type)}`);
    const toxic: Toxic = {
      name: t.name ?? `${t.type}_${t.stream ?? 'downstream'}`,
      type: t.type,
      stream: t.stream ?? 'downstream',
      toxicity: t.toxicity ?? 1,
      attributes: { ...t.attributes },
    };
    if (!(toxic.toxicity >= 0 && toxic.toxicity <= 1)) throw new RangeError('toxicity must be within 0..1');
    if (this.toxics.has(toxic.name)) throw new RangeError(`toxic ${toxic.name} exists`);
    this.toxics.set(toxic.name, toxic);
    this.stats.toxic_applications[toxic.name] ??= 0;
    this.stats.toxic_effects[toxic.name] ??= 0;
    // Connection-level toxics act on live connections too.
    for (const c of this.conns) this.connectionToxic(c, toxic);
    return toxic;
  }

  removeToxic(name: string): boolean {
    const ok = this.toxics.delete(name);
    return ok;
  }

  /** Remove every toxic (rollback). Data flows normally again on live connections. */
  clearToxics(): void {
    this.toxics.clear();
  }

  listToxics(): Toxic[] {
    return [...this.toxics.values()].map((t) => ({ ...t, attributes: { ...t.attributes } }));
  }

  get activeConnections(): number {
    return this.conns.size;
  }

  // ------------------------------------------------------------------ internals

  private applies(c: Conn, t: Toxic): boolean {
    let v = c.rolls.get(t.name);
    if (v === undefined) {
      v = t.toxicity >= 1 || (t.toxicity > 0 && this.rand() < t.toxicity);
      c.rolls.set(t.name, v);
      if (v) this.stats.toxic_applications[t.name] = (this.stats.toxic_applications[t.name] ?? 0) + 1;
    }
    return v;
  }

  private effect(t: Toxic, n = 1): void {
    this.stats.toxic_effects[t.name] = (this.stats.toxic_effects[t.name] ?? 0) + n;
  }

  private timer(c: Conn, ms: number, fn: () => void): void {
    const h = setTimeout(() => {
      c.timers.delete(h);
      fn();
    }, Math.max(0, ms));
    c.timers.add(h);
  }

  private accept(client: net.Socket): void {
    if (!this.enabled) {
      client.destroy();
      return;
    }
    this.stats.connections_total++;
    const server = net.connect({ host: this.upstreamHost, port: this.upstreamPort, allowHalfOpen: true });
    client.setNoDelay(true);
    server.setNoDelay(true);
    const mk = (src: net.Socket, dst: net.Socket, stream: Stream): Dir =>
      ({ src, dst, stream, lastDue: 0, bytes: 0, pendingWrites: 0, ended: false });
    const c: Conn = {
      id: this.nextId++, client, server, up: mk(client, server, 'upstream'), down: mk(server, client, 'downstream'),
      rolls: new Map(), timers: new Set(), closed: false, openedAt: performance.now(),
    };
    this.conns.add(c);
    this.stats.connections_active = this.conns.size;
    let connected = false;
    client.pause();
    server.once('connect', () => {
      connected = true;
      client.resume();
    });
    server.on('error', () => {
      if (!connected) this.stats.upstream_connect_failures++;
      this.closeConn(c, true);
    });
    client.on('error', () => this.closeConn(c, true));
    for (const d of [c.up, c.down]) {
      d.src.on('data', (chunk: Buffer) => this.onData(c, d, chunk));
      d.src.on('end', () => this.onEnd(c, d));
      d.dst.on('drain', () => d.src.resume());
    }
    client.on('close', () => this.closeConn(c, false));
    server.on('close', () => this.closeConn(c, false));
    for (const t of this.toxics.values()) this.connectionToxic(c, t);
  }

  /** Toxics that act on the connection rather than on chunks. */
  private connectionToxic(c: Conn, t: Toxic): void {
    if (c.closed) return;
    if (t.type === 'reset_peer' && this.applies(c, t)) {
      this.timer(c, t.attributes.timeout ?? 0, () => {
        if (!this.toxics.has(t.name) || c.closed) return;
        this.effect(t);
        this.closeConn(c, true);
      });
    } else if (t.type === 'timeout' && this.applies(c, t) && (t.attributes.timeout ?? 0) > 0) {
      this.timer(c, t.attributes.timeout!, () => {
        if (!this.toxics.has(t.name) || c.closed) return;
        this.effect(t);
        this.closeConn(c, false);
      });
    }
  }

  private onData(c: Conn, d: Dir, chunk: Buffer): void {
    if (c.closed) return;
    let delay = 0;
    let pieces: { buf: Buffer; gapMs: number }[] | null = null;
    for (const t of this.toxics.values()) {
      if (t.stream !== d.stream || !this.applies(c, t)) continue;
      switch (t.type) {
        case 'timeout':
          this.effect(t);
          return; // dropped: a black hole while the toxic is present
        case 'latency': {
          const j = t.attributes.jitter ?? 0;
          delay += Math.max(0, (t.attributes.latency ?? 0) + (j > 0 ? (this.rand() * 2 - 1) * j : 0));
          this.effect(t);
          break;
        }
        case 'bandwidth': {
          const rate = t.attributes.rate ?? 0; // KB/s
          if (rate > 0) {
            // Pacing: this chunk may leave once the previous one had its transmission time.
            const start = Math.max(performance.now() + delay, d.lastDue);
            const tx = (chunk.byteLength / (rate * 1024)) * 1000;
            delay = start + tx - performance.now();
            this.effect(t);
          }
          break;
        }
        case 'slicer': {
          const avg = Math.max(1, t.attributes.average_size ?? 1);
          const vary = Math.min(avg - 1, Math.max(0, t.attributes.size_variation ?? 0));
          const gapMs = (t.attributes.delay ?? 0) / 1000;
          pieces = [];
          for (let off = 0; off < chunk.byteLength;) {
            const size = Math.max(1, Math.round(avg + (this.rand() * 2 - 1) * vary));
            pieces.push({ buf: chunk.subarray(off, off + size), gapMs });
            off += size;
          }
          this.effect(t, pieces.length);
          break;
        }
        case 'limit_data': {
          const limit = t.attributes.bytes ?? 0;
          if (d.bytes + chunk.byteLength > limit) {
            const keep = Math.max(0, limit - d.bytes);
            if (keep > 0) this.schedule(c, d, chunk.subarray(0, keep), delay);
            this.effect(t);
            this.timer(c, Math.max(0, d.lastDue - performance.now()) + 1, () => this.closeConn(c, false));
            d.bytes += keep;
            return;
          }
          break;
        }
        default:
          break;
      }
    }
    d.bytes += chunk.byteLength;
    if (pieces) {
      let acc = delay;
      for (const p of pieces) {
        this.schedule(c, d, p.buf, acc);
        acc += p.gapMs;
      }
    } else this.schedule(c, d, chunk, delay);
  }

  private schedule(c: Conn, d: Dir, buf: Buffer, delayMs: number): void {
    const now = performance.now();
    const due = Math.max(now + delayMs, d.lastDue);
    d.lastDue = due;
    if (due <= now + 0.05 && d.pendingWrites === 0) {
      this.write(c, d, buf);
      return;
    }
    d.pendingWrites++;
    this.timer(c, due - now, () => {
      d.pendingWrites--;
      this.write(c, d, buf);
      if (d.ended && d.pendingWrites === 0) this.forwardEnd(c, d);
    });
  }

  private write(c: Conn, d: Dir, buf: Buffer): void {
    if (c.closed || d.dst.destroyed) return;
    if (d.stream === 'upstream') this.stats.bytes_upstream += buf.byteLength;
    else this.stats.bytes_downstream += buf.byteLength;
    if (!d.dst.write(buf)) d.src.pause();
  }

  private onEnd(c: Conn, d: Dir): void {
    d.ended = true;
    if (d.pendingWrites === 0) this.forwardEnd(c, d);
  }

  private forwardEnd(c: Conn, d: Dir): void {
    let delay = 0;
    for (const t of this.toxics.values()) {
      if (t.type === 'slow_close' && t.stream === d.stream && this.applies(c, t)) {
        delay += t.attributes.delay ?? 0;
        this.effect(t);
      }
    }
    if (delay > 0) this.timer(c, delay, () => d.dst.end());
    else d.dst.end();
  }

  private closeConn(c: Conn, reset: boolean): void {
    if (c.closed) return;
    c.closed = true;
    for (const t of c.timers) clearTimeout(t);
    c.timers.clear();
    for (const s of [c.client, c.server]) {
      if (reset && typeof (s as net.Socket & { resetAndDestroy?: () => void }).resetAndDestroy === 'function' && !s.destroyed && !s.connecting) {
        s.resetAndDestroy();
      } else s.destroy();
    }
    this.conns.delete(c);
    this.stats.connections_active = this.conns.size;
  }
}
