/**
 * Durations as the runbook writes them: "60s", "90s", "2m", "500ms", "1h", "1d", or a bare
 * number of seconds. Returns seconds; null when the text is not a duration.
 */
const UNIT: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

export function parseDurationSec(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : null;
  if (typeof v !== 'string') return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(v);
  if (!m) return null;
  return Number(m[1]) * UNIT[m[2] ?? 's']!;
}

/** "60s", "1m30s" style for reports (whole seconds, or ms below 10 s when fractional). */
export function formatDuration(sec: number): string {
  if (sec < 10 && !Number.isInteger(sec)) return `${Math.round(sec * 1000)}ms`;
  const s = Math.round(sec);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  const r = s % 60;
  return r ? `${m}m${r}s` : `${m}m`;
}
