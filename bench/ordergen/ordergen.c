/*
 * ordergen: a native open-loop order-entry load generator for simex (C11, libc only, Linux
 * epoll). The `native` engine of `simex loadgen` and bench/e2e.ts (src/loadgen/native.ts
 * builds and drives it, rebuilds the report from its result line).
 *
 * Why C: the TS generator (src/loadgen) costs ~4 µs CPU per order and sleeps blind between
 * send batches (Atomics.wait), so at 100k orders/s it eats ~40% of one of the 2 cores the
 * server also needs and replies wait in the socket while it sleeps: it measures itself,
 * not the server. Like wrk for HTTP, the load tool must be much cheaper than the system under
 * test. Here one thread blocks in epoll_wait on the sockets AND a timerfd armed (absolute,
 * CLOCK_MONOTONIC, timer slack 1 ns) for the next send tick, so a reply is read (and timed)
 * the moment it arrives; an order costs a few dozen ns of encoding plus its share of one
 * write() per frame; no allocation after setup.
 *
 * Build:  cc -O2 -std=c11 -o build/ordergen bench/ordergen/ordergen.c -lm
 *         (src/loadgen/native.ts does it when the binary is missing or older than this file)
 *
 * Usage:  ordergen --url ws://127.0.0.1:PORT/ws/v1 [--rate N] [--duration SEC]
 *         [--ramp-up SEC] [--ramp-down SEC] [--warmup SEC] [--connections N] [--symbols A,B,C]
 *         [--orders-per-frame N] [--batch-us US] [--spin-us US] [--mix limit=55,cancel=40,market=5]
 *         [--timeout-ms MS] [--drain-ms MS] [--seed N] [--owner-base N] [--progress-ms MS]
 *         [--connect-timeout-ms MS] [--rt-priority P] [--dump-orders K]
 *
 * Environment ORDERGEN_LOGIN_AUTH=TS:HEX64,... (one per connection, set by native.ts for
 * `simex loadgen --native --secret S`): each LOGIN is 72 bytes with that authTs and HMAC
 * (docs/PROTOCOL.md "Session authentication"); the secret itself never reaches this program.
 *
 * --rt-priority P: run the send loop SCHED_FIFO at priority P (needs CAP_SYS_NICE/root).
 * Under CFS a generator sharing 2 cores with a busy server is woken late (measured here:
 * schedule-lag p99 2-3.5 ms at 100k orders/s, 0.2 ms with SCHED_FIFO); the lag is counted in
 * the corrected latency either way. It never spins, so it takes no more CPU than without.
 *
 * Same order flow as the TS generator (src/loadgen/flow.ts, ws-transport.ts, worker.ts):
 * connection g (0-based) logs in with a new session as account ownerBase + g, its flow is
 * seeded mulberry32((seed * 1000003 + g * 7919) mod 2^32) (src/util/prng.ts), the mix is limit
 * / cancel / market by weight, limits 1..20 ticks from the reference price, cancels of the
 * connection's oldest live resting order (falls back to a new order when none), market orders
 * IOC; ACCEPTED limits rest, REJECTED / FILL leaves 0 / CANCELLED are gone. Symbols map to
 * instrument ids, tick, lot, min qty and price range from the LOGIN_ACK + INSTRUMENT messages
 * (reference price: flow.ts paramsFor). Orders k = 0.. are planned at start + plannedAt(k)
 * (src/loadgen/profile.ts: trapezoid, no ramps = k / rate); each send tick packs the due
 * orders into frames of <= --orders-per-frame dealt round-robin over the connections (like
 * scheduler.ts), at most 2048 orders per tick (then epoll is polled and the next tick runs at
 * once: a generator that cannot keep up accumulates lag, counted as saturated ticks).
 * Send ticks sit on a fixed --batch-us grid from the start (orders due in between share the
 * next grid tick's frames; a late tick does not delay the next one; see last_tick_cell).
 * Default 400 µs: the server then receives as many frames as from the TS engine at its 200 µs
 * default (~2.4k/s at 100k orders/s; src/loadgen/native.ts NATIVE_DEFAULT_BATCH_US has the
 * figures). Every frame costs the server a wake-up (~35 µs CPU on this VM), so the frame
 * rate is part of the workload.
 *
 * Measurement (exactly like scheduler.ts): the FIRST reply of an order (ACCEPTED, REJECTED,
 * FILL, or the CANCELLED answering a CANCEL request) is timed from its planned send time
 * (corrected) and from its actual send (uncorrected); one CLOCK_MONOTONIC read per read()
 * batch. Schedule lag = actual - planned send. No reply after --timeout-ms = timeout (a
 * later reply counts as late); what is still pending when the drain (--drain-ms) ends is a
 * timeout. Rejects are counted by reason; reasons >= 100 are system rejects.
 * Histograms: integer nanoseconds in hdr-histogram-js's counts layout for 3 significant
 * digits (values < 2048 exact, above 1024 sub-buckets per power of two: <= 0.1% error),
 * emitted as [lowest value of the slot in ns, count] pairs plus the exact min and max, so
 * native.ts rebuilds the very histogram the TS generator would have recorded.
 *
 * Output (stdout, one JSON object per line): {"event":"ready",...} after login,
 * {"event":"progress",...} every --progress-ms (0 = none), {"event":"result",...} at the end
 * (counters named as src/loadgen/types.ts Counters, histograms, reject reasons, error kinds,
 * CPU from getrusage over the run, wake-ups, reads, frames). Errors: stderr, nonzero exit
 * (1: no connection logged in or the run could not start; 2: bad usage).
 * Control: stdin (pipe/socket) lines: "stop" = stop planning and drain; EOF = the same.
 * SIGINT/SIGTERM = the same.
 * --dump-orders K: log in connection 0 only, print its parameters and the first K orders its
 * flow makes (assuming every limit order is accepted and rests at once), send nothing, exit.
 * test/loadgen/ordergen-flow compares that with FlowGenerator (src/loadgen/flow.ts).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "../lib/ws-client.h"

/* ---------------------------------------------------------------- protocol (docs/PROTOCOL.md) */
enum {
  T_LOGIN = 1, T_LOGOUT = 2, T_CLIENT_HEARTBEAT = 3, T_NEW_ORDER = 10, T_CANCEL = 11,
  T_LOGIN_ACK = 64, T_LOGIN_REJECT = 65, T_INSTRUMENT = 66, T_DISCONNECT = 69,
  T_ACCEPTED = 80, T_REJECTED = 81, T_FILL = 82, T_CANCELLED = 83,
};
#define PROTOCOL_VERSION 1
#define NEW_ORDER_BYTES 40
#define CANCEL_BYTES 32
#define MAX_CLIENT_FRAME_BYTES 65536
#define MAX_ORDERS_PER_FRAME (MAX_CLIENT_FRAME_BYTES / NEW_ORDER_BYTES)

/* ---------------------------------------------------------------- sizes */
#define WINDOW (1u << 17)      /* in-flight orders per connection (scheduler.ts WINDOW) */
#define WMASK (WINDOW - 1)
#define LIVE_CAP (1u << 16)    /* resting ids tracked per connection (flow.ts) */
#define LIVE_MASK (LIVE_CAP - 1)
#define ALIVE_CAP (1u << 20)
#define ALIVE_MASK (ALIVE_CAP - 1)
#define MAX_PER_TICK 2048
#define RBUF (256 * 1024)      /* receive buffer per connection (grows for a bigger frame) */
#define OUT_MAX (64u << 20)    /* unsent client bytes per connection before we give up */
#define MAX_SYMBOLS 16
#define MAX_KINDS 32
#define HOUSEKEEP_NS 10000000LL /* heartbeats, progress, drain checks: every 10 ms at least */

enum { PENDING = 1, DONE = 2, TIMED_OUT = 3 };
enum { OP_LIMIT = 0, OP_CANCEL = 1, OP_MARKET = 2 };

/* ---------------------------------------------------------------- HDR counts layout */
/* hdr-histogram-js, lowest 1, 3 significant digits: 2048 sub-buckets, index v for v < 2048,
 * else k = floor(log2 v) - 10 and index (k << 10) + (v >> k) (src/util/hdr-index.ts).
 * Values clamped to [1, 2^40] ns like src/loadgen/histogram.ts. */
#define HSUB 10
#define HSLOTS (32 * (1 << HSUB))
#define HIST_MAX_NS (1ULL << 40)
typedef struct hist {
  uint32_t *c;          /* HSLOTS counts */
  int lo, hi;
  uint64_t min, max, n;
  double sum;           /* of recorded ns (progress means only) */
} hist;

