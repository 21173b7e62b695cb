/**
 * Seed 004's /admin/migration/*: live migration of a pair between the two engine kinds
 * (native <-> ts) by shadow execution in its shard (src/shard/migration.ts has the
 * mechanism; docs/ARCHITECTURE.md "Live engine migration").
 *
 *   GET  /admin/migration/status          [{pair, shard, state, engine, source_engine,
 *                                         target_engine, current_percentage, target_percentage,
 *                                         commands_compared, mismatches, commands_served_by_target,
 *                                         shadow_engine_ns_per_command, extra_ns_per_command,
 *                                         started_at, cut_over_at, last_mismatch, ...}] (array:
 *                                         the runbook pipes it to jq '.[] | select(...)')
 *   GET  /admin/migration/summary         counts per state, per engine, totals
 *   POST /admin/migration/percentage      {pair: SYMBOL|"all", percentage: 0..100,
 *                                         verify_commands?}: > 0 starts (or re-targets) a
 *                                         shadow migration to the other engine kind; 0 rolls
 *                                         back (a cut-over pair moves back); 100 + a clean
 *                                         verification window cuts over
 *   POST /admin/migration/complete        {pair}: cut a shadowing pair over now
 *   POST /admin/migration/emergency-stop  roll every shadowing migration back to 0% (warn)
 *   POST /admin/migration/stop-all        the same, for a planned stop (info)
 *   POST /admin/test/migration/fault      {pair} test-only (SIMEX_TEST_ROUTES=true): corrupt
 *                                         the pair's next compared target event (breaker drill)
 *
 * Every figure comes from the shard that owns the pair, asked over its control channel
 * (worker: one message + reply; inline: a direct call). Mutating routes: loopback or
 * ADMIN_TOKEN (the `admin` guard of routes.ts). Errors {error, code, field?}: 400 bad input,
 * 404 unknown pair, 409 ENGINE_UNAVAILABLE (the other engine kind does not load here: no
 * native addon) / MIGRATION_COMPLETED / NOT_SHADOWING, 503 SHARD_UNAVAILABLE.
 *
 * Prometheus (registerMigrationMetrics, read at scrape time from each shard's last report:
 * worker <= ~1 s old, inline the core now): simex_migration_percentage{pair},
 * simex_migration_state{pair,state} (1 for the current state), simex_migration_commands_compared{pair}
 * (current migration), simex_migration_mismatches{pair} (since start).
 *
 * Verification window: MIGRATION_VERIFY_COMMANDS (default 10000) commands compared at 100%
 * without a mismatch, fixed when a migration starts; a request's `verify_commands` sets it
 * (also for a running migration).
 */
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import client from 'prom-client';
import { HttpError, readJsonObject, sendHttpError, sendJson, trackAbort, type ResponseState } from '../http.js';
import type { MigrationAnswer } from '../../shard/pool.js';
import type { MigrationRequest, MigrationResult, PairMigrationStatus } from '../../shard/migration.js';

export interface MigrationRouteDeps {
  pool: {
    migrate(shard: number, req: MigrationRequest, timeoutMs?: number): Promise<MigrationAnswer>;
    readonly shards: readonly { id: number; state: string; implementation: string; migration: MigrationResult | null }[];
  };
  /** Every pair in configuration order with its shard and shard-local book index. */
  books: readonly { symbol: string; shard: number; book: number }[];
  /** Symbol lookup that also takes "<SYMBOL>T" for a "...USD" pair (trading-control.ts). */
  resolvePair(name: string): { symbol: string } | undefined;
  logger: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
  /** Mutating-route guard: throws HttpError 403 unless loopback or ADMIN_TOKEN. */
  admin(res: HttpResponse, req: HttpRequest): void;
  testRoutes: boolean;
}

export const DEFAULT_VERIFY_COMMANDS = 10_000;
const MAX_VERIFY_COMMANDS = 1_000_000_000;

/** One status row: the shard's figures for the pair plus where it lives. */
export interface MigrationRow extends Omit<PairMigrationStatus, 'book'> {
  shard: number;
  migration_supported: boolean | null;
  /** Set when the shard did not answer: the figures are its last report (or none). */
  stale?: boolean;
  shard_state?: string;
}

function verifyDefault(logger: MigrationRouteDeps['logger']): number {
  const raw = process.env.MIGRATION_VERIFY_COMMANDS;
  if (raw === undefined || raw.trim() === '') return DEFAULT_VERIFY_COMMANDS;
  const n = Number(raw);
  if (Number.isInteger(n) && n >= 0 && n <= MAX_VERIFY_COMMANDS) return n;
  logger.warn({ MIGRATION_VERIFY_COMMANDS: raw }, `MIGRATION_VERIFY_COMMANDS must be an integer 0..${MAX_VERIFY_COMMANDS}; using ${DEFAULT_VERIFY_COMMANDS}`);
  return DEFAULT_VERIFY_COMMANDS;
}

