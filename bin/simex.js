#!/usr/bin/env node
// simex CLI entry: runs the compiled CLI (build first: `npx tsc -p tsconfig.json`).
import { fileURLToPath, pathToFileURL } from 'node:url';
import { existsSync } from 'node:fs';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, '..', 'dist', 'src', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write(`simex: ${cli} not found; build with \`npx tsc -p tsconfig.json\` (or \`npm run build\`)\n`);
  process.exit(1);
}
const { run } = await import(pathToFileURL(cli).href);
const code = await run(process.argv.slice(2));
if (code !== 0) process.exitCode = code;
