/**
 * Load-test demo routes (seed runbook 000, "Demo 3: Load Testing"):
 *
 *   POST /demo/load-test          {scenario, duration, orders_per_second, concurrent_users,
 *                                  symbols, ramp_up?, ramp_down?} -> 202 {test_id, status,
 *                                  start_time, estimated_completion, ...}; 409 when one runs
 *   GET  /demo/load-test/status   progress, phase, current_metrics, order counts
 *   GET  /demo/load-test/results  summary, SLO checks, computed recommendations
 *                                  (404 before any test, 409 while one runs)
 *   POST /demo/load-test/stop     stop the running test (409 when none)
 *
 * The server calls `registerDemoRoutes(app, deps)` once and `controller.close()` on
 * shutdown. The generator runs in a child process against 127.0.0.1:<port>.
 */
import type { HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { readJsonObject, sendError, sendHttpError, sendJson, trackAbort } from '../http.js';
import { ConflictError, LoadTestController } from './controller.js';
import type { DemoDeps } from './controller.js';
import { validateLoadTest } from './validate.js';

export { LoadTestController, ConflictError };
export type { DemoDeps };

export function registerDemoRoutes(app: TemplatedApp, deps: DemoDeps): LoadTestController {
  const ctl = new LoadTestController(deps);

  app.post('/demo/load-test', (res: HttpResponse) => {
    const state = trackAbort(res);
    readJsonObject(res, state)
      .then((body) => {
        const spec = validateLoadTest(body, ctl.symbols());
        const run = ctl.start(spec);
        sendJson(res, state, 202, ctl.startBody(run));
      })
      .catch((err: unknown) => {
        if (err instanceof ConflictError) sendError(res, state, 409, 'LOAD_TEST_RUNNING', err.message);
        else sendHttpError(res, state, err);
      });
  });

  app.get('/demo/load-test/status', (res: HttpResponse) => {
    sendJson(res, null, 200, ctl.statusBody());
  });

  app.get('/demo/load-test/results', (res: HttpResponse) => {
    try {
      const body = ctl.resultsBody();
      if (body === null) sendError(res, null, 404, 'NO_RESULTS', 'no load test has completed yet');
      else sendJson(res, null, 200, body);
    } catch (err) {
      if (err instanceof ConflictError) sendError(res, null, 409, 'LOAD_TEST_RUNNING', err.message);
      else sendHttpError(res, null, err);
    }
  });

  app.post('/demo/load-test/stop', (res: HttpResponse) => {
    const state = trackAbort(res);
    // Drain (and ignore) any body so uWS does not keep the request half-read.
    res.onData(() => undefined);
    try {
      const run = ctl.stop();
      sendJson(res, state, 200, { test_id: run.id, status: 'stopping', message: 'load test stopping; results when it has drained' });
    } catch (err) {
      if (err instanceof ConflictError) sendError(res, state, 409, 'NO_LOAD_TEST_RUNNING', err.message);
      else sendHttpError(res, state, err);
    }
  });

  return ctl;
}
