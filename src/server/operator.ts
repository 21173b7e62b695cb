/**
 * The operator surface `simex ops` (src/ops/) talks to, assembled in one call from
 * server.ts:
 *   GET /api/trades/:id          trade lookup (trade-lookup.ts)
 *   GET /admin/errors/recent     recent failures ring (admin/failures.ts), hooked into the
 *                                exchange, the trading controls and the chaos injector
 *   chaos flag file              CHAOS_FLAG_FILE / --chaos-flag-file (chaos/flag-file.ts)
 *   Prometheus                   simex_chaos_flag_active, simex_chaos_injector_armed
 */
import type { TemplatedApp } from 'uWebSockets.js';
import type { MetricsHub } from '../metrics/index.js';
import type { FaultInjector } from '../chaos/faults.js';
import type { Exchange } from './exchange.js';
import type { Logger } from './logger.js';
import type { TradingControl } from './trading-control.js';
import { FailureLog, attachFailureLog, registerFailureRoutes } from './admin/failures.js';
import { registerTradeLookupRoutes } from './trade-lookup.js';
import { ChaosFlagWatcher, registerChaosMetrics } from './chaos/flag-file.js';

export interface OperatorDeps {
  exchange: Exchange;
  control: TradingControl;
  /** The chaos controller's injector (null when the chaos module failed to load). */
  injector: FaultInjector | null;
  hub: MetricsHub | null;
  logger: Logger;
  /** Chaos flag file path; '' = off. */
  chaosFlagFile: string;
}

export interface Operator {
  readonly failures: FailureLog;
  readonly flag: ChaosFlagWatcher | null;
  /** /health: {flag_file?, active, injector_armed, ...}. */
  chaosView(): Record<string, unknown>;
  stop(): void;
}

export const OPERATOR_ENDPOINTS = ['/api/trades/:id', '/admin/errors/recent'];

export function registerOperatorRoutes(app: TemplatedApp, deps: OperatorDeps): Operator {
  const { exchange: ex, injector, logger } = deps;
  const failures = new FailureLog();
  attachFailureLog(failures, ex, deps.control, injector);
  const symbols = ex.books.map((b) => b.symbol);
  registerFailureRoutes(app, { log: failures, symbols });
  registerTradeLookupRoutes(app, { exchange: ex });
  let flag: ChaosFlagWatcher | null = null;
  if (deps.chaosFlagFile !== '') {
    if (!injector) logger.error({ path: deps.chaosFlagFile }, 'Chaos flag file ignored: the chaos module is unavailable');
    else {
      flag = new ChaosFlagWatcher({ path: deps.chaosFlagFile, injector, symbols, logger: logger.child({ component: 'chaos-flag' }) });
      flag.start();
    }
  }
  if (deps.hub && injector) registerChaosMetrics(deps.hub.registry, injector, flag);
  return {
    failures,
    flag,
    chaosView: () => ({
      active: (flag?.active ?? false) || (injector?.armed ?? false),
      injector_armed: injector?.armed ?? false,
      injector_rules: injector?.ruleNames ?? [],
      flag: flag ? flag.view() : { flag_file: null, active: false, note: 'no CHAOS_FLAG_FILE configured' },
    }),
    stop: () => flag?.stop(),
  };
}
