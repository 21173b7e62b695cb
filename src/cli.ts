/**
 * `simex` command line. Subcommands are modules loaded on demand, so a subcommand's
 * dependencies never slow down or break another one:
 *
 *   simex start [flags]      run the exchange server (src/server/server.ts)
 *   simex loadgen [flags]    load generator (loadgen team: src/loadgen/cli.ts exporting
 *                            `main(argv: string[]): Promise<number>`; listed when present)
 *   simex ops <command>      operator CLI over HTTP (src/ops/index.ts)
 *   simex help | --help      this text;  simex start --help  server flags
 *
 * Adding a subcommand: one entry in SUBCOMMANDS (name, summary, module, export).
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { existsSync } from 'node:fs';

interface Subcommand {
  name: string;
  summary: string;
  /** Module path relative to this file (compiled .js). */
  module: string;
  /** Exported function `(argv) => Promise<number>` (exit code). */
  export: string;
}

export const SUBCOMMANDS: Subcommand[] = [
  { name: 'start', summary: 'run the exchange server', module: './server/start.js', export: 'main' },
  { name: 'loadgen', summary: 'run the load generator against a server', module: './loadgen/cli.js', export: 'main' },
  { name: 'ops', summary: 'operator commands against a running server (find-trade, investigate-failures, status)', module: './ops/index.js', export: 'main' },
];

function available(sc: Subcommand): boolean {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const file = path.join(here, sc.module);
  return existsSync(file) || existsSync(file.replace(/\.js$/, '.ts'));
}

export function usage(): string {
  const lines = SUBCOMMANDS.filter(available).map((s) => `  ${s.name.padEnd(10)} ${s.summary}`);
  return `usage: simex <command> [flags]\n\ncommands:\n${lines.join('\n')}\n  help       show this text\n\n` +
    'Run `simex <command> --help` for the flags of a command.';
}

export async function run(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    process.stdout.write(usage() + '\n');
    return cmd ? 0 : 1;
  }
  if (cmd === '--version' || cmd === 'version') {
    const { readFileSync } = await import('node:fs');
    const here = path.dirname(fileURLToPath(import.meta.url));
    for (const rel of ['../../package.json', '../package.json']) {
      const p = path.join(here, rel);
      if (existsSync(p)) {
        process.stdout.write(`${(JSON.parse(readFileSync(p, 'utf8')) as { version: string }).version}\n`);
        return 0;
      }
    }
    return 1;
  }
  const sc = SUBCOMMANDS.find((s) => s.name === cmd);
  if (!sc || !available(sc)) {
    process.stderr.write(`simex: unknown command "${cmd}"\n\n${usage()}\n`);
    return 2;
  }
  const mod = (await import(sc.module)) as Record<string, unknown>;
  const fn = mod[sc.export];
  if (typeof fn !== 'function') {
    process.stderr.write(`simex: ${sc.module} does not export ${sc.export}()\n`);
    return 2;
  }
  return (fn as (a: string[]) => Promise<number>)(rest);
}

const isMain = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  run(process.argv.slice(2)).then(
    (code) => {
      if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`simex: ${String((err as Error)?.stack ?? err)}\n`);
      process.exitCode = 1;
    },
  );
}
