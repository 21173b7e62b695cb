// Regression (review of seed 003 accounts): the token-bucket map is bounded (MAX_BUCKETS)
// and a flood of new keys (remote IPs) while every bucket is busy must not pay a full scan
// of the map per new key (a 100k-entry walk per request: an amplifier for exactly the
// traffic the limiter exists to shed). The scan count is asserted, not its time.
import { describe, expect, it, vi } from 'vitest';
import { MAX_BUCKETS, TokenBucketLimiter } from '../../src/server/accounts/limiter.js';

describe('token-bucket map bound', () => {
  it('stays bounded and scans at most once per MAX_BUCKETS / 10 new keys when every bucket is busy', () => {
    const now = 0; // the clock never moves: no bucket ever refills, none is prunable
    const l = new TokenBucketLimiter(1, 5, () => now);
    for (let i = 0; i < MAX_BUCKETS; i++) l.take(`k${i}`);
    expect(l.size).toBe(MAX_BUCKETS);
    const prune = vi.spyOn(l as unknown as { prune(n: number): void }, 'prune');
    for (let i = 0; i < 5000; i++) expect(l.take(`new${i}`).ok).toBe(true);
    expect(l.size).toBeLessThanOrEqual(MAX_BUCKETS);
    expect(prune.mock.calls.length).toBeLessThanOrEqual(1);
    // The newest keys keep their buckets (what was dropped is the oldest-created).
    for (let i = 0; i < 4; i++) l.take('new4999');
    expect(l.take('new4999').ok).toBe(false);
  });

  it('a prune that frees buckets keeps the busy ones', () => {
    let now = 0;
    const l = new TokenBucketLimiter(1, 2, () => now);
    for (let i = 0; i < MAX_BUCKETS; i++) l.take(`k${i}`);
    now = 10_000; // all refilled: all prunable
    l.take('busy');
    l.take('busy');
    expect(l.size).toBeLessThanOrEqual(2);
    expect(l.take('busy').ok).toBe(false);
  });
});
