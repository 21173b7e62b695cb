/**
 * The addon's compiled-in constants (native/src/layout.h, exported as `layout`) equal the
 * normative src/engine/layout.ts, constant by constant. Skips when the addon did not load,
 * except under CI (native-loaded.test.ts fails there).
 */
import { describe, expect, it } from 'vitest';
import * as L from '../../src/engine/layout.js';
import { loadNativeEngine } from '../../src/engine/native.js';

const native = loadNativeEngine();

describe.skipIf(!native.ok)('native layout constants', () => {
  const layout = native.ok ? native.addon.layout : {};

  it('scalar constants match layout.ts', () => {
    expect(layout.ENGINE_ABI_VERSION).toBe(L.ENGINE_ABI_VERSION);
    expect(layout.CMD_SIZE).toBe(L.CMD_SIZE);
    expect(layout.EVT_SIZE).toBe(L.EVT_SIZE);
    expect(layout.MAX_SAFE).toBe(L.MAX_SAFE);
    expect(layout.SNAP_MAGIC).toBe(L.SNAP_MAGIC);
    expect(layout.SNAP_HEADER_SIZE).toBe(L.SNAP_HEADER_SIZE);
    expect(layout.SNAP_ORDER_SIZE).toBe(L.SNAP_ORDER_SIZE);
  });

  const groups = {
    CmdOff: L.CmdOff, EvtOff: L.EvtOff, CmdType: L.CmdType, Side: L.Side, OrdType: L.OrdType,
    Tif: L.Tif, Flags: L.Flags, AmendCmdFlags: L.AmendCmdFlags, StpMode: L.StpMode, EventType: L.EventType,
    AmendFlags: L.AmendFlags, CancelReason: L.CancelReason, RejectReason: L.RejectReason,
  } as const;

  it.each(Object.keys(groups))('%s has exactly the same names and values', (name) => {
    expect(layout[name]).toEqual({ ...groups[name as keyof typeof groups] });
  });
});