static inline int hdr_index(uint64_t v) {
  int e = 63 - __builtin_clzll(v) - HSUB;
  int k = e > 0 ? e : 0;
  return (k << HSUB) + (int)(v >> k);
}
static uint64_t hdr_lowest(int i) {
  int k = (i >> HSUB) - 1;
  return k <= 0 ? (uint64_t)i : ((uint64_t)((i & ((1 << HSUB) - 1)) + (1 << HSUB))) << k;
}
/* Zeroed memory with every page touched now: large callocs are fresh mmap pages, and a
 * first-touch fault during the run (the in-flight rings fill gradually) costs a stall of
 * the send loop (on this VM, each fault also goes to the host). */
static void *xcalloc(size_t n, size_t s) {
  void *p = calloc(n, s);
  if (!p) { fprintf(stderr, "ordergen: out of memory\n"); exit(1); }
  volatile uint8_t *v = p;
  for (size_t i = 0; i < n * s; i += 4096) v[i] = 0;
  return p;
}
static void hist_init(hist *h) {
  h->c = xcalloc(HSLOTS, sizeof(uint32_t));
  h->lo = HSLOTS; h->hi = -1; h->min = UINT64_MAX; h->max = 0; h->n = 0;
}
static inline void hist_rec(hist *h, int64_t ns) {
  uint64_t v = ns < 1 ? 1 : (uint64_t)ns;
  if (v > HIST_MAX_NS) v = HIST_MAX_NS;
  int i = hdr_index(v);
  h->c[i]++;
  if (i < h->lo) h->lo = i;
  if (i > h->hi) h->hi = i;
  if (v < h->min) h->min = v;
  if (v > h->max) h->max = v;
  h->n++;
  h->sum += (double)v;
}
static void hist_reset(hist *h) {
  if (h->hi >= 0) memset(h->c + h->lo, 0, (size_t)(h->hi - h->lo + 1) * sizeof(uint32_t));
  h->lo = HSLOTS; h->hi = -1; h->min = UINT64_MAX; h->max = 0; h->n = 0; h->sum = 0;
}
/* Value at percentile (lowest value of the slot, clamped to max); progress lines only. */
static uint64_t hist_pct(const hist *h, double pct) {
  if (!h->n) return 0;
  uint64_t want = (uint64_t)ceil(pct / 100.0 * (double)h->n);
  if (want < 1) want = 1;
  uint64_t acc = 0;
  for (int i = h->lo; i <= h->hi; i++) {
    acc += h->c[i];
    if (acc >= want) { uint64_t v = hdr_lowest(i); return v > h->max ? h->max : v < h->min ? h->min : v; }
  }
  return h->max;
}

/* ---------------------------------------------------------------- PRNG (src/util/prng.ts) */
static inline double mulberry32(uint32_t *a) {
  *a += 0x6d2b79f5u;
  uint32_t t = *a;
  t = (t ^ (t >> 15)) * (t | 1u);
  t ^= t + (t ^ (t >> 7)) * (t | 61u);
  return (double)(t ^ (t >> 14)) / 4294967296.0;
}

/* ---------------------------------------------------------------- configuration */
static struct {
  char host[64]; int port; char path[256];
  double rate, duration, ramp_up, ramp_down;
  int connections;
  char symbols[MAX_SYMBOLS][17]; int nsym;
  int opf;
  double batch_us, spin_us;
  double mix_limit, mix_cancel, mix_market;
  double timeout_ms, drain_ms;
  uint64_t seed; uint32_t owner_base;
  double progress_ms; int connect_timeout_ms;
  long dump;
  int rt_priority;
  double warmup; /* last: the positional initializer below leaves it 0 */
} cfg = {
  "127.0.0.1", 0, "/ws/v1", 10000, 10, 0, 0, 8, {{0}}, 0, 64, 400, 0, 55, 40, 5, 5000, 5000, 42, 100000, 0, 10000, -1, 0, 0,
};

/* ---------------------------------------------------------------- per connection */
typedef struct symparams { int inst; int64_t ref, tick, lot, min_qty; } symparams;

/* One LOGIN credential per connection (ORDERGEN_LOGIN_AUTH; parse_login_auth). NULL: none. */
typedef struct { int64_t ts; uint8_t mac[32]; } login_cred;
static login_cred *login_auth = NULL;

typedef struct conn {
  int fd, idx, open, closing;
  uint32_t account;
  uint64_t id_base, last_seq;
  int hb_ms;
  int64_t last_send_ns;
  uint32_t mask_rng;
  symparams sp[MAX_SYMBOLS];
  int16_t *sym_index;   /* wire instrument -> symbol index, -1 = not traded (65536) */
  /* flow */
  uint32_t rng;
  uint64_t *live_ids; uint16_t *live_sym; uint64_t live_head, live_tail; uint8_t *alive;
  /* in-flight ring (ids = scheduler ids, 1-based) */
  int64_t *planned, *sent; uint8_t *state;
  uint64_t head, tail, checked;
  /* receive */
  uint8_t *buf; size_t cap, len;
  uint8_t *frag; size_t fcap, flen;
  /* send backlog (the socket did not take everything) */
  uint8_t *out; size_t ocap, olen, ooff;
  int want_out;
  char why[160];        /* why it closed */
} conn;

static conn *conns;
static int nconns;      /* logged in (re-indexed 0..nconns-1) */
static int connect_failures;
static char first_error[200];
static int ep, tfd;
static double p_limit, p_cancel;

/* counters (src/loadgen/types.ts Counters) */
static uint64_t c_planned, c_sent, c_acked, c_accepted, c_rejected, c_system_rejects, c_timeouts, c_late,
  c_errors, c_window_full, c_saturated, c_fills;
static uint64_t pending;
static uint64_t *reject_reasons;   /* 65536 */
static struct { char k[120]; uint64_t n; } kinds[MAX_KINDS];
static int nkinds;
static hist h_corr, h_unc, h_lag, h_int;
static uint64_t n_wakeups, n_reads, n_frames_out, n_bytes_in, n_partial_writes, n_hb;
static volatile sig_atomic_t got_signal;

static void note_error(const char *k) {
  for (int i = 0; i < nkinds; i++) if (!strcmp(kinds[i].k, k)) { kinds[i].n++; return; }
  if (nkinds < MAX_KINDS) { snprintf(kinds[nkinds].k, sizeof kinds[nkinds].k, "%s", k); kinds[nkinds++].n = 1; }
}

