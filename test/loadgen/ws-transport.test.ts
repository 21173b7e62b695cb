import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatHuman } from '../../src/loadgen/report.js';
import { startFakeExchange } from './fixtures/fake-exchange.js';
import type { FakeExchange } from './fixtures/fake-exchange.js';
import { runLoadgen } from '../../src/loadgen/runner.js';
import { DEFAULT_OPTIONS } from '../../src/loadgen/types.js';

let fx: FakeExchange;
beforeAll(async () => {
  fx = await startFakeExchange({ rejectEvery: 50 });
});
afterAll(async () => {
  await fx.close();
});

describe('WebSocket transport (protocol v1) against a protocol-speaking fake', () => {
  it('logs in, sends orders and cancels, and matches every reply to its order', async () => {
    const { report } = await runLoadgen({
      ...DEFAULT_OPTIONS, url: fx.url, rate: 400, durationSec: 1, connections: 3, threads: 0, ordersPerFrame: 4,
      drainMs: 2000, progressIntervalMs: 200,
    });
    const c = report.counters;
    expect(report.connections).toBe(3);
    expect(c.planned).toBe(400);
    expect(c.sent).toBe(400);
    // Every order got exactly one first reply, none timed out or errored.
    expect(c.acked).toBe(400);
    expect(c.timeouts).toBe(0);
    expect(c.errors).toBe(0);
    expect(report.error_kinds).toEqual({});
    // The server saw what we sent: NEW_ORDERs + CANCELs = sent.
    expect(fx.received.newOrders + fx.received.cancels).toBe(400);
    expect(fx.received.cancels).toBeGreaterThan(0);
    expect(fx.received.logins).toBe(3);
    // Rejects counted by reason (14 = BAD_PRICE from the fake every 50th new order).
    expect(c.rejected).toBeGreaterThan(0);
    expect(report.reject_reasons['14']).toBeGreaterThan(0);
    expect(report.latency_us.corrected.count).toBe(400);
    expect(report.latency_us.uncorrected.count).toBe(400);
    // Sessions were logged out at the end.
    await new Promise((r) => setTimeout(r, 100));
    expect(fx.received.logouts).toBe(3);
  });

  it('fails cleanly when nothing listens', async () => {
    const { report } = await runLoadgen({ ...DEFAULT_OPTIONS, url: 'ws://127.0.0.1:1/ws/v1', rate: 10, durationSec: 0.2, connections: 2, threads: 0 });
    expect(report.connections).toBe(0);
    expect(report.connect_failures).toBe(2);
    expect(report.counters.sent).toBe(0);
    expect(report.warnings.join('\n')).toMatch(/failed to log in/);
  });
});

describe('fan-out over piscina worker threads', () => {
  it('splits connections and rate over threads and merges their histograms', async () => {
    const before = fx.received.newOrders + fx.received.cancels;
    const { report } = await runLoadgen({
      ...DEFAULT_OPTIONS, url: fx.url, rate: 600, durationSec: 1, connections: 4, threads: 2, ordersPerFrame: 8, drainMs: 2000,
    });
    expect(report.threads).toBe(2);
    expect(report.generator.thread_elu).toHaveLength(2);
    // Linux reports hypervisor steal (/proc/stat); a share of the machine's time, like idle.
    if (process.platform === 'linux') {
      expect(report.generator.machine_steal_percent).not.toBeNull();
      expect(report.generator.machine_steal_percent!).toBeGreaterThanOrEqual(0);
      expect(report.generator.machine_steal_percent! + report.generator.machine_idle_percent).toBeLessThanOrEqual(100);
      expect(formatHuman(report)).toMatch(/hypervisor steal \d/);
    }
    expect(report.connections).toBe(4);
    expect(report.counters.planned).toBe(600);
    expect(report.counters.sent).toBe(600);
    expect(report.counters.acked).toBe(600);
    expect(report.latency_us.corrected.count).toBe(600);
    expect(fx.received.newOrders + fx.received.cancels - before).toBe(600);
  });
});
