// The real server objects satisfy the chaos deps interfaces (checked by tsc; the test body
// only guards against the interfaces drifting into `any`).
import { describe, expect, it } from 'vitest';
import type { Exchange } from '../../src/server/exchange.js';
import type { MetricsHub } from '../../src/metrics/index.js';
import type { ShardPool } from '../../src/shard/pool.js';
import type { ChaosDeps, MetricsLike, PoolLike } from '../../src/chaos/experiment.js';
import type { ExchangeLike } from '../../src/chaos/faults.js';

describe('chaos deps match the server objects', () => {
  it('Exchange, MetricsHub and ShardPool are assignable to the chaos interfaces', () => {
    const wire = (exchange: Exchange, hub: MetricsHub, pool: ShardPool): ChaosDeps => ({
      exchange, hub, pool, port: () => 1, allowCrash: false,
    });
    const e: (x: Exchange) => ExchangeLike = (x) => x;
    const h: (x: MetricsHub) => MetricsLike = (x) => x;
    const p: (x: ShardPool) => PoolLike = (x) => x;
    expect([wire, e, h, p].every((f) => typeof f === 'function')).toBe(true);
  });
});
