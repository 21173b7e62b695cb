/**
 * Where compiled runtime files live. Worker threads and child processes always run the
 * compiled JS in dist/ (vitest does not transform worker files), so a caller running from
 * TypeScript sources (tests) still gets dist/src/loadgen/*.js. `npx tsc -p tsconfig.json`
 * must have run first.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Repository root: two levels up from src/loadgen, three from dist/src/loadgen. */
export const REPO_ROOT = here.includes(`${path.sep}dist${path.sep}`)
  ? path.resolve(here, '..', '..', '..')
  : path.resolve(here, '..', '..');

/** Absolute path of a compiled file, e.g. distFile('src/loadgen/worker.js'). */
export function distFile(rel: string): string {
  return path.join(REPO_ROOT, 'dist', rel);
}