/* ---------------------------------------------------------------- helpers */
static inline int64_t mono_ns(void) {
  struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
static int64_t real_us(void) {
  struct timespec ts; clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
static double cpu_ms(double *user, double *sys) {
  struct rusage ru; getrusage(RUSAGE_SELF, &ru);
  *user = ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3;
  *sys = ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
  return *user + *sys;
}

/* ---------------------------------------------------------------- rate profile (profile.ts) */
static double nUp, nSus;
static uint64_t total_orders;
static void profile_init(void) {
  double sus = cfg.duration - cfg.ramp_up - cfg.ramp_down;
  nUp = cfg.rate * cfg.ramp_up / 2;
  nSus = cfg.rate * sus;
  total_orders = (uint64_t)floor(nUp + nSus + cfg.rate * cfg.ramp_down / 2 + 1e-9);
}
/* Seconds from the start at which order k is planned. */
static double planned_at(uint64_t k) {
  double R = cfg.rate, kk = (double)k;
  if (k == 0) return 0;
  if (kk < nUp) return sqrt(2 * cfg.ramp_up * kk / R);
  double k1 = kk - nUp;
  if (k1 < nSus || cfg.ramp_down == 0) return cfg.ramp_up + k1 / R;
  double m = k1 - nSus, D = cfg.ramp_down;
  double disc = D * D - 2 * D * m / R;
  if (disc < 0) disc = 0;
  return cfg.ramp_up + (cfg.duration - cfg.ramp_up - cfg.ramp_down) + (D - sqrt(disc));
}

/* ---------------------------------------------------------------- order flow (flow.ts) */
typedef struct forder { int op, sym, side; int64_t price, qty; uint64_t cancel_id; } forder;

static void flow_push_live(conn *c, uint64_t id, int sym) {
  if (c->live_tail - c->live_head >= LIVE_CAP) c->live_head++;
  c->live_ids[c->live_tail & LIVE_MASK] = id;
  c->live_sym[c->live_tail & LIVE_MASK] = (uint16_t)sym;
  c->live_tail++;
  c->alive[id & ALIVE_MASK] = 1;
}
static inline void flow_gone(conn *c, uint64_t id) { c->alive[id & ALIVE_MASK] = 0; }
static long flow_pop_live(conn *c) {
  while (c->live_head < c->live_tail) {
    uint32_t i = (uint32_t)(c->live_head & LIVE_MASK);
    c->live_head++;
    uint64_t id = c->live_ids[i];
    if (c->alive[id & ALIVE_MASK] != 1) continue;
    c->alive[id & ALIVE_MASK] = 0;
    return (long)i;
  }
  return -1;
}
/* flow.ts OrderFlow.next: same draws in the same order, same double arithmetic. */
static void flow_next(conn *c, forder *o) {
  double r = mulberry32(&c->rng);
  if (r >= p_limit && r < p_cancel) {
    long v = flow_pop_live(c);
    if (v >= 0) { o->op = OP_CANCEL; o->cancel_id = c->live_ids[v]; o->sym = c->live_sym[v]; return; }
  }
  int s = cfg.nsym == 1 ? 0 : (int)floor(mulberry32(&c->rng) * cfg.nsym);
  const symparams *p = &c->sp[s];
  o->sym = s;
  o->side = mulberry32(&c->rng) < 0.5 ? 0 : 1;
  double lot = (double)p->lot;
  o->qty = (int64_t)(ceil((double)p->min_qty / lot) * lot + lot * floor(mulberry32(&c->rng) * 10));
  o->cancel_id = 0;
  if (r >= p_cancel) { o->op = OP_MARKET; o->price = 0; return; }
  o->op = OP_LIMIT;
  int64_t away = (int64_t)(1 + floor(mulberry32(&c->rng) * 20)) * p->tick;
  o->price = o->side == 0 ? p->ref - away : p->ref + away;
}

/* flow.ts paramsFor: runbook reference price, else the range's geometric mean; on a tick,
 * at least 40 ticks above the minimum. */
static void params_for(symparams *sp, const char *sym, int inst, int price_dec, int64_t tick, int64_t lot,
                       int64_t min_qty, int64_t min_price, int64_t max_price) {
  double refq = -1;
  if (!strcmp(sym, "BTCUSD")) refq = 50000; else if (!strcmp(sym, "ETHUSD")) refq = 3000; else if (!strcmp(sym, "ADAUSD")) refq = 1.5;
  double ref = refq >= 0 ? floor(refq * pow(10, price_dec) + 0.5) : floor(sqrt((double)min_price * (double)max_price) + 0.5);
  double onTick = floor(ref / (double)tick + 0.5) * (double)tick;
  double lo = (double)min_price + 40.0 * (double)tick;
  sp->inst = inst;
  sp->ref = (int64_t)(onTick > lo ? onTick : lo);
  sp->tick = tick; sp->lot = lot; sp->min_qty = min_qty > lot ? min_qty : lot;
}

/* ---------------------------------------------------------------- sockets */
static void epoll_mod(conn *c, int out) {
  if (c->want_out == out || c->fd < 0) return;
  c->want_out = out;
  struct epoll_event ev = { .events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c };
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void conn_close(conn *c, const char *why) {
  if (c->fd < 0) return;
  if (c->open && !c->closing) {
    char k[200];
    snprintf(k, sizeof k, "connection closed by server (%s%s%s)", why, c->why[0] ? ", " : "", c->why);
    note_error(k);
  }
  c->open = 0;
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  c->fd = -1;
}

/* Write bytes in order; what the socket does not take waits in c->out (EPOLLOUT). */
static int send_raw(conn *c, const uint8_t *p, size_t n) {
  if (c->fd < 0) return -1;
  if (c->olen == 0) {
    ssize_t k = write(c->fd, p, n);
    if (k < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) { conn_close(c, strerror(errno)); return -1; }
      k = 0;
    }
    p += k; n -= (size_t)k;
    if (n == 0) return 0;
    n_partial_writes++;
  }
  if (c->olen + n > OUT_MAX) { conn_close(c, "client send backlog overflow"); return -1; }
  if (c->ooff + c->olen + n > c->ocap) {
    if (c->ooff) { memmove(c->out, c->out + c->ooff, c->olen); c->ooff = 0; }
    if (c->olen + n > c->ocap) {
      size_t nc = c->ocap ? c->ocap : 65536;
      while (nc < c->olen + n) nc *= 2;
      uint8_t *nb = realloc(c->out, nc);
      if (!nb) { conn_close(c, "out of memory"); return -1; }
      c->out = nb; c->ocap = nc;
    }
  }
  memcpy(c->out + c->ooff + c->olen, p, n);
  c->olen += n;
  epoll_mod(c, 1);
  return 0;
}

static void flush_out(conn *c) {
  while (c->olen) {
    ssize_t k = write(c->fd, c->out + c->ooff, c->olen);
    if (k < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      conn_close(c, strerror(errno)); return;
    }
    c->ooff += (size_t)k; c->olen -= (size_t)k;
  }
  c->ooff = 0;
  epoll_mod(c, 0);
}

/* Frame the payload at b[14 .. 14 + n) in place as one masked binary frame (RFC 6455 5.2,
 * 5.3); returns the frame's start in b (header just before the payload). b has 14 bytes of
 * headroom; the mask runs on 32-bit words. */
static uint8_t *finish_frame(conn *c, uint8_t *b, size_t n, int opcode, size_t *flen) {
  size_t hdr = n <= 125 ? 6 : n <= 0xffff ? 8 : 14;
  uint8_t *s = b + 14 - hdr;
  s[0] = (uint8_t)(0x80 | opcode);
  if (hdr == 6) s[1] = (uint8_t)(0x80 | n);
  else if (hdr == 8) { s[1] = 0x80 | 126; s[2] = (uint8_t)(n >> 8); s[3] = (uint8_t)n; }
  else { s[1] = 0x80 | 127; for (int i = 0; i < 8; i++) s[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i)); }
  uint32_t key = xorshift(&c->mask_rng);
  memcpy(b + 10, &key, 4);
  uint8_t *pl = b + 14;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) { uint32_t w; memcpy(&w, pl + i, 4); w ^= key; memcpy(pl + i, &w, 4); }
  const uint8_t *kb = b + 10;
  for (; i < n; i++) pl[i] ^= kb[i & 3];
  *flen = hdr + n;
  return s;
}

static int send_msg(conn *c, const uint8_t *m, size_t n, int opcode) {
  uint8_t b[14 + 128];
  memcpy(b + 14, m, n);
  size_t fl; uint8_t *s = finish_frame(c, b, n, opcode, &fl);
  c->last_send_ns = mono_ns();
  return send_raw(c, s, fl);
}

static void send_heartbeat(conn *c) {
  uint8_t m[24] = {0};
  wr16(m, 24); m[2] = T_CLIENT_HEARTBEAT;
  wr64(m + 8, (uint64_t)real_us()); wr64(m + 16, c->last_seq);
  n_hb++;
  send_msg(c, m, sizeof m, 2);
}

/* ---------------------------------------------------------------- setup (blocking, per conn) */
static int wait_io(int fd, short ev, int64_t deadline_ns) {
  for (;;) {
    int64_t left = (deadline_ns - mono_ns()) / 1000000;
    if (left <= 0) return 0;
    struct pollfd pf = { .fd = fd, .events = ev };
    int r = poll(&pf, 1, (int)left);
    if (r > 0) return 1;
    if (r < 0 && errno != EINTR) return -1;
  }
}

/* Read at least one more byte into c->buf before the deadline; 1 ok, 0 closed/timeout. */
static int setup_read(conn *c, int64_t deadline, char *why, size_t wl) {
  if (c->len == c->cap) {
    uint8_t *nb = realloc(c->buf, c->cap * 2);
    if (!nb) { snprintf(why, wl, "out of memory"); return 0; }
    c->buf = nb; c->cap *= 2;
  }
  for (;;) {
    ssize_t k = read(c->fd, c->buf + c->len, c->cap - c->len);
    if (k > 0) { c->len += (size_t)k; return 1; }
    if (k == 0) { snprintf(why, wl, "server closed the connection during login"); return 0; }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) { snprintf(why, wl, "read: %s", strerror(errno)); return 0; }
    int w = wait_io(c->fd, POLLIN, deadline);
    if (w <= 0) { snprintf(why, wl, "login timed out after %d ms", cfg.connect_timeout_ms); return 0; }
  }
}

typedef struct inst_info { char sym[17]; int id, price_dec; int64_t tick, lot, min_qty, min_price, max_price; } inst_info;

