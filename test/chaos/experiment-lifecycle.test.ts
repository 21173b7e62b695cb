// ChaosController end to end on fakes: phases injection -> sustained -> recovery ->
// completed, counts that match what the order path saw, degradation from the (fake) hub's
// measurements, recovery detection, computed observations, and rollback of every fault kind.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { ChaosController } from '../../src/chaos/experiment.js';
import { CHAOS_INJECTED } from '../../src/chaos/faults.js';
import { validateChaosTest } from '../../src/chaos/validate.js';
import { CmdType } from '../../src/engine/layout.js';
import { Origin } from '../../src/shard/types.js';
import { FakeExchange, FakeHub, FakePool } from './fixtures/fakes.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ChaosController', () => {
  it('error_simulation: measured errors, phases, recovery and computed results', async () => {
    const ex = new FakeExchange();
    const hub = new FakeHub(100, 50);
    const pool = new FakePool();
    const ctl = new ChaosController({ exchange: ex, hub, pool, port: () => 1, allowCrash: false, seed: 5 });
    const spec = validateChaosTest({ type: 'error_simulation', duration: '2s', target: { component: 'BTCUSD', percentage: 100 },
      parameters: { error_rate: 1 }, recovery: { recovery_time: '0s' } }, ctl.validateContext());
    const run = await ctl.start(spec);
    const phases = new Set<string>();
    let rejects = 0;
    let sent = 0;
    let secOrders = 0;
    let secErrors = 0;
    let lastClose = Date.now();
    while (ctl.running && Date.now() - run.startMs < 60_000) {
      for (let i = 0; i < 5; i++) {
        sent++;
        secOrders++;
        if (ex.submit(0, CmdType.NEW, 0, 0, 0, 0, 0, 1, sent, 1, 1, Origin.SESSION, {}, sent, 0) === CHAOS_INJECTED) {
          rejects++;
          secErrors++;
        }
      }
      if (Date.now() - lastClose >= 250) {
        hub.setLive(secOrders * 4, secErrors * 4, 50);
        secOrders = 0;
        secErrors = 0;
        lastClose = Date.now();
      }
      phases.add(String(ctl.statusBody().phase));
      await sleep(10);
    }
    expect(ctl.running).toBe(false);
    expect([...phases]).toEqual(expect.arrayContaining(['injection', 'sustained', 'recovery']));
    expect(rejects).toBeGreaterThan(0);
    expect(hub.recorded.filter((r) => r === 'BTCUSD:rejected').length).toBe(rejects);
    const res = ctl.resultsBody()!;
    const sum = res.summary as Record<string, unknown>;
    expect(sum.successful_injections).toBe(rejects);
    expect(sum.recovered).toBe(true);
    expect(sum.max_degradation_percent as number).toBeGreaterThan(10);
    expect(sum.error_rate_during_chaos as number).toBeGreaterThan(1);
    expect(typeof sum.resilience_score).toBe('number');
    expect(res.status).toBe('completed');
    expect(res.verdict).toBe('Fail'); // error rate broke the SLA
    expect(res.probes).toContainEqual({ name: 'error-rate-within-sla', status: 'Failed' });
    expect(res.probes).toContainEqual({ name: 'recovered', status: 'Passed' });
    expect((res.timeline as unknown[]).length).toBeGreaterThan(3);
    const obs = (res.observations as string[]).join('\n');
    expect(obs).toContain(`${rejects} successful`);
    expect(obs).toMatch(/exceeded/);
    expect((res.recommendations as string[]).join('\n')).toMatch(/SLA/);
    expect(ctl.injector.installed).toBe(false);
    expect(Object.prototype.hasOwnProperty.call(ex, 'submit')).toBe(false);
  }, 30_000);

  it('no traffic: the score is null and the results say why', async () => {
    const ex = new FakeExchange();
    const hub = new FakeHub(0, 50);
    const ctl = new ChaosController({ exchange: ex, hub, pool: new FakePool(), port: () => 1, allowCrash: false });
    await ctl.start(validateChaosTest({ type: 'latency_injection', duration: '1s', recovery: { recovery_time: '0s' } }, ctl.validateContext()));
    const t0 = Date.now();
    while (Date.now() - t0 < 1600) {
      hub.setLive(0, 0, null);
      await sleep(200);
    }
    expect((ctl.statusBody().metrics as Record<string, unknown>).resilience_score).toBeNull();
    await ctl.stop();
    const res = ctl.resultsBody()!;
    expect((res.recommendations as string[])[0]).toMatch(/under load/);
  });

  it('service_failure crash mode calls pool.crash and reports the shard state', async () => {
    const pool = new FakePool();
    const ctl = new ChaosController({ exchange: new FakeExchange(), hub: new FakeHub(), pool, port: () => 1, allowCrash: true });
    const spec = validateChaosTest({ type: 'service_failure', duration: '5s', target: { component: 'shard-1' }, parameters: { mode: 'throw' } },
      { ...ctl.validateContext(), crashAllowed: true });
    await ctl.start(spec);
    expect(pool.crashes).toEqual([[1, 'throw']]);
    const st = ctl.statusBody();
    expect((st.metrics as Record<string, unknown>).successful_injections).toBe(1);
    expect(st.crash).toMatchObject({ shard: 1, shard_state: 'down', symbols: ['ETHUSD'] });
    await ctl.stop();
  });

  it('network_partition: a loopback proxy in front of the server port, gone after stop', async () => {
    const up = net.createServer((s) => { s.on('error', () => undefined); s.pipe(s); });
    await new Promise<void>((r) => up.listen(0, '127.0.0.1', () => r()));
    const upPort = (up.address() as net.AddressInfo).port;
    const ctl = new ChaosController({ exchange: new FakeExchange(), hub: new FakeHub(), pool: new FakePool(), port: () => upPort, allowCrash: false });
    const run = await ctl.start(validateChaosTest({ type: 'network_partition', duration: '30s', target: { percentage: 100 }, parameters: { toxic: 'timeout' } }, ctl.validateContext()));
    const body = ctl.startBody(run);
    const port = Number(String((body.proxy as { listen: string }).listen).split(':')[1]);
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('error', () => undefined);
    await new Promise((r) => s.once('connect', r));
    let got = 0;
    s.on('data', (b: Buffer) => { got += b.byteLength; });
    s.write('partitioned?');
    await sleep(150);
    expect(got).toBe(0);
    const st = ctl.statusBody();
    expect((st.metrics as Record<string, unknown>).successful_injections).toBe(2); // upstream + downstream toxic on one connection
    const stop = await ctl.stop();
    expect(stop.rolledBack.some((x) => x.startsWith('proxy:'))).toBe(true);
    await new Promise((r) => s.once('close', r));
    await expect(new Promise((resolve, reject) => {
      const c = net.connect({ host: '127.0.0.1', port }, () => resolve(c));
      c.once('error', reject);
    })).rejects.toThrow();
    await new Promise<void>((r) => up.close(() => r()));
  });

  it('resource_exhaustion: CPU burner threads spin, and stop ends them', async () => {
    const ctl = new ChaosController({ exchange: new FakeExchange(), hub: new FakeHub(), pool: new FakePool(), port: () => 1, allowCrash: false });
    await ctl.start(validateChaosTest({ type: 'resource_exhaustion', duration: '10s', target: { percentage: 50 }, parameters: { cpu_workers: 1 } }, ctl.validateContext()));
    // Worker start-up can take a while on a busy machine: wait (bounded) for the first burn.
    let cpu = ctl.statusBody().cpu as { busy_ms: number; workers: number; running: boolean };
    for (let i = 0; i < 100 && cpu.busy_ms === 0; i++) {
      await sleep(100);
      cpu = ctl.statusBody().cpu as typeof cpu;
    }
    expect(cpu.workers).toBe(1);
    expect(cpu.busy_ms).toBeGreaterThan(0);
    const run = await ctl.stop();
    expect(run.rolledBack).toContain('cpu-burner:1-workers');
    expect((ctl.statusBody().cpu as { running: boolean }).running).toBe(false);
  });
});
