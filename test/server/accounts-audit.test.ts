// The security audit log is separate from the application log: with AUDIT_LOG_FILE the
// security events (register, login success/failure with a reason, token issued, logout,
// deposit) go to that file only, as pino lines marked service/log_type "audit"; stdout keeps
// the application lines (and the REST order trail) and no audit line. No password, token or
// hash appears anywhere. Without AUDIT_LOG_FILE the same lines go to stdout.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';
import { call } from './helpers/accounts.js';

const PASSWORD = 'Sup3r-Secret-Passphrase';
const WRONG = 'Wr0ng-Secret-Passphrase';

async function script(B: string): Promise<string> {
  expect((await call(B, 'POST', '/api/auth/register', { username: 'lena', password: PASSWORD })).status).toBe(201);
  expect((await call(B, 'POST', '/api/auth/login', { username: 'lena', password: WRONG })).status).toBe(401);
  expect((await call(B, 'POST', '/api/auth/login', { username: 'ghost', password: WRONG })).status).toBe(401);
  const l = await call(B, 'POST', '/api/auth/login', { username: 'lena', password: PASSWORD });
  expect(l.status).toBe(200);
  const token = l.body.access_token as string;
  expect((await call(B, 'POST', '/api/account/deposit', { asset: 'USD', amount: '12.5' }, token)).status).toBe(200);
  expect((await call(B, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', quantity: '0.0001', price: '100' }, token)).status).toBe(201);
  expect((await call(B, 'POST', '/api/auth/logout', undefined, token)).status).toBe(200);
  return token;
}

function expectAuditTrail(lines: Record<string, unknown>[]): void {
  for (const l of lines) {
    expect(l).toMatchObject({ level: 'INFO', service: 'audit', log_type: 'audit' });
    expect(typeof l.time).toBe('string');
  }
  expect(lines.map((l) => [l.event, l.reason ?? null])).toEqual([
    ['register', null], ['login_failure', 'bad_password'], ['login_failure', 'unknown_user'], ['login_success', null],
    ['token_issued', null], ['deposit', null], ['logout', null],
  ]);
  expect(lines[0]).toMatchObject({ username: 'lena', ip: '127.0.0.1', msg: 'Account registered' });
  expect(lines[4]).toMatchObject({ msg: 'Access token issued' });
  expect(lines[4]!.jti).toBe(lines[6]!.jti);
  expect(lines[5]).toMatchObject({ asset: 'USD', amount: '12.50000000' });
}

function expectNoSecrets(text: string, token: string): void {
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain(WRONG);
  expect(text).not.toContain(token);
  expect(text).not.toContain(token.split('.')[2]!); // not even the signature
  expect(text).not.toMatch(/scrypt\$/);
}

describe('security audit log', () => {
  let dir: string;
  let srv: TestServer;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'simex-audit-'));
    srv = await startTestServer({ SHARD_MODE: 'inline', AUDIT_LOG_FILE: path.join(dir, 'audit.log') });
  }, 30_000);
  afterAll(async () => {
    await srv?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('AUDIT_LOG_FILE: security events in the file, application lines on stdout, no secrets', async () => {
    const token = await script(srv.base);
    const text = readFileSync(path.join(dir, 'audit.log'), 'utf8');
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expectAuditTrail(lines);
    expectNoSecrets(text, token);
    // stdout: the application log, with the REST order trail and without audit lines.
    await srv.waitForLog((l) => l.msg === 'Order placed');
    const app = srv.logs();
    expect(app.some((l) => l.msg === 'HTTP server listening')).toBe(true);
    expect(app.filter((l) => l.log_type === 'audit' || l.service === 'audit')).toEqual([]);
    expectNoSecrets(srv.lines.join('\n'), token);
  });
});

describe('security audit log on stdout', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ SHARD_MODE: 'inline', AUDIT_LOG_FILE: '' });
  }, 30_000);
  afterAll(async () => {
    await srv?.stop();
  });

  it('without AUDIT_LOG_FILE the audit lines are on stdout, told apart by log_type', async () => {
    const token = await script(srv.base);
    await srv.waitForLog((l) => l.event === 'logout');
    expectAuditTrail(srv.logs().filter((l) => l.log_type === 'audit'));
    expectNoSecrets(srv.lines.join('\n'), token);
  });
});
