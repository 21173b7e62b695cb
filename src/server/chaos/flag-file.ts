/**
 * Chaos flag file (seed 002's `touch chaos.flag` / `rm chaos.flag`): while the file exists,
 * chaos mode is on.
 *
 *   CHAOS_FLAG_FILE=/tmp/chaos.flag  (or --chaos-flag-file)   default: off (no polling)
 *   touch /tmp/chaos.flag                      on, defaults: error_rate=0.2 latency_ms=0
 *   echo 'error_rate=0.3 latency_ms=50' > /tmp/chaos.flag     on, with these settings
 *   rm /tmp/chaos.flag                          off (within one poll)
 *
 * File content: `key=value` tokens separated by spaces, commas or newlines, `#` comments:
 *   error_rate   0..1     share of NEW orders rejected at the edge with CHAOS_INJECTED (128)
 *   latency_ms   0..5000  hold this long before the shard ring (0 = no latency fault)
 *   jitter_ms    0..5000  ± uniform jitter on latency_ms
 *   latency_rate 0..1     share of commands delayed (default 1 when latency_ms > 0)
 *   symbols      A,B      only these symbols (default: all)
 * A malformed file (unknown key, bad number, out of range) is logged once per change and the
 * DEFAULTS are used for the whole file (never a crash, never a half-read setting).
 *
 * Machinery: the rules are set on the chaos controller's FaultInjector (src/chaos/faults.ts,
 * the same one /demo/chaos-test uses) under the names `flag-errors` / `flag-latency`, so the
 * rejects are real edge rejects (REST 503 CHAOS_INJECTED, binary REJECTED 128), counted as
 * rejected in the metrics and in /admin/errors/recent. A chaos test's stop/rollback clears
 * every rule, including these: the next poll puts them back while the file exists.
 *
 * Cost: one fs.stat per poll (default 1 s, libuv thread pool, unref'd timer); the file is read
 * only when its mtime/size/inode changes. Nothing on the order path beyond the injector's own
 * armed cost.
 */
import { promises as fsp } from 'node:fs';
import client from 'prom-client';
import type { FaultInjector } from '../../chaos/faults.js';
import { CHAOS_INJECTED } from '../../chaos/faults.js';

export interface ChaosFlagSettings {
  errorRate: number;
  latencyMs: number;
  jitterMs: number;
  latencyRate: number;
  /** null = every symbol. */
  symbols: string[] | null;
}

export const FLAG_DEFAULTS: Readonly<ChaosFlagSettings> = { errorRate: 0.2, latencyMs: 0, jitterMs: 0, latencyRate: 1, symbols: null };
export const MAX_FLAG_BYTES = 4096;

export interface FlagLogger {
  info(o: object, m?: string): void;
  warn(o: object, m?: string): void;
}

