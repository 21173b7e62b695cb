/**
 * The one place that loads uWebSockets.js. The republished package (shared/NOTES.md)
 * silently falls back to a slow `ws`-based imitation when its binary does not load; the
 * fallback has no `SSLApp` and `DISABLED` is undefined. We detect it and the server refuses
 * to start unless told otherwise (then /health reports `uws: "fallback"`, status degraded).
 */
import uWS from 'uWebSockets.js';

export { uWS };

export interface UwsInfo {
  native: boolean;
  reason: string;
}

export function uwsInfo(): UwsInfo {
  const m = uWS as unknown as Record<string, unknown>;
  const native = typeof m.SSLApp === 'function' && m.DISABLED !== undefined;
  return {
    native,
    reason: native ? 'native uWebSockets.js binary loaded'
      : 'uWebSockets.js binary did not load: running the ws-based fallback (slow)',
  };
}
