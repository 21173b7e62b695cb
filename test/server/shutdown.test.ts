// Graceful shutdown (runbook "System Shutdown"): SIGTERM/SIGINT -> lifecycle log lines,
// binary sessions get DISCONNECT SERVER_SHUTDOWN, exit code 0, port closed.
import { describe, expect, it } from 'vitest';
import { SimexClient, Side } from '../../src/client/index.js';
import { EdgeReason } from '../../src/protocol/reasons.js';
import { api, startTestServer } from './helpers/server.js';

describe('graceful shutdown', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal}: finishes, logs uptime and shutdown_duration, exits 0`, async () => {
      const srv = await startTestServer();
      const c = await SimexClient.connect(srv.wsUrl, { account: 5, autoReconnect: false });
      const disconnects: number[] = [];
      c.on('disconnect', (d) => disconnects.push(d.reason));
      const o = await c.newOrder({ instrument: 0, side: Side.BUY, price: 4_000_000, qty: 100 });
      expect(o.status).toBe('active');
      const res = await srv.stop(signal);
      expect(res.code).toBe(0);
      const msgs = srv.logs().map((l) => l.msg);
      const expected = [
        `Received signal ${signal === 'SIGINT' ? 'interrupt' : 'terminated'}, initiating graceful shutdown...`,
        'Stopping application', 'Shutting down server...', 'HTTP server stopped due to context cancellation',
        'Shutting down container services', 'Application stopped',
      ];
      const idx = expected.map((m) => msgs.indexOf(m));
      expect(idx.every((i) => i >= 0)).toBe(true);
      expect([...idx].sort((a, b) => a - b)).toEqual(idx); // in this order
      const stopped = srv.logs().find((l) => l.msg === 'Application stopped')!;
      expect(stopped.uptime).toMatch(/^\d+(\.\d)?(ms|s)$|^\d+m\d+s$/);
      expect(stopped.shutdown_duration).toMatch(/^\d+(\.\d)?(ms|s)$/);
      expect(Number(stopped.shutdown_duration_ms)).toBeLessThan(30_000);
      expect(disconnects).toContain(EdgeReason.SERVER_SHUTDOWN);
      await expect(api(srv.base, 'GET', '/health')).rejects.toThrow();
      await c.close();
    });
  }
});
