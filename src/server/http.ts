/**
 * Small helpers every HTTP route uses, so that all errors look alike:
 *   HTTP 4xx/5xx with a JSON body {error, code, field?}.
 *
 * uWebSockets.js rules these helpers encode (see shared/NOTES.md):
 * - a response must get `onAborted` before any asynchronous work, and must not be touched
 *   after it was aborted;
 * - writes from a callback that is not the request handler itself must be corked;
 * - the request object is valid only synchronously inside the handler: read headers,
 *   query and parameters before the first await.
 */
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';

/** Largest JSON body a route accepts unless it says otherwise. */
export const MAX_BODY_BYTES = 64 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
  /** Extra response headers sendHttpError writes (429 Retry-After); undefined = none. */
  headers?: Record<string, string>;
}

const STATUS_TEXT: Record<number, string> = {
  200: '200 OK',
  201: '201 Created',
  202: '202 Accepted',
  204: '204 No Content',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  409: '409 Conflict',
  413: '413 Payload Too Large',
  415: '415 Unsupported Media Type',
  422: '422 Unprocessable Entity',
  429: '429 Too Many Requests',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
};

export function statusLine(status: number): string {
  return STATUS_TEXT[status] ?? `${status} Status`;
}

/**
 * The status lines above and the JSON content-type header as bytes, for the JSON senders:
 * uWS.js turns a JS string argument into a v8::String::Utf8Value (a length pass, a malloc, a
 * copy and a free) on every writeStatus/writeHeader call, and reads a Uint8Array in place.
 * Same bytes on the wire.
 */
const STATUS_BYTES: Record<number, Uint8Array> = Object.fromEntries(
  Object.entries(STATUS_TEXT).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'latin1'))]),
);
const CONTENT_TYPE = new Uint8Array(Buffer.from('Content-Type', 'latin1'));
const APPLICATION_JSON = new Uint8Array(Buffer.from('application/json', 'latin1'));

function statusBytes(status: number): Uint8Array | string {
  return STATUS_BYTES[status] ?? statusLine(status);
}

/** Tracks whether uWS aborted the response; install once per request, synchronously. */
export interface ResponseState {
  aborted: boolean;
}

export function trackAbort(res: HttpResponse): ResponseState {
  const state: ResponseState = { aborted: false };
  res.onAborted(() => {
    state.aborted = true;
  });
  return state;
}

/** Send a JSON response (corked). No-op if the client went away. */
export function sendJson(
  res: HttpResponse,
  state: ResponseState | null,
  status: number,
  body: unknown,
  headers?: Record<string, string>,
): void {
  if (state?.aborted) return;
  const payload = JSON.stringify(body);
  res.cork(() => {
    res.writeStatus(statusBytes(status));
    res.writeHeader(CONTENT_TYPE, APPLICATION_JSON);
    if (headers) for (const [k, v] of Object.entries(headers)) res.writeHeader(k, v);
    res.end(payload);
  });
}

// sendJsonText's arguments for its one shared cork callback (cork runs it synchronously, so
// no closure is allocated per response).
let corkRes: HttpResponse | null = null;
let corkStatus: Uint8Array | string = '';
let corkJson = '';
function corkJsonText(): void {
  const res = corkRes!;
  corkRes = null;
  res.writeStatus(corkStatus);
  res.writeHeader(CONTENT_TYPE, APPLICATION_JSON);
  res.end(corkJson);
}

/** Send JSON text the caller already serialized (corked, one header). No-op after abort. */
export function sendJsonText(res: HttpResponse, state: ResponseState | null, status: number, json: string): void {
  if (state?.aborted) return;
  corkRes = res;
  corkStatus = statusBytes(status);
  corkJson = json;
  res.cork(corkJsonText);
}

export function sendText(
  res: HttpResponse,
  state: ResponseState | null,
  status: number,
  contentType: string,
  body: string | Uint8Array,
): void {
  if (state?.aborted) return;
  res.cork(() => {
    res.writeStatus(statusLine(status));
    res.writeHeader('Content-Type', contentType);
    res.end(body);
  });
}

/** `authorization` as bytes for req.getHeader (no string conversion per call). */
export const AUTHORIZATION = new Uint8Array(Buffer.from('authorization', 'latin1'));

/** Remote address text of a request (read synchronously in the handler). */
export function remoteIp(res: HttpResponse): string {
  return Buffer.from(res.getRemoteAddressAsText()).toString();
}

/** True for loopback peers in any textual form uWS gives (IPv4, short or long IPv6). */
export function isLoopbackAddress(addr: string): boolean {
  const a = addr.trim().toLowerCase();
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a)) return true;
  if (!a.includes(':')) return false;
  // Expand IPv6 into 8 numeric groups (an embedded dotted IPv4 tail becomes 2 groups).
  let text = a;
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const [b0, b1, b2, b3] = v4.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, v4.index) + ((b0 << 8) | b1).toString(16) + ':' + ((b2 << 8) | b3).toString(16);
  }
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  if (fill < 0) return false;
  const groups = [...head, ...Array<string>(fill).fill('0'), ...tail].map((g) => parseInt(g, 16));
  if (groups.length !== 8 || groups.some((g) => !(g >= 0 && g <= 0xffff))) return false;
  const zeros = (n: number) => groups.slice(0, n).every((g) => g === 0);
  if (zeros(7) && groups[7] === 1) return true; // ::1
  // IPv4-mapped ::ffff:127.x.y.z
  return zeros(5) && groups[5] === 0xffff && groups[6]! >> 8 === 127;
}

