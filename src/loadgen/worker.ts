/**
 * Piscina worker entry (compiled to dist/src/loadgen/worker.js): runs one thread's share of
 * a load-generator run over real WebSockets. One task per thread per run; the task lives
 * for the whole run and talks to the main thread over the transferred MessagePort.
 */
import { runShare } from './share.js';
import { WsOrderConnection } from './ws-transport.js';
import type { WorkerResult, WorkerTask } from './types.js';
import type { ConnectionFactory } from './share.js';

export const wsFactory: ConnectionFactory = (opts, localIndex, globalId) =>
  new WsOrderConnection({
    url: opts.url,
    index: localIndex,
    account: opts.ownerBase + globalId,
    symbols: opts.symbols,
    mix: opts.mix,
    seed: (opts.seed * 1_000_003 + globalId * 7919) >>> 0,
    ...(opts.secret !== undefined ? { secret: opts.secret } : {}),
  });

export default async function loadgenTask(task: WorkerTask): Promise<WorkerResult> {
  try {
    return await runShare(task, wsFactory);
  } finally {
    task.port.close?.();
  }
}
