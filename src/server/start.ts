/**
 * `simex start`: parse config, start the server, install the signal handlers that run the
 * graceful shutdown, exit with 0 after a clean stop (1 after a forced one).
 */
import { ConfigError, configHelp, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { startServer } from './server.js';
import { loadSessionKeys, type SessionKeys } from './session-auth.js';

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`usage: simex start [flags]\n\nFlags (each also settable by environment; flags win):\n${configHelp()}\n`);
    return 0;
  }
  let config;
  let sessionKeys: SessionKeys | null = null;
  try {
    config = loadConfig(argv, process.env);
    // A bad keys file is a configuration error (exit 2, one line), like a bad flag.
    if (config.sessionKeysFile) sessionKeys = loadSessionKeys(config.sessionKeysFile);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`simex start: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  // Signal handlers first: a signal during start-up waits for start-up, then stops cleanly.
  let serverP: ReturnType<typeof startServer> | null = null;
  let resolveExit!: (code: number) => void;
  const exitP = new Promise<number>((r) => { resolveExit = r; });
  let signalled = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalled) {
      logger.warn({ signal: sig }, 'Second signal: exiting now');
      process.exit(130);
    }
    signalled = true;
    const name = sig === 'SIGINT' ? 'interrupt' : sig === 'SIGTERM' ? 'terminated' : sig;
    logger.info({ signal: sig }, `Received signal ${name}, initiating graceful shutdown...`);
    const hard = setTimeout(() => {
      logger.error({ timeout_ms: config.shutdownTimeoutMs }, 'Graceful shutdown timed out: forcing exit');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    hard.unref();
    if (!serverP) {
      resolveExit(0);
      return;
    }
    serverP.then((server) => server.stop(`signal ${sig}`)).then(
      () => {
        clearTimeout(hard);
        resolveExit(0);
      },
      (err: unknown) => {
        logger.error({ err: String((err as Error)?.stack ?? err) }, 'Shutdown failed');
        resolveExit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  serverP = startServer(config, { logger, sessionKeys });
  try {
    await serverP;
  } catch (err) {
    logger.fatal({ err: String((err as Error)?.stack ?? err) }, 'Application failed to start');
    process.exit(1);
  }
  const code = await exitP;
  // Workers are stopped and the App is closed: a normal exit (node --cpu-prof writes here).
  process.exit(code);
}
