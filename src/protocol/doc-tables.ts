/**
 * Renders the message layout tables of docs/PROTOCOL.md from `LAYOUTS` (messages.ts) and the
 * reason table from reasons.ts, so the doc cannot drift from the code: a test compares the
 * doc's generated section with this output.
 *
 * Regenerate: `npx tsc -p tsconfig.json && node dist/src/protocol/doc-tables.js --write`
 * (replaces the text between the BEGIN/END GENERATED markers in docs/PROTOCOL.md).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LAYOUTS } from './messages.js';
import { EdgeReason, RejectReason, CancelReason, reasonText } from './reasons.js';

export const BEGIN_MARK = '<!-- BEGIN GENERATED LAYOUTS (src/protocol/doc-tables.ts) -->';
export const END_MARK = '<!-- END GENERATED LAYOUTS -->';
export const BEGIN_REASONS = '<!-- BEGIN GENERATED REASONS (src/protocol/doc-tables.ts) -->';
export const END_REASONS = '<!-- END GENERATED REASONS -->';

export function renderLayoutTables(): string {
  const out: string[] = [];
  for (const l of LAYOUTS) {
    const ext = l.ext ? `; ${l.ext.size} bytes with ${l.ext.when}` : '';
    out.push(`### ${l.type} ${l.name} (${l.dir}, ${l.size} bytes${l.tail ? ' + variable tail' : ''}${ext})`);
    out.push('');
    out.push('| off | size | type | field | meaning |');
    out.push('| ---: | ---: | --- | --- | --- |');
    for (const fl of [...l.fields, ...(l.ext?.fields ?? [])]) {
      const kind = fl.kind === 'pad' ? 'pad' : fl.kind === 'sym16' ? 'char[16]' : fl.kind === 'bytes32' ? 'u8[32]' : fl.kind;
      out.push(`| ${fl.off} | ${fl.size} | ${kind} | ${fl.name || '-'} | ${fl.doc} |`);
    }
    if (l.tail) out.push(`| ${l.size} | var | | tail | ${l.tail} |`);
    out.push('');
  }
  return out.join('\n');
}

export function renderReasonTable(): string {
  const out: string[] = ['| code | name | range | meaning |', '| ---: | --- | --- | --- |'];
  for (const [k, v] of Object.entries(RejectReason)) out.push(`| ${v} | ${k} | engine | ${reasonText[k] ?? ''} |`);
  for (const [k, v] of Object.entries(EdgeReason)) out.push(`| ${v} | ${k} | edge | ${reasonText[k] ?? ''} |`);
  out.push('');
  out.push('Cancel reasons (CANCELLED.reason / REDUCED.reason, u8, engine `CancelReason`):');
  out.push('');
  out.push('| code | name |');
  out.push('| ---: | --- |');
  for (const [k, v] of Object.entries(CancelReason)) out.push(`| ${v} | ${k} |`);
  return out.join('\n');
}

function replaceBetween(doc: string, begin: string, end: string, body: string): string {
  const a = doc.indexOf(begin);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) throw new Error(`markers ${begin} / ${end} not found`);
  return doc.slice(0, a + begin.length) + '\n' + body + '\n' + doc.slice(b);
}

/** The doc with both generated sections refreshed. */
export function refreshDoc(doc: string): string {
  return replaceBetween(
    replaceBetween(doc, BEGIN_MARK, END_MARK, renderLayoutTables()),
    BEGIN_REASONS, END_REASONS, renderReasonTable(),
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && process.argv.includes('--write')) {
  const path = process.argv[process.argv.indexOf('--write') + 1] ?? 'docs/PROTOCOL.md';
  writeFileSync(path, refreshDoc(readFileSync(path, 'utf8')));
}
