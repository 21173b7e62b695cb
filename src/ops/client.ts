/**
 * HTTP side of `simex ops`: GET a JSON endpoint of a RUNNING server (global fetch, Node 20),
 * bounded by a timeout. Operators never touch internals: everything goes through the
 * server's public routes.
 */

/** Exit codes shared by every `simex ops` command. */
export const Exit = {
  OK: 0,
  /** find-trade: trade not retained / not found; status: server not healthy. */
  NOT_FOUND: 1,
  USAGE: 2,
  /** Server unreachable, timed out, or answered something unexpected. */
  UNREACHABLE: 3,
} as const;

export class OpsError extends Error {
  constructor(message: string, readonly exitCode: number = Exit.UNREACHABLE) {
    super(message);
  }
}

export interface Reply {
  status: number;
  body: Record<string, unknown>;
}

export const DEFAULT_URL = 'http://127.0.0.1:8080';

export function normalizeUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new OpsError(`--url: not a URL: "${raw}"`, Exit.USAGE);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new OpsError(`--url: expected http(s)://, got ${u.protocol}`, Exit.USAGE);
  return u.origin + u.pathname.replace(/\/+$/, '');
}

/** GET base+path; any HTTP status is returned (callers decide), a non-JSON body or a network
 *  failure throws OpsError(UNREACHABLE). */
export async function getJson(base: string, path: string, timeoutMs: number): Promise<Reply> {
  let res: Response;
  try {
    res = await fetch(base + path, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : e.cause?.code ?? e.message;
    throw new OpsError(`cannot reach the simex server at ${base} (${why}); is it running? (--url / SIMEX_URL)`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new OpsError(`GET ${path}: HTTP ${res.status}, not JSON: ${text.slice(0, 120)}`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new OpsError(`GET ${path}: HTTP ${res.status}, unexpected body`);
  return { status: res.status, body: body as Record<string, unknown> };
}

/** GET that must answer 200. */
export async function get200(base: string, path: string, timeoutMs: number): Promise<Record<string, unknown>> {
  const r = await getJson(base, path, timeoutMs);
  if (r.status !== 200) {
    const code = typeof r.body.code === 'string' ? ` ${r.body.code}` : '';
    throw new OpsError(`GET ${path}: HTTP ${r.status}${code}: ${String(r.body.error ?? '')}`);
  }
  return r.body;
}
