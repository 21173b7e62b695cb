import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { detectBottleneck, idleShare, machineTimes, stealShare, STEAL_WARN } from '../../src/loadgen/bottleneck.js';

const calm = { load: { cpuPercent: 30, threadElu: [0.3], machineIdle: 0.5, cores: 2 }, lagP99Us: 50, plannedRate: 1000, achievedRate: 1000, windowFull: 0, saturatedTicks: 0 };

describe('self-bottleneck detection', () => {
  it('stays quiet for a generator with headroom', () => {
    expect(detectBottleneck(calm)).toEqual([]);
  });
  it('flags schedule lag above 1 ms at p99', () => {
    expect(detectBottleneck({ ...calm, lagP99Us: 5000 }).join()).toMatch(/fell behind its schedule: p99 send lag 5000 µs/);
  });
  it('flags an achieved rate below 95% of plan', () => {
    expect(detectBottleneck({ ...calm, achievedRate: 900 }).join()).toMatch(/90\.0% of the planned/);
  });
  it('flags a saturated send loop and a saturated machine, not a merely busy (polling) loop', () => {
    expect(detectBottleneck({ ...calm, load: { ...calm.load, threadElu: [0.99] } })).toEqual([]);
    const w = detectBottleneck({ ...calm, saturatedTicks: 3, load: { cpuPercent: 150, threadElu: [0.5, 0.95], machineIdle: 0.01, cores: 2 } });
    expect(w.join('\n')).toMatch(/send loop saturated 3 times/);
    expect(w.join('\n')).toMatch(/machine CPU saturated/);
  });
  it('flags a full in-flight window', () => {
    expect(detectBottleneck({ ...calm, windowFull: 7 }).join()).toMatch(/7 planned orders not sent/);
  });
  it('flags hypervisor steal at or above the threshold, and not when unknown', () => {
    expect(detectBottleneck({ ...calm, load: { ...calm.load, machineSteal: STEAL_WARN / 2 } })).toEqual([]);
    expect(detectBottleneck({ ...calm, load: { ...calm.load, machineSteal: null } })).toEqual([]);
    expect(detectBottleneck({ ...calm, load: { ...calm.load, machineSteal: 0.25 } }).join()).toMatch(/hypervisor steal was 25\.0% of the machine's CPU time/);
  });
  it('reads idle and steal shares from snapshots (Linux: /proc/stat, steal in the total)', () => {
    const a = { idle: 100, total: 1000, steal: 10 };
    const b = { idle: 400, total: 2000, steal: 260 };
    expect(idleShare(a, b)).toBeCloseTo(0.3);
    expect(stealShare(a, b)).toBeCloseTo(0.25);
    expect(stealShare(a, { ...b, steal: null })).toBeNull();
    const t = machineTimes();
    expect(t.total).toBeGreaterThan(0);
    expect(t.idle).toBeLessThanOrEqual(t.total);
    if (existsSync('/proc/stat')) {
      // The same fields as the kernel's aggregate line (user..steal), read a moment later:
      // equal up to the ticks in between (the kernel's sums are not even strictly monotonic).
      const f = readFileSync('/proc/stat', 'latin1').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
      const near = (a: number, b: number): void => expect(Math.abs(a - b)).toBeLessThanOrEqual(200);
      expect(t.steal).not.toBeNull();
      near(t.steal!, f[7]!);
      near(t.idle, f[3]! + f[4]!);
      near(t.total, f.reduce((x, y) => x + y, 0));
    } else {
      expect(t.steal).toBeNull();
    }
  });
});
