// Trading controls on the binary protocol: maintenance and an open circuit breaker reject
// NEW_ORDER and AMEND with reasons 130 MAINTENANCE_MODE / 129 CIRCUIT_BREAKER_OPEN; CANCEL
// still works; the other instruments trade.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimexClient, Side } from '../../src/client/index.js';
import { EdgeReason } from '../../src/protocol/reasons.js';
import { api, startTestServer, type TestServer } from './helpers/server.js';

describe('trading controls on the binary protocol', () => {
  let srv: TestServer;
  let a: SimexClient;
  beforeAll(async () => {
    srv = await startTestServer({ CIRCUIT_BREAKER_ENABLED: 'false' });
    a = await SimexClient.connect(srv.wsUrl, { account: 9 });
  });
  afterAll(async () => {
    await a?.close();
    await srv?.stop();
  });

  it('maintenance: NEW/AMEND rejected 130, CANCEL works; breaker: 129 on that instrument only', async () => {
    const btc = a.instrument('BTCUSD');
    const eth = a.instrument('ETHUSD');
    const rest = await a.newOrder({ instrument: btc.instrument, side: Side.BUY, price: a.price(btc, '40000'), qty: a.qty(btc, '1') });
    expect(rest.status).toBe('active');

    await api(srv.base, 'POST', '/admin/maintenance/enable');
    const n = await a.newOrder({ instrument: eth.instrument, side: Side.BUY, price: a.price(eth, '3000'), qty: a.qty(eth, '1') });
    expect(n).toMatchObject({ status: 'rejected', reason: EdgeReason.MAINTENANCE_MODE, reasonName: 'MAINTENANCE_MODE' });
    const am = await a.amend({ instrument: btc.instrument, orderId: rest.orderId, newPrice: a.price(btc, '40001'), newQty: a.qty(btc, '1') });
    expect(am).toMatchObject({ status: 'rejected', reason: EdgeReason.MAINTENANCE_MODE });
    await api(srv.base, 'POST', '/admin/maintenance/disable');

    await api(srv.base, 'POST', '/admin/circuit-breaker/activate-all');
    await api(srv.base, 'POST', '/admin/circuit-breaker/reset/ETHUSD');
    const b = await a.newOrder({ instrument: btc.instrument, side: Side.BUY, price: a.price(btc, '40000'), qty: a.qty(btc, '1') });
    expect(b).toMatchObject({ status: 'rejected', reason: EdgeReason.CIRCUIT_BREAKER_OPEN, reasonName: 'CIRCUIT_BREAKER_OPEN' });
    const e = await a.newOrder({ instrument: eth.instrument, side: Side.BUY, price: a.price(eth, '3000'), qty: a.qty(eth, '1') });
    expect(e.status).toBe('active');
    const c = await a.cancel({ instrument: btc.instrument, orderId: rest.orderId });
    expect(c.status).toBe('cancelled');
    await api(srv.base, 'POST', '/admin/circuit-breaker/reset-all');
  });
});
