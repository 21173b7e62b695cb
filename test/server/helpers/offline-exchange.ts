// An Exchange with no shards behind it (the default instruments on one fake shard): for unit
// tests of the edge's own state (REST order JSON, output flushing). The constructor reads
// only the routes, the shard count and the in-flight bound.
import { DEFAULT_INSTRUMENTS } from '../../../src/engine/instruments.js';
import { createLogger } from '../../../src/server/logger.js';
import { Exchange } from '../../../src/server/exchange.js';
import type { ShardPool } from '../../../src/shard/pool.js';

export function offlineExchange(): Exchange {
  const pool = {
    routeList: DEFAULT_INSTRUMENTS.map((spec, index) => ({ index, spec, shard: 0, book: index })),
    shards: [{}],
    maxInflight: 64,
  } as unknown as ShardPool;
  return new Exchange(pool, createLogger('silent'), null);
}
