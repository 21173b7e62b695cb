/**
 * The built addon carries what the profiling labs attach to: the exported, non-inlined
 * `simex_process_batch` symbol (uprobe), the five USDT probes of provider `simex` (ELF
 * .note.stapsdt), and its exec bit (bpftrace refuses non-executable files for uprobes).
 * Needs binutils (readelf, nm: installed with g++); USDT expected when <sys/sdt.h> exists
 * or under CI.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadNativeEngine } from '../../src/engine/native.js';

const native = loadNativeEngine();
const inCi = process.env.CI === 'true';
const sdt = ['/usr/include/sys/sdt.h', '/usr/include/x86_64-linux-gnu/sys/sdt.h', '/usr/include/aarch64-linux-gnu/sys/sdt.h'].some(existsSync);

describe.skipIf(!native.ok && !inCi)('native addon symbols and USDT probes', () => {
  const path = native.ok ? native.path : '';

  it('is executable and exports simex_process_batch', () => {
    if (!native.ok) throw new Error(`CI=true but the native addon did not load: ${native.error.message}`);
    expect(statSync(path).mode & 0o111).not.toBe(0);
    const syms = execFileSync('nm', ['-D', '--defined-only', path], { encoding: 'utf8' });
    expect(syms).toMatch(/\bT simex_process_batch\b/);
  });

  it.runIf(inCi || sdt)('has the five simex USDT probes', () => {
    if (!native.ok) throw new Error(`CI=true but the native addon did not load: ${native.error.message}`);
    const notes = execFileSync('readelf', ['-n', path], { encoding: 'utf8' });
    const probes = new Set<string>();
    for (const m of notes.matchAll(/Provider: (\S+)\s+Name: (\S+)/g)) probes.add(`${m[1]}:${m[2]}`);
    expect([...probes].sort()).toEqual([
      'simex:batch_begin', 'simex:batch_end', 'simex:order_added', 'simex:order_cancelled', 'simex:order_matched',
    ]);
    expect(native.addon.usdt).toBe(true);
  });
});
