// Where the native addon does not exist, a ts pair has no other engine kind to migrate to:
// POST /admin/migration/percentage answers 409 ENGINE_UNAVAILABLE, nothing changes, the
// server keeps trading. Run against a copy of the compiled server without build/Release
// (the real package layout minus the addon: dist/, bin/, package.json, node_modules linked),
// in worker and inline shard modes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, api } from './helpers/server.js';

let dir = '';
beforeAll(() => {
  if (!existsSync(path.join(ROOT, 'dist', 'src', 'cli.js'))) throw new Error('dist/ missing: run `npx tsc -p tsconfig.json` first');
  dir = mkdtempSync(path.join(tmpdir(), 'simex-no-native-'));
  cpSync(path.join(ROOT, 'dist', 'src'), path.join(dir, 'dist', 'src'), { recursive: true });
  cpSync(path.join(ROOT, 'bin'), path.join(dir, 'bin'), { recursive: true });
  cpSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  expect(existsSync(path.join(dir, 'build'))).toBe(false);
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.each(['worker', 'inline'])('migration without the native addon (SHARD_MODE=%s)', (mode) => {
  let proc: ChildProcess;
  let base = '';
  const lines: string[] = [];
  beforeAll(async () => {
    proc = spawn(process.execPath, [path.join(dir, 'bin', 'simex.js'), 'start', '--host', '127.0.0.1', '--port', '0'], {
      cwd: dir,
      env: { ...process.env, ENGINE: 'ts', SHARDS: '1', SHARD_MODE: mode, SIMULATION_ENABLED: 'false', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    base = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`server did not start:\n${lines.join('\n')}`)), 30_000);
      const onData = (b: Buffer) => {
        for (const l of b.toString('utf8').split('\n')) {
          if (!l) continue;
          lines.push(l);
          try {
            const j = JSON.parse(l) as { msg?: string; port?: number };
            if (j.msg === 'HTTP server listening') {
              clearTimeout(t);
              resolve(`http://127.0.0.1:${j.port}`);
            }
          } catch { /* not JSON */ }
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.on('exit', (code) => reject(new Error(`server exited ${code}:\n${lines.join('\n')}`)));
    });
  }, 40_000);
  afterAll(async () => {
    if (proc && proc.exitCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    }
  });

  it('answers 409 ENGINE_UNAVAILABLE, changes nothing and keeps trading', async () => {
    const before = await api(base, 'GET', '/admin/migration/status');
    expect(before.status).toBe(200);
    expect(before.body[0]).toMatchObject({ pair: 'BTCUSD', engine: 'ts', state: 'not_migrating', migration_supported: false });
    const r = await api(base, 'POST', '/admin/migration/percentage', { pair: 'BTCUSD', percentage: 10 });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: 'ENGINE_UNAVAILABLE', field: 'pair' });
    expect(r.body.error).toMatch(/native engine is not available/);
    const all = await api(base, 'POST', '/admin/migration/percentage', { pair: 'all', percentage: 50 });
    expect(all.status).toBe(409);
    const after = await api(base, 'GET', '/admin/migration/status');
    expect(after.body.map((x: { state: string }) => x.state)).toEqual(['not_migrating', 'not_migrating', 'not_migrating']);
    expect((await api(base, 'GET', '/admin/migration/summary')).body).toMatchObject({ migration_supported: false, active_migrations: 0 });
    const o = await api(base, 'POST', '/api/orders', { symbol: 'BTCUSD', side: 'buy', type: 'limit', quantity: 0.01, price: 40000 });
    expect(o.status).toBe(201);
    expect((await api(base, 'GET', '/health')).status).toBe(200);
  });
});
