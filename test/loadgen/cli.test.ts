import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseLoadgenArgs, parseMix, UsageError } from '../../src/loadgen/cli.js';
import { distFile } from '../../src/loadgen/paths.js';
import { startFakeExchange } from './fixtures/fake-exchange.js';
import type { FakeExchange } from './fixtures/fake-exchange.js';

const run = promisify(execFile);
const CLI = distFile('src/loadgen/cli.js');

describe('simex loadgen argument parsing', () => {
  it('maps every option', () => {
    const p = parseLoadgenArgs([
      '--port', '9001', '--rate', '5000', '--duration', '2m', '--ramp-up', '10s', '--ramp-down', '500ms',
      '--connections', '16', '--threads', '2', '--symbols', 'btcusd,ETHUSD', '--orders-per-frame', '32',
      '--mix', 'limit=60,cancel=30,market=10', '--timeout-ms', '2000', '--seed', '9', '--json', '--hgrm', '/tmp/x.hgrm',
    ]);
    expect(p.opts).toMatchObject({
      url: 'ws://127.0.0.1:9001/ws/v1', rate: 5000, durationSec: 120, rampUpSec: 10, rampDownSec: 0.5, connections: 16,
      threads: 2, symbols: ['BTCUSD', 'ETHUSD'], ordersPerFrame: 32, mix: { limit: 60, cancel: 30, market: 10 }, timeoutMs: 2000, seed: 9,
    });
    expect(p.json).toBe(true);
    expect(p.hgrm).toBe('/tmp/x.hgrm');
  });
  it('rejects bad values with a usage error', () => {
    expect(() => parseLoadgenArgs(['--rate', 'fast'])).toThrow(UsageError);
    expect(() => parseLoadgenArgs(['--duration', 'forever'])).toThrow(/not a duration/);
    expect(() => parseLoadgenArgs(['--bogus'])).toThrow(UsageError);
    expect(() => parseMix('limit=1,steal=3')).toThrow(/--mix/);
  });
  it('--account-base: connection i is account N + i, inside 2 .. 2^30 - 1', () => {
    expect(parseLoadgenArgs(['--account-base', '500']).opts.ownerBase).toBe(500);
    expect(parseLoadgenArgs([]).opts.ownerBase).toBe(100_000);
    expect(() => parseLoadgenArgs(['--account-base', '1'])).toThrow(/must lie in 2 \.\. 1073741823/);
    expect(() => parseLoadgenArgs(['--account-base', String(2 ** 30 - 4), '--connections', '8'])).toThrow(UsageError);
    expect(parseLoadgenArgs(['--account-base', String(2 ** 30 - 8), '--connections', '8']).opts.ownerBase).toBe(2 ** 30 - 8);
  });
});

describe('simex loadgen end to end (compiled CLI, fake exchange)', () => {
  let fx: FakeExchange;
  beforeAll(async () => {
    fx = await startFakeExchange();
  });
  afterAll(async () => {
    await fx.close();
  });

  it('prints a JSON report and writes an .hgrm file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'loadgen-cli-'));
    const hgrm = path.join(dir, 'run.hgrm');
    const { stdout } = await run(process.execPath, [CLI, '--url', fx.url, '--rate', '300', '--duration', '1s', '--connections', '2', '--json', '--hgrm', hgrm]);
    const r = JSON.parse(stdout);
    expect(r.tool).toBe('simex-loadgen');
    expect(r.counters.sent).toBe(300);
    expect(r.counters.acked).toBe(300);
    expect(r.target_rate).toBe(300);
    expect(existsSync(hgrm)).toBe(true);
    expect(readFileSync(hgrm, 'utf8')).toMatch(/Total count\s+=\s+300\]/);
  });

  it('prints the human table', async () => {
    const { stdout } = await run(process.execPath, [CLI, '--url', fx.url, '--rate', '200', '--duration', '0.5', '--connections', '1', '--threads', '0', '--quiet']);
    expect(stdout).toMatch(/simex loadgen/);
    expect(stdout).toMatch(/ack corrected/);
    expect(stdout).toMatch(/sent 100/);
  });

  it('refuses non-loopback targets (exit 2)', async () => {
    await expect(run(process.execPath, [CLI, '--url', 'ws://10.1.2.3:8080/ws/v1', '--duration', '1'])).rejects.toMatchObject({ code: 2 });
  });
});
