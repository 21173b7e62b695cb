// REST order ids (exchange.ts monotonicUlid): valid ULIDs whose time decodes to the clock they
// were made at (ulid package decoder), strictly increasing within a millisecond, across
// milliseconds, across a random-digit carry and when the clock goes back, like the package's
// monotonicFactory.
import { describe, expect, it } from 'vitest';
import { decodeTime, isValid } from 'ulid';
import { monotonicUlid } from '../../src/server/exchange.js';

describe('REST order ULIDs', () => {
  it('are valid, carry their millisecond and strictly increase (same ms, next ms, clock back)', () => {
    let ms = 1_764_590_000_000;
    const next = monotonicUlid(() => ms);
    const ids: string[] = [];
    const times: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      if (i % 1000 === 0) ms += 1;
      if (i === 15_000) ms -= 5; // clock steps back: ids keep the last time and keep increasing
      ids.push(next());
      times.push(Math.max(...(times.length ? [times[times.length - 1]!] : []), ms));
    }
    for (let i = 0; i < ids.length; i++) {
      expect(ids[i]).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(isValid(ids[i]!)).toBe(true);
      expect(decodeTime(ids[i]!)).toBe(times[i]);
      if (i > 0) expect(ids[i - 1]! < ids[i]!).toBe(true);
    }
    // 1000 ids per ms: the random part carried past its last digit many times.
    expect(new Set(ids.map((id) => id.slice(10, 25))).size).toBeGreaterThan(20);
  });

  it('uses fresh random digits in each new millisecond', () => {
    let ms = 1_764_590_000_000;
    const next = monotonicUlid(() => ms);
    const rand = new Set<string>();
    for (let i = 0; i < 200; i++) {
      ms++;
      rand.add(next().slice(10));
    }
    expect(rand.size).toBe(200);
  });
});
