// scripts/check-labs.sh runs the commands of docs/labs/*.md (all four learning paths)
// against servers it starts itself and checks what each lab says you should see.
// Clinic steps are best effort and not part of this gate (--with-clinic is not passed).
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT, ensureDist, run } from './helpers.js';

it('every lab step passes (or is skipped locally for a missing tool)', async () => {
  ensureDist('dist/profiling/cpuprofile-tools.js', 'profiling/cpuprofile-tools.ts');
  ensureDist('dist/src/cli.js');
  const r = await run('bash', [join(ROOT, 'scripts/check-labs.sh')], { timeoutMs: 900_000 });
  const lines = r.stdout.split('\n').filter((l) => /^(OK|FAIL|SKIP) /.test(l));
  for (const l of lines.filter((x) => x.startsWith('SKIP'))) console.warn(`[check-labs] ${l}`);
  expect(lines.filter((l) => l.startsWith('FAIL')), r.stdout.slice(-4000) + r.stderr.slice(-2000)).toEqual([]);
  // The paths are all there: at least one step of each ran.
  for (const prefix of ['obs-', 'chaos-', 'prof-', 'perf-']) expect(lines.some((l) => l.includes(` ${prefix}`))).toBe(true);
  expect(r.code).toBe(0);
}, 900_000);
