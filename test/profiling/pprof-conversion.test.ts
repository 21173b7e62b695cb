// V8 profiles taken through node:inspector convert to pprof that decodes with pprof-format
// and carries real sample values, function names and the thread label.
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Profile } from 'pprof-format';
import { cpuProfilesToPprof, heapProfilesToPprof } from '../../src/server/debug/pprof.js';
import { handleProfilerMessage } from '../../src/server/debug/profiler.js';

function mainThreadHotLoop(): number {
  let x = 0;
  const end = performance.now() + 4;
  while (performance.now() < end) for (let i = 0; i < 1000; i++) x = (x * 31 + i) | 0;
  return x;
}

const kept: unknown[] = [];
function mainThreadAllocates(): void {
  kept.push(new Array(2048).fill(0).map((_, i) => ({ i, tag: `k${i}` })));
  if (kept.length > 200) kept.shift();
}

/** Runs `work` every ms on this thread's event loop while `p` is pending. */
async function whileRunning<T>(p: Promise<T>, work: () => void): Promise<T> {
  const t = setInterval(work, 1);
  try { return await p; } finally { clearInterval(t); }
}

function decode(buf: Buffer): { p: Profile; str: (i: unknown) => string } {
  const p = Profile.decode(gunzipSync(buf));
  return { p, str: (i) => p.stringTable.strings[Number(i)]! };
}

function functionNames(p: Profile, str: (i: unknown) => string): string[] {
  return p.function.map((f) => str(f.name));
}

describe('cpu profile -> pprof', () => {
  it('keeps the hot function, positive cpu values and the thread label', async () => {
    const reply = await whileRunning(handleProfilerMessage({ op: 'cpu', seconds: 1, intervalUs: 200 }), mainThreadHotLoop);
    expect(reply.ok).toBe(true);
    if (!reply.ok || reply.op !== 'cpu') throw new Error('no cpu profile');
    const { p, str } = decode(cpuProfilesToPprof([{ thread: 'main', profile: reply.profile, intervalUs: reply.intervalUs }]));

    expect(p.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`)).toEqual(['samples/count', 'cpu/nanoseconds']);
    expect(Number(p.period)).toBe(200_000);
    expect(p.sample.length).toBeGreaterThan(0);
    const totalSamples = p.sample.reduce((s, x) => s + Number(x.value[0]), 0);
    const totalNs = p.sample.reduce((s, x) => s + Number(x.value[1]), 0);
    expect(totalSamples).toBe(reply.profile.samples!.length);
    expect(totalNs).toBeGreaterThan(0);
    expect(functionNames(p, str)).toContain('mainThreadHotLoop');
    expect(functionNames(p, str)).not.toContain('(root)');

    // Every location a sample names exists, and points at a function that exists.
    const locs = new Map(p.location.map((l) => [Number(l.id), l]));
    const fns = new Set(p.function.map((f) => Number(f.id)));
    for (const s of p.sample) {
      expect(s.label.map((l) => `${str(l.key)}=${str(l.str)}`)).toEqual(['thread=main']);
      for (const id of s.locationId) {
        const loc = locs.get(Number(id));
        expect(loc).toBeDefined();
        expect(fns.has(Number(loc!.line[0]!.functionId))).toBe(true);
      }
    }
    // The hot function's samples: its stack has it as a leaf-side frame, and it holds most cpu.
    const hotFn = p.function.find((f) => str(f.name) === 'mainThreadHotLoop')!;
    const hotLocs = new Set(p.location.filter((l) => Number(l.line[0]!.functionId) === Number(hotFn.id)).map((l) => Number(l.id)));
    const hotNs = p.sample.filter((s) => s.locationId.some((id) => hotLocs.has(Number(id)))).reduce((a, s) => a + Number(s.value[1]), 0);
    expect(hotNs).toBeGreaterThan(0);
  });

  it('merges several threads into one profile with one label each', async () => {
    const a = await whileRunning(handleProfilerMessage({ op: 'cpu', seconds: 1, intervalUs: 500 }), mainThreadHotLoop);
    if (!a.ok || a.op !== 'cpu') throw new Error('no cpu profile');
    const { p, str } = decode(cpuProfilesToPprof([
      { thread: 'main', profile: a.profile, intervalUs: 500 },
      { thread: 'shard-0', profile: a.profile, intervalUs: 500 },
    ]));
    const byThread = new Map<string, number>();
    for (const s of p.sample) {
      const t = str(s.label[0]!.str);
      byThread.set(t, (byThread.get(t) ?? 0) + Number(s.value[0]));
    }
    expect([...byThread.keys()].sort()).toEqual(['main', 'shard-0']);
    expect(byThread.get('main')).toBe(byThread.get('shard-0'));
  });

  it('rejects a sample that names a node the tree does not have', () => {
    const broken = { nodes: [{ id: 1, callFrame: { functionName: '(root)', scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 }, children: [] }],
      startTime: 0, endTime: 10, samples: [7], timeDeltas: [10] };
    expect(() => cpuProfilesToPprof([{ thread: 'main', profile: broken, intervalUs: 1000 }])).toThrow(/unknown node 7/);
  });
});

describe('sampling heap profile -> pprof', () => {
  it('names the allocating function with live bytes', async () => {
    const reply = await whileRunning(handleProfilerMessage({ op: 'heap', seconds: 1 }), mainThreadAllocates);
    expect(reply.ok).toBe(true);
    if (!reply.ok || reply.op !== 'heap') throw new Error('no heap profile');
    const { p, str } = decode(heapProfilesToPprof([{ thread: 'main', profile: reply.profile, samplingIntervalBytes: reply.samplingIntervalBytes }]));
    expect(p.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`)).toEqual(['objects/count', 'space/bytes']);
    expect(str(p.defaultSampleType)).toBe('space');
    expect(functionNames(p, str)).toContain('mainThreadAllocates');
    const space = p.sample.reduce((s, x) => s + Number(x.value[1]), 0);
    expect(space).toBeGreaterThan(0);
  });
});

