import { describe, expect, it } from 'vitest';
import { detectBottleneck } from '../../src/loadgen/bottleneck.js';

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
});