/* TCP connect, HTTP upgrade, LOGIN, LOGIN_ACK + INSTRUMENTs. 0 ok, else -1 with why. */
static int conn_setup(conn *c, const struct sockaddr_in *sa, char *why, size_t wl) {
  int64_t deadline = mono_ns() + (int64_t)cfg.connect_timeout_ms * 1000000;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) { snprintf(why, wl, "socket: %s", strerror(errno)); return -1; }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->fd = fd;
  if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) < 0 && errno != EINPROGRESS) {
    snprintf(why, wl, "connect %s:%d: %s", cfg.host, cfg.port, strerror(errno)); return -1;
  }
  if (wait_io(fd, POLLOUT, deadline) <= 0) { snprintf(why, wl, "connect %s:%d: timed out", cfg.host, cfg.port); return -1; }
  int err = 0; socklen_t el = sizeof err;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
  if (err) { snprintf(why, wl, "connect %s:%d: %s", cfg.host, cfg.port, strerror(err)); return -1; }
  char req[512];
  int n = snprintf(req, sizeof req,
    "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", cfg.path, cfg.host, cfg.port);
  if (write(fd, req, (size_t)n) != n) { snprintf(why, wl, "write upgrade request: %s", strerror(errno)); return -1; }
  uint8_t *end;
  while (!(end = memmem(c->buf, c->len, "\r\n\r\n", 4))) {
    if (c->len > 16384) { snprintf(why, wl, "HTTP response headers too large"); return -1; }
    if (!setup_read(c, deadline, why, wl)) return -1;
  }
  if (c->len < 12 || memcmp(c->buf, "HTTP/1.1 101", 12) != 0) {
    size_t k = 0;
    while (k < c->len && k < 80 && c->buf[k] != '\r') k++;
    snprintf(why, wl, "WebSocket upgrade refused: %.*s", (int)k, (const char *)c->buf);
    return -1;
  }
  size_t h = (size_t)(end - c->buf) + 4;
  memmove(c->buf, c->buf + h, c->len - h); c->len -= h;
  /* 32 bytes, or 72 with the credential the parent computed (ORDERGEN_LOGIN_AUTH): authTs at
   * 32, HMAC at 40 (docs/PROTOCOL.md "Session authentication"; sessionId 0: a new session). */
  uint8_t m[72] = {0};
  const size_t mlen = login_auth ? 72 : 32;
  wr16(m, (uint16_t)mlen); m[2] = T_LOGIN; m[4] = PROTOCOL_VERSION; wr32(m + 24, c->account);
  if (login_auth) { wr64(m + 32, (uint64_t)login_auth[c->idx].ts); memcpy(m + 40, login_auth[c->idx].mac, 32); }
  if (send_msg(c, m, mlen, 2) < 0 || c->olen) { snprintf(why, wl, "LOGIN not written"); return -1; }
  int expect = -1, seen = 0;
  inst_info ins[64]; int nins = 0;
  for (;;) {
    /* one complete unfragmented server frame at the front of buf (login replies are small) */
    while (c->len >= 2) {
      uint8_t *f = c->buf;
      size_t hdr = 2; uint64_t pl = f[1] & 0x7f;
      if (pl == 126) { if (c->len < 4) break; pl = ((uint64_t)f[2] << 8) | f[3]; hdr = 4; }
      else if (pl == 127) { if (c->len < 10) break; pl = 0; for (int i = 0; i < 8; i++) pl = (pl << 8) | f[2 + i]; hdr = 10; }
      if (c->len < hdr + pl) break;
      int op = f[0] & 0x0f;
      if (op == 0x8) { snprintf(why, wl, "server closed the WebSocket during login"); return -1; }
      if (op == 0x2) {
        const uint8_t *d = f + hdr; size_t p = 0;
        while (p + 4 <= pl) {
          uint16_t len = rd16(d + p); uint8_t type = d[p + 2];
          if (len < 4 || p + len > pl) { snprintf(why, wl, "malformed server message during login"); return -1; }
          const uint8_t *q = d + p;
          if (type == T_LOGIN_ACK && len >= 40) {
            expect = rd16(q + 6);
            c->id_base = rd64(q + 16) - 1;
            c->last_seq = rd64(q + 24);
            c->hb_ms = (int)rd32(q + 32); if (c->hb_ms <= 0) c->hb_ms = 1000;
          } else if (type == T_LOGIN_REJECT) {
            snprintf(why, wl, "login rejected, reason %u", len >= 6 ? rd16(q + 4) : 0); return -1;
          } else if (type == T_DISCONNECT) {
            snprintf(why, wl, "disconnected during login, reason %u", len >= 6 ? rd16(q + 4) : 0); return -1;
          } else if (type == T_INSTRUMENT && len >= 80 && nins < 64) {
            inst_info *x = &ins[nins++];
            memcpy(x->sym, q + 16, 16); x->sym[16] = 0;
            x->id = rd16(q + 4); x->price_dec = q[6];
            x->tick = (int64_t)rd64(q + 32); x->lot = (int64_t)rd64(q + 40); x->min_qty = (int64_t)rd64(q + 48);
            x->min_price = (int64_t)rd64(q + 64); x->max_price = (int64_t)rd64(q + 72);
            seen++;
          }
          p += len;
        }
      }
      memmove(c->buf, c->buf + hdr + pl, c->len - hdr - pl); c->len -= hdr + pl;
      if (expect >= 0 && seen >= expect) goto done;
    }
    if (!setup_read(c, deadline, why, wl)) return -1;
  }
done:
  for (int s = 0; s < cfg.nsym; s++) {
    int found = -1;
    for (int i = 0; i < nins; i++) if (!strcmp(ins[i].sym, cfg.symbols[s])) found = i;
    if (found < 0) { snprintf(why, wl, "server has no instrument %s", cfg.symbols[s]); return -1; }
    inst_info *x = &ins[found];
    params_for(&c->sp[s], x->sym, x->id, x->price_dec, x->tick, x->lot, x->min_qty, x->min_price, x->max_price);
    c->sym_index[x->id] = (int16_t)s;
  }
  c->open = 1;
  return 0;
}

/* ---------------------------------------------------------------- replies (scheduler.ts reply) */
static int64_t reply_now;
/* Orders planned before this (start + --warmup) are sent and answered but not timed. */
static int64_t measure_from_ns;

static void on_reply(conn *c, uint64_t id, int accepted, unsigned reason, int fill) {
  if (id < c->head || id >= c->tail) { if (fill) c_fills++; return; }
  uint32_t i = (uint32_t)(id & WMASK);
  uint8_t st = c->state[i];
  if (fill) c_fills++;
  if (st == TIMED_OUT) { c_late++; c->state[i] = DONE; }
  else if (st == PENDING) {
    if (c->planned[i] >= measure_from_ns) { /* warm-up orders: answered, not timed */
      int64_t corr = reply_now - c->planned[i];
      hist_rec(&h_corr, corr);
      hist_rec(&h_int, corr);
      hist_rec(&h_unc, reply_now - c->sent[i]);
    }
    c->state[i] = DONE;
    pending--;
    c_acked++;
    if (accepted) c_accepted++;
    else { c_rejected++; if (reason >= 100) c_system_rejects++; reject_reasons[reason & 0xffff]++; }
  } else return;
  while (c->head < c->tail) {
    uint8_t s = c->state[c->head & WMASK];
    if (s == PENDING || s == TIMED_OUT) break;
    c->head++;
  }
}

/* Messages of one server WebSocket message; only exec reports and DISCONNECT matter. */
static void walk(conn *c, const uint8_t *d, size_t n) {
  size_t p = 0;
  uint64_t base = c->id_base;
  while (p + 4 <= n) {
    const uint8_t *m = d + p;
    uint16_t len = rd16(m);
    uint8_t type = m[2];
    if (len < 4 || p + len > n) { note_error("malformed server frame"); return; }
    if (type >= 80 && type <= 99 && len >= 16) {
      uint64_t seq = rd64(m + 8);
      if (seq != c->last_seq + 1) note_error("execution report sequence gap");
      c->last_seq = seq;
      switch (type) {
        case T_ACCEPTED:
          if (len >= 32) {
            uint64_t id = rd64(m + 24) - base;
            on_reply(c, id, 1, 0, 0);
            if (m[7] == 0) { int s = c->sym_index[rd16(m + 4)]; if (s >= 0) flow_push_live(c, id, s); }
          }
          break;
        case T_REJECTED:
          if (len >= 42) { uint64_t id = rd64(m + 24) - base; on_reply(c, id, 0, rd16(m + 40), 0); flow_gone(c, id); }
          break;
        case T_FILL:
          if (len >= 72) { uint64_t id = rd64(m + 24) - base; on_reply(c, id, 1, 0, 1); if (rd64(m + 64) == 0) flow_gone(c, id); }
          break;
        case T_CANCELLED:
          if (len >= 48) {
            uint64_t id = rd64(m + 24) - base, req = rd64(m + 40);
            on_reply(c, req != 0 ? req - base : id, 1, 0, 0);
            flow_gone(c, id);
          }
          break;
        default: break;
      }
    } else if (type == T_DISCONNECT && len >= 6) {
      snprintf(c->why, sizeof c->why, "DISCONNECT reason %u", rd16(m + 4));
    }
    p += len;
  }
}

