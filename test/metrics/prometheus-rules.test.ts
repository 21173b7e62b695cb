// The shipped Prometheus config and SLO rules are valid, and the rules' unit tests pass
// (burn-rate alerts fire at 20x/10x budget, stay silent within budget).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findTool, missingToolTest } from './fixtures/tools.js';

const promtool = findTool('promtool');
const run = (args: string[]) => execFileSync(promtool!, args, { cwd: 'ops/prometheus', encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

if (!promtool) missingToolTest('promtool', 'prometheus');
else {
  describe('ops/prometheus', () => {
    it('prometheus.yml and simex-rules.yml pass promtool check', () => {
      expect(run(['check', 'config', 'prometheus.yml'])).toContain('SUCCESS');
      expect(run(['check', 'rules', 'simex-rules.yml'])).toContain('SUCCESS');
    });
    it('promtool test rules passes', () => {
      expect(run(['test', 'rules', 'tests/simex-rules.test.yml'])).toContain('SUCCESS');
    });
    it('every SLO threshold used by the rules is a bucket boundary the hub exports', async () => {
      const { ACK_BUCKETS_S, ENGINE_BUCKETS_S } = await import('../../src/metrics/latency.js');
      const { formatLe } = await import('../../src/metrics/hub.js');
      const rules = readFileSync('ops/prometheus/simex-rules.yml', 'utf8');
      const ack = [...rules.matchAll(/simex_order_ack_duration_seconds_bucket\{le="([^"]+)"\}/g)].map((m) => m[1]);
      const eng = [...rules.matchAll(/simex_engine_command_duration_seconds_bucket\{le="([^"]+)"\}/g)].map((m) => m[1]);
      expect(ack.length).toBeGreaterThan(0);
      expect(eng.length).toBeGreaterThan(0);
      for (const le of ack) expect(ACK_BUCKETS_S.map(formatLe)).toContain(le);
      for (const le of eng) expect(ENGINE_BUCKETS_S.map(formatLe)).toContain(le);
    });
  });
}
