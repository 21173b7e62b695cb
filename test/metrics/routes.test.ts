// The metrics routes on a real uWS app: JSON shapes, Prometheus exposition, dashboard assets
// served from node_modules (no CDN), /api/simulation control and its 400s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRouteServer, type RouteServer } from './fixtures/route-server.js';

let s: RouteServer;
let base = '';
beforeAll(async () => {
  s = await startRouteServer({ ordersPerSecond: 20 });
  base = `http://127.0.0.1:${s.port}`;
});
afterAll(async () => s?.close());

async function j(path: string, init?: RequestInit) {
  const r = await fetch(base + path, init);
  return { status: r.status, type: r.headers.get('content-type'), body: (await r.json()) as any };
}
const post = (path: string, body: unknown) =>
  j(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('metrics routes', () => {
  it('GET /api/metrics answers the runbook fields', async () => {
    await new Promise((r) => setTimeout(r, 1500));
    const { status, body } = await j('/api/metrics');
    expect(status).toBe(200);
    expect(body.order_count).toBeGreaterThan(0);
    expect(Object.keys(body.symbol_metrics)).toEqual(['BTCUSD', 'ETHUSD', 'ADAUSD']);
    expect(body.avg_latency).toMatch(/^\d+\.\d{3}ms$/);
  });

  it('GET /metrics is Prometheus text with simex series', async () => {
    const r = await fetch(base + '/metrics');
    expect(r.headers.get('content-type')).toContain('text/plain');
    const text = await r.text();
    expect(text).toMatch(/^simex_orders_total\{symbol="BTCUSD",side="(buy|sell)",type="(limit|market)",result="accepted"\} \d+$/m);
    expect(text).toContain('# TYPE simex_order_ack_duration_seconds histogram');
    expect(text).toContain('simex_order_ack_duration_seconds_bucket{le="0.001"}');
    expect(text).toContain('process_cpu_seconds_total');
  });

  it('GET /api/metrics/live and /history return feed points', async () => {
    await new Promise((r) => setTimeout(r, 1200));
    const live = await j('/api/metrics/live');
    expect(live.body.v).toBe(1);
    expect(live.body.books.BTCUSD.bids.length).toBeGreaterThan(0);
    const hist = await j('/api/metrics/history');
    expect(hist.body.points.length).toBeGreaterThan(0);
    expect(hist.body.points[0].books).toBeUndefined();
  });

  it('serves the dashboard and its bundled assets', async () => {
    const page = await fetch(base + '/dashboard');
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\/(?!127)/); // no external URLs
    for (const a of ['uplot.min.js', 'uplot.min.css', 'app.js', 'style.css', 'config.js']) {
      const r = await fetch(`${base}/dashboard/${a}`);
      expect(r.status, a).toBe(200);
      expect((await r.text()).length, a).toBeGreaterThan(20);
    }
    expect((await fetch(base + '/dashboard/nope.js')).status).toBe(404);
  });

  it('GET/POST /api/simulation reads and changes the simulator', async () => {
    const g = await j('/api/simulation');
    expect(g.body).toMatchObject({ status: 'healthy', running: true, config: { orders_per_second: 20, volatility_factor: 0.05 } });
    const p = await post('/api/simulation', { orders_per_second: 25, volatility_factor: 0.1 });
    expect(p.status).toBe(200);
    expect(p.body.config).toEqual({ orders_per_second: 25, volatility_factor: 0.1 });
    const stop = await post('/api/simulation/stop', {});
    expect(stop.body).toMatchObject({ status: 'disabled', running: false });
    const start = await post('/api/simulation', { action: 'start' });
    expect(start.body).toMatchObject({ status: 'healthy', running: true });
  });

  it('rejects bad simulation input with {error, code, field}', async () => {
    const cases: [unknown, string, string | undefined][] = [
      [{ orders_per_second: -5 }, 'INVALID_PARAMETER', 'orders_per_second'],
      [{ orders_per_second: 'ten' }, 'INVALID_PARAMETER', 'orders_per_second'],
      [{ volatility_factor: 7 }, 'INVALID_PARAMETER', 'volatility_factor'],
      [{ action: 'explode' }, 'INVALID_PARAMETER', 'action'],
      [{ speed: 1 }, 'UNKNOWN_FIELD', 'speed'],
      ['{not json', 'INVALID_JSON', undefined],
      ['[1,2]', 'BODY_NOT_OBJECT', undefined],
    ];
    for (const [body, code, field] of cases) {
      const r = await post('/api/simulation', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.code).toBe(code);
      expect(r.body.field).toBe(field);
      expect(typeof r.body.error).toBe('string');
    }
    expect((await j('/api/simulation')).body.config.orders_per_second).toBe(25);
  });
});
