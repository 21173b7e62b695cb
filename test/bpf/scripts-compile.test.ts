// Every bpf/*.bt lab compiles with `bpftrace -d` (parse, semantic analysis, codegen; no
// attach). A failure that only reflects this machine (tracepoint formats missing because
// tracefs cannot be mounted) is reported as such; any other error fails.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';

// Scripts start servers, profilers and tracers: minutes under a loaded CI machine, not 60 s.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 120_000 });
import { ADDON, ROOT, addonBuilt, isRoot, requirement, run, which } from '../profiling/helpers.js';

const BPF = join(ROOT, 'bpf');
const scripts = readdirSync(BPF).filter((f) => f.endsWith('.bt')).sort();
const NODE = process.execPath;

/** Positional arguments per script: the same table as bpf/lib.sh (checked below). */
function argsFor(script: string): string[] {
  const lab = script.replace(/\.bt$/, '');
  if (['match-latency', 'match-latency-uprobe', 'ops-per-book'].includes(lab)) return [ADDON, '1'];
  if (['event-loop-stalls', 'gc-pressure'].includes(lab)) return [NODE, '1'];
  return ['1'];
}

let skip: string | null = null;
beforeAll(async () => {
  skip = requirement(which('bpftrace') !== null, 'bpftrace is not installed (apt-get install bpftrace)')
    ?? requirement(isRoot(), 'bpftrace needs root')
    ?? requirement(addonBuilt(), `the addon is not built (${ADDON}): run npx node-gyp rebuild`);
  if (!skip) await run('bash', [join(BPF, 'ensure-tracefs.sh')], { timeoutMs: 10_000 });
});

describe('bpftrace -d on every lab script', () => {
  it('finds at least six labs', () => {
    expect(scripts.length).toBeGreaterThanOrEqual(6);
  });

  it.for(scripts)("%s compiles", async (script, ctx) => {
    if (skip) return ctx.skip();
    const r = await run('bpftrace', ['-d', join(BPF, script), ...argsFor(script)], { timeoutMs: 60_000 });
    const errors = r.stderr.split('\n').filter((l) => /ERROR/.test(l) && !/RLIMIT_MEMLOCK/.test(l));
    if (errors.some((l) => /tracepoint not found/.test(l))) {
      console.warn(`[env-limit] ${script}: tracepoint not found - this machine has no tracefs event formats; ` +
        'the script cannot be checked here (it is for real Linux hosts)');
      return;
    }
    expect(errors, r.stderr.slice(0, 2000)).toEqual([]);
    expect(r.code).toBe(0);
  });

  it('bpf/check-scripts.sh agrees (OK or ENV for every lab, no FAIL)', async (ctx) => {
    if (skip) return ctx.skip();
    const r = await run('bash', [join(BPF, 'check-scripts.sh'), ADDON, NODE], { timeoutMs: 180_000 });
    const lines = r.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/)[1]).sort()).toEqual(scripts.map((s) => s.replace(/\.bt$/, '')).sort());
    for (const l of lines) expect(l).toMatch(/^(OK|ENV) /);
    expect(r.code).toBe(0);
  });

  it('the check can fail: syntax and semantic errors are caught', async (ctx) => {
    if (skip) return ctx.skip();
    const syntax = await run('bpftrace', ['-d', '-e', 'BEGIN { @x = count( }'], { timeoutMs: 30_000 });
    expect(syntax.code).not.toBe(0);
    const semantic = await run('bpftrace', ['-d', '-e', 'BEGIN { @x = hist("not a number"); }'], { timeoutMs: 30_000 });
    expect(semantic.code).not.toBe(0);
    expect(semantic.stderr).toMatch(/ERROR/);
  });
});