describe('sampling heap profile with freed objects kept (collected) -> pprof alloc_*', () => {
  it('keeps short-lived allocations a live profile loses, as alloc_objects/alloc_space', async () => {
    // Garbage only: nothing survives the window, so only the collected profile has it.
    const garbage = () => { for (let i = 0; i < 50; i++) new Array(2048).fill(0).map((_, j) => ({ j })); };
    const reply = await whileRunning(handleProfilerMessage({ op: 'heap', seconds: 1, intervalBytes: 16384, collected: true }), garbage);
    if (!reply.ok || reply.op !== 'heap') throw new Error(`no heap profile: ${JSON.stringify(reply)}`);
    expect(reply).toMatchObject({ samplingIntervalBytes: 16384, collected: true });
    const { p, str } = decode(heapProfilesToPprof([{ thread: 'main', profile: reply.profile, samplingIntervalBytes: 16384, collected: true }]));
    expect(p.sampleType.map((t) => `${str(t.type)}/${str(t.unit)}`)).toEqual(['alloc_objects/count', 'alloc_space/bytes']);
    expect(str(p.defaultSampleType)).toBe('alloc_space');
    expect(Number(p.period)).toBe(16384);
    expect(functionNames(p, str)).toContain('garbage');
    expect(p.sample.reduce((s, x) => s + Number(x.value[0]), 0)).toBeGreaterThan(10);
  });

  it('refuses to merge live and allocated profiles in one file', () => {
    const empty = { head: { callFrame: { functionName: '(root)', scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 }, selfSize: 0, id: 1, children: [] }, samples: [] };
    expect(() => heapProfilesToPprof([
      { thread: 'main', profile: empty, samplingIntervalBytes: 1024, collected: true },
      { thread: 'shard-0', profile: empty, samplingIntervalBytes: 1024 },
    ])).toThrow(/cannot merge/);
  });
});

describe('handleProfilerMessage', () => {
  it('answers bad requests with BAD_REQUEST instead of throwing', async () => {
    expect(await handleProfilerMessage({ op: 'cpu', seconds: 0, intervalUs: 1000 })).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(await handleProfilerMessage({ op: 'nope' })).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(await handleProfilerMessage(null)).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(await handleProfilerMessage({ op: 'heap', seconds: 1, intervalBytes: 1 })).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(await handleProfilerMessage({ op: 'heap', seconds: 1, collected: 'yes' })).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
  });

  it('refuses a second concurrent cpu profile in the same thread', async () => {
    const first = handleProfilerMessage({ op: 'cpu', seconds: 1, intervalUs: 1000 });
    const second = await handleProfilerMessage({ op: 'cpu', seconds: 1, intervalUs: 1000 });
    expect(second).toMatchObject({ ok: false, code: 'BUSY' });
    expect((await first).ok).toBe(true);
  });
});
