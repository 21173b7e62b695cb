// `simex ops` usage: help for every command (also through the compiled bin), unknown commands
// and flags exit 2, an unreachable server exits 3 with a message naming --url / SIMEX_URL.
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../server/helpers/server.js';
import { ops } from './helpers.js';

const run = promisify(execFile);

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('simex ops usage', () => {
  it.each(['find-trade', 'investigate-failures', 'status'])('%s --help: exit 0, flags and exit codes', async (cmd) => {
    const r = await ops([cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`usage: simex ops ${cmd}`);
    expect(r.out).toContain('--url URL');
    expect(r.out).toMatch(/Exit codes: 0 ok; 1 .*; 2 usage error;\s+3 server unreachable/);
  });

  it('no command: usage, exit 2; unknown command / flag: exit 2', async () => {
    const r = await ops([]);
    expect(r.code).toBe(2);
    expect(r.out).toContain('investigate-failures');
    expect((await ops(['frobnicate'])).code).toBe(2);
    const f = await ops(['status', '--bogus']);
    expect(f.code).toBe(2);
    expect(f.err).toContain('--bogus');
    expect((await ops(['status', '--url', 'ftp://x'])).code).toBe(2);
  });

  it('unreachable server: exit 3', async () => {
    const port = await closedPort();
    const r = await ops(['status', '--url', `http://127.0.0.1:${port}`]);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/cannot reach the simex server at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\).*SIMEX_URL/);
    expect((await ops(['find-trade', '--id', '1'], { SIMEX_URL: `http://127.0.0.1:${port}` })).code).toBe(3);
  });

  it('the compiled bin lists ops and runs it', async () => {
    const bin = path.join(ROOT, 'bin', 'simex.js');
    const top = await run(process.execPath, [bin, 'help']);
    expect(top.stdout).toMatch(/ops\s+operator commands/);
    const h = await run(process.execPath, [bin, 'ops', 'investigate-failures', '--help']);
    expect(h.stdout).toContain('--since D');
    const port = await closedPort();
    await expect(run(process.execPath, [bin, 'ops', 'status', '--url', `http://127.0.0.1:${port}`])).rejects.toMatchObject({ code: 3 });
  });
});
