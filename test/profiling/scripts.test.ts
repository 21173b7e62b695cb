// Each profiling script produces its files, and the profiles contain the engine's hot
// functions: TS engine functions (onNew / match, src/engine/ts) in the shard thread's V8
// profile, the C++ addon's frames (simex_process_batch, simex::...) beside JS frames in perf.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Scripts start servers, profilers and tracers: minutes under a loaded CI machine, not 60 s.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 120_000 });
import { Profile } from 'pprof-format';
import {
  ROOT, addonBuilt, cpuprofileFunctionsIn, ensureDist, requirement, run, startEngineLoad, startSimex, which,
  type Simex,
} from './helpers.js';

const TS_ENGINE_HOT = ['onNew', 'match', 'process'];
/** A flamegraph frame (SVG <title>) with bytes, from the order path the load drives. */
const ORDER_PATH_FRAME = /<title>[^<]*file:\/\/[^<]*\/dist\/src\/(server\/exchange|server\/wire|protocol\/|shard\/)[^<]*\([\d,]+ bytes/;
const out = mkdtempSync(join(tmpdir(), 'simex-prof-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));
beforeAll(() => {
  ensureDist('dist/profiling/cpuprofile-tools.js', 'profiling/cpuprofile-tools.ts');
  ensureDist('dist/src/cli.js');
});

const lastLine = (s: string) => s.trim().split('\n').at(-1)!;
const sh = (script: string, args: string[], env: Record<string, string> = {}, timeoutMs = 180_000) =>
  run('bash', [join(ROOT, 'scripts', script), ...args], { timeoutMs, env: { ...process.env, LOAD_RATE: '5000', ...env } });

function expectTsEngineIn(files: string[]): void {
  const fns = new Set(files.flatMap((f) => [...cpuprofileFunctionsIn(f, '/engine/ts/')]));
  expect(TS_ENGINE_HOT.filter((f) => fns.has(f)), `engine functions seen: ${[...fns].join(',')}`).not.toEqual([]);
}

describe('scripts/generate-flamegraph.sh against a running server (DEBUG_ENDPOINTS=1, TS engine)', () => {
  let srv: Simex;
  beforeAll(async () => { srv = await startSimex({ env: { DEBUG_ENDPOINTS: '1', ENGINE: 'ts', SHARDS: '2' } }); });
  afterAll(async () => { await srv?.stop(); });

  it('cpu: writes an SVG of all threads, per-thread profiles with the engine, pprof and 0x HTML', async () => {
    const dir = join(out, 'fg-cpu');
    const r = await sh('generate-flamegraph.sh', ['cpu', '3', String(srv.port), '--out', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(lastLine(r.stdout)).toBe(join(dir, 'flamegraph.svg'));
    const svg = readFileSync(join(dir, 'flamegraph.svg'), 'utf8');
    expect(svg).toMatch(/^<\?xml|<svg/);
    for (const t of ['main', 'shard-0', 'shard-1']) {
      expect(existsSync(join(dir, `${t}.cpuprofile`))).toBe(true);
      expect(svg).toContain(`thread ${t}`);
    }
    expectTsEngineIn([join(dir, 'shard-0.cpuprofile'), join(dir, 'shard-1.cpuprofile')]);
    const p = Profile.decode(gunzipSync(readFileSync(join(dir, 'profile.pb.gz'))));
    expect(p.sample.length).toBeGreaterThan(0);
    expect(readFileSync(join(dir, 'top.txt'), 'utf8')).toMatch(/SELF/);
    expect(readdirSync(dir).filter((f) => f.endsWith('.html')).length).toBeGreaterThan(0);
    // The load really ran: the load log reports accepted orders.
    expect(readFileSync(join(dir, 'load.log'), 'utf8')).toMatch(/accepted [1-9]|"requests":[1-9]/);
  });

  it('heap: writes a heap flamegraph, pprof heap profile and a heap snapshot', async () => {
    const dir = join(out, 'fg-heap');
    const r = await sh('generate-flamegraph.sh', ['heap', '3', String(srv.port), '--out', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(lastLine(r.stdout)).toBe(join(dir, 'heap.svg'));
    for (const t of ['main', 'shard-0', 'shard-1']) expect(existsSync(join(dir, `${t}.heapprofile`))).toBe(true);
    const svg = readFileSync(join(dir, 'heap.svg'), 'utf8');
    // Every thread is named with its sample count, frames or not (a shard may keep none).
    expect(svg).toMatch(/samples: main \d+, shard-0 \d+, shard-1 \d+/);
    // Real frames: a thread's root frame with bytes, and allocation stacks of the order
    // path the load drives (an idle server's few samples come from metrics timers only).
    expect(svg).toMatch(/<title>thread (main|shard-\d) \([\d,]+ bytes/);
    expect(svg).toMatch(ORDER_PATH_FRAME);
    const snap = readFileSync(join(dir, 'main.heapsnapshot'), 'utf8');
    expect(JSON.parse(snap).snapshot.meta.node_fields).toContain('self_size');
    const p = Profile.decode(gunzipSync(readFileSync(join(dir, 'heap.pb.gz'))));
    const str = (i: number | bigint) => p.stringTable.strings[Number(i)];
    expect(p.sampleType.map((t) => str(t.type))).toEqual(['objects', 'space']);
    expect(p.sample.reduce((a, s) => a + Number(s.value[1]), 0)).toBeGreaterThan(0);
  });

  it('heap --alloc: bytes allocated in the window, in every thread (engine shards included)', async () => {
    const dir = join(out, 'fg-heap-alloc');
    const r = await sh('generate-flamegraph.sh', ['heap', '3', String(srv.port), '--out', dir, '--alloc']);
    expect(r.code, r.stderr).toBe(0);
    expect(lastLine(r.stdout)).toBe(join(dir, 'heap.svg'));
    for (const t of ['main', 'shard-0', 'shard-1']) {
      const hp = JSON.parse(readFileSync(join(dir, `${t}.heapprofile`), 'utf8')) as { samples: unknown[] };
      expect(hp.samples.length, `${t} samples`).toBeGreaterThan(0);
      expect(readFileSync(join(dir, 'heap.svg'), 'utf8')).toMatch(new RegExp(`<title>thread ${t} \\([\\d,]+ bytes`));
    }
    expect(readFileSync(join(dir, 'heap.svg'), 'utf8')).toMatch(/sampled bytes allocated in 3s/);
    const p = Profile.decode(gunzipSync(readFileSync(join(dir, 'heap.pb.gz'))));
    const str = (i: number | bigint) => p.stringTable.strings[Number(i)];
    expect(p.sampleType.map((t) => str(t.type))).toEqual(['alloc_objects', 'alloc_space']);
    expect(new Set(p.sample.flatMap((s) => s.label.map((l) => str(l.str))))).toEqual(new Set(['main', 'shard-0', 'shard-1']));
  });

  it('refuses cleanly (exit 3) when the debug endpoints are off', async () => {
    const plain = await startSimex({ env: { ENGINE: 'ts', SHARDS: '1' } });
    try {
      const r = await sh('generate-flamegraph.sh', ['cpu', '1', String(plain.port), '--out', join(out, 'fg-off'), '--no-load']);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/DEBUG_ENDPOINTS=1/);
    } finally { await plain.stop(); }
  });
});

describe('scripts/profile-cpu-prof.sh (node --cpu-prof, every thread)', () => {
  it('writes one profile per thread after a clean SIGINT exit, with the engine in a shard', async () => {
    const dir = join(out, 'cpu-prof');
    const r = await sh('profile-cpu-prof.sh', ['3', '--out', dir], { ENGINE: 'ts', SHARDS: '2' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/exited cleanly; 3 thread profile/);
    expect(lastLine(r.stdout)).toBe(join(dir, 'flamegraph.svg'));
    const profiles = readdirSync(dir).filter((f) => /^thread-\d+\.cpuprofile$/.test(f)).map((f) => join(dir, f));
    expect(profiles.length).toBe(3);
    expectTsEngineIn(profiles);
  });
});

describe('scripts/profile-perf.sh (Linux perf, JS and native frames)', () => {
  let skip: string | null = null;
  beforeAll(() => {
    skip = requirement(which('perf') !== null, 'perf is not installed (apt-get install linux-perf)')
      ?? requirement(addonBuilt(), 'the native addon is not built (npx node-gyp rebuild)');
  });

  it('shows the addon frames beside JS frames (engine-load fixture, native engine)', async (ctx) => {
    if (skip) return ctx.skip();
    const target = await startEngineLoad({ engine: 'native', seconds: 60, nodeArgs: ['--perf-basic-prof'] });
    try {
      const dir = join(out, 'perf-fixture');
      const r = await sh('profile-perf.sh', ['2', '--pid', String(target.pid), '--out', dir, '--freq', '499']);
      expect(r.code, r.stderr).toBe(0);
      expect(lastLine(r.stdout)).toBe(join(dir, 'perf.svg'));
      const text = readFileSync(join(dir, 'perf.txt'), 'utf8');
      expect(text).toMatch(/simex_process_batch|simex::Engine::process|simex::Book::/);
      expect(text).toMatch(/JS:\*?fixtureRunBatch|JS:\*?decodeEvent/);
      const svg = readFileSync(join(dir, 'perf.svg'), 'utf8');
      expect(svg).toMatch(/simex_process_batch|simex::/);
      expect(svg).toMatch(/JS:/);
    } finally { await target.stop(); }
  });

  it('profiles its own server (--perf-basic-prof) under load', async (ctx) => {
    if (skip) return ctx.skip();
    const dir = join(out, 'perf-server');
    const r = await sh('profile-perf.sh', ['3', '--out', dir], { ENGINE: 'native', SHARDS: '1' });
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(join(dir, 'perf.svg')).size).toBeGreaterThan(1000);
    expect(readFileSync(join(dir, 'perf.txt'), 'utf8')).toMatch(/JS:/);
  });
});

describe('scripts/profile-0x.sh (0x, main thread)', () => {
  it('writes flamegraph.html', async () => {
    const dir = join(out, 'zx');
    const r = await sh('profile-0x.sh', ['2', '--out', dir], { ENGINE: 'ts', SHARDS: '1' }, 240_000);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(lastLine(r.stdout)).toBe(join(dir, '0x', 'flamegraph.html'));
    expect(statSync(join(dir, '0x', 'flamegraph.html')).size).toBeGreaterThan(10_000);
  });
});
