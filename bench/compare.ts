/**
 * Compare two recorded benchmark runs (bench/results/*.json written by run-all): prints each
 * figure of the newer run, the previous value and the ratio new/old, flagged better/worse
 * by the figure's direction.
 *
 *   node dist/bench/compare.js                 newest run in bench/results/history.jsonl vs
 *                                              the previous one of the same kind (quick/full)
 *   node dist/bench/compare.js OLD.json NEW.json   two result files
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../src/loadgen/paths.js';

export interface Figure {
  value: number;
  unit: string;
  better: 'higher' | 'lower';
}

export interface RecordedRun {
  /** shard_mode: the servers' SHARD_MODE (absent in runs before it existed = worker);
   *  generator: the e2e load generator (absent in runs before the native one = ts). */
  meta: { commit: string; date: string; quick: boolean; shard_mode?: 'worker' | 'inline'; generator?: 'native' | 'ts' };
  figures: Record<string, Figure>;
}

/** Same e2e load generator (runs before `generator` was recorded used the TS one). */
export function sameGenerator(a: RecordedRun['meta'], b: RecordedRun['meta']): boolean {
  return (a.generator ?? 'ts') === (b.generator ?? 'ts');
}

export const RESULTS_DIR = path.join(REPO_ROOT, 'bench', 'results');

/** Result files, oldest first (names start with an ISO timestamp). */
export function listRuns(dir = RESULTS_DIR): string[] {
  try {
    return readdirSync(dir).filter((f) => /^\d{4}-.*\.json$/.test(f)).sort().map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

export function compareRuns(prev: RecordedRun, next: RecordedRun): string {
  const lines: string[] = [];
  lines.push(`previous: ${prev.meta.date} ${prev.meta.commit}${prev.meta.quick ? ' (quick)' : ''}`);
  lines.push(`current:  ${next.meta.date} ${next.meta.commit}${next.meta.quick ? ' (quick)' : ''}`);
  if ((prev.meta.shard_mode ?? 'worker') !== (next.meta.shard_mode ?? 'worker')) lines.push('note: the runs used different SHARD_MODEs');
  if (!sameGenerator(prev.meta, next.meta)) lines.push('note: the runs used different e2e load generators (native vs ts); e2e ratios compare different tools');
  if (prev.meta.quick !== next.meta.quick) lines.push('note: one run is --quick and the other is not; ratios compare different workloads');
  // The loopback floor (bench/floor/run.ts) measures the host, not simex: when it moved, the
  // latency ratios mostly say how busy the host's other tenants were.
  for (const n of Object.keys(next.figures)) {
    if (!n.startsWith('floor.p99_us_at_')) continue;
    const a = prev.figures[n];
    const b = next.figures[n]!;
    if (a && a.value > 0 && b.value > 0 && Math.max(a.value / b.value, b.value / a.value) >= 1.5) {
      lines.push(`note: the loopback floor's p99 moved ${(b.value / a.value).toFixed(2)}x (${Math.round(a.value)} -> ${Math.round(b.value)} µs): ` +
        'host conditions changed; compare e2e.p99_over_floor_* rather than raw latency');
    }
  }
  const names = Object.keys(next.figures);
  const w = Math.max(6, ...names.map((n) => n.length));
  lines.push(`${'figure'.padEnd(w)}  ${'previous'.padStart(14)}  ${'current'.padStart(14)}  ratio`);
  for (const n of names) {
    const cur = next.figures[n]!;
    const old = prev.figures[n];
    if (!old) {
      lines.push(`${n.padEnd(w)}  ${'-'.padStart(14)}  ${fmt(cur)}  new`);
      continue;
    }
    const ratio = old.value !== 0 ? cur.value / old.value : cur.value === 0 ? 1 : Infinity;
    const good = cur.better === 'higher' ? ratio >= 1 : ratio <= 1;
    const flag = Math.abs(ratio - 1) < 0.05 ? '' : good ? ' better' : ' WORSE';
    lines.push(`${n.padEnd(w)}  ${fmt(old)}  ${fmt(cur)}  ${Number.isFinite(ratio) ? ratio.toFixed(3) : 'inf'}x${flag}`);
  }
  for (const n of Object.keys(prev.figures)) if (!(n in next.figures)) lines.push(`${n.padEnd(w)}  ${fmt(prev.figures[n]!)}  ${'-'.padStart(14)}  gone`);
  return lines.join('\n') + '\n';
}

function fmt(f: Figure): string {
  const v = Math.abs(f.value) >= 100 ? Math.round(f.value).toLocaleString('en-US') : f.value.toFixed(2);
  return `${v} ${f.unit}`.padStart(14);
}

/** Runs recorded in history.jsonl (committed), oldest first. */
export function readHistory(dir = RESULTS_DIR): RecordedRun[] {
  const f = path.join(dir, 'history.jsonl');
  try {
    return readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RecordedRun);
  } catch {
    return [];
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  let pair: [RecordedRun, RecordedRun] | null = null;
  if (args.length === 2) {
    const [a, b] = args.map((f) => JSON.parse(readFileSync(f, 'utf8')) as RecordedRun);
    pair = [a!, b!];
  } else {
    const h = readHistory();
    const last = h.at(-1);
    const prev = last ? [...h.slice(0, -1)].reverse().find((r) => r.meta.quick === last.meta.quick && (r.meta.shard_mode ?? 'worker') === (last.meta.shard_mode ?? 'worker') && sameGenerator(r.meta, last.meta)) : undefined;
    if (last && prev) pair = [prev, last];
    else {
      const runs = listRuns();
      if (runs.length >= 2) {
        const [a, b] = runs.slice(-2).map((f) => JSON.parse(readFileSync(f, 'utf8')) as RecordedRun);
        pair = [a!, b!];
      }
    }
  }
  if (!pair) {
    process.stderr.write(`compare: need two recorded runs of the same kind in ${RESULTS_DIR}/history.jsonl; run \`npm run bench\` twice\n`);
    process.exit(1);
  }
  process.stdout.write(compareRuns(pair[0], pair[1]));
}
