// A real Prometheus (Debian `prometheus`) scrapes the real server on loopback; PromQL over
// its HTTP API returns the order rate; our rules load and evaluate; every Grafana panel
// query parses and runs. `promtool check metrics` accepts a live scrape.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveServer, waitFor, type TestServer } from './fixtures/live.js';
import { findTool, missingToolTest } from './fixtures/tools.js';

const promtool = findTool('promtool');
const prometheus = findTool('prometheus');
const ROOT = path.resolve(import.meta.dirname, '..', '..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
}

if (!promtool || !prometheus) missingToolTest(!promtool ? 'promtool' : 'prometheus', 'prometheus');
else {
  describe('live server scraped by a real Prometheus', () => {
    let s: TestServer;
    let prom: ChildProcess | null = null;
    let promUrl = '';
    let dir = '';
    const promLog: string[] = [];

    beforeAll(async () => {
      s = await startLiveServer();
      dir = mkdtempSync(path.join(tmpdir(), 'simex-prom-'));
      const webPort = await freePort();
      promUrl = `http://127.0.0.1:${webPort}`;
      writeFileSync(
        path.join(dir, 'prometheus.yml'),
        [
          'global: { scrape_interval: 1s, evaluation_interval: 1s }',
          `rule_files: ['${path.join(ROOT, 'ops/prometheus/simex-rules.yml')}']`,
          'scrape_configs:',
          '  - job_name: simex',
          `    static_configs: [{ targets: ['127.0.0.1:${s.port}'] }]`,
          '',
        ].join('\n'),
      );
      prom = spawn(prometheus!, [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${webPort}`,
      ], { stdio: ['ignore', 'pipe', 'pipe'] });
      prom.stdout!.on('data', (b) => promLog.push(String(b)));
      prom.stderr!.on('data', (b) => promLog.push(String(b)));
      await waitFor(async () => (await fetch(`${promUrl}/-/ready`)).ok, 30_000, 'prometheus ready');
    }, 90_000);

    afterAll(async () => {
      if (prom && prom.exitCode === null) {
        const exited = new Promise((r) => prom!.once('exit', r));
        prom.kill('SIGTERM');
        await exited;
      }
      await s?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const query = async (q: string) => {
      const r = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
      return (await r.json()) as { status: string; error?: string; data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } };
    };

    it('promtool check metrics accepts a live scrape', async () => {
      const text = await (await fetch(`${s.base}/metrics`)).text();
      expect(text).toContain('simex_orders_total');
      const r = spawnSync(promtool!, ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(r.stdout + r.stderr).toBe('');
      expect(r.status).toBe(0);
    });

    it('PromQL returns the order rate from the scraped counters', async () => {
      let rate = 0;
      await waitFor(async () => {
        const r = await query('sum(rate(simex_orders_total[10s]))');
        rate = Number(r.data.result[0]?.value[1] ?? 0);
        return rate > 0;
      }, 45_000, `a positive order rate in Prometheus (log: ${promLog.join('').slice(-500)})`, 1000);
      expect(rate).toBeGreaterThan(0);
      const up = await query('up{job="simex"}');
      expect(up.data.result[0]?.value[1]).toBe('1');
      const bySymbol = await query('sum by (symbol) (rate(simex_orders_total[10s]))');
      expect(bySymbol.data.result.map((x) => x.metric.symbol).sort()).toEqual(['ADAUSD', 'BTCUSD', 'ETHUSD']);
    });

    it('loads the SLO rules and evaluates the recording rules', async () => {
      const rules = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as { data: { groups: { name: string; rules: { health: string; name: string }[] }[] } };
      const names = rules.data.groups.map((g) => g.name);
      expect(names.sort()).toEqual(['simex-health', 'simex-migration', 'simex-recording', 'simex-slo-alerts', 'simex-slo-ratios']);
      for (const g of rules.data.groups) for (const r of g.rules) expect(r.health, r.name).not.toBe('err');
      await waitFor(async () => Number((await query('simex:orders:rate1m')).data.result[0]?.value[1] ?? 0) > 0, 30_000, 'simex:orders:rate1m > 0', 1000);
      await waitFor(async () => (await query('simex:order_ack_latency_seconds:p99_1m')).data.result.length > 0, 30_000, 'ack p99 recording rule', 1000);
    });

    it('every Grafana panel query parses and runs', async () => {
      const dash = JSON.parse(readFileSync(path.join(ROOT, 'ops/grafana/simex-dashboard.json'), 'utf8'));
      const exprs: string[] = dash.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((t) => t.expr));
      expect(exprs.length).toBeGreaterThan(20);
      for (const e of exprs) {
        const r = await query(e.replaceAll('$__rate_interval', '1m'));
        expect(r.status, `${e}: ${r.error ?? ''}`).toBe('success');
      }
      // The headline panels have data.
      for (const e of ['simex:orders:rate1m', 'simex:trades:rate1m:by_symbol', 'simex_book_depth', 'simex_book_spread_ratio * 10000', 'sum(simex_shard_up)']) {
        const r = await query(e);
        expect(r.data.result.length, e).toBeGreaterThan(0);
      }
    });
  });
}
