/**
 * Market simulator entry point (cross-team contract 5).
 *
 *   const sim = startSimulator({ url: `ws://127.0.0.1:${port}/ws/v1`, symbols, logger });
 *   sim.status()            -> SimStatus (status: healthy | disabled | error | starting)
 *   sim.setConfig({ orders_per_second: 25 })   (throws RangeError naming the field)
 *   await sim.stop(); await sim.start();
 *
 * `startSimulator` returns at once and connects in the background (status "starting",
 * then "healthy", or "error" with a reason and automatic retries every 2 s). The controller
 * implements `SimulationControl` of src/metrics/routes.ts, so the server passes it to
 * `registerMetricsRoutes(app, { hub, simulation: sim })` as is. Create it with
 * `autoStart: false` when SIMULATION_ENABLED=false: status "disabled" until
 * POST /api/simulation {"action":"start"}.
 *
 * Configuration precedence: HTTP (POST /api/simulation) > CLI flags > env > defaults.
 *   env:  SIMULATION_ENABLED (default true), SIM_ORDERS_PER_SECOND (10),
 *         SIM_VOLATILITY_FACTOR (0.05), SIM_SEED (random)
 *   CLI:  --simulation / --no-simulation, --sim-orders-per-second N,
 *         --sim-volatility-factor X, --sim-seed N     (see simOptionsFrom)
 */
import { createClientTransport } from './client-transport.js';
import { Simulator, validateSimConfig, type SimConfig, type SimLogger, type SimStatus } from './simulator.js';
import type { SimTransport } from './types.js';

export { Simulator, validateSimConfig, SIM_LIMITS, TARGET_LEVELS, MAX_RESTING, SIM_ACCOUNTS } from './simulator.js';
export type { SimConfig, SimStatus, SimState, SimLogger } from './simulator.js';
export type { SimTransport, SimConnection, SimNewOrder, SimOrderAck, SimRequestAck } from './types.js';
export { FairPrice, Rng, DEFAULT_ANCHORS, type SimInstrument } from './market.js';

export interface StartSimulatorOptions {
  /** Binary WebSocket URL of the server, e.g. ws://127.0.0.1:8080/ws/v1. */
  url?: string;
  /** Alternative to url (tests): any SimTransport. */
  transport?: SimTransport;
  /** Session secrets by account (server with SESSION_KEYS_FILE; SIM_ACCOUNTS lists the
   *  accounts): the url transport signs each account's LOGINs with its secret. */
  secrets?: ReadonlyMap<number, string | Uint8Array>;
  symbols?: readonly string[];
  ordersPerSecond?: number;
  volatilityFactor?: number;
  seed?: number;
  logger?: SimLogger;
  /** Default true. false: created "disabled", start() later. */
  autoStart?: boolean;
  reconnectMs?: number;
}

export interface SimulatorController {
  status(): SimStatus;
  setConfig(partial: Partial<SimConfig>): SimConfig;
  start(): Promise<void>;
  /** `reason` shows in status().reason and the "Market simulation stopped" log line. */
  stop(reason?: string): Promise<void>;
  /** For /health services.simulation: "healthy" | "disabled" | "error" ("starting" counts as healthy
   *  for the first 10 s, then as error). */
  health(): 'healthy' | 'disabled' | 'error';
}

export const DEFAULT_SYMBOLS = ['BTCUSD', 'ETHUSD', 'ADAUSD'] as const;

export function startSimulator(opts: StartSimulatorOptions): SimulatorController {
  const transport = opts.transport ?? (opts.url ? createClientTransport(opts.url, opts.secrets) : null);
  if (!transport) throw new TypeError('startSimulator needs url or transport');
  const sim = new Simulator({
    transport,
    symbols: opts.symbols ?? DEFAULT_SYMBOLS,
    ordersPerSecond: opts.ordersPerSecond,
    volatilityFactor: opts.volatilityFactor,
    seed: opts.seed,
    logger: opts.logger,
    reconnectMs: opts.reconnectMs,
  });
  let startingSince = 0;
  const start = () => {
    startingSince = Date.now();
    return sim.start();
  };
  if (opts.autoStart ?? true) start().catch(() => undefined); // status() carries the error
  return {
    status: () => sim.status(),
    setConfig: (p) => sim.setConfig(p),
    start,
    stop: (reason = 'stopped') => sim.stop(reason),
    health: () => {
      const s = sim.status().status;
      if (s === 'starting') return Date.now() - startingSince < 10_000 ? 'healthy' : 'error';
      return s;
    },
  };
}

export interface SimEnvOptions {
  enabled: boolean;
  ordersPerSecond: number;
  volatilityFactor: number;
  seed?: number;
}

/**
 * Simulator settings from env and argv (argv wins). Throws RangeError with the offending
 * variable/flag on invalid values. Unrelated flags are ignored.
 */
export function simOptionsFrom(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = []): SimEnvOptions {
  const out: SimEnvOptions = { enabled: true, ordersPerSecond: 10, volatilityFactor: 0.05 };
  const bool = (name: string, v: string) => {
    if (/^(1|true|yes|on)$/i.test(v)) return true;
    if (/^(0|false|no|off)$/i.test(v)) return false;
    throw new RangeError(`${name} must be true or false`);
  };
  const numeric = (name: string, v: string) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new RangeError(`${name} must be a number`);
    return n;
  };
  if (env.SIMULATION_ENABLED !== undefined && env.SIMULATION_ENABLED !== '') out.enabled = bool('SIMULATION_ENABLED', env.SIMULATION_ENABLED);
  if (env.SIM_ORDERS_PER_SECOND) out.ordersPerSecond = numeric('SIM_ORDERS_PER_SECOND', env.SIM_ORDERS_PER_SECOND);
  if (env.SIM_VOLATILITY_FACTOR) out.volatilityFactor = numeric('SIM_VOLATILITY_FACTOR', env.SIM_VOLATILITY_FACTOR);
  if (env.SIM_SEED) out.seed = numeric('SIM_SEED', env.SIM_SEED);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new RangeError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--simulation') out.enabled = inline === undefined ? true : bool(flag, inline);
    else if (flag === '--no-simulation') out.enabled = false;
    else if (flag === '--sim-orders-per-second') out.ordersPerSecond = numeric(flag, value());
    else if (flag === '--sim-volatility-factor') out.volatilityFactor = numeric(flag, value());
    else if (flag === '--sim-seed') out.seed = numeric(flag, value());
  }
  try {
    validateSimConfig({ orders_per_second: out.ordersPerSecond, volatility_factor: out.volatilityFactor });
  } catch (e) {
    throw new RangeError((e as Error).message.replace('orders_per_second', 'SIM_ORDERS_PER_SECOND / --sim-orders-per-second').replace('volatility_factor', 'SIM_VOLATILITY_FACTOR / --sim-volatility-factor'));
  }
  return out;
}
