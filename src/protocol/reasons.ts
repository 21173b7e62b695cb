/**
 * The ONE table of numeric reason codes used on the binary protocol (REJECTED.reason,
 * LOGIN_REJECT.reason, NOTICE/DISCONNECT.reason, decode errors) and, as string codes, by the
 * REST edge.
 *
 * Ranges (never reused, never renumbered):
 *     1 ..  99  engine reject reasons — exactly `RejectReason` of src/engine/layout.ts,
 *               re-exported here under the same names;
 *   100 .. 199  edge / protocol / session reasons, defined here.
 *
 * Cancel reasons (CANCELLED.reason, a u8: USER, IOC_REMAINDER, SELF_TRADE, MASS_CANCEL) are a
 * separate, engine-defined table: `CancelReason` in layout.ts, re-exported below.
 * docs/PROTOCOL.md lists every code; a test checks the doc and this table agree.
 */
import { CancelReason, RejectReason, cancelReasonName } from '../engine/layout.js';

export { CancelReason, RejectReason, cancelReasonName };

/** Edge / protocol reasons, 100+. */
export const EdgeReason = {
  /** Any message other than LOGIN/HEARTBEAT before a successful LOGIN. */
  NOT_LOGGED_IN: 100,
  /** A second LOGIN on a connection that is already logged in. */
  ALREADY_LOGGED_IN: 101,
  /** LOGIN.protocolVersion is not supported by this server. */
  UNSUPPORTED_VERSION: 102,
  /** Framing broken (length < 4 or beyond the frame), or a message shorter than its type's
   *  fixed layout, or a variable part inconsistent with its count. */
  MALFORMED_MESSAGE: 103,
  /** Well-framed message of a type this receiver does not know (skipped). */
  UNKNOWN_MESSAGE_TYPE: 104,
  /** A server->client type sent by a client (or vice versa). */
  WRONG_DIRECTION: 105,
  /** An enum or flag field out of range that has no engine reason (e.g. MD side). */
  BAD_FIELD_VALUE: 106,
  /** A 64-bit field outside 0 .. 2^53-1 (unsigned) or +-(2^53-1) (signed). */
  VALUE_OUT_OF_RANGE: 107,
  /** A WebSocket frame larger than MAX_FRAME_BYTES, or a text frame. */
  FRAME_TOO_LARGE: 108,
  /** Text (non-binary) WebSocket frame on the binary endpoint. */
  TEXT_FRAME: 109,
  /** clOrdId is 0 or lower than the highest clOrdId already used in this session. Not executed. */
  CLIENT_ORDER_ID_NOT_INCREASING: 110,
  /** clOrdId equals the highest clOrdId already used in this session (a resend). Not executed;
   *  the original request's outcome is in the sequenced report stream (resume to see it). */
  DUPLICATE_CLIENT_ORDER_ID: 111,
  /** Instrument id not in this server's instrument list. */
  UNKNOWN_INSTRUMENT: 112,
  /** The instrument is halted: new orders and amends are rejected (cancels still work). */
  TRADING_HALTED: 113,
  /** The shard owning the instrument is down or not ready. */
  SHARD_UNAVAILABLE: 114,
  /** Per-session or per-connection order rate limit exceeded. */
  RATE_LIMITED: 115,
  /** The command path to the shard is full; retry later. */
  OVERLOADED: 116,
  /** LOGIN names an existing session owned by another account. */
  SESSION_ACCOUNT_MISMATCH: 117,
  /** LOGIN.nextExpectedSeq is beyond lastSeq+1 or older than the oldest retained report. */
  RESUME_SEQ_OUT_OF_RANGE: 118,
  /** Another connection logged in to this session; this one is closed. */
  SESSION_TAKEN_OVER: 119,
  /** Nothing received from the peer for HEARTBEAT_TIMEOUT_FACTOR heartbeat intervals. */
  HEARTBEAT_TIMEOUT: 120,
  /** The connection's send buffer exceeded the disconnect threshold. */
  SLOW_CONSUMER: 121,
  /** The server is shutting down. */
  SERVER_SHUTDOWN: 122,
  /** Normal close after LOGOUT. */
  LOGOUT: 123,
  /** Market data for an instrument was dropped for this connection (backpressure); the
   *  client sees a gap in mdSeq and should request a snapshot. Informational NOTICE. */
  MARKET_DATA_DROPPED: 124,
  /** Too many connections or sessions. */
  CONNECTION_LIMIT: 125,
  /** A bug on the server side; the request was not executed. */
  INTERNAL_ERROR: 126,
  /** SUBSCRIBE/UNSUBSCRIBE/SNAPSHOT_REQUEST for an instrument that is not subscribed
   *  (UNSUBSCRIBE) — informational. */
  NOT_SUBSCRIBED: 127,
  /** A chaos experiment (error_simulation, src/chaos/faults.ts) refused the command at the
   *  edge; not executed. On the wire since the chaos module (docs/CHAOS.md). */
  CHAOS_INJECTED: 128,
  /** The instrument's circuit breaker is open (volatility trip or manual activation): new
   *  orders and amends on it are rejected; cancels and mass cancels still work. */
  CIRCUIT_BREAKER_OPEN: 129,
  /** The exchange is in maintenance mode (POST /admin/maintenance/enable): new orders and
   *  amends are rejected on every instrument; cancels and mass cancels still work. */
  MAINTENANCE_MODE: 130,
  /** LOGIN names an account id the server keeps for itself: 1 (anonymous REST orders) or
   *  >= 2^30 (the optional REST accounts' engine owners): a binary session in those ids
   *  could cancel orders it does not own. Refused with or without session authentication. */
  RESERVED_ACCOUNT: 131,
  /** REST only (never on the wire): the shard did not answer the command within
   *  REST_TIMEOUT_S. The command is still queued and may yet execute; the order's record
   *  says `pending` until the shard answers (GET /api/orders/:id shows the outcome). */
  SHARD_TIMEOUT: 132,
  /** Session authentication on (SESSION_KEYS_FILE) and the LOGIN of a non-zero account
   *  carries no valid credential: none, unknown account, wrong MAC, authTs more than 30 s
   *  from the server clock, or authTs not above the last one accepted for the account. One
   *  code for every cause (the server logs which). PROTOCOL.md "Session authentication". */
  BAD_CREDENTIALS: 133,
} as const;
export type EdgeReason = (typeof EdgeReason)[keyof typeof EdgeReason];

