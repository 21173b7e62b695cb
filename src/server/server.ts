/**
 * Server assembly and lifecycle: config -> logger -> uWS check -> metrics hub -> shards ->
 * exchange -> routes/WebSockets -> listen -> simulator; and graceful shutdown.
 *
 * Start-up log lines (the seed runbook's): "Application initialized successfully",
 * "Starting HTTP server", "HTTP server listening" {host, port}, "Starting market simulation",
 * then the simulator's own "Market simulation started" once it has connected over the
 * binary protocol (it is a client like any other, so it starts after listening).
 *
 * Shutdown (SIGINT/SIGTERM, or `stop()`), bounded by shutdownTimeoutMs (hard exit after):
 *   stop the simulator -> close the listen socket (no new connections) -> wait for REST
 *   requests and shard commands in flight -> DISCONNECT SERVER_SHUTDOWN to every binary
 *   session (reports flushed) -> close the uWS App -> stop shards (they finish their queue)
 *   -> "Application stopped" {uptime, shutdown_duration}.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import { DEFAULT_INSTRUMENTS, validateInstrument } from '../engine/instruments.js';
import type { InstrumentSpec } from '../engine/types.js';
import { MetricsHub } from '../metrics/index.js';
import { ShardPool, type ShardSink } from '../shard/pool.js';
import { createLogger, formatDuration, type Logger } from './logger.js';
import { uWS, uwsInfo } from './uws.js';
import type { ServerConfig } from './config.js';
import { Exchange } from './exchange.js';
import { registerApiRoutes, sendNotFound } from './routes.js';
import { BinaryWs } from './ws-binary.js';
import { JsonFeed } from './ws-feed.js';
import { TradingControl } from './trading-control.js';
import { registerMigrationMetrics } from './admin/migration.js';
import { Accounts, accountsConfigFromEnv, registerAccountRoutes } from './accounts/index.js';
import { OPERATOR_ENDPOINTS, registerOperatorRoutes } from './operator.js';
import { SessionAuth, loadSessionKeys, type SessionKeys } from './session-auth.js';

export interface RunningServer {
  readonly port: number;
  readonly host: string;
  readonly app: TemplatedApp;
  readonly exchange: Exchange;
  readonly pool: ShardPool;
  readonly logger: Logger;
  /** Graceful stop; resolves when everything is closed (does not exit the process). */
  stop(reason?: string): Promise<void>;
}

export interface StartOptions {
  instruments?: readonly InstrumentSpec[];
  logger?: Logger;
  /** config.sessionKeysFile already loaded (start.ts); else startServer loads it. */
  sessionKeys?: SessionKeys | null;
}

function packageVersion(): string {
  try {
    const here = path.dirname(fileURLToPath(import.meta.url));
    for (const rel of ['../../package.json', '../../../package.json']) {
      try {
        return (JSON.parse(readFileSync(path.join(here, rel), 'utf8')) as { version: string }).version;
      } catch {
        /* try next */
      }
    }
  } catch {
    /* fall through */
  }
  return '0.0.0';
}

interface SimHandle {
  status(): { status: string; running: boolean; [k: string]: unknown };
  health(): 'healthy' | 'disabled' | 'error';
  start(): Promise<void>;
  stop(): Promise<void>;
  setConfig(p: Record<string, unknown>): unknown;
}

