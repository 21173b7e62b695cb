// A binary session cancels and amends only the orders it entered. Anonymous sessions
// (account 0) all reach the engine as owner 0, so the engine's owner check cannot
// separate them, and an order's reports go to the session that entered it (a request from
// another session was left unanswered): a CANCEL or AMEND naming another session's order by
// its exchange orderId is REJECTED UNKNOWN_ORDER (10, as for an id naming nothing, so other
// sessions' orders are not revealed) and changes nothing, for anonymous
// sessions and for two sessions of one account alike. MASS_CANCEL still reaches every order
// of the account.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimexClient } from '../../src/client/index.js';
import { RejectReason, Side } from '../../src/engine/layout.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describe('binary CANCEL/AMEND by orderId across sessions', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ SHARDS: '1', SHARD_MODE: 'inline', SIMULATION_ENABLED: 'false' });
  }, 60_000);
  afterAll(async () => {
    await srv?.stop();
  });

  it('an anonymous session cannot cancel or amend another anonymous session\'s order', async () => {
    const a = await SimexClient.connect(srv.wsUrl, { account: 0 });
    const b = await SimexClient.connect(srv.wsUrl, { account: 0 });
    const eth = a.instrument('ETHUSD');
    const o = await a.newOrder({ instrument: eth.instrument, side: Side.BUY, price: a.price(eth, '2000'), qty: a.qty(eth, '1') });
    expect(o.status).toBe('active');
    expect(o.orderId).toBeGreaterThan(0);

    const c = await b.cancel({ instrument: eth.instrument, orderId: o.orderId });
    expect([c.status, c.reason, c.reasonName]).toEqual(['rejected', RejectReason.UNKNOWN_ORDER, 'UNKNOWN_ORDER']);
    const am = await b.amend({ instrument: eth.instrument, orderId: o.orderId, newPrice: a.price(eth, '2001'), newQty: a.qty(eth, '1') });
    expect([am.status, am.reason]).toEqual(['rejected', RejectReason.UNKNOWN_ORDER]);

    // Untouched: its owner session still cancels it, with all of its quantity.
    const own = await a.cancel({ instrument: eth.instrument, orderId: o.orderId });
    expect(own.status).toBe('cancelled');
    expect(own.cancelled?.leaves).toBe(a.qty(eth, '1'));
    await a.close();
    await b.close();
  });

  it('two sessions of one account: UNKNOWN_ORDER for a single order, MASS_CANCEL reaches all', async () => {
    const a = await SimexClient.connect(srv.wsUrl, { account: 7 });
    const b = await SimexClient.connect(srv.wsUrl, { account: 7 });
    const eth = a.instrument('ETHUSD');
    const o = await a.newOrder({ instrument: eth.instrument, side: Side.SELL, price: a.price(eth, '9000'), qty: a.qty(eth, '1') });
    expect(o.status).toBe('active');
    const c = await b.cancel({ instrument: eth.instrument, orderId: o.orderId });
    expect([c.status, c.reason]).toEqual(['rejected', RejectReason.UNKNOWN_ORDER]);
    const gone = new Promise<number>((resolve) => a.on('cancelled', (m: { orderId: number }) => resolve(m.orderId)));
    const mass = await b.massCancel(eth.instrument);
    expect([mass.status, mass.count]).toEqual(['done', 1]);
    expect(await gone).toBe(o.orderId);
    await a.close();
    await b.close();
  });
});