static void parse_frames(conn *c) {
  size_t p = 0;
  while (c->fd >= 0 && c->len - p >= 2) {
    uint8_t *f = c->buf + p;
    size_t avail = c->len - p, hdr;
    uint64_t plen;
    int op, fin;
    int r = ws_frame(f, avail, &hdr, &plen, &op, &fin);
    if (r == WS_FRAME_TOO_LARGE) { note_error("server frame too large"); conn_close(c, "frame too large"); return; }
    if (r == WS_FRAME_MORE) {
      if (hdr + plen > c->cap) {
        memmove(c->buf, f, avail); c->len = avail; p = 0;
        if (ensure_cap(&c->buf, &c->cap, hdr + plen, RBUF)) conn_close(c, "out of memory");
      }
      break;
    }
    uint8_t *pl = f + hdr;
    if (op == 0x2 || op == 0x0) {
      if (op == 0x2 && fin && c->flen == 0) walk(c, pl, plen);
      else {
        if (op == 0x2) c->flen = 0;
        if (ensure_cap(&c->frag, &c->fcap, c->flen + plen, RBUF)) { conn_close(c, "out of memory"); return; }
        memcpy(c->frag + c->flen, pl, plen); c->flen += plen;
        if (fin) { walk(c, c->frag, c->flen); c->flen = 0; }
      }
    } else if (op == 0x9) {
      send_msg(c, pl, plen > 125 ? 125 : plen, 0xA);
    } else if (op == 0x8) {
      conn_close(c, "close frame"); return;
    }
    p += hdr + plen;
  }
  if (c->fd < 0) return;
  if (p > 0) { memmove(c->buf, c->buf + p, c->len - p); c->len -= p; }
}

static void on_readable(conn *c) {
  for (int round = 0; round < 4; round++) {
    if (c->cap - c->len < 4096 && ensure_cap(&c->buf, &c->cap, c->cap * 2, RBUF)) { conn_close(c, "out of memory"); return; }
    ssize_t k = read(c->fd, c->buf + c->len, c->cap - c->len);
    if (k == 0) { conn_close(c, "EOF"); return; }
    if (k < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      conn_close(c, strerror(errno)); return;
    }
    n_reads++; n_bytes_in += (uint64_t)k;
    c->len += (size_t)k;
    reply_now = mono_ns();     /* one clock read per read() batch */
    int full = c->len == c->cap;
    parse_frames(c);
    if (c->fd < 0 || !full) return;   /* a read that filled the buffer: more may be waiting */
  }
}

/* ---------------------------------------------------------------- scheduler */
static int64_t start_ns, last_send_ns;
/* Send ticks sit on a fixed grid start + m * batch_ns: the first grid point at or after an
 * order's planned time sends it (with everything else due). At most one send tick per grid
 * cell (last_tick_cell), so ticks/s <= 1e9 / batch_ns, and a tick that ran late does not push
 * the next one back (a "batch after the previous tick" rule would carry every wake-up's
 * lateness into the next tick when the order spacing is near the batch). batch_ns 0 = send
 * each order when it is due. */
static int64_t last_tick_cell = INT64_MIN / 2;
static uint64_t next_k;
static int64_t next_planned_ns;
static int rr;
static int sending, behind;
static int64_t batch_ns;
static uint8_t *fbuf;  /* frame build buffer: 14 bytes headroom + opf * 40 */

static inline int64_t planned_ns(uint64_t k) {
  if (k >= total_orders) return INT64_MAX;
  return start_ns + (int64_t)llround(planned_at(k) * 1e9);
}

static void send_due(int64_t now) {
  int budget = MAX_PER_TICK;
  int64_t cell = batch_ns > 0 ? (now - start_ns) / batch_ns : INT64_MAX;
  if (!behind && batch_ns > 0 && cell <= last_tick_cell && next_k < total_orders) return;
  behind = 0;
  uint64_t planned_before = c_planned;
  if (next_k < total_orders && total_orders - next_k > MAX_PER_TICK && planned_ns(next_k + MAX_PER_TICK) <= now) c_saturated++;
  int64_t pbuf[MAX_ORDERS_PER_FRAME];
  forder o;
  while (budget > 0 && next_k < total_orders && next_planned_ns <= now) {
    int n = 0;
    while (n < cfg.opf && n < budget && next_k < total_orders && next_planned_ns <= now) {
      pbuf[n++] = next_planned_ns;
      next_k++;
      next_planned_ns = planned_ns(next_k);
    }
    budget -= n;
    c_planned += (uint64_t)n;
    conn *c = &conns[rr];
    rr = (rr + 1) % nconns;
    if (!c->open) { c_errors += (uint64_t)n; note_error("connection closed"); continue; }
    if (WINDOW - (c->tail - c->head) < (uint64_t)n) { c_window_full += (uint64_t)n; continue; }
    uint64_t first = c->tail, base = c->id_base;
    uint8_t *p = fbuf + 14;
    for (int j = 0; j < n; j++) {
      uint64_t id = first + (uint64_t)j;
      flow_next(c, &o);
      const symparams *sp = &c->sp[o.sym];
      if (o.op == OP_CANCEL) {
        memset(p, 0, CANCEL_BYTES);
        wr16(p, CANCEL_BYTES); p[2] = T_CANCEL; wr16(p + 4, (uint16_t)sp->inst);
        wr64(p + 8, id + base); wr64(p + 16, o.cancel_id + base);
        p += CANCEL_BYTES;
      } else {
        memset(p, 0, NEW_ORDER_BYTES);
        wr16(p, NEW_ORDER_BYTES); p[2] = T_NEW_ORDER; wr16(p + 4, (uint16_t)sp->inst);
        p[6] = (uint8_t)o.side;
        if (o.op == OP_MARKET) { p[7] = 1; p[8] = 1; } /* market, IOC */
        wr64(p + 16, id + base); wr64(p + 24, (uint64_t)o.price); wr64(p + 32, (uint64_t)o.qty);
        p += NEW_ORDER_BYTES;
      }
    }
    size_t fl; uint8_t *fs = finish_frame(c, fbuf, (size_t)(p - (fbuf + 14)), 2, &fl);
    int64_t t = mono_ns();
    for (int j = 0; j < n; j++) {
      uint32_t i = (uint32_t)((first + (uint64_t)j) & WMASK);
      c->planned[i] = pbuf[j];
      c->sent[i] = t;
      c->state[i] = PENDING;
      if (pbuf[j] >= measure_from_ns) hist_rec(&h_lag, t - pbuf[j]);
    }
    c->tail += (uint64_t)n;
    c->last_send_ns = t;
    if (send_raw(c, fs, fl) == 0) {
      c_sent += (uint64_t)n; pending += (uint64_t)n; last_send_ns = t; n_frames_out++;
    } else {
      for (int j = 0; j < n; j++) c->state[(first + (uint64_t)j) & WMASK] = 0;
      c->tail = first;
      c_errors += (uint64_t)n;
      note_error("send failed");
    }
  }
  if (c_planned != planned_before && batch_ns > 0) last_tick_cell = cell;
  if (budget == 0 && next_k < total_orders && next_planned_ns <= now) behind = 1;
}

static void expire(int64_t now) {
  int64_t limit = now - (int64_t)(cfg.timeout_ms * 1e6);
  int64_t release = limit - (int64_t)((cfg.timeout_ms > 1000 ? cfg.timeout_ms : 1000) * 1e6);
  for (int k = 0; k < nconns; k++) {
    conn *c = &conns[k];
    if (c->checked < c->head) c->checked = c->head;
    while (c->checked < c->tail && c->sent[c->checked & WMASK] <= limit) {
      uint32_t i = (uint32_t)(c->checked & WMASK);
      if (c->state[i] == PENDING) { c->state[i] = TIMED_OUT; c_timeouts++; pending--; }
      c->checked++;
    }
    while (c->head < c->tail) {
      uint32_t i = (uint32_t)(c->head & WMASK);
      uint8_t st = c->state[i];
      if (st == TIMED_OUT && c->sent[i] <= release) c->state[i] = DONE;
      else if (st != DONE) break;
      c->head++;
    }
  }
}

