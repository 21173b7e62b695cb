// The REST audit lines written by routes.ts's AuditLog (template strings, one write per
// few ms) are byte-identical to the server logger's own `logger.info(fields, msg)` lines.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createLogger } from '../../src/server/logger.js';
import { AuditLog } from '../../src/server/routes.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmpLog(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'simex-audit-'));
  dirs.push(d);
  return path.join(d, 'log.jsonl');
}

/** Lines of a log file with the `time` value blanked (the two writers read the clock apart). */
function lines(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '')
    .map((l) => l.replace(/"time":"[^"]*"/, '"time":"T"'));
}

const placed = [
  ['01M8REFCCCKGB3FQAGE36T01C7', 4294967297, 'BTCUSD', 'sell', 'limit', 0.0009, 50010.77, 'active', 0],
  ['01M8REFCCEVED31WK4DZE41P9J', 4294967298, 'BTCUSD', 'buy', 'market', 1.5, 0, 'filled', 1.5],
  ['01M8REFCCEVED31WK4DZE41P9K', 4294967299, 'ADAUSD', 'buy', 'limit', 1e-7, 0.000123, 'partially_filled', 1e21],
] as const;

describe('REST audit log', () => {
  it('writes the same bytes as logger.info, batched into one later write', async () => {
    const ref = tmpLog();
    const fast = tmpLog();
    const refLogger = createLogger('info', ref);
    const audit = new AuditLog(createLogger('info', fast));
    for (const p of placed) {
      const [order_id, exchange_order_id, symbol, side, type, quantity, price, status, filled_quantity] = p;
      refLogger.info({ order_id, exchange_order_id, symbol, side, type, quantity, price, status, filled_quantity }, 'Order placed');
      audit.placed(order_id, exchange_order_id, symbol, side, type, quantity, price, status, filled_quantity);
    }
    refLogger.info({ order_id: '01M8REFCCEVED31WK4DZE41P9Z', symbol: 'ETHUSD', reason: 'POST_ONLY_WOULD_TAKE' }, 'Order rejected');
    audit.rejected('01M8REFCCEVED31WK4DZE41P9Z', 'ETHUSD', 'POST_ONLY_WOULD_TAKE');
    // Queued: nothing written synchronously, then everything in one batch.
    expect(readFileSync(fast, 'utf8')).toBe('');
    for (let i = 0; i < 200 && readFileSync(fast, 'utf8') === ''; i++) await new Promise((r) => setTimeout(r, 10));
    const got = lines(fast);
    expect(got).toHaveLength(4);
    expect(got).toEqual(lines(ref));
    for (const l of readFileSync(fast, 'utf8').trim().split('\n')) {
      expect(JSON.parse(l).time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
  });

  it('writes nothing below info level', async () => {
    const file = tmpLog();
    const audit = new AuditLog(createLogger('warn', file));
    audit.placed('01M8REFCCCKGB3FQAGE36T01C7', 4294967297, 'BTCUSD', 'sell', 'limit', 1, 2, 'active', 0);
    await new Promise((r) => setTimeout(r, 20));
    audit.flush();
    expect(readFileSync(file, 'utf8')).toBe('');
  });

  it('a child logger (with bindings) goes through logger.info and keeps its bindings', () => {
    const file = tmpLog();
    const audit = new AuditLog(createLogger('info', file).child({ component: 'rest' }));
    audit.placed('01M8REFCCCKGB3FQAGE36T01C7', 4294967297, 'BTCUSD', 'sell', 'limit', 1, 2, 'active', 0);
    const l = JSON.parse(readFileSync(file, 'utf8').trim()) as Record<string, unknown>;
    expect(l).toMatchObject({ level: 'INFO', component: 'rest', msg: 'Order placed', order_id: '01M8REFCCCKGB3FQAGE36T01C7', quantity: 1, price: 2 });
  });

  it('keeps the order of lines with the logger\'s own (batch written to the fd after earlier pino lines, before later ones)', () => {
    const file = tmpLog();
    const logger = createLogger('info', file);
    const audit = new AuditLog(logger);
    logger.info({ n: 1 }, 'before');
    audit.placed('01M8REFCCCKGB3FQAGE36T01C7', 4294967297, 'BTCUSD', 'sell', 'limit', 1, 2, 'active', 0);
    audit.rejected('01M8REFCCEVED31WK4DZE41P9Z', 'ETHUSD', 'POST_ONLY_WOULD_TAKE');
    audit.flush();
    logger.info({ n: 2 }, 'after');
    expect(readFileSync(file, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { msg: string }).msg))
      .toEqual(['before', 'Order placed', 'Order rejected', 'after']);
  });

  it('an asynchronous destination gets the batch through its own write', async () => {
    const file = tmpLog();
    // sonic-boom opens an async destination in the background: the file does not exist until
    // 'ready', so wait for it (CI once read the path before the open had happened: ENOENT).
    const dest = pino.destination({ dest: file, sync: false });
    await once(dest, 'ready');
    const logger = pino({ base: undefined }, dest);
    const audit = new AuditLog(logger);
    audit.placed('01M8REFCCCKGB3FQAGE36T01C7', 4294967297, 'BTCUSD', 'sell', 'limit', 1, 2, 'active', 0);
    audit.flush();
    for (let i = 0; i < 200 && !(existsSync(file) && readFileSync(file, 'utf8').includes('\n')); i++) await new Promise((r) => setTimeout(r, 10));
    expect(JSON.parse(readFileSync(file, 'utf8').trim())).toMatchObject({ order_id: '01M8REFCCCKGB3FQAGE36T01C7', msg: 'Order placed' });
  });
});
