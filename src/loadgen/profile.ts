/**
 * Rate profiles: when the k-th order of a run is planned, independently of replies
 * (open loop). A profile is a trapezoid: linear ramp 0 -> rate over `rampUpSec`, constant
 * `rate` for the sustained part, linear ramp rate -> 0 over `rampDownSec`. The ramps are part
 * of `durationSec` (the runbook: ramp-up is "10-20% of test duration").
 *
 * Cost: plannedAt() is O(1) (closed-form inverse of the cumulative count), so a thread can
 * plan millions of orders per second without tables.
 */
export type Phase = 'ramp-up' | 'sustained' | 'ramp-down' | 'done';

export interface ProfileSpec {
  rate: number; // orders per second at the top of the trapezoid, > 0
  durationSec: number; // total, ramps included, > 0
  rampUpSec?: number;
  rampDownSec?: number;
}

export class RateProfile {
  readonly rate: number;
  readonly up: number; // seconds
  readonly sustained: number;
  readonly down: number;
  readonly duration: number;
  /** Number of orders the whole profile plans (floor of the area under the trapezoid). */
  readonly total: number;
  private readonly nUp: number;
  private readonly nSus: number;

  constructor(spec: ProfileSpec) {
    const up = spec.rampUpSec ?? 0;
    const down = spec.rampDownSec ?? 0;
    if (!(spec.rate > 0) || !Number.isFinite(spec.rate)) throw new RangeError('rate must be > 0');
    if (!(spec.durationSec > 0) || !Number.isFinite(spec.durationSec)) throw new RangeError('duration must be > 0');
    if (up < 0 || down < 0 || up + down > spec.durationSec) {
      throw new RangeError('ramp_up + ramp_down must be within the duration');
    }
    this.rate = spec.rate;
    this.up = up;
    this.down = down;
    this.duration = spec.durationSec;
    this.sustained = spec.durationSec - up - down;
    this.nUp = (this.rate * up) / 2;
    this.nSus = this.rate * this.sustained;
    // 1e-9 guards against 0.1*3 = 0.30000000000000004-style float noise adding an order.
    this.total = Math.floor(this.nUp + this.nSus + (this.rate * down) / 2 + 1e-9);
  }

  /** Orders planned strictly before `t` seconds (cumulative count N(t), real-valued). */
  countAt(t: number): number {
    const R = this.rate;
    if (t <= 0) return 0;
    if (t < this.up) return (R * t * t) / (2 * this.up);
    const t1 = t - this.up;
    if (t1 < this.sustained) return this.nUp + R * t1;
    const t2 = Math.min(t1 - this.sustained, this.down);
    return this.nUp + this.nSus + R * t2 - (this.down > 0 ? (R * t2 * t2) / (2 * this.down) : 0);
  }

  /**
   * Planned time, in seconds from the start, of order k (0-based): the instant at which the
   * cumulative count reaches k. Order 0 is planned at t = 0. Infinity when k >= total.
   */
  plannedAt(k: number): number {
    if (k >= this.total) return Infinity;
    const R = this.rate;
    if (k <= 0) return 0;
    if (k < this.nUp) return Math.sqrt((2 * this.up * k) / R);
    const k1 = k - this.nUp;
    if (k1 < this.nSus || this.down === 0) return this.up + k1 / R;
    const m = k1 - this.nSus;
    const D = this.down;
    const disc = Math.max(0, D * D - (2 * D * m) / R);
    return this.up + this.sustained + (D - Math.sqrt(disc));
  }

  /** Instantaneous planned rate (orders/s) at time t seconds. */
  rateAt(t: number): number {
    if (t < 0 || t >= this.duration) return 0;
    if (t < this.up) return (this.rate * t) / this.up;
    if (t < this.up + this.sustained) return this.rate;
    return (this.rate * (this.duration - t)) / this.down;
  }

  phaseAt(t: number): Phase {
    if (t >= this.duration) return 'done';
    if (t < this.up) return 'ramp-up';
    if (t < this.up + this.sustained) return 'sustained';
    return 'ramp-down';
  }

  /** Same shape, rate scaled (for splitting a run across threads). */
  scaled(share: number): RateProfile {
    return new RateProfile({
      rate: this.rate * share,
      durationSec: this.duration,
      rampUpSec: this.up,
      rampDownSec: this.down,
    });
  }
}
