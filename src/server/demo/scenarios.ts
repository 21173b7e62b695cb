/**
 * The runbook's load-test intensity levels (seed 000, "Understanding Load Test Intensity
 * Levels") and the SLOs results are judged against. A named scenario accepts only rates and
 * user counts inside its row; `custom` accepts anything within the global bounds.
 */
export type ScenarioName = 'light' | 'medium' | 'heavy' | 'stress' | 'custom';

export interface ScenarioSpec {
  name: ScenarioName;
  /** Inclusive orders/s range, and the default when the body omits it. */
  rate: [number, number];
  defaultRate: number;
  users: [number, number];
  defaultUsers: number;
  defaultDurationSec: number;
  useCase: string;
}

export const SCENARIOS: Record<ScenarioName, ScenarioSpec> = {
  light: { name: 'light', rate: [10, 50], defaultRate: 25, users: [5, 10], defaultUsers: 10, defaultDurationSec: 60, useCase: 'normal operations' },
  medium: { name: 'medium', rate: [50, 200], defaultRate: 100, users: [10, 50], defaultUsers: 25, defaultDurationSec: 90, useCase: 'peak hours' },
  heavy: { name: 'heavy', rate: [200, 500], defaultRate: 350, users: [50, 100], defaultUsers: 75, defaultDurationSec: 120, useCase: 'Black Friday' },
  stress: { name: 'stress', rate: [500, 1000], defaultRate: 750, users: [100, 200], defaultUsers: 150, defaultDurationSec: 120, useCase: 'finding limits' },
  custom: { name: 'custom', rate: [1, 1_000_000], defaultRate: 1000, users: [1, 2000], defaultUsers: 10, defaultDurationSec: 60, useCase: 'custom' },
};

/** Longest test the demo runs (bounded load, as every load here must be). */
export const MAX_DURATION_SEC = 3600;
export const MIN_DURATION_SEC = 1;

/**
 * Service-level objectives a result is judged against: the seeds' SLOs (p95 < 20 ms,
 * p99 < 50 ms, SLA p99 < 100 ms, error rate < 1%) plus "deliver what was asked"
 * (>= 95% of the target rate).
 */
export const SLO = {
  successRatePercent: 99,
  p95Ms: 20,
  p99Ms: 50,
  slaP99Ms: 100,
  throughputRatio: 0.95,
  /** CPU above this share of all cores at peak leaves no room for bursts. */
  cpuHeadroomRatio: 0.7,
} as const;