/* ---------------------------------------------------------------- output */

static void print_counters(void) {
  printf("\"counters\":{\"planned\":%" PRIu64 ",\"sent\":%" PRIu64 ",\"acked\":%" PRIu64 ",\"accepted\":%" PRIu64
         ",\"rejected\":%" PRIu64 ",\"systemRejects\":%" PRIu64 ",\"timeouts\":%" PRIu64 ",\"lateAcks\":%" PRIu64
         ",\"errors\":%" PRIu64 ",\"windowFull\":%" PRIu64 ",\"saturatedTicks\":%" PRIu64 ",\"fills\":%" PRIu64 "}",
         c_planned, c_sent, c_acked, c_accepted, c_rejected, c_system_rejects, c_timeouts, c_late, c_errors,
         c_window_full, c_saturated, c_fills);
}

static void print_hist(const char *name, const hist *h) {
  printf("\"%s\":{\"count\":%" PRIu64 ",\"min\":%" PRIu64 ",\"max\":%" PRIu64 ",\"slots\":[", name, h->n, h->n ? h->min : 0, h->max);
  int first = 1;
  for (int i = h->lo; i <= h->hi; i++) if (h->c[i]) {
    printf("%s[%" PRIu64 ",%u]", first ? "" : ",", hdr_lowest(i), h->c[i]); first = 0;
  }
  printf("]}");
}

/* Percentile summary in µs (src/loadgen/histogram.ts LatencySummaryUs field names); values
 * are slot lower bounds here (the final report rebuilds exact hdr-histogram-js ones). */
static void print_summary(const char *name, const hist *h) {
  printf("\"%s\":{\"count\":%" PRIu64 ",\"min\":%.3f,\"mean\":%.3f,\"p50\":%.3f,\"p90\":%.3f,\"p95\":%.3f,\"p99\":%.3f,"
         "\"p999\":%.3f,\"p9999\":%.3f,\"max\":%.3f}", name, h->n, h->n ? h->min / 1e3 : 0.0, h->n ? h->sum / (double)h->n / 1e3 : 0.0,
         hist_pct(h, 50) / 1e3, hist_pct(h, 90) / 1e3, hist_pct(h, 95) / 1e3, hist_pct(h, 99) / 1e3, hist_pct(h, 99.9) / 1e3,
         hist_pct(h, 99.99) / 1e3, h->max / 1e3);
}

static int open_count(void) { int n = 0; for (int i = 0; i < nconns; i++) n += conns[i].open; return n; }

static void progress_line(int64_t now) {
  printf("{\"event\":\"progress\",\"elapsed_ms\":%.3f,", (double)(now - start_ns) / 1e6);
  print_counters();
  double u, s;
  printf(",\"inflight\":%" PRIu64 ",\"active_connections\":%d,\"cpu_ms\":%.3f,", pending, open_count(), cpu_ms(&u, &s));
  print_summary("interval_us", &h_int); putchar(',');
  print_summary("cumulative_us", &h_corr);
  printf("}\n");
  fflush(stdout);
  hist_reset(&h_int);
}

/* ---------------------------------------------------------------- usage */
static void usage(const char *why) {
  FILE *out = why ? stderr : stdout;
  if (why) fprintf(stderr, "ordergen: %s\n", why);
  fprintf(out, "usage: ordergen --url ws://127.0.0.1:PORT/ws/v1 [--rate N] [--duration SEC] [--ramp-up SEC] "
          "[--ramp-down SEC] [--warmup SEC] [--connections N] [--symbols A,B] [--orders-per-frame N] [--batch-us US] [--spin-us US] "
          "[--mix limit=55,cancel=40,market=5] [--timeout-ms MS] [--drain-ms MS] [--seed N] [--owner-base N] "
          "[--progress-ms MS] [--connect-timeout-ms MS] [--rt-priority P] [--dump-orders K]\n");
  exit(why ? 2 : 0);
}

static void parse_url(const char *u) {
  const char *err = parse_ws_url(u, cfg.host, sizeof cfg.host, &cfg.port, cfg.path, sizeof cfg.path);
  if (err) usage(err);
}

static double num(const char *name, const char *v, double lo, double hi) {
  char *e; double x = strtod(v, &e);
  if (e == v || *e || !(x >= lo && x <= hi)) {
    char m[160]; snprintf(m, sizeof m, "%s: must be a number between %g and %g, got %s", name, lo, hi, v); usage(m);
  }
  return x;
}

static void parse_mix(const char *s) {
  double l = 0, c = 0, m = 0;
  char tmp[128]; snprintf(tmp, sizeof tmp, "%s", s);
  for (char *tok = strtok(tmp, ","); tok; tok = strtok(NULL, ",")) {
    char k[16]; double v;
    if (sscanf(tok, " %15[a-z] = %lf", k, &v) != 2 || v < 0) usage("--mix: expected limit=N,cancel=N,market=N");
    if (!strcmp(k, "limit")) l = v; else if (!strcmp(k, "cancel")) c = v; else if (!strcmp(k, "market")) m = v;
    else usage("--mix: expected limit=N,cancel=N,market=N");
  }
  if (l + c + m <= 0) usage("--mix: weights sum to 0");
  cfg.mix_limit = l; cfg.mix_cancel = c; cfg.mix_market = m;
}

static void parse_symbols(const char *s) {
  char tmp[512]; snprintf(tmp, sizeof tmp, "%s", s);
  cfg.nsym = 0;
  for (char *tok = strtok(tmp, ","); tok; tok = strtok(NULL, ",")) {
    if (cfg.nsym == MAX_SYMBOLS) usage("--symbols: at most 16");
    if (strlen(tok) > 16 || !*tok) usage("--symbols: bad symbol");
    snprintf(cfg.symbols[cfg.nsym++], 17, "%s", tok);
  }
  if (!cfg.nsym) usage("--symbols: need at least one");
}

/* Session credentials, one per connection, from the environment variable
 * ORDERGEN_LOGIN_AUTH = "TS:HEX64,TS:HEX64,..." (authTs in µs and the 32-byte HMAC, computed by
 * src/loadgen/native.ts from --secret; this program never sees the secret). Each is valid for
 * one LOGIN within 30 s of TS; ordergen logs in once per connection and never reconnects. */

static int hexval(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

static void parse_login_auth(const char *s, int n) {
  login_auth = xcalloc((size_t)n, sizeof(login_cred));
  const char *p = s;
  for (int i = 0; i < n; i++) {
    char *end = NULL;
    long long ts = strtoll(p, &end, 10);
    if (end == p || *end != ':' || ts <= 0) usage("ORDERGEN_LOGIN_AUTH: expected TS:HEX64 per connection");
    p = end + 1;
    for (int k = 0; k < 32; k++) {
      int hi = hexval(p[2 * k]), lo = hi < 0 ? -1 : hexval(p[2 * k + 1]);
      if (hi < 0 || lo < 0) usage("ORDERGEN_LOGIN_AUTH: the MAC is 64 hex digits");
      login_auth[i].mac[k] = (uint8_t)(hi << 4 | lo);
    }
    login_auth[i].ts = ts;
    p += 64;
    if (i + 1 < n) {
      if (*p != ',') usage("ORDERGEN_LOGIN_AUTH: one credential per connection, comma separated");
      p++;
    }
  }
  if (*p) usage("ORDERGEN_LOGIN_AUTH: more credentials than connections");
}

static void on_signal(int sig) { (void)sig; got_signal = 1; }

static void conn_alloc(conn *c, int idx) {
  memset(c, 0, sizeof *c);
  c->fd = -1; c->idx = idx;
  c->account = cfg.owner_base + (uint32_t)idx;
  c->rng = (uint32_t)((cfg.seed * 1000003ULL + (uint64_t)idx * 7919ULL) & 0xffffffffULL);
  c->sym_index = xcalloc(65536, sizeof(int16_t));
  memset(c->sym_index, 0xff, 65536 * sizeof(int16_t));
  c->live_ids = xcalloc(LIVE_CAP, sizeof(uint64_t));
  c->live_sym = xcalloc(LIVE_CAP, sizeof(uint16_t));
  c->alive = xcalloc(ALIVE_CAP, 1);
  c->planned = xcalloc(WINDOW, sizeof(int64_t));
  c->sent = xcalloc(WINDOW, sizeof(int64_t));
  c->state = xcalloc(WINDOW, 1);
  c->head = c->tail = c->checked = 1;
  c->buf = xcalloc(RBUF, 1); c->cap = RBUF;
  uint32_t r = 0;
  if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r) r = (uint32_t)mono_ns();
  c->mask_rng = r ? r : 0x9e3779b9u;
}

