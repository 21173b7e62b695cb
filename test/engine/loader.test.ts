// createEngine / engineInfo: ENGINE selection, clear errors, and (under CI) proof that the
// native addon really loaded.
import { describe, expect, it, vi } from 'vitest';
import { createEngine, engineInfo } from '../../src/engine/index.js';
import { loadNativeEngine } from '../../src/engine/native.js';
import { IS_CI } from './helpers/impls.js';

const native = loadNativeEngine();

describe('engine loader', () => {
  it('ts gives the TypeScript engine', () => {
    const e = createEngine('ts');
    expect(e.implementation).toBe('ts');
    expect(engineInfo()).toMatchObject({ implementation: 'ts', requested: 'ts' });
  });

  it('rejects unknown kinds, from the argument or from ENGINE', () => {
    expect(() => createEngine('fast')).toThrow(/native\|ts\|auto/);
    const old = process.env.ENGINE;
    process.env.ENGINE = 'bogus';
    try {
      expect(() => createEngine()).toThrow(/bogus/);
      process.env.ENGINE = 'ts';
      expect(createEngine().implementation).toBe('ts');
    } finally {
      if (old === undefined) delete process.env.ENGINE; else process.env.ENGINE = old;
    }
  });

  it('native / auto follow whether the addon loads (auto warns at most once)', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      if (native.ok) {
        expect(createEngine('native').implementation).toBe('native');
        expect(createEngine('auto').implementation).toBe('native');
        expect(engineInfo()).toEqual({ implementation: 'native', requested: 'auto' });
        expect(warn).not.toHaveBeenCalled();
      } else {
        expect(() => createEngine('native')).toThrow(/native addon did not load/);
        expect(engineInfo().nativeError).toBeTruthy();
        expect(createEngine('auto').implementation).toBe('ts');
        createEngine('auto');
        expect(warn).toHaveBeenCalledTimes(1);
        expect(engineInfo()).toMatchObject({ implementation: 'ts', requested: 'auto' });
      }
    } finally {
      warn.mockRestore();
    }
  });

  it.runIf(IS_CI)('CI: the native addon loaded (no silent fallback to TypeScript)', () => {
    expect(native.ok ? 'loaded' : `failed: ${native.error.message}`).toBe('loaded');
    expect(createEngine('auto').implementation).toBe('native');
  });
});
