// SESSION_KEYS_FILE is validated at start-up: a missing file, bad JSON, a non-object, a
// secret shorter than 32 characters, a non-numeric, anonymous (0) or reserved id stop
// `simex start` with exit 2 and one line naming the file and the account (never the
// secret); a world-readable file only warns.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, startTestServer } from './helpers/server.js';

const dir = mkdtempSync(path.join(tmpdir(), 'simex-keysfile-'));
function keysFile(name: string, content: string, mode = 0o600): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  chmodSync(p, mode);
  return p;
}
function start(file: string, viaFlag = false) {
  const args = [path.join(ROOT, 'bin', 'simex.js'), 'start', '--host', '127.0.0.1', '--port', '0', ...(viaFlag ? ['--session-keys-file', file] : [])];
  return spawnSync(process.execPath, args, {
    cwd: ROOT, encoding: 'utf8', timeout: 30_000,
    env: { ...process.env, SIMULATION_ENABLED: 'false', SHARDS: '1', ...(viaFlag ? {} : { SESSION_KEYS_FILE: file }) },
  });
}

describe('SESSION_KEYS_FILE validation at start-up', () => {
  const short = 'short-secret-1234';
  const cases: [string, string, RegExp][] = [
    ['bad-json.json', '{"7": "abc', /not valid JSON/],
    ['array.json', '["x"]', /expected a JSON object/],
    ['short.json', JSON.stringify({ 7: 'a'.repeat(40), 8: short }), /account 8: secret is 17 characters, at least 32 required/],
    ['not-string.json', JSON.stringify({ 7: 12345678901234567890 }), /account 7: the secret must be a JSON string/],
    ['bad-id.json', JSON.stringify({ alice: 'a'.repeat(40) }), /key "alice" is not an account id/],
    ['zero.json', JSON.stringify({ 0: 'a'.repeat(40) }), /account 0 is anonymous/],
    ['reserved.json', JSON.stringify({ 1: 'a'.repeat(40) }), /account 1 is reserved/],
    ['reserved-high.json', JSON.stringify({ [2 ** 30]: 'a'.repeat(40) }), /account 1073741824 is reserved/],
  ];
  it.each(cases)('%s: exit 2 with a clear message', (name, content, msg) => {
    const file = keysFile(name, content);
    const r = start(file);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^simex start: SESSION_KEYS_FILE /);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(msg);
    expect(r.stderr).not.toContain(short);
    expect(r.stdout).not.toContain('HTTP server listening');
  });

  it('a missing file (flag form): exit 2, cannot read', () => {
    const r = start(path.join(dir, 'nope.json'), true);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/SESSION_KEYS_FILE .*nope\.json: cannot read/);
  });

  it('a world-readable file starts with a warning', async () => {
    const file = keysFile('open.json', JSON.stringify({ 7: 'b'.repeat(32) }), 0o644);
    const srv = await startTestServer({ SHARDS: '1', SESSION_KEYS_FILE: file });
    try {
      const w = srv.logs().find((l) => String(l.msg).includes('readable by every user'));
      expect(w?.level).toBe('WARN');
      expect(w?.keys_file).toBe(file);
      expect(srv.lines.join('\n')).not.toContain('b'.repeat(32));
    } finally {
      await srv.stop();
    }
  }, 60_000);
});
