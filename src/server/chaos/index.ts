/**
 * Chaos demo routes (seed runbook 000, "Demo 4: Chaos Engineering"):
 *
 *   POST /demo/chaos-test          {type, duration, severity?, target{component, percentage}?,
 *                                   parameters{...}?, recovery{auto_recover, recovery_time,
 *                                   graceful_recover}?} -> 202 {test_id, status: "started",
 *                                   type, start_time, phase}; 409 CHAOS_TEST_RUNNING; 400
 *   GET  /demo/chaos-test/status   is_running, scenario, elapsed/remaining, progress, phase,
 *                                   affected_targets, metrics{...} (measured)
 *   GET  /demo/chaos-test/results  summary, timeline, computed observations/recommendations
 *                                   (404 NO_RESULTS before any test, 409 while one runs)
 *   POST /demo/chaos-test/stop     rollback every fault now (409 NO_CHAOS_TEST_RUNNING)
 *
 * The server calls `registerChaosRoutes(app, deps)` once, before its catch-all route, and
 * `controller.close()` on shutdown (removes every fault). See docs/CHAOS.md.
 */
import type { HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { readJsonObject, sendError, sendHttpError, sendJson, trackAbort } from '../http.js';
import { ChaosController, ConflictError } from '../../chaos/experiment.js';
import type { ChaosDeps } from '../../chaos/experiment.js';
import { validateChaosTest } from '../../chaos/validate.js';

export { ChaosController, ConflictError };
export type { ChaosDeps };

export function registerChaosRoutes(app: TemplatedApp, deps: ChaosDeps): ChaosController {
  const ctl = new ChaosController(deps);

  app.post('/demo/chaos-test', (res: HttpResponse) => {
    const state = trackAbort(res);
    readJsonObject(res, state)
      .then(async (body) => {
        const spec = validateChaosTest(body, ctl.validateContext());
        const run = await ctl.start(spec);
        sendJson(res, state, 202, ctl.startBody(run));
      })
      .catch((err: unknown) => {
        if (err instanceof ConflictError) sendError(res, state, 409, 'CHAOS_TEST_RUNNING', err.message);
        else if (err instanceof Error && (err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
          sendError(res, state, 409, 'PROXY_PORT_IN_USE', err.message, 'parameters.proxy_port');
        } else sendHttpError(res, state, err);
      });
  });

  app.get('/demo/chaos-test/status', (res: HttpResponse) => {
    try {
      sendJson(res, null, 200, ctl.statusBody());
    } catch (err) {
      sendHttpError(res, null, err);
    }
  });

  app.get('/demo/chaos-test/results', (res: HttpResponse) => {
    try {
      const body = ctl.resultsBody();
      if (body === null) sendError(res, null, 404, 'NO_RESULTS', 'no chaos test has completed yet');
      else sendJson(res, null, 200, body);
    } catch (err) {
      if (err instanceof ConflictError) sendError(res, null, 409, 'CHAOS_TEST_RUNNING', err.message);
      else sendHttpError(res, null, err);
    }
  });

  app.post('/demo/chaos-test/stop', (res: HttpResponse) => {
    const state = trackAbort(res);
    res.onData(() => undefined);
    ctl.stop()
      .then((run) => {
        sendJson(res, state, 200, { test_id: run.id, status: 'stopped', phase: run.phase, rolled_back: run.rolledBack,
          injector_installed: ctl.injector.installed });
      })
      .catch((err: unknown) => {
        if (err instanceof ConflictError) sendError(res, state, 409, 'NO_CHAOS_TEST_RUNNING', err.message);
        else sendHttpError(res, state, err);
      });
  });

  return ctl;
}