const answerError = (a: MigrationAnswer & { ok: false }, field?: string) => new HttpError(a.error.status, a.error.code, a.error.message, field);

export function registerMigrationRoutes(app: TemplatedApp, deps: MigrationRouteDeps): void {
  const { pool, books, logger } = deps;
  const verifyCommandsDefault = verifyDefault(logger);
  const shardIds = [...new Set(books.map((b) => b.shard))];

  const handle = (fn: (res: HttpResponse, req: HttpRequest, st: ResponseState) => void | Promise<void>) =>
    (res: HttpResponse, req: HttpRequest) => {
      const st = trackAbort(res);
      const fail = (err: unknown) => {
        if (!(err instanceof HttpError)) logger.error({ err: String((err as Error)?.stack ?? err) }, 'migration request failed');
        sendHttpError(res, st, err);
      };
      try {
        const r = fn(res, req, st);
        if (r instanceof Promise) r.catch(fail);
      } catch (err) {
        fail(err);
      }
    };

  const rowOf = (b: MigrationRouteDeps['books'][number], result: MigrationResult | null, stale: boolean): MigrationRow => {
    const h = pool.shards[b.shard];
    const r = result?.rows[b.book];
    const base: MigrationRow = r
      ? (({ book: _book, ...rest }) => ({ ...rest, shard: b.shard, migration_supported: result!.other_engine_available }))(r)
      : {
        // No report from this shard yet (it never got a migration request): nothing migrated.
        pair: b.symbol, shard: b.shard, state: 'not_migrating', engine: h?.implementation ?? 'unknown', source_engine: null,
        target_engine: null, current_percentage: 0, target_percentage: 0, commands_compared: 0, mismatches: 0,
        mismatches_total: 0, commands_served_by_target: 0, verify_commands: 0, verified_commands: 0,
        shadow_engine_ns_per_command: null, source_engine_ns_per_command: null, extra_ns_per_command: null,
        recent_shadow_engine_ns_per_command: null, recent_extra_ns_per_command: null, started_at: null,
        cut_over_at: null, rolled_back_at: null, rollback_reason: null, last_mismatch: null, fault_armed: false,
        migrations_started: 0, migration_supported: null,
      };
    if (stale) {
      base.stale = true;
      base.shard_state = h?.state ?? 'missing';
    }
    return base;
  };

  /** Fresh rows for every pair (one status request per shard, in parallel). */
  const collect = async (): Promise<MigrationRow[]> => {
    const answers = new Map<number, MigrationAnswer>();
    await Promise.all(shardIds.map(async (s) => {
      answers.set(s, await pool.migrate(s, { op: 'status' }, 2000));
    }));
    return books.map((b) => {
      const a = answers.get(b.shard)!;
      return a.ok ? rowOf(b, a.result, false) : rowOf(b, pool.shards[b.shard]?.migration ?? null, true);
    });
  };

  const pairsOf = (name: unknown): MigrationRouteDeps['books'][number][] => {
    if (typeof name !== 'string' || name.length === 0 || name.length > 32) {
      throw new HttpError(400, 'INVALID_PARAMETER', 'pair must be "all" or a symbol', 'pair');
    }
    if (name.toLowerCase() === 'all') return [...books];
    const hit = deps.resolvePair(name);
    const b = hit && books.find((x) => x.symbol === hit.symbol);
    if (!b) throw new HttpError(404, 'UNKNOWN_SYMBOL', `unknown pair ${name.slice(0, 32)}`, 'pair');
    return [b];
  };
  const onePair = (name: unknown) => {
    if (typeof name === 'string' && name.toLowerCase() === 'all') {
      throw new HttpError(400, 'INVALID_PARAMETER', 'pair must be one symbol here, not "all"', 'pair');
    }
    return pairsOf(name)[0]!;
  };

  const isDead = (shard: number) => {
    const st = pool.shards[shard]?.state;
    return st === 'down' || st === 'stopped' || st === undefined;
  };

  const summary = (rows: MigrationRow[]) => {
    const byState: Record<string, number> = { not_migrating: 0, shadowing: 0, cut_over: 0, rolled_back: 0 };
    const engines: Record<string, number> = {};
    let compared = 0;
    let mismatches = 0;
    let served = 0;
    for (const r of rows) {
      // A pair on a dead shard is not migrating any more, whatever its last report said.
      const state = r.state === 'shadowing' && isDead(r.shard) ? 'shard_down' : r.state;
      byState[state] = (byState[state] ?? 0) + 1;
      engines[r.engine] = (engines[r.engine] ?? 0) + 1;
      compared += r.commands_compared;
      mismatches += r.mismatches_total;
      served += r.commands_served_by_target;
    }
    return {
      pairs: rows.length, active_migrations: byState.shadowing, completed_migrations: byState.cut_over,
      rolled_back_migrations: byState.rolled_back, by_state: byState, engines,
      commands_compared_total: compared, mismatches_total: mismatches, commands_served_by_target_total: served,
      migration_supported: rows.some((r) => r.migration_supported === true),
      verify_commands_default: verifyCommandsDefault,
      stale_pairs: rows.filter((r) => r.stale).map((r) => r.pair),
      timestamp: new Date().toISOString(),
    };
  };

  app.get('/admin/migration/status', handle(async (res, _req, st) => {
    sendJson(res, st, 200, await collect());
  }));
  app.get('/admin/migration/summary', handle(async (res, _req, st) => {
    sendJson(res, st, 200, summary(await collect()));
  }));

  app.post('/admin/migration/percentage', handle(async (res, req, st) => {
    deps.admin(res, req);
    const body = await readJsonObject(res, st);
    if (st.aborted) return;
    const targets = pairsOf(body.pair);
    const pct = body.percentage;
    if (typeof pct !== 'number' || !Number.isFinite(pct) || pct < 0 || pct > 100) {
      throw new HttpError(400, 'INVALID_PARAMETER', 'percentage must be a number from 0 to 100', 'percentage');
    }
    let verifyCommands = verifyCommandsDefault;
    if (body.verify_commands !== undefined) {
      const v = body.verify_commands;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_VERIFY_COMMANDS) {
        throw new HttpError(400, 'INVALID_PARAMETER', `verify_commands must be an integer from 0 to ${MAX_VERIFY_COMMANDS}`, 'verify_commands');
      }
      verifyCommands = v;
    }
    const answers = await Promise.all(targets.map((b) => pool.migrate(b.shard, {
      op: 'percentage', book: b.book, percentage: pct, verifyCommands, keepWindow: body.verify_commands === undefined,
    })));
    const errors: { pair: string; code: string; error: string; status: number }[] = [];
    const changed: string[] = [];
    answers.forEach((a, i) => {
      const b = targets[i]!;
      if (!a.ok) errors.push({ pair: b.symbol, code: a.error.code, error: a.error.message, status: a.error.status });
      else if (a.result.changed.includes(b.book)) changed.push(b.symbol);
    });
    if (errors.length === targets.length) {
      const a = answers[0] as MigrationAnswer & { ok: false };
      throw answerError(a, a.error.code === 'MIGRATION_COMPLETED' ? 'percentage' : 'pair');
    }
    if (st.aborted) return;
    const rows = (await collect()).filter((r) => targets.some((b) => b.symbol === r.pair));
    logger.info({ pairs: targets.map((b) => b.symbol), percentage: pct, verify_commands: verifyCommands, changed, errors: errors.length },
      'Migration percentage set');
    // Measured: the pairs' common current percentage, null when they differ (a pair refused
    // or cut over); never the requested value.
    const current = new Set(rows.map((r) => r.current_percentage));
    sendJson(res, st, 200, {
      pairs: rows, percentage: pct, current_percentage: current.size === 1 ? rows[0]!.current_percentage : null,
      changed: changed.length > 0, changed_pairs: changed, ...(errors.length > 0 ? { errors } : {}),
    });
  }));

  /** A one-pair operation: body {pair} -> the shard's answer -> the pair's row. */
  const pairOp = (op: 'complete' | 'fault', status: number, after?: (symbol: string) => void) =>
    handle(async (res, req, st) => {
      deps.admin(res, req);
      const body = await readJsonObject(res, st);
      if (st.aborted) return;
      const b = onePair(body.pair);
      const a = await pool.migrate(b.shard, { op, book: b.book });
      if (!a.ok) throw answerError(a, 'pair');
      after?.(b.symbol);
      sendJson(res, st, status, rowOf(b, a.result, false));
    });
  app.post('/admin/migration/complete', pairOp('complete', 200));

  const stopAll = async (res: HttpResponse, st: ResponseState, action: 'emergency-stop' | 'stop-all'): Promise<void> => {
    const answers = await Promise.all(shardIds.map((s) => pool.migrate(s, { op: 'stop-all', reason: action })));
    const rolledBack: string[] = [];
    // A dead shard runs nothing (its books are gone until restart): listed, not a failure.
    // Any other unanswered shard (stalled, timed out) may still shadow: 503.
    const failed: { shard: number; code: string; error: string }[] = [];
    const dead: number[] = [];
    answers.forEach((a, i) => {
      const s = shardIds[i]!;
      if (!a.ok) {
        if (isDead(s)) dead.push(s);
        else failed.push({ shard: s, code: a.error.code, error: a.error.message });
        return;
      }
      for (const book of a.result.changed) {
        const b = books.find((x) => x.shard === s && x.book === book);
        if (b) rolledBack.push(b.symbol);
      }
    });
    const rows = await collect();
    const sum = summary(rows);
    const line = { action, stopped: rolledBack.length, rolled_back: rolledBack, failed_shards: failed.length, completed_migrations: sum.completed_migrations };
    if (action === 'emergency-stop') {
      logger.warn(line, rolledBack.length > 0 ? `Migration emergency stop: rolled back ${rolledBack.join(', ')} to 0%` : 'Migration emergency stop: no migration was running');
    } else logger.info(line, rolledBack.length > 0 ? `Migration stop-all: rolled back ${rolledBack.join(', ')} to 0%` : 'Migration stop-all: no migration was running');
    sendJson(res, st, failed.length > 0 ? 503 : 200, {
      action, stopped: rolledBack.length, rolled_back: rolledBack, active_migrations: sum.active_migrations,
      completed_migrations: sum.completed_migrations,
      note: 'completed (cut_over) migrations stay on their new engine; POST /admin/migration/percentage {"pair": P, "percentage": 0} moves one back',
      ...(failed.length > 0 ? { code: 'SHARD_UNAVAILABLE', failed_shards: failed } : {}),
      ...(dead.length > 0 ? { down_shards: dead } : {}),
      pairs: rows, timestamp: new Date().toISOString(),
    });
  };
  app.post('/admin/migration/emergency-stop', handle(async (res, req, st) => {
    deps.admin(res, req);
    await stopAll(res, st, 'emergency-stop');
  }));
  app.post('/admin/migration/stop-all', handle(async (res, req, st) => {
    deps.admin(res, req);
    await stopAll(res, st, 'stop-all');
  }));

  if (deps.testRoutes) {
    app.post('/admin/test/migration/fault', pairOp('fault', 202, (pair) => {
      logger.warn({ pair }, 'Test route: the next compared target event of this pair will be corrupted');
    }));
  }
}

