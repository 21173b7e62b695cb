/**
 * Structured JSON logs (pino). Lines look like the runbook's:
 *   {"time":"2025-10-24T10:30:00.000Z","level":"INFO","msg":"HTTP server listening","host":"0.0.0.0","port":"8080"}
 * Level names are upper-case strings, `time` is ISO-8601; every order and trade is logged at
 * debug with its ids. Writes are synchronous to stdout (pino.destination sync) so nothing is
 * lost on exit; at debug level under load this costs ~1-2 µs per line.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, dest: number | string = 1): Logger {
  return pino(
    {
      level,
      base: undefined,
      messageKey: 'msg',
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
      formatters: {
        level: (label) => ({ level: label.toUpperCase() }),
      },
    },
    pino.destination({ dest, sync: true }),
  );
}

/** "15m32s", "2.5s", "120ms": the runbook's duration style. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1).replace(/\.0$/, '')}s`;
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}h${m}m${sec}s` : `${m}m${sec}s`;
}
