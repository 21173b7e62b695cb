/** HTTP helpers for the accounts tests (test/server/accounts-*.test.ts). */
export interface Resp {
  status: number;
  body: any;
  headers: Headers;
}

export async function call(base: string, method: string, p: string, body?: unknown, token?: string | null,
  extra: Record<string, string> = {}): Promise<Resp> {
  const headers: Record<string, string> = { ...extra };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(base + p, {
    method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: json, headers: res.headers };
}

/** Register + login; returns the token and user id. */
export async function signUp(base: string, username: string, password = 'correct-horse-battery'): Promise<{ token: string; userId: string }> {
  const r = await call(base, 'POST', '/api/auth/register', { username, password });
  if (r.status !== 201) throw new Error(`register ${username}: ${r.status} ${JSON.stringify(r.body)}`);
  const l = await call(base, 'POST', '/api/auth/login', { username, password });
  if (l.status !== 200) throw new Error(`login ${username}: ${l.status} ${JSON.stringify(l.body)}`);
  return { token: l.body.access_token, userId: l.body.user_id };
}

/** {asset: {total, available, reserved}} of GET /api/account/balance. */
export async function balances(base: string, token: string): Promise<Record<string, { total: string; available: string; reserved: string }>> {
  const r = await call(base, 'GET', '/api/account/balance', undefined, token);
  if (r.status !== 200) throw new Error(`balance: ${r.status} ${JSON.stringify(r.body)}`);
  const out: Record<string, { total: string; available: string; reserved: string }> = {};
  for (const b of r.body.balances) out[b.asset] = { total: b.total, available: b.available, reserved: b.reserved };
  return out;
}