/** `shard_down`: the pair's shard died; its migration (if any) died with it (the shard's last
 *  report is not shown as if it still held). */
const STATES = ['not_migrating', 'shadowing', 'cut_over', 'rolled_back', 'shard_down'] as const;

/** Scrape-time gauges of the migration rows (see the header). No cost between scrapes. */
export function registerMigrationMetrics(registry: client.Registry, pool: {
  readonly shards: readonly { state: string; migration: MigrationResult | null; core: { migrationStatus(): MigrationResult | null } | null }[];
}, books: MigrationRouteDeps['books']): void {
  const rows = () => books.map((b) => {
    const h = pool.shards[b.shard];
    const down = h !== undefined && h.state !== 'up' && h.state !== 'starting';
    const r = (h?.core ? h.core.migrationStatus() : h?.migration)?.rows[b.book];
    return { pair: b.symbol, r, down };
  });
  new client.Gauge({
    name: 'simex_migration_percentage', help: 'Share (%) of the pair\'s commands whose events are served by the migration target engine',
    labelNames: ['pair'], registers: [registry],
    collect() { for (const { pair, r, down } of rows()) this.set({ pair }, down ? 0 : r?.current_percentage ?? 0); },
  });
  new client.Gauge({
    name: 'simex_migration_state', help: 'Engine migration state of the pair (1 = current state)', labelNames: ['pair', 'state'],
    registers: [registry],
    collect() {
      for (const { pair, r, down } of rows()) {
        const now = down ? 'shard_down' : r?.state ?? 'not_migrating';
        for (const state of STATES) this.set({ pair, state }, now === state ? 1 : 0);
      }
    },
  });
  new client.Gauge({
    name: 'simex_migration_commands_compared', help: 'Commands of the pair run in both engines and compared, current (or last) migration',
    labelNames: ['pair'], registers: [registry],
    collect() { for (const { pair, r } of rows()) this.set({ pair }, r?.commands_compared ?? 0); },
  });
  new client.Gauge({
    name: 'simex_migration_mismatches', help: 'Shadow comparisons that differed (each rolled its migration back), since server start',
    labelNames: ['pair'], registers: [registry],
    collect() { for (const { pair, r } of rows()) this.set({ pair }, r?.mismatches_total ?? 0); },
  });
}
