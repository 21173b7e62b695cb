// Status reporting for /health: healthy / disabled / error with a reason; bad config refused.
import { describe, expect, it } from 'vitest';
import { Simulator, simOptionsFrom, startSimulator } from '../../src/sim/index.js';
import { FakeExchange } from './fixtures/fake-exchange.js';

describe('simulator lifecycle and config', () => {
  it('healthy when running, disabled after stop, error with reason when connect fails', async () => {
    const ex = new FakeExchange();
    const sim = new Simulator({ transport: ex, symbols: ['BTCUSD'], tickMs: 1e9, reconnectMs: 0 });
    expect(sim.status().status).toBe('disabled');
    await sim.start();
    expect(sim.status()).toMatchObject({ status: 'healthy', running: true });
    await sim.stop();
    expect(sim.status()).toMatchObject({ status: 'disabled', running: false });
    ex.failConnect = 'ECONNREFUSED 127.0.0.1:1';
    await expect(sim.start()).rejects.toThrow('ECONNREFUSED');
    expect(sim.status()).toMatchObject({ status: 'error', running: false });
    expect(sim.status().reason).toContain('ECONNREFUSED');
  });

  it('reports error when a connection is lost and recovers by reconnecting', async () => {
    const ex = new FakeExchange();
    const sim = new Simulator({ transport: ex, symbols: ['BTCUSD'], tickMs: 1e9, reconnectMs: 20 });
    await sim.start();
    ex.dropAll('server closed');
    expect(sim.status().status).toBe('error');
    expect(sim.status().reason).toContain('server closed');
    for (let i = 0; i < 200 && sim.status().status !== 'healthy'; i++) await new Promise((r) => setTimeout(r, 25));
    expect(sim.status().status).toBe('healthy');
    await sim.stop();
  });

  it('refuses out-of-range config with the field name', () => {
    const sim = new Simulator({ transport: new FakeExchange(), symbols: ['BTCUSD'] });
    expect(() => sim.setConfig({ orders_per_second: -1 })).toThrow(/orders_per_second/);
    expect(() => sim.setConfig({ volatility_factor: Number.NaN })).toThrow(/volatility_factor/);
    expect(() => sim.setConfig({ orders_per_second: 1e9 })).toThrow(RangeError);
    expect(sim.setConfig({ volatility_factor: 0.2 })).toEqual({ orders_per_second: 10, volatility_factor: 0.2 });
  });

  it('reads env and CLI flags, CLI winning', () => {
    expect(simOptionsFrom({}, [])).toEqual({ enabled: true, ordersPerSecond: 10, volatilityFactor: 0.05 });
    const o = simOptionsFrom({ SIMULATION_ENABLED: 'false', SIM_ORDERS_PER_SECOND: '25', SIM_VOLATILITY_FACTOR: '0.1' }, ['--sim-orders-per-second', '40', '--simulation', '--sim-seed=9']);
    expect(o).toEqual({ enabled: true, ordersPerSecond: 40, volatilityFactor: 0.1, seed: 9 });
    expect(simOptionsFrom({}, ['start', '--port', '0', '--simulation=false']).enabled).toBe(false);
    expect(() => simOptionsFrom({ SIM_ORDERS_PER_SECOND: 'fast' }, [])).toThrow(/SIM_ORDERS_PER_SECOND/);
    expect(() => simOptionsFrom({}, ['--sim-volatility-factor', '5'])).toThrow(/volatility/);
  });

  it('startSimulator returns a controller with health()', async () => {
    const ex = new FakeExchange();
    const c = startSimulator({ transport: ex, symbols: ['BTCUSD'], autoStart: false });
    expect(c.health()).toBe('disabled');
    await c.start();
    expect(c.health()).toBe('healthy');
    await c.stop('stopped by test');
    expect(c.status().reason).toBe('stopped by test');
  });
});
