/** In-memory REST order records for the ledger tests (no server): what Exchange does to a record. */
import type { RestOrder } from '../../../src/server/exchange.js';

/** What Exchange.fillOwner does to the record before calling the owner's hook. */
export function fill(r: RestOrder, price: number, qty: number): void {
  r.filled += qty;
  r.leaves -= qty;
  r.status = r.leaves === 0 ? 'filled' : 'partially_filled';
  r.owner!.onFill(r, price, qty);
}
