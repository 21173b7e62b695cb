// After an I/O-thread stall, the heartbeat check that runs late must not time out peers whose
// heartbeats are still unread in the sockets (seen with 1,000 fan-out subscribers on a
// starved machine: every subscriber disconnected HEARTBEAT_TIMEOUT although each had sent a
// heartbeat < 1.1 s before; the timeout is 3 s). heartbeatCheckLate decides the round.
import { describe, expect, it } from 'vitest';
import { heartbeatCheckLate } from '../../src/server/ws-binary.js';

describe('heartbeat checks after a stall', () => {
  it('a check on schedule judges; one delayed by more than a heartbeat period does not', () => {
    const hb = 1000; // checks every 250 ms
    expect(heartbeatCheckLate(0, 5000, hb)).toBe(false); // first check
    expect(heartbeatCheckLate(10_000, 10_250, hb)).toBe(false);
    expect(heartbeatCheckLate(10_000, 11_200, hb)).toBe(false); // late but within a period
    expect(heartbeatCheckLate(10_000, 11_300, hb)).toBe(true);
    expect(heartbeatCheckLate(10_000, 14_000, hb)).toBe(true); // 4 s stall
    // short heartbeats: the 50 ms minimum interval counts
    expect(heartbeatCheckLate(1000, 1249, 200)).toBe(false);
    expect(heartbeatCheckLate(1000, 1251, 200)).toBe(true);
  });
});
