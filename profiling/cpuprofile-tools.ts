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
 *         SVG flamegraph of a sampling heap profile (/debug/heapprofile): width = sampled
 *         bytes allocated by that stack (V8's scaled estimate; live ones, or all allocated
 *         in the window when it was taken with collected=1). The title ends with each
 *         thread's sample count, so a thread with none is named although it has no frame.
 *         Fails (exit 1, nothing written) when no file has any sample: an empty flamegraph
 *         answers no question.
 *   heappprof --out F.pb.gz --interval BYTES [--alloc] A.heapprofile [...]
 *         gzipped pprof of the same files (thread label per file; --alloc: alloc_* types).
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
import type { Profiler } from 'node:inspector';
import { cpuProfilesToPprof, heapProfilesToPprof, type SamplingHeapProfile } from '../src/server/debug/pprof.js';

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
  const svg = fg.fromCpuProfile({ head }, { ...fg.defaultOpts, titletext: title, countname, removenarrows: false, internals: true });
  // flamegraph 3 emits the title inside an XML comment (invisible); show it: it names the
  // threads and their sample counts, including threads too small to have a frame.
  return svg.replace(/<!--(<text[^>]*>[^<]*<\/text>)-->/, '$1');
}

type HeapNode = SamplingHeapProfile['head'];

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

export function heapLabelOf(file: string): string {
  return basename(file).replace(/\.heapprofile$/, '');
}

export function readHeapProfile(file: string): SamplingHeapProfile {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Partial<SamplingHeapProfile>;
  if (!p.head) throw new Error(`${file}: not a V8 sampling heap profile (no head)`);
  return p as SamplingHeapProfile;
}

/** Sampled allocations in a profile: its `samples` list, or nodes with bytes when absent. */
export function heapSampleCount(p: SamplingHeapProfile): number {
  if (p.samples) return p.samples.length;
  let n = 0;
  const todo = [p.head];
  while (todo.length > 0) {
    const x = todo.pop()!;
    if (x.selfSize > 0) n++;
    todo.push(...x.children);
  }
  return n;
}

export class EmptyProfileError extends Error {}

export function heapFlamegraphSvg(files: string[], title: string): string {
  const profiles = files.map((f) => ({ label: heapLabelOf(f), p: readHeapProfile(f) }));
  const counts = profiles.map(({ label, p }) => `${label} ${heapSampleCount(p)}`);
  if (profiles.every(({ p }) => heapSampleCount(p) === 0)) {
    throw new EmptyProfileError(`no sampled allocation in ${files.length === 1 ? 'the heap profile' : `any of the ${files.length} heap profiles`} (${counts.join(', ')}): ` +
      'nothing was allocated (or, for a live profile, nothing survived) in the window. Is load reaching the server? ' +
      'Try a longer DURATION, a smaller sampling interval, or an allocation profile (collected=1 / --alloc).');
  }
  const trees = profiles.map(({ label, p }) => heapToLegacyTree(p.head, files.length > 1 ? `thread ${label}` : undefined));
  return renderSvg(trees, `${title} (samples: ${counts.join(', ')})`, 'bytes');
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
    options: {
      out: { type: 'string' }, title: { type: 'string' }, n: { type: 'string', default: '15' },
      interval: { type: 'string' }, alloc: { type: 'boolean', default: false },
    },
  });
  if (positionals.length === 0) {
    process.stderr.write('usage: cpuprofile-tools svg|pprof|top|heapsvg|heappprof [--out F] [--title T] [--n N] [--interval B] [--alloc] FILE...\n');
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
      let svg: string;
      try {
        svg = heapFlamegraphSvg(positionals, values.title ?? 'simex heap (live sampled bytes)');
      } catch (err) {
        if (!(err instanceof EmptyProfileError)) throw err;
        process.stderr.write(`heapsvg: ${err.message}\n`);
        return 1;
      }
      writeFileSync(values.out, svg);
      process.stdout.write(`${values.out}\n`);
      return 0;
    }
    case 'heappprof': {
      if (!values.out) throw new Error('heappprof needs --out');
      const interval = Number(values.interval);
      if (!Number.isInteger(interval) || interval <= 0) throw new Error('heappprof needs --interval BYTES (the sampling interval used)');
      writeFileSync(values.out, heapProfilesToPprof(positionals.map((f) => ({
        thread: heapLabelOf(f), profile: readHeapProfile(f), samplingIntervalBytes: interval, collected: values.alloc === true,
      }))));
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