/** Every protocol reason code: engine (1..99) and edge (100+). */
export const Reason = { ...RejectReason, ...EdgeReason } as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

const names = new Map<number, string>(Object.entries(Reason).map(([k, v]) => [v, k]));
const codes = new Map<string, number>(Object.entries(Reason).map(([k, v]) => [k, v]));

/** Stable string code of a numeric reason ("UNKNOWN_ORDER", "RATE_LIMITED"), or "REASON_<n>". */
export function reasonName(reason: number): string {
  return names.get(reason) ?? `REASON_${reason}`;
}

/** Numeric reason of a string code, or undefined. */
export function reasonCode(name: string): number | undefined {
  return codes.get(name);
}

/** True for engine reject reasons (1..99). */
export function isEngineReason(reason: number): boolean {
  return reason >= 1 && reason <= 99;
}

/** Human text for a reason: used in NOTICE/DISCONNECT text and REST error messages. */
export const reasonText: Readonly<Record<string, string>> = {
  UNKNOWN_COMMAND: 'unknown command',
  UNKNOWN_BOOK: 'unknown book',
  BAD_SIDE: 'side must be buy (0) or sell (1)',
  BAD_ORDER_TYPE: 'order type must be limit (0) or market (1)',
  BAD_TIF: 'time in force must be GTC (0), IOC (1) or FOK (2)',
  BAD_FLAGS: 'unknown order flag bits',
  BAD_STP_MODE: 'self-trade prevention mode must be 0..4',
  BAD_ORDER_ID: 'order id out of range',
  DUPLICATE_ORDER_ID: 'order id already live',
  UNKNOWN_ORDER: 'no such live order',
  NOT_OWNER: 'order belongs to another account',
  BAD_QUANTITY: 'quantity outside the instrument limits',
  BAD_LOT: 'quantity is not a multiple of the lot size',
  BAD_PRICE: 'price outside the instrument limits',
  OFF_TICK: 'price is not a multiple of the tick size',
  PRICE_OUT_OF_BAND: 'price outside the band around the last trade',
  POST_ONLY_WOULD_CROSS: 'post-only order would take liquidity',
  FOK_NOT_FILLABLE: 'fill-or-kill order cannot be filled completely',
  BOOK_FULL: 'order book is full',
  AMEND_NO_CHANGE: 'amend changes nothing',
  BAD_OWNER: 'account id not allowed for this command',
  NOT_LOGGED_IN: 'log in first',
  ALREADY_LOGGED_IN: 'already logged in',
  UNSUPPORTED_VERSION: 'unsupported protocol version',
  MALFORMED_MESSAGE: 'malformed message',
  UNKNOWN_MESSAGE_TYPE: 'unknown message type',
  WRONG_DIRECTION: 'message type not allowed in this direction',
  BAD_FIELD_VALUE: 'field value out of range',
  VALUE_OUT_OF_RANGE: '64-bit value outside the safe integer range',
  FRAME_TOO_LARGE: 'frame too large',
  TEXT_FRAME: 'text frames are not accepted; send binary',
  CLIENT_ORDER_ID_NOT_INCREASING: 'client order id must be strictly increasing per session',
  DUPLICATE_CLIENT_ORDER_ID: 'client order id already used (resend); not executed again',
  UNKNOWN_INSTRUMENT: 'unknown instrument',
  TRADING_HALTED: 'trading halted for this instrument',
  SHARD_UNAVAILABLE: 'the shard owning this instrument is unavailable',
  SHARD_TIMEOUT: 'no answer from the shard in time: the command may still execute; GET /api/orders/:id shows the outcome',
  RATE_LIMITED: 'rate limit exceeded',
  OVERLOADED: 'server overloaded; retry',
  SESSION_ACCOUNT_MISMATCH: 'session belongs to another account',
  RESUME_SEQ_OUT_OF_RANGE: 'cannot resume from that sequence number',
  SESSION_TAKEN_OVER: 'session taken over by another connection',
  HEARTBEAT_TIMEOUT: 'heartbeat timeout',
  SLOW_CONSUMER: 'slow consumer: send buffer limit exceeded',
  SERVER_SHUTDOWN: 'server shutting down',
  LOGOUT: 'logged out',
  MARKET_DATA_DROPPED: 'market data dropped (backpressure); resync with a snapshot',
  CONNECTION_LIMIT: 'too many connections',
  INTERNAL_ERROR: 'internal error',
  NOT_SUBSCRIBED: 'not subscribed',
  CHAOS_INJECTED: 'rejected by a chaos experiment (error injection)',
  CIRCUIT_BREAKER_OPEN: 'circuit breaker open for this instrument: new orders and amends are rejected (cancels work)',
  MAINTENANCE_MODE: 'maintenance mode: new orders and amends are rejected (cancels work)',
  RESERVED_ACCOUNT: 'account id reserved by the server (1: anonymous REST orders; >= 2^30: REST accounts)',
  BAD_CREDENTIALS: 'login credential missing or invalid (session authentication is on)',
};
