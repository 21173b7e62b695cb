/**
 * Offline tools for V8 .cpuprofile files (from `node --cpu-prof`, /debug/cpuprofile or
 * Chrome DevTools). Run compiled: `node dist/profiling/cpuprofile-tools.js <command> ...`.
 *
 *   svg   --out F.svg [--title T] A.cpuprofile [B.cpuprofile ...]
 *         SVG flamegraph (the `flamegraph` npm package). Several files are merged side by
 *         side under one root frame per file, named "thread <label>", so all threads of a
 *         process appear in one picture. Width = samples.
 *   pprof --out F.pb.gz A.cpuprofile [...]
 *         gzipped pprof (src/server/debug/pprof.ts), one `thread` label per input file.
 *   heapsvg --out F.svg [--title T] A.heapprofile [...]
 *         SVG flamegraph of a sampling heap profile (/debug/heapprofile): width = live
 *         sampled bytes allocated by that stack (V8's scaled estimate).
 *   top   [--n 15] A.cpuprofile [...]
 *         self-time table: samples, %, function, url:line — the text view of the hot path.
 *
 * A file's thread label is its base name without .cpuprofile ("shard-0.cpuprofile" ->
 * "shard-0"); name files after their thread before merging (the scripts do).
 * Cost: O(nodes + samples) per file; fine for minutes of profile.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import type { Profiler, Runtime } from 'node:inspector';
import { cpuProfilesToPprof } from '../src/server/debug/pprof.js';

type Profile = Profiler.Profile;

export interface LegacyNode {
  functionName: string;
  url: string;
  lineNumber: number;
  hitCount: number;
  children: LegacyNode[];
}

/** Self sample counts per node id, from `samples` (or `hitCount` when absent). */
function hits(p: Profile): Map<number, number> {
  const h = new Map<number, number>();
  if (p.samples && p.samples.length > 0) {
    for (const id of p.samples) h.set(id, (h.get(id) ?? 0) + 1);
  } else {
    for (const n of p.nodes) if (n.hitCount) h.set(n.id, n.hitCount);
  }
  return h;
}

/** Modern (flat `nodes`) profile -> the nested `head` tree the flamegraph package reads. */
export function toLegacyTree(p: Profile, rootName?: string): LegacyNode {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const h = hits(p);
  const childIds = new Set(p.nodes.flatMap((n) => n.children ?? []));
  const root = p.nodes.find((n) => !childIds.has(n.id));
  if (!root) throw new Error('cpuprofile has no root node');
  const build = (id: number): LegacyNode => {
    const n = byId.get(id)!;
    return {
      functionName: n.callFrame.functionName || '(anonymous)',
      url: n.callFrame.url,
      lineNumber: n.callFrame.lineNumber + 1,
      hitCount: h.get(id) ?? 0,
      children: (n.children ?? []).map(build),
    };
  };
  const tree = build(root.id);
  if (rootName) tree.functionName = rootName;
  return tree;
}

export function readProfile(file: string): Profile {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  if (!Array.isArray(p.nodes)) throw new Error(`${file}: not a V8 cpuprofile (no nodes array)`);
  return p;
}

export function labelOf(file: string): string {
  return basename(file).replace(/\.cpuprofile$/, '');
}

/** One SVG flamegraph for one or more profiles (merged under per-file root frames). */
export function flamegraphSvg(files: string[], title: string): string {
  const trees = files.map((f) => toLegacyTree(readProfile(f), files.length > 1 ? `thread ${labelOf(f)}` : undefined));
  return renderSvg(trees, title, 'samples');
}

function renderSvg(trees: LegacyNode[], title: string, countname: string): string {
  const head: LegacyNode = trees.length === 1 ? trees[0]! : { functionName: 'all threads', url: '', lineNumber: 0, hitCount: 0, children: trees };
  const require = createRequire(import.meta.url);
  const fg = require('flamegraph') as {
    fromCpuProfile(profile: unknown, opts: Record<string, unknown>): string;
    defaultOpts: Record<string, unknown>;
  };
  return fg.fromCpuProfile({ head }, { ...fg.defaultOpts, titletext: title, countname, removenarrows: false, internals: true });
}

