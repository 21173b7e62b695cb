/** Run `simex ops` in-process (src/ops/index.ts main) with captured stdout/stderr. */
import { main } from '../../src/ops/index.js';

export interface OpsRun {
  code: number;
  out: string;
  err: string;
  /** stdout parsed as JSON (for --json runs). */
  json(): any;
}

export async function ops(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<OpsRun> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => { out += t + '\n'; }, err: (t) => { err += t + '\n'; } }, env);
  return { code, out, err, json: () => JSON.parse(out) };
}

/** Poll `check` until it returns a truthy value (deadline, not a timing assertion). */
export async function until<T>(what: string, check: () => Promise<T | null | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
