/**
 * Token-bucket rate limiter (the seed's gateway): one bucket per key (an account id, or a
 * remote IP for anonymous requests). A bucket holds up to `burst` tokens, refills at `rps`
 * tokens per second, and a request takes one; an empty bucket answers with the wait until
 * one token is back (429 + Retry-After, whole seconds rounded up, at least 1).
 *
 * Cost: one Map lookup and a few float operations per request of a limited scope; a
 * disabled limiter (rps 0) is never consulted (callers check `enabled`). Memory: buckets
 * idle long enough to be full again are dropped when the map reaches MAX_BUCKETS (a full
 * bucket is the same as no bucket), then the oldest-created down to 90 % (one scan per
 * MAX_BUCKETS / 10 new keys at most).
 *
 * The clock is injected (ms, monotonic in production: performance.now) so tests can step it.
 */
export const MAX_BUCKETS = 100_000;
/** What a full map is brought down to (prune, then the oldest-created): 90 %. */
const PRUNE_TARGET = MAX_BUCKETS - MAX_BUCKETS / 10;

interface Bucket {
  tokens: number;
  /** Clock (ms) of the last refill. */
  t: number;
  /** True from the first rejected request until one is allowed again (audit: one line per trip). */
  tripped: boolean;
}

export interface TakeResult {
  ok: boolean;
  /** Seconds to wait (Retry-After) when !ok. */
  retryAfterS: number;
  /** True for the first rejection of a run (the audit logs a trip once). */
  newTrip: boolean;
}

const OK: TakeResult = Object.freeze({ ok: true, retryAfterS: 0, newTrip: false });

export class TokenBucketLimiter {
  private readonly buckets = new Map<string, Bucket>();
  readonly enabled: boolean;
  rejected = 0;
  allowed = 0;

  constructor(readonly rps: number, readonly burst: number, private readonly now: () => number) {
    this.enabled = rps > 0;
    if (this.enabled && !(burst >= 1)) throw new RangeError('rate limit burst must be >= 1');
  }

  get size(): number {
    return this.buckets.size;
  }

  take(key: string): TakeResult {
    const now = this.now();
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= MAX_BUCKETS) {
        this.prune(now);
        // Still above PRUNE_TARGET (busy buckets): drop the oldest-created (Map order) down to
        // it, so the next O(n) scan waits for MAX_BUCKETS / 10 new keys (amortized O(10) per
        // key) instead of running for every new key while the map is full of busy buckets.
        // A dropped key starts again with a full bucket.
        let drop = this.buckets.size - PRUNE_TARGET;
        if (drop > 0) {
          for (const k of this.buckets.keys()) {
            this.buckets.delete(k);
            if (--drop === 0) break;
          }
        }
      }
      b = { tokens: this.burst, t: now, tripped: false };
      this.buckets.set(key, b);
    } else this.refill(b, now);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      b.tripped = false;
      this.allowed++;
      return OK;
    }
    return this.refuse(b);
  }

  /**
   * take's verdict without taking: for a caller that charges only some requests (failed
   * logins), which checks first and takes after. A refusal counts in `rejected` and trips the
   * bucket like take's (newTrip once per run; the next token taken ends the run).
   */
  check(key: string): TakeResult {
    const b = this.buckets.get(key);
    if (b === undefined) return OK;
    this.refill(b, this.now());
    return b.tokens >= 1 ? OK : this.refuse(b);
  }

  /** Tokens earned since the bucket's last refill. */
  private refill(b: Bucket, now: number): void {
    if (now <= b.t) return;
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.t) * this.rps) / 1000);
    b.t = now;
  }

  /** A refused request: counted, the bucket tripped (newTrip once per run). */
  private refuse(b: Bucket): TakeResult {
    this.rejected++;
    const newTrip = !b.tripped;
    b.tripped = true;
    return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - b.tokens) / this.rps)), newTrip };
  }

  /** Drop buckets that have refilled completely (same as absent). */
  private prune(now: number): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((now - b.t) * this.rps) / 1000 >= this.burst) this.buckets.delete(k);
    }
  }
}
