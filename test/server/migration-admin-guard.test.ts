// /admin/migration/* mutating routes are gated like the other /admin POST routes: loopback,
// or Authorization: Bearer $ADMIN_TOKEN. The server listens on every address and the test
// calls it through the machine's non-loopback address; GET status stays readable (as the
// other /admin status routes are).
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';

const TOKEN = 'migration-guard-token';
const external = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

let srv: TestServer;
beforeAll(async () => {
  if (!external) return;
  srv = await startTestServer({ SHARD_MODE: 'inline', ADMIN_TOKEN: TOKEN, SIMEX_TEST_ROUTES: 'true' }, ['--host', '0.0.0.0']);
}, 60_000);
afterAll(async () => {
  await srv?.stop();
});

async function call(method: string, p: string, body?: unknown, token?: string): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`http://${external}:${srv.port}${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

describe.skipIf(!external)('migration admin guard (non-loopback client)', () => {
  it('POST routes answer 403 FORBIDDEN without the token, work with it; GET status is open', async () => {
    const posts: [string, unknown][] = [
      ['/admin/migration/percentage', { pair: 'BTCUSD', percentage: 0 }],
      ['/admin/migration/complete', { pair: 'BTCUSD' }],
      ['/admin/migration/emergency-stop', {}],
      ['/admin/migration/stop-all', {}],
      ['/admin/test/migration/fault', { pair: 'BTCUSD' }],
    ];
    for (const [p, body] of posts) {
      const r = await call('POST', p, body);
      expect([p, r.status, r.body?.code]).toEqual([p, 403, 'FORBIDDEN']);
      const w = await call('POST', p, body, 'wrong');
      expect([p, w.status]).toEqual([p, 403]);
    }
    expect((await call('POST', '/admin/migration/percentage', { pair: 'BTCUSD', percentage: 0 }, TOKEN)).status).toBe(200);
    expect((await call('POST', '/admin/migration/stop-all', {}, TOKEN)).status).toBe(200);
    // not shadowing: the shard's 409, i.e. the guard let it through
    expect((await call('POST', '/admin/migration/complete', { pair: 'BTCUSD' }, TOKEN)).status).toBe(409);
    const st = await call('GET', '/admin/migration/status');
    expect(st.status).toBe(200);
    expect(Array.isArray(st.body)).toBe(true);
  });
});
