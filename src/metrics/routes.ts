/**
 * HTTP routes of the metrics area (cross-team contract 3):
 *
 *   GET  /api/metrics            the runbook's JSON (fields below), all measured
 *   GET  /api/metrics/live       the last closed second's FeedPoint (what the `metrics` topic last carried)
 *   GET  /api/metrics/history    closed-second FeedPoints, oldest first (dashboard backfill)
 *   GET  /metrics                Prometheus text exposition (prom-client registry of the hub)
 *   GET  /dashboard              the live dashboard (+ /dashboard/<asset>)
 *   GET  /api/simulation         simulator status and config
 *   POST /api/simulation         {action?: "start"|"stop", orders_per_second?, volatility_factor?}
 *   POST /api/simulation/start   same as {action:"start"}; /stop likewise
 *
 * /api/metrics fields and units:
 *   timestamp (ISO-8601 UTC), uptime_s, order_count / trade_count (since start, all
 *   symbols), total_volume (sum of traded base quantities), avg_latency / p50_latency /
 *   p95_latency / p99_latency ("0.042ms": milliseconds, order received -> ack sent, over
 *   latency_window_s ~60 s), the same as numbers in µs (avg_latency_us ...), latency_samples,
 *   engine_latency {avg_us, p50_us, p99_us, ...} (engine time per command, shards merged),
 *   orders_per_sec / trades_per_sec (sliding window of rate_window_s complete seconds),
 *   error_rate (PERCENT of order requests in that window rejected or failed; 0.02 = 0.02 %),
 *   server_error_rate (percent with result=error only), symbol_metrics{SYMBOL: {order_count,
 *   trade_count, volume (base asset), avg_price (volume-weighted, quote), last_price}}.
 *   Latency fields are null when the window holds no samples: nothing is made up.
 *
 * Costs: /api/metrics merges <= 14 HDR histograms (~0.2-1 ms); /metrics formats ~300 series.
 */
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { HttpError, readJsonObject, sendError, sendHttpError, sendJson, sendText, trackAbort } from '../server/http.js';
import type { MetricsHub } from './hub.js';

/** What the routes need from the simulator (src/sim `SimulationManager` implements it). */
export interface SimulationControl {
  status(): SimulationStatusBody;
  start(): Promise<void>;
  stop(reason?: string): Promise<void>;
  /** Validates and applies; throws `RangeError` whose message names the field on bad input. */
  setConfig(partial: { orders_per_second?: number; volatility_factor?: number }): void;
}

export interface SimulationStatusBody {
  /** For /health `services.simulation`. */
  status: 'healthy' | 'disabled' | 'error' | 'starting' | 'stopped';
  running: boolean;
  reason?: string;
}

export interface MetricsRouteDeps {
  hub: MetricsHub;
  /** null/undefined: /api/simulation answers status "disabled" and 409 on start. */
  simulation?: SimulationControl | null;
  /**
   * Live feed the dashboard subscribes to. `subscribe(topics)` returns the text frame the
   * server's /ws/feed expects; defaults to {"op":"subscribe","topics":[...]}.
   */
  feed?: { path?: string; subscribeTemplate?: Record<string, unknown>; topicsField?: string };
  /** Symbols shown on the dashboard (default: the hub's). */
  symbols?: readonly string[];
}

const here = dirname(fileURLToPath(import.meta.url));

/** src/dashboard whether running from src/ (vitest) or dist/src/ (compiled). */
export function dashboardDir(): string {
  const candidates = [join(here, '../dashboard'), join(here, '../../../src/dashboard')];
  for (const c of candidates) if (existsSync(join(c, 'index.html'))) return c;
  throw new Error(`dashboard assets not found (looked in ${candidates.join(', ')})`);
}

interface Asset {
  type: string;
  body: Buffer;
}

function loadAssets(deps: MetricsRouteDeps): Map<string, Asset> {
  const dir = dashboardDir();
  const req = createRequire(import.meta.url);
  const uplotDir = dirname(req.resolve('uplot/package.json'));
  const a = new Map<string, Asset>();
  const file = (name: string, path: string, type: string) => a.set(name, { type, body: readFileSync(path) });
  file('index.html', join(dir, 'index.html'), 'text/html; charset=utf-8');
  file('app.js', join(dir, 'app.js'), 'text/javascript; charset=utf-8');
  file('style.css', join(dir, 'style.css'), 'text/css; charset=utf-8');
  file('uplot.min.js', join(uplotDir, 'dist/uPlot.iife.min.js'), 'text/javascript; charset=utf-8');
  file('uplot.min.css', join(uplotDir, 'dist/uPlot.min.css'), 'text/css; charset=utf-8');
  const config = {
    feedPath: deps.feed?.path ?? '/ws/feed',
    subscribeTemplate: deps.feed?.subscribeTemplate ?? { op: 'subscribe' },
    topicsField: deps.feed?.topicsField ?? 'topics',
    symbols: deps.symbols ?? null,
  };
  a.set('config.js', {
    type: 'text/javascript; charset=utf-8',
    body: Buffer.from(`window.SIMEX_DASHBOARD = ${JSON.stringify(config)};\n`),
  });
  return a;
}