/** Parse flag-file text. Never throws: `error` names the first problem (settings = defaults). */
export function parseChaosFlag(text: string, knownSymbols: readonly string[]): { settings: ChaosFlagSettings; error: string | null } {
  const s: ChaosFlagSettings = { ...FLAG_DEFAULTS };
  let latencyRateSet = false;
  const fail = (error: string) => ({ settings: { ...FLAG_DEFAULTS }, error });
  const body = text.split('\n').map((l) => l.replace(/#.*$/, '')).join(' ');
  for (const tok of body.split(/[\s,;]+/).filter((t) => t.length > 0)) {
    const eq = tok.indexOf('=');
    if (eq <= 0) {
      // `symbols=A,B` splits on the comma: a bare known symbol continues the symbols list.
      if (s.symbols && knownSymbols.includes(tok.toUpperCase())) {
        s.symbols.push(tok.toUpperCase());
        continue;
      }
      return fail(`expected key=value, got "${tok.slice(0, 40)}"`);
    }
    const key = tok.slice(0, eq).toLowerCase();
    const val = tok.slice(eq + 1);
    const num = (lo: number, hi: number): number | string => {
      const v = Number(val);
      if (val === '' || !Number.isFinite(v)) return `${key}: "${val.slice(0, 20)}" is not a number`;
      if (v < lo || v > hi) return `${key}: ${v} outside ${lo}..${hi}`;
      return v;
    };
    let v: number | string;
    switch (key) {
      case 'error_rate': v = num(0, 1); if (typeof v === 'string') return fail(v); s.errorRate = v; break;
      case 'latency_ms': v = num(0, 5000); if (typeof v === 'string') return fail(v); s.latencyMs = v; break;
      case 'jitter_ms': v = num(0, 5000); if (typeof v === 'string') return fail(v); s.jitterMs = v; break;
      case 'latency_rate': v = num(0, 1); if (typeof v === 'string') return fail(v); s.latencyRate = v; latencyRateSet = true; break;
      case 'symbols': {
        const list = val.split(',').filter((x) => x.length > 0).map((x) => x.toUpperCase());
        const bad = list.find((x) => !knownSymbols.includes(x));
        if (bad !== undefined) return fail(`symbols: unknown symbol "${bad.slice(0, 20)}"`);
        s.symbols = list;
        break;
      }
      default:
        return fail(`unknown key "${key.slice(0, 40)}" (error_rate, latency_ms, jitter_ms, latency_rate, symbols)`);
    }
  }
  if (!latencyRateSet) s.latencyRate = 1;
  return { settings: s, error: null };
}

export interface ChaosFlagOptions {
  path: string;
  injector: FaultInjector;
  /** Instrument symbols by index (exchange.books order). */
  symbols: readonly string[];
  logger: FlagLogger;
  pollMs?: number;
}

export class ChaosFlagWatcher {
  active = false;
  settings: ChaosFlagSettings | null = null;
  /** Problem in the current file (defaults in use), or null. */
  configError: string | null = null;
  activeSinceMs = 0;
  /** on/off transitions since start. */
  transitions = 0;
  polls = 0;
  private timer: NodeJS.Timeout | null = null;
  private fileKey = '';
  private busy = false;
  private readonly pollMs: number;

  constructor(private readonly o: ChaosFlagOptions) {
    this.pollMs = o.pollMs ?? 1000;
  }

  start(): void {
    if (this.timer) return;
    this.o.logger.info({ path: this.o.path, poll_ms: this.pollMs }, 'Chaos flag file watched: chaos mode is on while it exists');
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.pollMs);
    this.timer.unref();
  }

  /** Stop polling and remove the flag's rules. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.active) this.turnOff('watcher stopped');
  }

  /** One check (exported for tests; the timer calls it). Never throws. */
  async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      this.polls++;
      let st;
      try {
        st = await fsp.stat(this.o.path);
      } catch (err) {
        if (this.active) this.turnOff((err as NodeJS.ErrnoException).code === 'ENOENT' ? 'flag file removed' : `flag file unreadable: ${String(err)}`);
        return;
      }
      const key = `${st.ino}:${st.size}:${st.mtimeMs}`;
      if (!this.active || key !== this.fileKey) {
        let text = '';
        let readError: string | null = null;
        if (!st.isFile()) readError = 'not a regular file';
        else if (st.size > MAX_FLAG_BYTES) readError = `larger than ${MAX_FLAG_BYTES} bytes`;
        else {
          try {
            text = await fsp.readFile(this.o.path, 'utf8');
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
              if (this.active) this.turnOff('flag file removed');
              return;
            }
            readError = String(err);
          }
        }
        const parsed = readError === null ? parseChaosFlag(text, this.o.symbols) : { settings: { ...FLAG_DEFAULTS }, error: readError };
        this.fileKey = key;
        this.apply(parsed.settings, parsed.error);
      } else if (!this.o.injector.ruleNames.some((n) => n.startsWith('flag-'))) {
        // A chaos test's rollback cleared every rule: the file still says on.
        this.install(this.settings!);
      }
    } catch (err) {
      this.o.logger.warn({ err: String(err) }, 'chaos flag poll failed');
    } finally {
      this.busy = false;
    }
  }

  private apply(s: ChaosFlagSettings, error: string | null): void {
    if (error !== null) {
      this.o.logger.warn({ path: this.o.path, problem: error, using: describe(s) }, 'Chaos flag file malformed: using the defaults');
    }
    const was = this.active;
    this.settings = s;
    this.configError = error;
    this.install(s);
    if (!was) {
      this.active = true;
      this.activeSinceMs = Date.now();
      this.transitions++;
      this.o.logger.warn({ path: this.o.path, ...describe(s) }, 'Chaos mode ON (flag file present)');
    } else {
      this.o.logger.warn({ path: this.o.path, ...describe(s) }, 'Chaos mode settings changed (flag file rewritten)');
    }
  }

  private install(s: ChaosFlagSettings): void {
    const inj = this.o.injector;
    const inst = s.symbols === null ? null : new Set(s.symbols.map((x) => this.o.symbols.indexOf(x)).filter((i) => i >= 0));
    if (s.errorRate > 0) inj.set('flag-errors', { kind: 'reject', reason: CHAOS_INJECTED, probability: s.errorRate, instruments: inst });
    else if (inj.ruleNames.includes('flag-errors')) inj.remove('flag-errors');
    if (s.latencyMs > 0 && s.latencyRate > 0) {
      inj.set('flag-latency', { kind: 'latency', delayMs: s.latencyMs, jitterMs: s.jitterMs, probability: s.latencyRate, instruments: inst });
    } else if (inj.ruleNames.includes('flag-latency')) inj.remove('flag-latency');
  }

  private turnOff(why: string): void {
    const inj = this.o.injector;
    for (const n of ['flag-errors', 'flag-latency']) if (inj.ruleNames.includes(n)) inj.remove(n);
    this.active = false;
    this.transitions++;
    this.fileKey = '';
    this.o.logger.warn({ path: this.o.path, reason: why, active_ms: Date.now() - this.activeSinceMs }, 'Chaos mode OFF');
  }

  /** /health and /admin view. */
  view(): Record<string, unknown> {
    return {
      flag_file: this.o.path,
      active: this.active,
      since: this.active ? new Date(this.activeSinceMs).toISOString() : null,
      settings: this.active && this.settings ? describe(this.settings) : null,
      config_error: this.active ? this.configError : null,
      poll_ms: this.pollMs,
    };
  }
}

function describe(s: ChaosFlagSettings): Record<string, unknown> {
  return { error_rate: s.errorRate, latency_ms: s.latencyMs, jitter_ms: s.jitterMs, latency_rate: s.latencyMs > 0 ? s.latencyRate : 0, symbols: s.symbols ?? 'all' };
}

/**
 * Prometheus gauges, read at scrape time: simex_chaos_flag_active (the flag file says on; 0
 * when no flag file is configured) and simex_chaos_injector_armed (any in-process fault armed:
 * the flag file's or a /demo/chaos-test's).
 */
export function registerChaosMetrics(registry: client.Registry, injector: { armed: boolean }, watcher: ChaosFlagWatcher | null): void {
  new client.Gauge({
    name: 'simex_chaos_flag_active', help: 'Chaos mode switched on by the chaos flag file (1) or not (0; also when no CHAOS_FLAG_FILE is set)',
    registers: [registry],
    collect() { this.set(watcher?.active ? 1 : 0); },
  });
  new client.Gauge({
    name: 'simex_chaos_injector_armed', help: 'An in-process chaos fault (flag file or /demo/chaos-test) is armed on the order path (1) or not (0)',
    registers: [registry],
    collect() { this.set(injector.armed ? 1 : 0); },
  });
}
