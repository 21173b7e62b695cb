/**
 * Recommendations computed from a finished load test's measurements against the stated
 * SLOs (scenarios.ts SLO). Each sentence quotes the figures it is derived from; which
 * sentences appear depends only on the measurements. No canned verdicts.
 */
import { SLO } from './scenarios.js';

export interface Measured {
  scenario: string;
  durationSec: number;
  targetRate: number;
  throughput: number; // successful replies per second
  total: number;
  successful: number;
  failed: number;
  timeouts: number;
  errors: number;
  systemRejects: number;
  businessRejects: number;
  successRatePercent: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Server process CPU, % of one core. */
  avgCpuPercent: number;
  peakCpuPercent: number;
  cores: number;
  peakMemoryMb: number;
  startMemoryMb: number;
  generatorWarnings: string[];
}

export interface SloCheck {
  name: string;
  objective: string;
  measured: number;
  unit: string;
  met: boolean;
}

/** How numbers appear in recommendation sentences. */
export const f1 = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));
const n0 = (x: number): string => Math.round(x).toLocaleString('en-US');

export function checkSlos(m: Measured): SloCheck[] {
  return [
    { name: 'success_rate', objective: `>= ${SLO.successRatePercent}%`, measured: m.successRatePercent, unit: '%', met: m.successRatePercent >= SLO.successRatePercent },
    { name: 'p95_latency', objective: `< ${SLO.p95Ms} ms`, measured: m.p95Ms, unit: 'ms', met: m.p95Ms < SLO.p95Ms },
    { name: 'p99_latency', objective: `< ${SLO.p99Ms} ms`, measured: m.p99Ms, unit: 'ms', met: m.p99Ms < SLO.p99Ms },
    { name: 'p99_latency_sla', objective: `< ${SLO.slaP99Ms} ms`, measured: m.p99Ms, unit: 'ms', met: m.p99Ms < SLO.slaP99Ms },
    {
      name: 'throughput', objective: `>= ${SLO.throughputRatio * 100}% of ${n0(m.targetRate)} orders/s`,
      measured: m.throughput, unit: 'orders/s', met: m.throughput >= m.targetRate * SLO.throughputRatio,
    },
  ];
}