/* ---------------------------------------------------------------- main */
int main(int argc, char **argv) {
  int have_url = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDV() do { if (!v) usage("missing value"); i++; } while (0)
    if (!strcmp(a, "--url")) { NEEDV(); parse_url(v); have_url = 1; }
    else if (!strcmp(a, "--rate")) { NEEDV(); cfg.rate = num("--rate", v, 0.001, 1e7); }
    else if (!strcmp(a, "--duration")) { NEEDV(); cfg.duration = num("--duration", v, 0.001, 3600); }
    else if (!strcmp(a, "--ramp-up")) { NEEDV(); cfg.ramp_up = num("--ramp-up", v, 0, 3600); }
    else if (!strcmp(a, "--ramp-down")) { NEEDV(); cfg.ramp_down = num("--ramp-down", v, 0, 3600); }
    else if (!strcmp(a, "--warmup")) { NEEDV(); cfg.warmup = num("--warmup", v, 0, 3600); }
    else if (!strcmp(a, "--connections")) { NEEDV(); cfg.connections = (int)num("--connections", v, 1, 1024); }
    else if (!strcmp(a, "--symbols")) { NEEDV(); parse_symbols(v); }
    else if (!strcmp(a, "--orders-per-frame")) { NEEDV(); cfg.opf = (int)num("--orders-per-frame", v, 1, 1024); }
    else if (!strcmp(a, "--batch-us")) { NEEDV(); cfg.batch_us = num("--batch-us", v, 0, 100000); }
    else if (!strcmp(a, "--spin-us")) { NEEDV(); cfg.spin_us = num("--spin-us", v, 0, 1000); }
    else if (!strcmp(a, "--mix")) { NEEDV(); parse_mix(v); }
    else if (!strcmp(a, "--timeout-ms")) { NEEDV(); cfg.timeout_ms = num("--timeout-ms", v, 1, 600000); }
    else if (!strcmp(a, "--drain-ms")) { NEEDV(); cfg.drain_ms = num("--drain-ms", v, 0, 600000); }
    else if (!strcmp(a, "--seed")) { NEEDV(); cfg.seed = (uint64_t)num("--seed", v, 0, 4294967295.0); }
    else if (!strcmp(a, "--owner-base")) { NEEDV(); cfg.owner_base = (uint32_t)num("--owner-base", v, 0, 4000000000.0); }
    else if (!strcmp(a, "--progress-ms")) { NEEDV(); cfg.progress_ms = num("--progress-ms", v, 0, 3600000); }
    else if (!strcmp(a, "--connect-timeout-ms")) { NEEDV(); cfg.connect_timeout_ms = (int)num("--connect-timeout-ms", v, 1, 600000); }
    else if (!strcmp(a, "--rt-priority")) { NEEDV(); cfg.rt_priority = (int)num("--rt-priority", v, 0, 99); }
    else if (!strcmp(a, "--dump-orders")) { NEEDV(); cfg.dump = (long)num("--dump-orders", v, 0, 1e7); }
    else if (!strcmp(a, "-h") || !strcmp(a, "--help")) usage(NULL);
    else { char m[160]; snprintf(m, sizeof m, "unknown argument %s", a); usage(m); }
  }
  if (!have_url) usage("--url ws://HOST:PORT/PATH is required");
  const char *auth_env = getenv("ORDERGEN_LOGIN_AUTH");
  if (auth_env && *auth_env) parse_login_auth(auth_env, cfg.dump >= 0 ? 1 : cfg.connections);
  if (cfg.ramp_up + cfg.ramp_down > cfg.duration) usage("ramp-up + ramp-down must not exceed duration");
  if (cfg.warmup >= cfg.duration) usage("warmup must be shorter than duration");
  if (!cfg.nsym) parse_symbols("BTCUSD,ETHUSD,ADAUSD");
  double sum = cfg.mix_limit + cfg.mix_cancel + cfg.mix_market;
  p_limit = cfg.mix_limit / sum;
  p_cancel = (cfg.mix_limit + cfg.mix_cancel) / sum;
  struct sockaddr_in sa; memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET; sa.sin_port = htons((uint16_t)cfg.port);
  if (inet_pton(AF_INET, cfg.host, &sa.sin_addr) != 1) usage("--url host must be a numeric IPv4 address or localhost");
  signal(SIGPIPE, SIG_IGN);
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

  int want = cfg.dump >= 0 ? 1 : cfg.connections;
  conns = xcalloc((size_t)want, sizeof(conn));
  /* Connections that log in are packed to the front (the scheduler indexes 0..nconns-1). */
  for (int g = 0; g < want; g++) {
    conn *c = &conns[nconns];
    conn_alloc(c, g);
    char why[200] = "";
    if (conn_setup(c, &sa, why, sizeof why) == 0) { nconns++; continue; }
    connect_failures++;
    if (!first_error[0]) snprintf(first_error, sizeof first_error, "conn %d: %s", g, why);
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
  }
  if (nconns == 0) {
    fprintf(stderr, "ordergen: no connection logged in (%d of %d failed): %s\n", connect_failures, want, first_error);
    return 1;
  }

  if (cfg.dump >= 0) {
    conn *c = &conns[0];
    for (int s = 0; s < cfg.nsym; s++)
      printf("param %s %d %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 "\n", cfg.symbols[s], c->sp[s].inst, c->sp[s].ref,
             c->sp[s].tick, c->sp[s].lot, c->sp[s].min_qty);
    forder o;
    for (long k = 1; k <= cfg.dump; k++) {
      flow_next(c, &o);
      if (o.op == OP_CANCEL) printf("%ld cancel %d %" PRIu64 "\n", k, o.sym, o.cancel_id);
      else printf("%ld %s %d %d %" PRId64 " %" PRId64 "\n", k, o.op == OP_LIMIT ? "limit" : "market", o.sym, o.side, o.price, o.qty);
      if (o.op == OP_LIMIT) flow_push_live(c, (uint64_t)k, o.sym);
    }
    uint8_t m[4] = {0}; wr16(m, 4); m[2] = T_LOGOUT;
    send_msg(c, m, 4, 2);
    close(c->fd);
    return 0;
  }

  hist_init(&h_corr); hist_init(&h_unc); hist_init(&h_lag); hist_init(&h_int);
  reject_reasons = xcalloc(65536, sizeof(uint64_t));
  fbuf = xcalloc(14 + (size_t)cfg.opf * NEW_ORDER_BYTES + 16, 1);
  batch_ns = (int64_t)(cfg.batch_us * 1000);
  profile_init();

  ep = epoll_create1(EPOLL_CLOEXEC);
  tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (ep < 0 || tfd < 0) { perror("ordergen: epoll/timerfd"); return 1; }
  struct epoll_event tev = { .events = EPOLLIN, .data.ptr = NULL };
  epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &tev);
  static int stdin_tag;
  struct stat st;
  int stdin_ctl = fstat(0, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
  if (stdin_ctl) { struct epoll_event sev = { .events = EPOLLIN, .data.ptr = &stdin_tag }; epoll_ctl(ep, EPOLL_CTL_ADD, 0, &sev); }
  for (int k = 0; k < nconns; k++) {
    conn *c = &conns[k];
    int fl = fcntl(c->fd, F_GETFL); fcntl(c->fd, F_SETFL, fl | O_NONBLOCK);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
  }
  struct sigaction sga; memset(&sga, 0, sizeof sga); sga.sa_handler = on_signal; sigemptyset(&sga.sa_mask);
  sigaction(SIGTERM, &sga, NULL); sigaction(SIGINT, &sga, NULL);

  printf("{\"event\":\"ready\",\"connected\":%d,\"failed\":%d,\"first_error\":", nconns, connect_failures);
  json_str(first_error);
  printf(",\"planned_total\":%" PRIu64 "}\n", total_orders);
  fflush(stdout);

  if (cfg.rt_priority > 0) {
    struct sched_param sp = { .sched_priority = cfg.rt_priority };
    if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0) { perror("ordergen: --rt-priority: sched_setscheduler(SCHED_FIFO)"); return 1; }
  }
  double cu0, cs0; double cpu0 = cpu_ms(&cu0, &cs0);
  start_ns = mono_ns() + 20000000; /* 20 ms: the ready line is out, the first tick on schedule */
  measure_from_ns = start_ns + (int64_t)llround(cfg.warmup * 1e9);
  next_planned_ns = planned_ns(0);
  sending = total_orders > 0;
  int64_t drain_deadline = 0;
  if (!sending) drain_deadline = start_ns;
  int64_t next_house = start_ns + HOUSEKEEP_NS;
  int64_t progress_ns = (int64_t)(cfg.progress_ms * 1e6);
  int64_t next_progress = progress_ns > 0 ? start_ns + progress_ns : INT64_MAX;
  int64_t spin_ns = (int64_t)(cfg.spin_us * 1000);
  int64_t armed = -1;
  struct epoll_event evs[64];
  char line[256]; size_t ll = 0;
  int stop_req = 0;
  int64_t now = mono_ns();

  for (;;) {
    /* When to tick next: the next planned order (not before one batch after the last send
     * tick), or at once when behind; housekeeping at least every 10 ms. */
    int64_t wake;
    if (sending) {
      if (behind) wake = now;
      else {
        wake = next_planned_ns;
        if (batch_ns > 0 && wake != INT64_MAX) {
          int64_t c = (wake - start_ns + batch_ns - 1) / batch_ns;   /* grid point at or after */
          if (c <= last_tick_cell) c = last_tick_cell + 1;
          wake = start_ns + c * batch_ns;
        }
      }
    } else wake = drain_deadline;
    if (next_house < wake) wake = next_house;
    /* --spin-us: the timer fires spin_ns early and the last stretch polls epoll (timeout 0),
     * reading replies meanwhile. A timer wake-up here is ~50 µs late at the median (and costs
     * ~35 µs CPU) whatever the sleep, so a short spin buys punctual ticks at little extra. */
    int timeout = -1;
    int64_t arm_at = wake - spin_ns;
    if (wake <= now || arm_at <= now) timeout = 0;
    else if (arm_at != armed) {
      struct itimerspec its = { .it_interval = {0, 0}, .it_value = { arm_at / 1000000000LL, arm_at % 1000000000LL } };
      timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
      armed = arm_at;
    }
    int n = epoll_wait(ep, evs, 64, timeout);
    if (timeout != 0) n_wakeups++;
    if (n < 0 && errno != EINTR) { perror("ordergen: epoll_wait"); break; }
    for (int i = 0; i < n; i++) {
      void *tag = evs[i].data.ptr;
      if (tag == NULL) { uint64_t x; if (read(tfd, &x, sizeof x) < 0) {} armed = -1; continue; }
      if (tag == &stdin_tag) {
        ssize_t k = read(0, line + ll, sizeof line - 1 - ll);
        if (k <= 0) { if (k == 0 || errno != EINTR) { stop_req = 1; epoll_ctl(ep, EPOLL_CTL_DEL, 0, NULL); } continue; }
        ll += (size_t)k;
        char *nl;
        while ((nl = memchr(line, '\n', ll)) != NULL) {
          *nl = 0;
          if (!strncmp(line, "stop", 4)) stop_req = 1;
          size_t used = (size_t)(nl - line) + 1;
          memmove(line, nl + 1, ll - used); ll -= used;
        }
        if (ll == sizeof line - 1) ll = 0;
        continue;
      }
      conn *c = tag;
      if (c->fd < 0) continue;
      if (evs[i].events & EPOLLOUT) flush_out(c);
      if (c->fd >= 0 && (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) on_readable(c);
    }
    now = mono_ns();
    if (got_signal) stop_req = 1;
    if (stop_req && sending && next_k < total_orders) total_orders = next_k;
    if (sending && now >= start_ns) send_due(now);
    expire(now);
    if (sending && next_k >= total_orders) { sending = 0; behind = 0; drain_deadline = now + (int64_t)(cfg.drain_ms * 1e6); }
    if (!sending && (pending == 0 || now >= drain_deadline)) break;
    if (now >= next_house) {
      next_house = now + HOUSEKEEP_NS;
      for (int k = 0; k < nconns; k++) {
        conn *c = &conns[k];
        if (c->open && now - c->last_send_ns >= (int64_t)c->hb_ms * 750000) send_heartbeat(c);
      }
      if (now >= next_progress) { progress_line(now); next_progress += progress_ns; if (next_progress < now) next_progress = now + progress_ns; }
    }
  }
  int64_t end_ns = mono_ns();
  double cu1, cs1; double cpu1 = cpu_ms(&cu1, &cs1);
  /* Whatever is still pending after the drain is a timeout. */
  for (int k = 0; k < nconns; k++) {
    conn *c = &conns[k];
    for (uint64_t id = c->head; id < c->tail; id++) {
      uint32_t i = (uint32_t)(id & WMASK);
      if (c->state[i] == PENDING) { c->state[i] = TIMED_OUT; c_timeouts++; }
    }
  }
  pending = 0;
  int open_end = open_count();
  /* LOGOUT (the server discards the session) + close frame, then close. */
  for (int k = 0; k < nconns; k++) {
    conn *c = &conns[k];
    if (!c->open) continue;
    c->closing = 1;
    uint8_t m[4] = {0}; wr16(m, 4); m[2] = T_LOGOUT;
    send_msg(c, m, 4, 2);
    uint8_t cl[2] = { 0x03, 0xe8 };
    send_msg(c, cl, 2, 0x8);
    if (c->olen) { int fl = fcntl(c->fd, F_GETFL); fcntl(c->fd, F_SETFL, fl & ~O_NONBLOCK); flush_out(c); }
    shutdown(c->fd, SHUT_WR);
  }
  /* Wait briefly for the server's close so the sessions end cleanly (<= 500 ms). */
  int64_t close_deadline = mono_ns() + 500000000LL;
  for (int k = 0; k < nconns; k++) {
    conn *c = &conns[k];
    if (c->fd < 0) continue;
    int fl = fcntl(c->fd, F_GETFL); fcntl(c->fd, F_SETFL, fl | O_NONBLOCK);
    uint8_t junk[65536];
    for (;;) {
      ssize_t r = read(c->fd, junk, sizeof junk);
      if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) break;
      if (r < 0 && wait_io(c->fd, POLLIN, close_deadline) <= 0) break;
    }
    close(c->fd); c->fd = -1;
  }

  printf("{\"event\":\"result\",\"engine\":\"native\",\"connections\":%d,\"connect_failures\":%d,\"first_error\":", nconns, connect_failures);
  json_str(first_error);
  printf(",\"open_at_end\":%d,", open_end);
  print_counters();
  printf(",\"send_window_ms\":%.3f,\"total_ms\":%.3f,", last_send_ns > start_ns ? (double)(last_send_ns - start_ns) / 1e6 : 0.0,
         (double)(end_ns - start_ns) / 1e6);
  printf("\"cpu_ms\":{\"user\":%.3f,\"sys\":%.3f,\"total\":%.3f},", cu1 - cu0, cs1 - cs0, cpu1 - cpu0);
  printf("\"wakeups\":%" PRIu64 ",\"reads\":%" PRIu64 ",\"frames_sent\":%" PRIu64 ",\"bytes_in\":%" PRIu64
         ",\"partial_writes\":%" PRIu64 ",\"heartbeats_sent\":%" PRIu64 ",\"batch_us\":%g,\"spin_us\":%g,\"orders_per_frame\":%d,",
         n_wakeups, n_reads, n_frames_out, n_bytes_in, n_partial_writes, n_hb, cfg.batch_us, cfg.spin_us, cfg.opf);
  printf("\"reject_reasons\":{");
  int first = 1;
  for (int r = 0; r < 65536; r++) if (reject_reasons[r]) { printf("%s\"%d\":%" PRIu64, first ? "" : ",", r, reject_reasons[r]); first = 0; }
  printf("},\"error_kinds\":{");
  for (int k = 0; k < nkinds; k++) { if (k) putchar(','); json_str(kinds[k].k); printf(":%" PRIu64, kinds[k].n); }
  if (connect_failures) {
    char k[240]; snprintf(k, sizeof k, "connect: %s", first_error);
    printf("%s", nkinds ? "," : ""); json_str(k); printf(":%d", connect_failures);
  }
  printf("},\"histograms\":{");
  print_hist("corrected", &h_corr); putchar(',');
  print_hist("uncorrected", &h_unc); putchar(',');
  print_hist("lag", &h_lag);
  printf("}}\n");
  fflush(stdout);
  return 0;
}