export async function startServer(config: ServerConfig, opts: StartOptions = {}): Promise<RunningServer> {
  const startedAt = Date.now();
  const logger = opts.logger ?? createLogger(config.logLevel);
  const version = packageVersion();

  const uws = uwsInfo();
  if (!uws.native) {
    if (!config.allowUwsFallback) {
      logger.fatal({ reason: uws.reason }, 'Refusing to start: uWebSockets.js native binary not loaded (use --allow-uws-fallback to run degraded)');
      throw new Error(uws.reason);
    }
    logger.error({ reason: uws.reason }, '!!! RUNNING ON THE SLOW ws FALLBACK OF uWebSockets.js: /health reports degraded !!!');
  }

  // Session authentication (binary LOGIN credentials), before anything is started: a bad
  // keys file fails start-up (ConfigError).
  const sessionKeys = opts.sessionKeys ?? (config.sessionKeysFile ? loadSessionKeys(config.sessionKeysFile) : null);
  const sessionAuth = sessionKeys ? new SessionAuth(sessionKeys.keys) : null;
  if (sessionKeys) {
    if (sessionKeys.worldReadable) {
      logger.warn({ keys_file: sessionKeys.path }, 'SESSION_KEYS_FILE is readable by every user of this machine: chmod 600 it');
    }
    logger.info({ keys_file: sessionKeys.path, accounts: sessionKeys.keys.size },
      'Session authentication on: binary LOGIN of a non-zero account needs a credential');
  }

  const instruments = opts.instruments ?? DEFAULT_INSTRUMENTS;
  for (const i of instruments) validateInstrument(i);
  const shardCount = Math.max(1, Math.min(config.shards, instruments.length));

  const hub = config.metricsEnabled
    ? new MetricsHub({ symbols: instruments.map((i) => i.symbol), shards: [...Array(shardCount).keys()] })
    : null;

  // Debug endpoints (profiling's module): loaded only when enabled.
  let debugMod: typeof import('./debug/index.js') | null = null;
  let profilerThreads: InstanceType<typeof import('./debug/index.js').ProfilerThreadRegistry> | null = null;
  let debugOpts: ReturnType<typeof import('./debug/index.js').debugOptionsFromEnv> = { enabled: false };
  try {
    debugMod = await import('./debug/index.js');
    debugOpts = debugMod.debugOptionsFromEnv();
    if (debugOpts.enabled) profilerThreads = new debugMod.ProfilerThreadRegistry();
  } catch (err) {
    logger.warn({ err: String(err) }, 'debug endpoints module unavailable');
  }

  // The pool needs its sink before the exchange exists: forward through a small proxy.
  let sinkTarget: ShardSink | null = null;
  const sink: ShardSink = {
    onResult: (s, t, d, u8, o, n, f) => sinkTarget!.onResult(s, t, d, u8, o, n, f),
    onDrainEnd: (s) => sinkTarget?.onDrainEnd(s),
    onShardDown: (s, r, sy) => sinkTarget?.onShardDown(s, r, sy),
    onShardMetrics: (s, snap) => sinkTarget?.onShardMetrics(s, snap),
  };
  const pool = new ShardPool({
    mode: config.shardMode,
    shards: shardCount,
    instruments,
    engineKind: config.engine,
    ringBytes: config.ringBytes,
    allowCrash: config.testRoutes,
    profiler: profilerThreads,
    logger,
    sink,
  });
  const exchange = new Exchange(pool, logger, hub, { mdWritesPerSec: config.mdFanoutWritesPerSec });
  sinkTarget = exchange;
  await pool.start();
  const engines = pool.shards.map((h) => h.implementation);
  if (pool.shards.some((h) => h.implementation !== 'native')) {
    logger.warn({ engines, info: pool.shards[0]?.engineInfo }, 'Shards run the TypeScript engine (native addon not loaded or ENGINE=ts)');
  }

  let draining = false;
  const inflight = { n: 0 };
  const app = uWS.App();
  // Maintenance mode and circuit breakers (src/server/trading-control.ts): one per exchange,
  // handed to the binary edge and the REST routes.
  const control = new TradingControl(exchange.books, logger, config);
  control.start();
  if (hub) control.registerMetrics(hub.registry);
  if (hub) registerMigrationMetrics(hub.registry, pool, exchange.books);
  const binary = new BinaryWs({
    exchange, logger, hub, heartbeatMs: config.heartbeatMs, journalSize: config.journalSize,
    mdBackpressureBytes: config.mdBackpressureBytes, slowConsumerBytes: config.slowConsumerBytes,
    maxConnections: config.maxConnections, draining: () => draining, control, auth: sessionAuth,
  });
  if (hub) binary.registerMetrics(hub.registry);
  exchange.hooks = {
    flushConn: (c) => binary.flushConn(c),
    publishMd: (topic, bytes) => {
      app.publish(topic, bytes, true, false);
    },
    mdSubscribers: (topic) => app.numSubscribers(topic),
  };
  const feed = new JsonFeed(exchange, hub);

  let sim: SimHandle | null = null;
  let simError: string | null = null;

  const health = () => {
    const services: Record<string, string> = {};
    let unhealthy = false;
    let degraded = false;
    const migratedPairs = (h: (typeof pool.shards)[number]): { pair_engines?: Record<string, string>; shadowing?: string[] } => {
      const rows = h.migration?.rows ?? [];
      const moved = rows.filter((r) => r.engine !== h.implementation);
      const shadowing = rows.filter((r) => r.state === 'shadowing').map((r) => r.pair);
      return {
        ...(moved.length > 0 ? { pair_engines: Object.fromEntries(moved.map((r) => [r.pair, r.engine])) } : {}),
        ...(shadowing.length > 0 ? { shadowing } : {}),
      };
    };
    const shards = pool.shards.map((h) => {
      const st = h.state === 'up' ? 'healthy' : h.state === 'starting' ? 'starting' : h.state;
      services[`shard-${h.id}`] = st;
      if (h.state !== 'up') unhealthy = true;
      return {
        id: h.id, name: `simex-shard-${h.id}`, mode: pool.mode, state: h.state, symbols: h.symbols, engine: h.implementation,
        inflight: h.inflight, commands: h.commandsSubmitted,
        heartbeat_age_ms: h.heartbeat && !h.core ? Math.max(0, Date.now() - h.heartbeat[0]!) : null,
        // Pairs a live migration moved to the other engine kind (cut over), or shadowing into it,
        // from the shard's last reported rows (src/shard/migration.ts; ~1 s old at most).
        ...migratedPairs(h),
        ...(h.downReason ? { reason: h.downReason, down_since: new Date(h.downAt).toISOString() } : {}),
      };
    });
    services.engine = unhealthy ? 'unhealthy' : 'healthy';
    if (hub) {
      const mh = hub.health();
      services.metrics = mh.status;
      if (mh.status !== 'healthy') degraded = true;
    } else services.metrics = 'disabled';
    if (sim) {
      const sh = sim.health();
      services.simulation = sh;
      if (sh === 'error') unhealthy = true;
    } else services.simulation = simError ? 'error' : 'disabled';
    if (simError && config.simulationEnabled) unhealthy = true;
    services.http = draining ? 'draining' : 'healthy';
    services.uws = uws.native ? 'native' : 'fallback';
    services.trading = exchange.halted ? 'halted' : 'active';
    const tc = control.healthView();
    services.maintenance = tc.maintenance ? 'enabled' : 'disabled';
    services.circuit_breakers = tc.open_circuit_breakers.length > 0 ? 'open' : 'closed';
    const chaos = operator.chaosView();
    services.chaos = chaos.active ? 'active' : 'inactive';
    if (!uws.native) degraded = true;
    if (draining) unhealthy = true;
    // Open breakers: degraded (200; the other symbols trade). Maintenance: 'maintenance',
    // answered 503 by routes.ts so load balancers drain the instance; unhealthy wins.
    if (tc.open_circuit_breakers.length > 0) degraded = true;
    const status = unhealthy ? 'unhealthy' : tc.maintenance ? 'maintenance' : degraded ? 'degraded' : 'healthy';
    const unavailable = pool.shards.filter((h) => h.state !== 'up').flatMap((h) => h.symbols);
    return {
      status,
      body: {
        status,
        timestamp: new Date().toISOString(),
        services,
        version,
        uptime_s: Math.round((Date.now() - startedAt) / 1000),
        engine: { implementations: engines, requested: config.engine },
        shards,
        unavailable_symbols: unavailable,
        trading_controls: tc,
        chaos,
        connections: { trading: binary.conns.size, feed: feed.conns.size, sessions: binary.sessions.size },
        // Binary WebSocket frames received and sent (execution reports and session
        // messages; market data goes through topic publishes, not counted here).
        frames: { received: binary.stats.frames, sent: binary.stats.sends },
        backpressure: {
          md_paused_now: [...binary.conns].filter((c) => c.mdPaused).length,
          md_pauses_total: binary.stats.mdPauses,
          slow_consumer_disconnects_total: binary.stats.slowConsumers,
          max_buffered_bytes: Math.max(0, ...[...binary.conns].map((c) => (c.ws && !c.closed ? c.ws.getBufferedAmount() : 0))),
          decode_errors_total: binary.stats.decodeErrors,
        },
        ...(uws.native ? {} : { warnings: [uws.reason] }),
        ...(simError ? { simulation_error: simError } : {}),
        ...(hub && services.metrics !== 'healthy' ? { metrics_reasons: hub.health().reasons } : {}),
      },
    };
  };

  // Optional accounts (src/server/accounts, seed 003): in memory; anonymous REST unchanged.
  const accounts = new Accounts({ exchange, logger, instruments, config: accountsConfigFromEnv() });
  if (hub) accounts.registerMetrics(hub.registry);
  registerApiRoutes(accounts.limitPublicRoutes(app), {
    exchange, pool, logger, health, testRoutes: config.testRoutes,
    adminToken: process.env.ADMIN_TOKEN?.trim() || null,
    draining: () => draining, inflight, control, accounts,
  });
  registerAccountRoutes(app, accounts);
  binary.register(app);
  feed.register(app);

  // Simulator controller proxy for the metrics routes (the simulator is created after listen).
  const simControl = {
    status: () => (sim ? sim.status() : { status: simError ? 'error' : 'disabled', running: false, ...(simError ? { reason: simError } : {}) }),
    start: async () => {
      if (!sim) throw new Error(simError ?? 'simulator not available');
      await sim.start();
    },
    stop: async () => {
      if (sim) await sim.stop();
    },
    setConfig: (p: { orders_per_second?: number; volatility_factor?: number }) => {
      if (!sim) throw new RangeError('simulator not available');
      sim.setConfig(p);
    },
  };
  if (hub) {
    try {
      const { registerMetricsRoutes } = await import('../metrics/routes.js');
      registerMetricsRoutes(app, {
        hub,
        simulation: simControl as never,
        feed: { path: '/ws/feed', subscribeTemplate: { op: 'subscribe' }, topicsField: 'topics' },
        symbols: instruments.map((i) => i.symbol),
      });
    } catch (err) {
      logger.error({ err: String((err as Error)?.stack ?? err) }, 'metrics routes unavailable');
    }
  }
  if (debugMod) {
    const on = debugMod.registerDebugRoutes(app, {
      ...debugOpts, ...(profilerThreads ? { threads: profilerThreads } : {}),
      describeThreads: () => [
        { name: 'main', detail: `uWS I/O thread, REST, metrics hub${pool.mode === 'inline' ? ', and the shards (SHARD_MODE=inline)' : ''}` },
        ...(pool.mode === 'inline' ? [] : pool.shards.map((h) => ({
          name: `shard-${h.id}`,
          detail: `worker simex-shard-${h.id} threadId=${h.worker?.threadId ?? '?'} state=${h.state} engine=${h.implementation} inflight=${h.inflight} symbols=${h.symbols.join(',')}`,
        }))),
      ],
    });
    logger.info({ enabled: on }, on ? 'Debug endpoints enabled (/debug/pprof/*)' : 'Debug endpoints disabled (DEBUG_ENDPOINTS=1 enables)');
  }
  // Read-only admin endpoints of seed 004 (src/server/admin): /admin/metrics/*, errors, alerts,
  // system resources, daily report.
  let adminStop: (() => void) | null = null;
  let adminEndpoints: readonly string[] = [];
  try {
    const adm = await import('./admin/index.js');
    const ctl = adm.registerAdminRoutes(app, {
      hub, pool, logger,
      connections: () => ({ trading: binary.conns.size, feed: feed.conns.size, sessions: binary.sessions.size }),
      edgeErrors: () => ({
        binary_decode_errors_total: binary.stats.decodeErrors, slow_consumer_disconnects_total: binary.stats.slowConsumers,
        md_pauses_total: binary.stats.mdPauses, commands_failed_on_shard_down_total: exchange.failedOnShardDown,
      }),
    });
    adminStop = () => ctl.close();
    adminEndpoints = adm.ADMIN_ENDPOINTS;
  } catch (err) {
    logger.warn({ err: String((err as Error)?.stack ?? err) }, 'admin (read-only) routes unavailable');
  }
  // Load-test demo routes (loadgen's module, src/server/demo): /demo/load-test*.
  let demoStop: (() => Promise<void>) | null = null;
  try {
    const demo = await import('./demo/index.js');
    // With session authentication the demo's generator (accounts ownerBase + i, up to the
    // custom scenario's user limit) signs with one ephemeral secret.
    let sessionSecret: string | undefined;
    if (sessionAuth) {
      const { DEFAULT_OPTIONS } = await import('../loadgen/types.js');
      const { SCENARIOS } = await import('./demo/scenarios.js');
      const shared = sessionAuth.sharedSecretFor(DEFAULT_OPTIONS.ownerBase, SCENARIOS.custom.users[1]);
      sessionSecret = shared.secret;
      if (shared.listed.length > 0) {
        logger.warn({ accounts: shared.listed.length, first: shared.listed[0] },
          'SESSION_KEYS_FILE lists load-test demo accounts: the demo cannot log in as those (the file\'s secret wins)');
      }
    }
    const ctl = demo.registerDemoRoutes(app, {
      port: () => port, wsPath: '/ws/v1', symbols: instruments.map((i) => i.symbol),
      logger: logger.child({ component: 'loadtest' }),
      ...(sessionSecret !== undefined ? { sessionSecret } : {}),
    });
    demoStop = async () => {
      try {
        await ctl.close();
      } catch (err) {
        logger.warn({ err: String(err) }, 'load-test controller close failed');
      }
    };
  } catch (err) {
    logger.warn({ err: String((err as Error)?.stack ?? err) }, 'demo (load-test) routes unavailable');
  }
  // Chaos demo routes (src/server/chaos, docs/CHAOS.md): /demo/chaos-test*. Faults hook
  // Exchange.submit, the single door every command goes through.
  let chaosStop: (() => Promise<void>) | null = null;
  let chaosInjector: import('../chaos/faults.js').FaultInjector | null = null;
  try {
    const chaos = await import('./chaos/index.js');
    const ctl = chaos.registerChaosRoutes(app, {
      exchange: exchange as never, hub, pool, port: () => port, allowCrash: config.testRoutes,
      logger: logger.child({ component: 'chaos' }),
    });
    chaosInjector = ctl.injector;
    chaosStop = async () => {
      try {
        await ctl.close();
      } catch (err) {
        logger.warn({ err: String(err) }, 'chaos controller close failed');
      }
    };
  } catch (err) {
    logger.warn({ err: String((err as Error)?.stack ?? err) }, 'chaos routes unavailable');
  }
  // Operator surface for `simex ops` (src/server/operator.ts): /api/trades/:id,
  // /admin/errors/recent (recent-failure ring), the chaos flag file.
  const operator = registerOperatorRoutes(app, { exchange, control, injector: chaosInjector, hub, logger, chaosFlagFile: config.chaosFlagFile });
  app.get('/', (res) => {
    const st = { aborted: false };
    res.onAborted(() => { st.aborted = true; });
    res.cork(() => {
      res.writeHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({
        name: 'simex', version,
        endpoints: ['/health', '/api/symbols', '/api/orders', '/api/orderbook/:symbol', '/api/trades', '/api/metrics',
          '/metrics', '/dashboard', '/ws/v1 (binary protocol)', '/ws/feed (JSON feed)', '/admin/trading/halt', '/admin/trading/resume',
          '/admin/trading/status', '/admin/maintenance/enable|disable|status', '/admin/circuit-breaker/status|history|activate-all|reset-all|reset/:pair',
          '/admin/migration/status|summary|percentage|complete|emergency-stop|stop-all (live engine migration by shadow execution)',
          '/api/auth/register|login|logout|me, /api/account/balance|deposit|withdraw, /api/portfolio (optional accounts: Authorization: Bearer)',
          ...adminEndpoints, ...OPERATOR_ENDPOINTS, '/debug/pprof/* (DEBUG_ENDPOINTS=1)'],
      }));
    });
  });
  app.any('/*', (res) => sendNotFound(res, null));

  logger.info({
    environment: config.environment, port: String(config.port), simulation_enabled: config.simulationEnabled,
    metrics_enabled: config.metricsEnabled, health_enabled: true, shards: shardCount, shard_mode: config.shardMode, engine: engines,
    symbols: instruments.map((i) => i.symbol), uws: uws.native ? 'native' : 'fallback',
    shard_assignment: Object.fromEntries(pool.routeList.map((r) => [r.spec.symbol, r.shard])),
  }, 'Application initialized successfully');

  logger.info({}, 'Starting HTTP server');
  let listenSocket: us_listen_socket | null = null;
  await new Promise<void>((resolve, reject) => {
    app.listen(config.host, config.port, (ls) => {
      if (!ls) {
        reject(new Error(`listen ${config.host}:${config.port} failed (address in use?)`));
        return;
      }
      listenSocket = ls;
      resolve();
    });
  }).catch(async (err) => {
    logger.fatal({ host: config.host, port: config.port, err: String(err) }, 'HTTP server failed to listen');
    (app as unknown as { close(): void }).close();
    await pool.stop(2000);
    hub?.close();
    throw err;
  });
  const port = (uWS as unknown as { us_socket_local_port(s: unknown): number }).us_socket_local_port(listenSocket);
  logger.info({ host: config.host, port: String(port), environment: config.environment }, 'HTTP server listening');

  // Simulator: a client of our own binary endpoint.
  try {
    const simMod = await import('../sim/index.js');
    const so = simMod.simOptionsFrom(process.env, process.argv.slice(2));
    const simLogger = logger.child({ component: 'simulator' });
    // With session authentication the simulator signs its LOGINs like any client: its
    // accounts use the keys file's secret when listed there, else an ephemeral in-memory one.
    const simSecrets = sessionAuth?.secretsFor(simMod.SIM_ACCOUNTS);
    if (sessionAuth && sessionAuth.ephemeral.length > 0) {
      logger.info({ accounts: sessionAuth.ephemeral }, 'Simulator accounts get ephemeral session secrets (not in SESSION_KEYS_FILE)');
    }
    sim = simMod.startSimulator({
      ...(simSecrets ? { secrets: simSecrets } : {}),
      url: `ws://127.0.0.1:${port}/ws/v1`,
      symbols: instruments.map((i) => i.symbol),
      ordersPerSecond: so.ordersPerSecond,
      volatilityFactor: so.volatilityFactor,
      ...(so.seed !== undefined ? { seed: so.seed } : {}),
      logger: simLogger,
      autoStart: config.simulationEnabled,
    }) as unknown as SimHandle;
  } catch (err) {
    simError = `simulator failed to load: ${String((err as Error)?.message ?? err)}`;
    logger.error({ err: String((err as Error)?.stack ?? err) }, 'Market simulation unavailable');
  }

  let stopping: Promise<void> | null = null;
  const stop = (reason = 'stop requested'): Promise<void> => {
    if (stopping) return stopping;
    stopping = (async () => {
      const t0 = Date.now();
      logger.info({ reason }, 'Stopping application');
      draining = true;
      if (sim) {
        logger.info({}, 'Stopping simulation');
        await Promise.race([sim.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
      }
      if (demoStop) await Promise.race([demoStop(), new Promise((r) => setTimeout(r, 5000))]);
      operator.stop(); // the chaos flag poller, before the chaos rollback (it would re-arm its rules)
      if (chaosStop) await Promise.race([chaosStop(), new Promise((r) => setTimeout(r, 5000))]);
      logger.info({}, 'Shutting down server...');
      if (listenSocket) {
        uWS.us_listen_socket_close(listenSocket);
        listenSocket = null;
      }
      // Finish in-flight work: REST requests waiting for shards, commands in the rings.
      const until = Date.now() + Math.min(10_000, config.shutdownTimeoutMs / 2);
      while (inflight.n > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
      await pool.quiesce(Math.max(0, until - Date.now()));
      exchange.flushOutput();
      control.stop(); // the circuit-breaker poller (unref'd; stopped so an in-process restart does not keep it)
      binary.closeAll();
      feed.close();
      // Let close frames and the last reports leave before the sockets are torn down.
      await new Promise((r) => setTimeout(r, 100));
      binary.forceCloseAll();
      (app as unknown as { close(): void }).close();
      logger.info({ in_flight_rest: inflight.n }, 'HTTP server stopped due to context cancellation');
      logger.info({ shards: pool.shards.length }, 'Shutting down container services');
      await pool.stop(Math.min(10_000, config.shutdownTimeoutMs / 2));
      adminStop?.();
      hub?.close();
      logger.info({
        uptime: formatDuration(Date.now() - startedAt), shutdown_duration: formatDuration(Date.now() - t0),
        uptime_ms: Date.now() - startedAt, shutdown_duration_ms: Date.now() - t0,
      }, 'Application stopped');
    })();
    return stopping;
  };

  return { port, host: config.host, app, exchange, pool, logger, stop };
}