/** The request's peer is a loopback address (read synchronously in the handler). */
export function remoteIsLoopback(res: HttpResponse): boolean {
  return isLoopbackAddress(remoteIp(res));
}

/** The one error shape: {error, code, field?}. */
export function sendError(
  res: HttpResponse,
  state: ResponseState | null,
  status: number,
  code: string,
  message: string,
  field?: string,
  headers?: Record<string, string>,
): void {
  const body: { error: string; code: string; field?: string } = { error: message, code };
  if (field !== undefined) body.field = field;
  sendJson(res, state, status, body, headers);
}

export function sendHttpError(res: HttpResponse, state: ResponseState | null, err: unknown): void {
  if (err instanceof HttpError) {
    sendError(res, state, err.status, err.code, err.message, err.field, err.headers);
  } else {
    sendError(res, state, 500, 'INTERNAL', 'internal error');
  }
}

/** JSON text -> object, or HttpError 400 INVALID_JSON / BODY_NOT_OBJECT. Empty text -> {}. */
function parseJsonObject(text: string): Record<string, unknown> {
  if (text.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'INVALID_JSON', 'request body is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpError(400, 'BODY_NOT_OBJECT', 'request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/**
 * Callback form of readJsonObject for hot routes: `onBody` runs synchronously inside uWS's
 * data callback (no promise, no microtask hop), and a body that arrives in one chunk (the
 * usual case for small bodies) is decoded straight from uWS's buffer without a copy.
 * `onBody` is called at most once, never after an abort; anything it throws, and 413 / 400
 * INVALID_JSON / BODY_NOT_OBJECT, goes to `onError` (exactly once, instead of `onBody`).
 * Both get `res` and `state` back, so a route can pass shared functions (no closures).
 * Call synchronously in the handler, after trackAbort.
 */
export function onJsonObject(
  res: HttpResponse,
  state: ResponseState,
  onBody: (body: Record<string, unknown>, res: HttpResponse, state: ResponseState) => void,
  onError: (err: unknown, res: HttpResponse, state: ResponseState) => void,
  limit = MAX_BODY_BYTES,
): void {
  let chunks: Buffer[] | null = null;
  let size = 0;
  let failed = false;
  res.onData((chunk, isLast) => {
    if (failed || state.aborted) return;
    size += chunk.byteLength;
    if (size > limit) {
      failed = true;
      onError(new HttpError(413, 'PAYLOAD_TOO_LARGE', `body larger than ${limit} bytes`), res, state);
      return;
    }
    if (!isLast) {
      // The chunk's memory is reused by uWS after this callback: copy it.
      (chunks ??= []).push(Buffer.from(new Uint8Array(chunk)));
      return;
    }
    let text: string;
    if (chunks === null) text = Buffer.from(chunk).toString('utf8'); // a view, decoded before we return
    else {
      chunks.push(Buffer.from(new Uint8Array(chunk)));
      text = Buffer.concat(chunks, size).toString('utf8');
      chunks = null;
    }
    let body: Record<string, unknown>;
    try {
      body = parseJsonObject(text);
    } catch (err) {
      onError(err, res, state);
      return;
    }
    try {
      onBody(body, res, state);
    } catch (err) {
      onError(err, res, state);
    }
  });
}

/** Read and parse a JSON object body; 413 past `limit`, 400 INVALID_JSON / BODY_NOT_OBJECT
 *  on bad input (onJsonObject as a promise; pending forever after an abort, as before).
 *  Call synchronously in the handler, after trackAbort. */
export function readJsonObject(
  res: HttpResponse,
  state: ResponseState,
  limit = MAX_BODY_BYTES,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => onJsonObject(res, state, resolve, reject, limit));
}

/** Parse the query string of a request (call synchronously in the handler). */
export function queryOf(req: HttpRequest): URLSearchParams {
  return new URLSearchParams(req.getQuery() ?? '');
}

/** Integer query parameter with bounds; HttpError 400 INVALID_PARAMETER otherwise. */
export function intParam(
  q: URLSearchParams,
  name: string,
  dflt: number,
  min: number,
  max: number,
): number {
  const raw = q.get(name);
  if (raw === null || raw === '') return dflt;
  if (!/^-?\d+$/.test(raw)) throw new HttpError(400, 'INVALID_PARAMETER', `${name} must be an integer`, name);
  const v = Number(raw);
  if (v < min || v > max) {
    throw new HttpError(400, 'INVALID_PARAMETER', `${name} must be between ${min} and ${max}`, name);
  }
  return v;
}
