/**
 * Child-process entry (dist/src/loadgen/child.js) for callers that must keep the generator
 * off their own event loop — the demo API in the server. Protocol over the fork() IPC
 * channel (types.ts ChildCommand / ChildEvent): the parent sends one `run`, optionally a
 * `stop`; the child answers `ready`, `progress` every progressIntervalMs, then `done` (or
 * `error`) and exits. If the parent goes away, the run is stopped and the child exits.
 */
import { startLoadgen } from './runner.js';
import type { RunHandle } from './runner.js';
import type { ChildCommand, ChildEvent } from './types.js';

function send(ev: ChildEvent): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(ev, undefined, {}, () => resolve());
  });
}

let handle: RunHandle | null = null;

process.on('message', (raw: unknown) => {
  const cmd = raw as ChildCommand;
  if (cmd.type === 'stop') {
    handle?.stop();
    return;
  }
  if (cmd.type !== 'run' || handle !== null) return;
  try {
    handle = startLoadgen(cmd.opts, {
      onReady: (connected, failed, firstError) => void send({ type: 'ready', connected, failed, ...(firstError ? { firstError } : {}) }),
      onProgress: (status) => void send({ type: 'progress', status }),
    });
  } catch (err) {
    void send({ type: 'error', message: (err as Error).message }).then(() => process.exit(1));
    return;
  }
  handle.done.then(
    async ({ report }) => {
      await send({ type: 'done', report });
      process.exit(0);
    },
    async (err: unknown) => {
      await send({ type: 'error', message: (err as Error)?.message ?? String(err) });
      process.exit(1);
    },
  );
});

process.on('disconnect', () => {
  if (handle) handle.stop();
  else process.exit(0);
  // The run drains and resolves; exit regardless after a bound.
  setTimeout(() => process.exit(0), 10_000).unref();
});

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    if (handle) handle.stop();
    else process.exit(0);
    setTimeout(() => process.exit(0), 10_000).unref();
  });
}
