import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RejectReason } from '../../src/engine/layout.js';
import { EdgeReason, Reason, reasonCode, reasonName, reasonText, isEngineReason } from '../../src/protocol/reasons.js';

describe('reason codes', () => {
  it('engine reasons are exactly layout.ts RejectReason, all within 1..99', () => {
    for (const [k, v] of Object.entries(RejectReason)) {
      expect((Reason as Record<string, number>)[k]).toBe(v);
      expect(isEngineReason(v)).toBe(true);
    }
  });
  it('edge reasons are 100..199, numbers and names unique, each has text', () => {
    const nums = Object.values(Reason);
    expect(new Set(nums).size).toBe(nums.length);
    for (const [k, v] of Object.entries(EdgeReason)) {
      expect(v).toBeGreaterThanOrEqual(100);
      expect(v).toBeLessThan(200);
      expect(reasonName(v)).toBe(k);
      expect(reasonCode(k)).toBe(v);
    }
    for (const k of Object.keys(Reason)) expect(reasonText[k], k).toBeTruthy();
    expect(reasonName(9999)).toBe('REASON_9999');
  });
  it('every code appears in docs/PROTOCOL.md with its number', () => {
    const doc = readFileSync(new URL('../../docs/PROTOCOL.md', import.meta.url), 'utf8');
    for (const [k, v] of Object.entries(Reason)) expect(doc).toContain(`| ${v} | ${k} |`);
  });
});