export function recommend(m: Measured, slos: SloCheck[]): string[] {
  const out: string[] = [];
  const met = (name: string): boolean => slos.find((s) => s.name === name)!.met;

  // 1. Reliability.
  if (m.total === 0) {
    out.push('No orders were sent: the generator could not connect or was stopped before the first order; check the server log.');
    return out;
  }
  if (met('success_rate')) {
    out.push(
      `${m.scenario} load: ${f1(m.successRatePercent)}% of ${n0(m.total)} orders succeeded (${n0(m.failed)} failed), ` +
        `meeting the ${SLO.successRatePercent}% success SLO.`,
    );
  } else {
    const causes = [
      ['timeouts (no reply within the timeout)', m.timeouts],
      ['system rejects (overloaded, rate limited or shard unavailable)', m.systemRejects],
      ['transport errors (connections closed or sends failed)', m.errors],
    ] as const;
    const top = [...causes].sort((a, b) => b[1] - a[1])[0]!;
    out.push(
      `Success rate ${f1(m.successRatePercent)}% misses the ${SLO.successRatePercent}% SLO: ${n0(m.failed)} of ${n0(m.total)} orders failed, ` +
        `mostly ${top[0]}: ${n0(top[1])}. Investigate that before raising load.`,
    );
  }
  if (m.businessRejects > 0) {
    out.push(
      `${n0(m.businessRejects)} orders were rejected by the matching engine for business reasons (e.g. cancelling an order that had already filled); ` +
        'they were answered, so they count as successful requests.',
    );
  }

  // 2. Latency.
  if (met('p99_latency') && met('p95_latency')) {
    const margin = m.p99Ms > 0 ? SLO.p99Ms / m.p99Ms : Infinity;
    out.push(
      `Latency within SLO: p95 ${f1(m.p95Ms)} ms (< ${SLO.p95Ms} ms), p99 ${f1(m.p99Ms)} ms (< ${SLO.p99Ms} ms, ` +
        `${Number.isFinite(margin) ? `${f1(margin)}x margin` : 'no measurable latency'}); worst order ${f1(m.maxMs)} ms.`,
    );
  } else if (met('p99_latency_sla')) {
    out.push(
      `Latency above target but within the ${SLO.slaP99Ms} ms SLA: p95 ${f1(m.p95Ms)} ms (target ${SLO.p95Ms}), ` +
        `p99 ${f1(m.p99Ms)} ms (target ${SLO.p99Ms}). Profile the server at this load before going higher.`,
    );
  } else {
    out.push(
      `p99 latency ${f1(m.p99Ms)} ms breaks the ${SLO.slaP99Ms} ms SLA (p95 ${f1(m.p95Ms)} ms, max ${f1(m.maxMs)} ms): ` +
        'the system is past its capacity at this load; reduce load or scale out.',
    );
  }

  // 3. Throughput.
  const ratio = m.targetRate > 0 ? m.throughput / m.targetRate : 0;
  if (met('throughput')) {
    out.push(`Throughput ${f1(m.throughput)} orders/s of the ${n0(m.targetRate)} targeted (${f1(ratio * 100)}%).`);
  } else {
    out.push(
      `Throughput ${f1(m.throughput)} orders/s is only ${f1(ratio * 100)}% of the ${n0(m.targetRate)} targeted` +
        (m.generatorWarnings.length ? ': the load generator itself reported a bottleneck (see below).' : ': the server did not keep up.'),
    );
  }

  // 4. Capacity from CPU cost per order (linear extrapolation of the measured cost).
  const allCores = m.cores * 100;
  if (m.throughput > 0 && m.avgCpuPercent > 0) {
    const cpuUsPerOrder = (m.avgCpuPercent / 100) * 1e6 / m.throughput;
    const capacity = (m.cores * 1e6 * SLO.cpuHeadroomRatio) / cpuUsPerOrder;
    const headroom = capacity / m.throughput;
    out.push(
      `Server CPU averaged ${f1(m.avgCpuPercent)}% and peaked at ${f1(m.peakCpuPercent)}% of one core (${m.cores} cores = ${allCores}%): ` +
        `~${f1(cpuUsPerOrder)} µs of CPU per order, so ${SLO.cpuHeadroomRatio * 100}% of the machine would carry about ` +
        `${n0(capacity)} orders/s (${f1(headroom)}x this load, linear extrapolation).`,
    );
    const allMet = slos.every((s) => s.met);
    if (allMet && headroom >= 2) out.push(`All SLOs met with ${f1(headroom)}x CPU headroom: no scaling needed at this load.`);
    else if (allMet) out.push(`All SLOs met but CPU headroom is only ${f1(headroom)}x: plan capacity before load grows by ${f1((headroom - 1) * 100)}%.`);
    else out.push(`SLOs missed (${slos.filter((s) => !s.met).map((s) => s.name).join(', ')}): fix those before using the headroom estimate.`);
  } else if (m.peakCpuPercent >= allCores * SLO.cpuHeadroomRatio) {
    out.push(`Server CPU peaked at ${f1(m.peakCpuPercent)}% of ${allCores}%: CPU-bound; scale out or profile the hot path.`);
  }

  // 5. Memory.
  const growth = m.peakMemoryMb - m.startMemoryMb;
  out.push(`Server memory peaked at ${f1(m.peakMemoryMb)} MB RSS (${growth >= 0 ? '+' : ''}${f1(growth)} MB over the test).`);

  // 6. Generator health: its warnings qualify every figure above.
  for (const w of m.generatorWarnings) out.push(`Load generator warning: ${w}.`);
  return out;
}