function sendAsset(res: HttpResponse, asset: Asset): void {
  res.cork(() => {
    res.writeStatus('200 OK');
    res.writeHeader('Content-Type', asset.type);
    res.writeHeader('Cache-Control', 'no-cache');
    res.end(asset.body);
  });
}

export function registerMetricsRoutes(app: TemplatedApp, deps: MetricsRouteDeps): void {
  const { hub } = deps;
  const assets = loadAssets(deps);

  app.get('/api/metrics', (res) => {
    const st = trackAbort(res);
    sendJson(res, st, 200, hub.apiMetrics());
  });
  app.get('/api/metrics/live', (res) => {
    const st = trackAbort(res);
    sendJson(res, st, 200, hub.livePoint());
  });
  app.get('/api/metrics/history', (res) => {
    const st = trackAbort(res);
    sendJson(res, st, 200, { points: hub.historyPoints() });
  });

  app.get('/metrics', (res) => {
    const st = trackAbort(res);
    hub.prometheusText().then(
      (text) => sendText(res, st, 200, hub.registry.contentType, text),
      () => sendError(res, st, 500, 'METRICS_FAILED', 'could not collect metrics'),
    );
  });

  const index = assets.get('index.html')!;
  app.get('/dashboard', (res) => sendAsset(res, index));
  app.get('/dashboard/', (res) => sendAsset(res, index));
  app.get('/dashboard/:asset', (res, req) => {
    const asset = assets.get(req.getParameter(0) ?? '');
    if (asset) sendAsset(res, asset);
    else sendError(res, null, 404, 'NOT_FOUND', 'no such dashboard asset');
  });

  const simStatus = (): SimulationStatusBody =>
    deps.simulation ? deps.simulation.status() : { status: 'disabled', running: false, reason: 'simulation not configured (SIMULATION_ENABLED=false)' };

  app.get('/api/simulation', (res) => {
    const st = trackAbort(res);
    sendJson(res, st, 200, simStatus());
  });

  const control = async (res: HttpResponse, st: { aborted: boolean }, body: Record<string, unknown>) => {
    const sim = deps.simulation;
    const { action, orders_per_second, volatility_factor, ...rest } = body;
    const unknown = Object.keys(rest)[0];
    if (unknown !== undefined) throw new HttpError(400, 'UNKNOWN_FIELD', `unknown field ${unknown}`, unknown);
    if (action !== undefined && action !== 'start' && action !== 'stop') {
      throw new HttpError(400, 'INVALID_PARAMETER', 'action must be "start" or "stop"', 'action');
    }
    for (const [field, v] of [['orders_per_second', orders_per_second], ['volatility_factor', volatility_factor]] as const) {
      if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) {
        throw new HttpError(400, 'INVALID_PARAMETER', `${field} must be a number`, field);
      }
    }
    if (!sim) throw new HttpError(409, 'SIMULATION_DISABLED', 'simulation is not configured on this server');
    const partial: { orders_per_second?: number; volatility_factor?: number } = {};
    if (orders_per_second !== undefined) partial.orders_per_second = orders_per_second as number;
    if (volatility_factor !== undefined) partial.volatility_factor = volatility_factor as number;
    if (Object.keys(partial).length > 0) {
      try {
        sim.setConfig(partial);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        const field = msg.startsWith('volatility_factor') ? 'volatility_factor' : 'orders_per_second';
        throw new HttpError(400, 'INVALID_PARAMETER', msg, field);
      }
    }
    try {
      if (action === 'start') await sim.start();
      if (action === 'stop') await sim.stop('stopped via POST /api/simulation');
    } catch (e) {
      throw new HttpError(503, 'SIMULATION_FAILED', `simulation ${String(action)} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    sendJson(res, st, 200, sim.status());
  };

  app.post('/api/simulation', (res) => {
    const st = trackAbort(res);
    readJsonObject(res, st)
      .then((body) => control(res, st, body))
      .catch((e) => sendHttpError(res, st, e));
  });
  for (const action of ['start', 'stop'] as const) {
    app.post(`/api/simulation/${action}`, (res) => {
      const st = trackAbort(res);
      readJsonObject(res, st)
        .then((body) => control(res, st, { ...body, action }))
        .catch((e) => sendHttpError(res, st, e));
    });
  }
}