interface HeapNode { callFrame: Runtime.CallFrame; selfSize: number; children: HeapNode[] }

/** Sampling heap profile -> legacy tree whose hitCount is live bytes. */
export function heapToLegacyTree(head: HeapNode, rootName?: string): LegacyNode {
  const build = (n: HeapNode): LegacyNode => ({
    functionName: n.callFrame.functionName || '(anonymous)',
    url: n.callFrame.url,
    lineNumber: n.callFrame.lineNumber + 1,
    hitCount: Math.round(n.selfSize),
    children: n.children.map(build),
  });
  const t = build(head);
  if (rootName) t.functionName = rootName;
  return t;
}

export function heapFlamegraphSvg(files: string[], title: string): string {
  const trees = files.map((f) => {
    const p = JSON.parse(readFileSync(f, 'utf8')) as { head?: HeapNode };
    if (!p.head) throw new Error(`${f}: not a V8 sampling heap profile (no head)`);
    return heapToLegacyTree(p.head, files.length > 1 ? `thread ${basename(f).replace(/\.heapprofile$/, '')}` : undefined);
  });
  return renderSvg(trees, title, 'bytes');
}

export interface TopRow { self: number; pct: number; fn: string; where: string }

export function topSelf(files: string[], n: number): TopRow[] {
  const totals = new Map<string, TopRow>();
  let all = 0;
  for (const f of files) {
    const p = readProfile(f);
    const byId = new Map(p.nodes.map((x) => [x.id, x]));
    for (const [id, c] of hits(p)) {
      const cf = byId.get(id)!.callFrame;
      const where = cf.url ? `${cf.url.replace(/^file:\/\//, '')}:${cf.lineNumber + 1}` : '';
      const key = `${cf.functionName}\u0000${where}`;
      const row = totals.get(key) ?? { self: 0, pct: 0, fn: cf.functionName || '(anonymous)', where };
      row.self += c;
      all += c;
      totals.set(key, row);
    }
  }
  const rows = [...totals.values()].sort((a, b) => b.self - a.self).slice(0, n);
  for (const r of rows) r.pct = all ? (100 * r.self) / all : 0;
  return rows;
}

function main(argv: string[]): number {
  const [cmd, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest, allowPositionals: true,
    options: { out: { type: 'string' }, title: { type: 'string' }, n: { type: 'string', default: '15' } },
  });
  if (positionals.length === 0) {
    process.stderr.write('usage: cpuprofile-tools svg|pprof|top [--out F] [--title T] [--n N] FILE.cpuprofile...\n');
    return 2;
  }
  switch (cmd) {
    case 'svg': {
      if (!values.out) throw new Error('svg needs --out');
      writeFileSync(values.out, flamegraphSvg(positionals, values.title ?? 'simex CPU flamegraph'));
      process.stdout.write(`${values.out}\n`);
      return 0;
    }
    case 'heapsvg': {
      if (!values.out) throw new Error('heapsvg needs --out');
      writeFileSync(values.out, heapFlamegraphSvg(positionals, values.title ?? 'simex heap (live sampled bytes)'));
      process.stdout.write(`${values.out}\n`);
      return 0;
    }
    case 'pprof': {
      if (!values.out) throw new Error('pprof needs --out');
      const threads = positionals.map((f) => ({ thread: labelOf(f), profile: readProfile(f), intervalUs: 1000 }));
      writeFileSync(values.out, cpuProfilesToPprof(threads));
      process.stdout.write(`${values.out}\n`);
      return 0;
    }
    case 'top': {
      const rows = topSelf(positionals, Number(values.n));
      process.stdout.write(`${'SELF'.padStart(7)} ${'%'.padStart(6)}  FUNCTION  (WHERE)\n`);
      for (const r of rows) process.stdout.write(`${String(r.self).padStart(7)} ${r.pct.toFixed(1).padStart(6)}  ${r.fn}  (${r.where})\n`);
      return 0;
    }
    default:
      process.stderr.write(`unknown command ${cmd}\n`);
      return 2;
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) process.exitCode = main(process.argv.slice(2));
