// The heap flamegraph tool refuses to draw nothing: with no sample in any thread's profile
// it exits 1 with a reason and writes no SVG; threads without samples are still named.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, ensureDist, run } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'simex-heapsvg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => ensureDist('dist/profiling/cpuprofile-tools.js', 'profiling/cpuprofile-tools.ts'));

const frame = (functionName: string, id: number, selfSize: number, children: unknown[] = [], url = 'file:///app/x.js') => ({
  callFrame: { functionName, scriptId: '1', url, lineNumber: 1, columnNumber: 1 }, selfSize, id, children,
});
const write = (name: string, profile: unknown) => {
  const f = join(dir, name);
  writeFileSync(f, JSON.stringify(profile));
  return f;
};
const root = (children: unknown[] = []) => frame('(root)', 1, 0, children, '');
const empty = { head: root(), samples: [] };
const tools = (args: string[]) => run(process.execPath, [join(ROOT, 'dist/profiling/cpuprofile-tools.js'), ...args], { timeoutMs: 60_000 });

describe('cpuprofile-tools heapsvg', () => {
  it('fails loudly, writing nothing, when no thread has a sample', async () => {
    const files = [write('main.heapprofile', empty), write('shard-0.heapprofile', empty)];
    const svg = join(dir, 'empty.svg');
    const r = await tools(['heapsvg', '--out', svg, ...files]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no sampled allocation in any of the 2 heap profiles \(main 0, shard-0 0\)/);
    expect(existsSync(svg)).toBe(false);
  });

  it('draws the threads that have samples and names every thread with its count', async () => {
    const some = { head: root([frame('allocatesOrders', 2, 32768)]), samples: [{ size: 32768, nodeId: 2, ordinal: 1 }, { size: 32768, nodeId: 2, ordinal: 2 }] };
    const files = [write('main.heapprofile', some), write('shard-0.heapprofile', empty)];
    const svg = join(dir, 'some.svg');
    const r = await tools(['heapsvg', '--title', 'T', '--out', svg, ...files]);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(svg, 'utf8');
    // The title is visible text (not left in an XML comment) and names the empty thread too.
    expect(text).toMatch(/<text[^>]*>T \(samples: main 2, shard-0 0\)<\/text>/);
    expect(text).not.toMatch(/<!--<text/);
    expect(text).toMatch(/<title>thread main \(32,768 bytes/);
    expect(text).toMatch(/<title>allocatesOrders file:\/\/\/app\/x\.js:2 \(32,768 bytes/);
  });
});
