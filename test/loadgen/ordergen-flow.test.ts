// Differential: the C generator's order flow (bench/ordergen/ordergen.c, `--dump-orders K`)
// against the TS FlowGenerator (src/loadgen/flow.ts) for the same seed, mix and the
// instruments a real server announces: same parameters (reference price, tick, lot, min qty)
// and the same first K orders of connection 0, every limit order assumed to rest at once (so
// cancels of the oldest live order are exercised). Needs a C compiler: skipped locally
// without one (printed reason), fails in CI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimexClient } from '../../src/client/index.js';
import { OrderFlow, OP_CANCEL, OP_LIMIT, paramsFor } from '../../src/loadgen/flow.js';
import type { SymbolParams } from '../../src/loadgen/flow.js';
import type { MixSpec } from '../../src/loadgen/types.js';
import { buildOrdergen, dumpNativeOrders } from '../../src/loadgen/native.js';
import { startTestServer, type TestServer } from '../server/helpers/server.js';
import { compilerOrSkip } from './fixtures/c-tools.js';

const cc = compilerOrSkip('the ordergen flow');

/** The lines ordergen prints for connection 0 (worker.ts seeds connection g this way). */
function tsDump(params: SymbolParams[], mix: MixSpec, seed: number, k: number): string {
  const flow = new OrderFlow(params, mix, (seed * 1_000_003 + 0 * 7919) >>> 0);
  const out = params.map((p) => `param ${p.symbol} ${p.instrument} ${p.refPrice} ${p.tick} ${p.lot} ${p.minQty}`);
  for (let id = 1; id <= k; id++) {
    const o = flow.next(id);
    if (o.op === OP_CANCEL) out.push(`${id} cancel ${o.symbolIndex} ${o.cancelId}`);
    else out.push(`${id} ${o.op === OP_LIMIT ? 'limit' : 'market'} ${o.symbolIndex} ${o.side} ${o.price} ${o.qty}`);
    if (o.op === OP_LIMIT) flow.rested(id, o.symbolIndex);
  }
  return out.join('\n') + '\n';
}

describe.skipIf(!cc)('native ordergen order flow = TS flow', () => {
  let srv: TestServer;
  let binary: string;
  let client: SimexClient;
  beforeAll(async () => {
    binary = buildOrdergen().binary;
    srv = await startTestServer({ SHARD_MODE: 'inline' });
    client = await SimexClient.connect(srv.wsUrl, { account: 7 });
  });
  afterAll(async () => {
    await client?.close();
    await srv?.stop();
  });

  const params = (symbols: string[]): SymbolParams[] => symbols.map((s) => paramsFor(client.instrument(s)));

  it.each([
    { seed: 42, symbols: ['BTCUSD', 'ETHUSD', 'ADAUSD'], mix: { limit: 55, cancel: 40, market: 5 } },
    { seed: 7, symbols: ['ETHUSD'], mix: { limit: 55, cancel: 40, market: 5 } },
    { seed: 123456789, symbols: ['ADAUSD', 'BTCUSD'], mix: { limit: 30, cancel: 50, market: 20 } },
  ])('seed $seed, $symbols, mix $mix: same parameters and first 5,000 orders', ({ seed, symbols, mix }) => {
    const k = 5000;
    const c = dumpNativeOrders(srv.wsUrl, k, { seed, symbols, mix: `limit=${mix.limit},cancel=${mix.cancel},market=${mix.market}`, binary });
    const t = tsDump(params(symbols), mix, seed, k);
    const cl = c.split('\n');
    const tl = t.split('\n');
    expect(cl.length).toBe(tl.length);
    // First differing line, for a readable failure.
    const i = cl.findIndex((l, j) => l !== tl[j]);
    expect(i === -1 ? null : { line: i, c: cl[i], ts: tl[i] }).toBeNull();
    // The dump exercised every kind of order.
    expect(c).toMatch(/ cancel /);
    expect(c).toMatch(/ market /);
  });
});
