/**
 * SimTransport over SimexClient (src/client/, the binary WebSocket protocol).
 * TODO(observability): wire to SimexClient's API once src/client/index.ts lands.
 */
import type { SimInstrument } from './market.js';
import type { SimConnection, SimTransport } from './types.js';

export function createClientTransport(url: string): SimTransport {
  let instruments: SimInstrument[] = [];
  return {
    instruments: () => instruments,
    async connect(_account: number, _name: string): Promise<SimConnection> {
      instruments = [];
      throw new Error(`SimexClient not available yet (src/client/index.ts); cannot connect to ${url}`);
    },
  };
}
