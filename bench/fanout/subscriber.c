/*
 * fanout-subscriber: a fleet of N simex market-data subscribers in one process (C11, libc
 * only, Linux epoll). The load tool of bench/e2e-fanout.ts and test/loadgen/fanout-subscriber.
 *
 * Why C: at 1,000 subscribers x 10k updates/s the subscribers must take in 10M market-data
 * messages/s. The JS fleet (`ws` clients in piscina threads, bench/e2e-fanout-worker.ts)
 * spends far more CPU per message than the server spends producing it, saturates this
 * 2-core machine and caps the driver at ~1.1-1.4k updates/s (PERFORMANCE.md, fan-out rows):
 * it measures itself, not the server. Like wrk for HTTP, a load tool must be much cheaper
 * than the system under test. Here a connection costs one read() per server frame (a
 * paced frame carries every message of ~5 ms) and a message costs a few loads and
 * compares; no allocation after setup.
 *
 * Build:  cc -O2 -pthread -o build/fanout-subscriber bench/fanout/subscriber.c
 *         (bench/fanout/build.ts does it when the binary is missing or older than this file)
 *
 * Usage:  fanout-subscriber --url ws://127.0.0.1:PORT/ws/v1 [--connections N] [--symbol S |
 *         --instrument ID] [--account-base A] [--threads T] [--duration SEC]
 *         [--connect-timeout-ms MS] [--test-skip-every K] [--per-conn]
 *   --url            ws:// only, numeric IPv4 host (the server runs on loopback).
 *   --connections    subscribers (default 1000); connection i logs in as account A+i
 *                    (A default 500000) with a new session.
 *   --symbol         instrument to subscribe, resolved from the INSTRUMENT list after
 *                    LOGIN_ACK (default BTCUSD); --instrument ID overrides it.
 *   --threads        epoll threads (default 1); connections are split evenly.
 *   --duration       stop after SEC seconds of the run (0 = until told, the default).
 *   --test-skip-every K  test only: drop every Kth new market-data message of a connection
 *                    before accounting (planted gaps; reported as "skipped").
 *   --per-conn       add a per-connection array ("conns") to the result.
 *
 * Per connection: TCP connect (at most 64 handshakes in flight per thread), HTTP/1.1
 * upgrade with a fixed Sec-WebSocket-Key (only the 101 status is checked), LOGIN
 * {version 1, session 0, account}, then once LOGIN_ACK and its INSTRUMENT list are in,
 * SUBSCRIBE {flags SNAPSHOT, [instrument]}. Client frames are masked (RFC 6455).
 * Server frames: binary, 7/16/64-bit lengths, split across reads or several per read,
 * fragmented messages reassembled; ping answered with pong; close frame closes.
 *
 * Accounting per connection (docs/PROTOCOL.md section 4): the SNAPSHOT's mdSeq S (parts
 * share it; complete at flags LAST) starts the stream; then every MD_L2/MD_TRADE of the
 * instrument must come with mdSeq = last + 1. mdSeq <= last is a duplicate (the paced
 * topic may deliver messages the snapshot already includes) and is not counted; mdSeq >
 * last + 1 is a gap of (mdSeq - last - 1) missed messages. Updates received before the
 * snapshot are kept as one contiguous run [first, last] and reconciled with S when it
 * arrives (the run must reach S + 1; its part above S counts as delivered).
 * NOTICE MARKET_DATA_DROPPED (124) is counted; DISCONNECT is counted by reason, a close
 * without DISCONNECT as "closed". Heartbeats: CLIENT_HEARTBEAT whenever a connection has
 * sent nothing for LOGIN_ACK.heartbeatMs (the server drops a peer silent for 3x that).
 *
 * Delivery latency: receive time (CLOCK_REALTIME, read once per read() call) minus the
 * message's server ts (µs since epoch, the server's clock: same machine), for every
 * counted message, into a log-bucket histogram with 16 sub-buckets per power of two
 * (values reported as the bucket's upper bound: <= 6.25% high; exact below 16 µs; max
 * and mean exact). Negative differences (clock rounding) count as 0.
 *
 * Control: SIGTERM/SIGINT stop the run. When stdin is a pipe or socket it takes lines:
 *   status            -> one {"event":"status",...} line (live, open, min/max last mdSeq)
 *   stop              -> stop now
 *   until SEQ MS      -> stop once every live connection's last mdSeq >= SEQ (closed ones
 *                        excluded: they cannot catch up), or after MS milliseconds
 *   EOF               -> stop (the parent went away)
 * Output (stdout, one JSON object per line): {"event":"ready",...} once every connection
 * is live (snapshot in) or failed, then {"event":"result",...} at the end. The result has
 * requested/connected/failed counts, messages, duplicates, gaps, missed, skipped, last and
 * snapshot mdSeq (min/max over connections that went live), drop notices, disconnects by
 * reason, latency percentiles, frames, bytes, heartbeats, and getrusage CPU time.
 * max_send_gap_ms is the longest a logged-in connection went without sending (the fleet's
 * own heartbeat punctuality); max_silence_at_disconnect_ms is that silence when a DISCONNECT
 * arrived: a HEARTBEAT_TIMEOUT with a silence well below 3 x heartbeatMs means the server
 * did not read our heartbeats in time (it was stalled), not that we failed to send them.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "../lib/ws-client.h"

/* ---------------------------------------------------------------- protocol constants */
/* Message types and offsets: src/protocol/messages.ts (docs/PROTOCOL.md section 8). */
enum {
  T_LOGIN = 1, T_CLIENT_HEARTBEAT = 3, T_SUBSCRIBE = 20,
  T_LOGIN_ACK = 64, T_LOGIN_REJECT = 65, T_INSTRUMENT = 66, T_SERVER_HEARTBEAT = 67,
  T_NOTICE = 68, T_DISCONNECT = 69, T_MD_L2 = 100, T_MD_TRADE = 101, T_SNAPSHOT = 102,
};
enum { R_MARKET_DATA_DROPPED = 124 };
#define PROTOCOL_VERSION 1
#define SUBSCRIBE_SNAPSHOT 1
#define SNAPSHOT_LAST 1
#define MAX_REASON 1024 /* reason codes are u16; counted up to this, the rest as "other" */

/* ---------------------------------------------------------------- sizes and limits */
#define INIT_BUF (16 * 1024)  /* per-connection receive buffer; grows to the largest frame */
#define OUT_CAP 512           /* per-connection unsent client bytes (frames are <= 38 B) */
#define MAX_HANDSHAKES 64     /* connects + upgrades in flight per thread */
#define TICK_MS 10            /* timer granularity: heartbeats, connect pacing, timeouts */

enum { S_IDLE, S_CONNECTING, S_HTTP, S_LOGIN, S_SUBSCRIBING, S_LIVE, S_CLOSED };

typedef struct conn {
  int fd;
  int idx;
  _Atomic int state;
  int was_live;
  int failed;
  int got_disconnect;
  int disc_reason;          /* DISCONNECT reason, or -1 for a close without one, 0 none */
  int hb_ms;
  int inst;                 /* resolved instrument id, -1 until known */
  int instr_expected, instr_seen;
  int snap_pending;         /* SNAPSHOT part 0 seen, LAST not yet */
  uint64_t snap_part_seq;
  int64_t last_send_ms;
  int64_t started_ms;
  uint32_t mask_rng;
  uint8_t *buf; size_t cap, len;          /* inbound bytes not yet consumed */
  uint8_t *frag; size_t fcap, flen;       /* a fragmented message being reassembled */
  uint8_t out[OUT_CAP]; size_t olen;      /* client bytes the socket did not take yet */
  int want_out;
  /* stream accounting (read racily by the control thread: atomics, relaxed) */
  _Atomic uint64_t last;    /* last mdSeq accounted after the snapshot */
  _Atomic uint64_t msgs;    /* messages counted (new mdSeq, after snapshot) */
  _Atomic uint64_t gaps;
  int have_snap;
  uint64_t snap_seq;
  uint64_t missed, dups, skipped, skip_ctr;
  uint64_t pre_first, pre_last, pre_count;
} conn;

#define NBUCKETS (16 + 60 * 16)
typedef struct hist {
  uint64_t b[NBUCKETS];
  uint64_t count, sum, max, min;
} hist;

typedef struct worker {
  pthread_t th;
  int id;
  int ep;
  conn *c; int n;           /* this worker's connections */
  int next_start;           /* next connection to start */
  int handshakes;           /* in flight */
  hist lat;
  uint64_t frames, bytes, reads, hb_sent, server_hb, drop_notices, other_notices, proto_errors;
  int hb_ms;                /* LOGIN_ACK.heartbeatMs (the server's timeout is 3x) */
  int64_t max_send_gap_ms;  /* longest silence of a logged-in connection (our heartbeat margin) */
  int64_t max_silence_at_disconnect_ms; /* time since our last send when a DISCONNECT arrived */
  uint64_t disc[MAX_REASON + 1];
  uint64_t closed_plain;
  char first_error[160];
} worker;

/* ---------------------------------------------------------------- configuration */
static struct {
  char host[64]; int port; char path[256];
  int connections; char symbol[17]; int instrument; uint32_t account_base;
  int threads; double duration; int connect_timeout_ms; uint64_t skip_every; int per_conn;
} cfg = { "127.0.0.1", 0, "/ws/v1", 1000, "BTCUSD", -1, 500000, 1, 0, 30000, 0, 0 };

static struct sockaddr_in server_addr;
static atomic_int stop_flag;
static atomic_int live_count, failed_count;
static volatile sig_atomic_t got_signal;
static int64_t run_start_ms;

/* ---------------------------------------------------------------- small helpers */
static int64_t now_realtime_us(void) {
  struct timespec ts; clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
static int64_t now_ms(void) {
  struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_error(worker *w, const char *fmt, int idx, const char *what) {
  if (w->first_error[0]) return;
  snprintf(w->first_error, sizeof w->first_error, fmt, idx, what);
}

/* ---------------------------------------------------------------- histogram (µs) */
static inline int hist_index(uint64_t v) {
  if (v < 16) return (int)v;
  int e = 63 - __builtin_clzll(v);         /* >= 4 */
  int idx = 16 + (e - 4) * 16 + (int)((v >> (e - 4)) & 15);
  return idx < NBUCKETS ? idx : NBUCKETS - 1;
}
static uint64_t hist_upper(int idx) {
  if (idx < 16) return (uint64_t)idx;
  int e = (idx - 16) / 16 + 4, sub = (idx - 16) % 16;
  return (((uint64_t)(16 + sub + 1)) << (e - 4)) - 1;
}
static inline void hist_add(hist *h, int64_t v) {
  uint64_t u = v < 0 ? 0 : (uint64_t)v;
  h->b[hist_index(u)]++;
  h->count++; h->sum += u;
  if (u > h->max) h->max = u;
  if (h->count == 1 || u < h->min) h->min = u;
}
static void hist_merge(hist *d, const hist *s) {
  for (int i = 0; i < NBUCKETS; i++) d->b[i] += s->b[i];
  if (s->count) {
    if (!d->count || s->min < d->min) d->min = s->min;
    if (s->max > d->max) d->max = s->max;
  }
  d->count += s->count; d->sum += s->sum;
}
static uint64_t hist_pct(const hist *h, double pct) {
  if (!h->count) return 0;
  uint64_t want = (uint64_t)((pct / 100.0) * (double)h->count + 0.999999);
  if (want < 1) want = 1;
  uint64_t acc = 0;
  for (int i = 0; i < NBUCKETS; i++) {
    acc += h->b[i];
    if (acc >= want) { uint64_t u = hist_upper(i); return u > h->max ? h->max : u; }
  }
  return h->max;
}

/* ---------------------------------------------------------------- sending */
static void conn_close(worker *w, conn *c, int failed_reason_plain);

static void want_out(worker *w, conn *c, int on) {
  if (c->want_out == on) return;
  c->want_out = on;
  struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c };
  epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Queue/send raw bytes in order. Returns -1 if the connection had to be closed. */
static int send_raw(worker *w, conn *c, const uint8_t *p, size_t n) {
  if (c->olen == 0) {
    ssize_t k = write(c->fd, p, n);
    if (k < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) { conn_close(w, c, 1); return -1; }
      k = 0;
    }
    p += k; n -= (size_t)k;
    if (n == 0) return 0;
  }
  if (c->olen + n > OUT_CAP) { set_error(w, "conn %d: %s", c->idx, "client output backlog overflow"); conn_close(w, c, 1); return -1; }
  memcpy(c->out + c->olen, p, n);
  c->olen += n;
  want_out(w, c, 1);
  return 0;
}

static void flush_out(worker *w, conn *c) {
  while (c->olen) {
    ssize_t k = write(c->fd, c->out, c->olen);
    if (k < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      conn_close(w, c, 1); return;
    }
    memmove(c->out, c->out + k, c->olen - (size_t)k);
    c->olen -= (size_t)k;
  }
  want_out(w, c, 0);
}


/* One masked binary frame (client -> server must be masked, RFC 6455 5.3); n <= 125. */
static int send_frame(worker *w, conn *c, const uint8_t *payload, size_t n) {
  uint8_t f[2 + 4 + 125];
  uint32_t key = xorshift(&c->mask_rng);
  f[0] = 0x82; f[1] = (uint8_t)(0x80 | n);
  memcpy(f + 2, &key, 4);
  for (size_t i = 0; i < n; i++) f[6 + i] = payload[i] ^ f[2 + (i & 3)];
  int64_t t = now_ms();
  if (c->hb_ms > 0 && t - c->last_send_ms > w->max_send_gap_ms) w->max_send_gap_ms = t - c->last_send_ms;
  c->last_send_ms = t;
  return send_raw(w, c, f, 6 + n);
}

static int send_control(worker *w, conn *c, uint8_t opcode, const uint8_t *payload, size_t n) {
  uint8_t f[2 + 4 + 125];
  if (n > 125) n = 125;
  uint32_t key = xorshift(&c->mask_rng);
  f[0] = (uint8_t)(0x80 | opcode); f[1] = (uint8_t)(0x80 | n);
  memcpy(f + 2, &key, 4);
  for (size_t i = 0; i < n; i++) f[6 + i] = payload[i] ^ f[2 + (i & 3)];
  return send_raw(w, c, f, 6 + n);
}

static int send_login(worker *w, conn *c) {
  uint8_t m[32] = {0};
  wr16(m, 32); m[2] = T_LOGIN; m[4] = PROTOCOL_VERSION;
  /* sessionId 0 (new), nextExpectedSeq 0 (no replay) */
  wr32(m + 24, cfg.account_base + (uint32_t)c->idx);
  return send_frame(w, c, m, sizeof m);
}

static int send_subscribe(worker *w, conn *c) {
  uint8_t m[10] = {0};
  wr16(m, 10); m[2] = T_SUBSCRIBE; m[4] = SUBSCRIBE_SNAPSHOT; wr16(m + 6, 1); wr16(m + 8, (uint16_t)c->inst);
  return send_frame(w, c, m, sizeof m);
}

static int send_heartbeat(worker *w, conn *c) {
  uint8_t m[24] = {0};
  wr16(m, 24); m[2] = T_CLIENT_HEARTBEAT;
  wr64(m + 8, (uint64_t)now_realtime_us());
  w->hb_sent++;
  return send_frame(w, c, m, sizeof m);
}

/* ---------------------------------------------------------------- lifecycle */
static void conn_fail(worker *w, conn *c, const char *why) {
  set_error(w, "conn %d: %s", c->idx, why);
  conn_close(w, c, 0);
}

static void conn_close(worker *w, conn *c, int plain) {
  int st = atomic_load_explicit(&c->state, memory_order_relaxed);
  if (st == S_CLOSED || st == S_IDLE) return;
  if (st != S_LIVE && !c->was_live && !c->failed) {
    c->failed = 1;
    atomic_fetch_add(&failed_count, 1);
    if (plain) set_error(w, "conn %d: %s", c->idx, "connection closed during setup");
  }
  if (st < S_LOGIN) w->handshakes--;
  if (c->was_live && !c->got_disconnect && !atomic_load(&stop_flag)) {
    c->disc_reason = -1;
    w->closed_plain++;
  }
  epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  c->fd = -1;
  atomic_store_explicit(&c->state, S_CLOSED, memory_order_relaxed);
}

static void conn_start(worker *w, conn *c) {
  c->started_ms = now_ms();
  c->buf = malloc(INIT_BUF); c->cap = INIT_BUF; c->len = 0;
  if (!c->buf) { fprintf(stderr, "out of memory\n"); exit(2); }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    c->fd = -1; c->failed = 1; atomic_fetch_add(&failed_count, 1);
    set_error(w, "conn %d: socket: %s", c->idx, strerror(errno));
    atomic_store(&c->state, S_CLOSED);
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->fd = fd;
  atomic_store(&c->state, S_CONNECTING);
  w->handshakes++;
  struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
  c->want_out = 1;
  epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev);
  if (connect(fd, (struct sockaddr *)&server_addr, sizeof server_addr) < 0 && errno != EINPROGRESS) {
    conn_fail(w, c, strerror(errno));
  }
}

static void on_connected(worker *w, conn *c) {
  int err = 0; socklen_t el = sizeof err;
  getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
  if (err) { conn_fail(w, c, strerror(err)); return; }
  char req[512];
  int n = snprintf(req, sizeof req,
    "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    cfg.path, cfg.host, cfg.port);
  atomic_store(&c->state, S_HTTP);
  want_out(w, c, 0);
  send_raw(w, c, (const uint8_t *)req, (size_t)n);
}

/* ---------------------------------------------------------------- market data accounting */
static inline void on_md(worker *w, conn *c, uint64_t seq, int64_t ts, int64_t now_us) {
  if (!c->have_snap) {
    /* Before the snapshot: one contiguous run, reconciled in on_snapshot. */
    if (c->pre_count == 0) { c->pre_first = c->pre_last = seq; }
    else if (seq == c->pre_last + 1) c->pre_last = seq;
    else if (seq <= c->pre_last) { c->dups++; return; }
    else { atomic_fetch_add_explicit(&c->gaps, 1, memory_order_relaxed); c->missed += seq - c->pre_last - 1; c->pre_last = seq; }
    c->pre_count++;
    return;
  }
  uint64_t last = atomic_load_explicit(&c->last, memory_order_relaxed);
  if (seq <= last) { c->dups++; return; }
  if (cfg.skip_every && ++c->skip_ctr % cfg.skip_every == 0) { c->skipped++; return; }
  if (seq != last + 1) {
    atomic_store_explicit(&c->gaps, atomic_load_explicit(&c->gaps, memory_order_relaxed) + 1, memory_order_relaxed);
    c->missed += seq - last - 1;
  }
  atomic_store_explicit(&c->last, seq, memory_order_relaxed);
  atomic_store_explicit(&c->msgs, atomic_load_explicit(&c->msgs, memory_order_relaxed) + 1, memory_order_relaxed);
  hist_add(&w->lat, now_us - ts);
}

static void on_snapshot(worker *w, conn *c, uint64_t s) {
  (void)w;
  c->have_snap = 1;
  c->snap_seq = s;
  uint64_t last = s;
  if (c->pre_count) {
    if (c->pre_first > s + 1) { atomic_fetch_add(&c->gaps, 1); c->missed += c->pre_first - s - 1; }
    if (c->pre_last > s) {
      uint64_t lo = c->pre_first > s ? c->pre_first - 1 : s;
      atomic_fetch_add(&c->msgs, c->pre_last - lo);
      last = c->pre_last;
    }
  }
  atomic_store(&c->last, last);
  if (!c->was_live) {
    c->was_live = 1;
    atomic_store(&c->state, S_LIVE);
    atomic_fetch_add(&live_count, 1);
  }
}

/* Walk the messages of one complete WebSocket message (docs/PROTOCOL.md section 1). */
static void walk(worker *w, conn *c, const uint8_t *d, size_t n, int64_t now_us) {
  size_t p = 0;
  int subscribe_now = 0;
  while (p + 4 <= n) {
    const uint8_t *m = d + p;
    uint16_t len = rd16(m);
    uint8_t type = m[2];
    if (len < 4 || p + len > n) { w->proto_errors++; break; }
    switch (type) {
      case T_MD_L2:
      case T_MD_TRADE:
        if (len >= 24 && (int)rd16(m + 4) == c->inst) on_md(w, c, rd64(m + 8), (int64_t)rd64(m + 16), now_us);
        break;
      case T_SNAPSHOT:
        if (len >= 32 && (int)rd16(m + 4) == c->inst) {
          if (rd16(m + 24) == 0) { c->snap_pending = 1; c->snap_part_seq = rd64(m + 8); }
          if ((m[6] & SNAPSHOT_LAST) && c->snap_pending) {
            c->snap_pending = 0;
            if (!c->have_snap) on_snapshot(w, c, c->snap_part_seq);
            /* a later snapshot (not requested by us) changes nothing: mdSeq keeps counting */
          }
        }
        break;
      case T_LOGIN_ACK:
        if (len >= 40) {
          c->hb_ms = (int)rd32(m + 32);
          if (c->hb_ms <= 0) c->hb_ms = 1000;
          w->hb_ms = c->hb_ms;
          c->instr_expected = rd16(m + 6);
          c->instr_seen = 0;
          if (c->instr_expected == 0) subscribe_now = 1;
        }
        break;
      case T_LOGIN_REJECT: {
        char why[64]; snprintf(why, sizeof why, "LOGIN_REJECT reason %u", len >= 6 ? rd16(m + 4) : 0);
        conn_fail(w, c, why);
        return;
      }
      case T_INSTRUMENT:
        if (len >= 32) {
          c->instr_seen++;
          if (cfg.instrument < 0) {
            char sym[17]; memcpy(sym, m + 16, 16); sym[16] = 0;
            if (strcmp(sym, cfg.symbol) == 0) c->inst = rd16(m + 4);
          }
          if (c->instr_seen == c->instr_expected) subscribe_now = 1;
        }
        break;
      case T_SERVER_HEARTBEAT: w->server_hb++; break;
      case T_NOTICE:
        if (len >= 6 && rd16(m + 4) == R_MARKET_DATA_DROPPED) w->drop_notices++;
        else w->other_notices++;
        break;
      case T_DISCONNECT: {
        unsigned r = len >= 6 ? rd16(m + 4) : 0;
        w->disc[r < MAX_REASON ? r : MAX_REASON]++;
        c->got_disconnect = 1;
        c->disc_reason = (int)r;
        int64_t quiet = now_ms() - c->last_send_ms;
        if (quiet > w->max_silence_at_disconnect_ms) w->max_silence_at_disconnect_ms = quiet;
        break;
      }
      default: break; /* execution reports etc.: not ours; unknown types are skipped */
    }
    p += len;
  }
  if (subscribe_now && atomic_load(&c->state) == S_LOGIN) {
    if (c->inst < 0) { conn_fail(w, c, "symbol not in the INSTRUMENT list"); return; }
    atomic_store(&c->state, S_SUBSCRIBING);
    send_subscribe(w, c);
  }
}

/* Parse the WebSocket frames in c->buf; keep an incomplete tail. */
static void parse_frames(worker *w, conn *c, int64_t now_us) {
  size_t p = 0;
  while (atomic_load_explicit(&c->state, memory_order_relaxed) != S_CLOSED && c->len - p >= 2) {
    uint8_t *f = c->buf + p;
    size_t avail = c->len - p, hdr;
    uint64_t plen;
    int op, fin;
    int r = ws_frame(f, avail, &hdr, &plen, &op, &fin);
    if (r == WS_FRAME_TOO_LARGE) { w->proto_errors++; conn_fail(w, c, "frame too large"); return; }
    if (r == WS_FRAME_MORE) {
      if (hdr + plen > c->cap) {
        /* Move the partial frame to the front and make room for all of it. */
        memmove(c->buf, f, avail); c->len = avail; p = 0;
        if (ensure_cap(&c->buf, &c->cap, hdr + plen, INIT_BUF)) { conn_fail(w, c, "out of memory"); return; }
      }
      break;
    }
    uint8_t *pl = f + hdr;
    w->frames++;
    if (op == 0x2 || op == 0x0) {
      if (op == 0x2 && fin && c->flen == 0) walk(w, c, pl, plen, now_us);
      else {
        /* Fragmented message: reassemble, walk at FIN. */
        if (op == 0x2) c->flen = 0;
        if (ensure_cap(&c->frag, &c->fcap, c->flen + plen, INIT_BUF)) { conn_fail(w, c, "out of memory"); return; }
        memcpy(c->frag + c->flen, pl, plen); c->flen += plen;
        if (fin) { walk(w, c, c->frag, c->flen, now_us); c->flen = 0; }
      }
    } else if (op == 0x9) {
      send_control(w, c, 0xA, pl, plen);
    } else if (op == 0x8) {
      conn_close(w, c, 1);
      return;
    } else if (op == 0x1) {
      w->proto_errors++; /* the server never sends text on /ws/v1 */
    } /* 0xA pong: ignore */
    p += hdr + plen;
  }
  if (atomic_load_explicit(&c->state, memory_order_relaxed) == S_CLOSED) return;
  if (p > 0) { memmove(c->buf, c->buf + p, c->len - p); c->len -= p; }
}

static void on_http(worker *w, conn *c, int64_t now_us) {
  uint8_t *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
  if (!end) {
    if (c->len == c->cap) conn_fail(w, c, "HTTP response headers too large");
    return;
  }
  if (c->len < 12 || memcmp(c->buf, "HTTP/1.1 101", 12) != 0) {
    char why[96]; size_t k = 0;
    while (k < c->len && k < 60 && c->buf[k] != '\r') k++;
    snprintf(why, sizeof why, "upgrade refused: %.*s", (int)k, (const char *)c->buf);
    conn_fail(w, c, why);
    return;
  }
  size_t h = (size_t)(end - c->buf) + 4;
  memmove(c->buf, c->buf + h, c->len - h); c->len -= h;
  w->handshakes--;
  atomic_store(&c->state, S_LOGIN);
  if (send_login(w, c) < 0) return;
  if (c->len) parse_frames(w, c, now_us);
}

static void on_readable(worker *w, conn *c) {
  if (c->cap - c->len < 1024 && ensure_cap(&c->buf, &c->cap, c->cap * 2, INIT_BUF)) { conn_fail(w, c, "out of memory"); return; }
  ssize_t k = read(c->fd, c->buf + c->len, c->cap - c->len);
  if (k == 0) { conn_close(w, c, 1); return; }
  if (k < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    conn_close(w, c, 1);
    return;
  }
  w->reads++;
  w->bytes += (uint64_t)k;
  c->len += (size_t)k;
  int64_t now_us = now_realtime_us();
  if (atomic_load_explicit(&c->state, memory_order_relaxed) == S_HTTP) on_http(w, c, now_us);
  else parse_frames(w, c, now_us);
}

/* ---------------------------------------------------------------- worker loop */
static void tick(worker *w) {
  int64_t t = now_ms();
  while (w->next_start < w->n && w->handshakes < MAX_HANDSHAKES) conn_start(w, &w->c[w->next_start++]);
  for (int i = 0; i < w->next_start; i++) {
    conn *c = &w->c[i];
    int st = atomic_load_explicit(&c->state, memory_order_relaxed);
    if (st == S_CLOSED || st == S_IDLE) continue;
    if (st != S_LIVE && !c->was_live && t - c->started_ms > cfg.connect_timeout_ms) { conn_fail(w, c, "setup timed out"); continue; }
    if (st >= S_LOGIN && c->hb_ms > 0 && t - c->last_send_ms >= c->hb_ms) send_heartbeat(w, c);
  }
}

static void *worker_main(void *arg) {
  worker *w = arg;
  struct epoll_event evs[512];
  int64_t next_tick = 0;
  while (!atomic_load_explicit(&stop_flag, memory_order_relaxed)) {
    int64_t t = now_ms();
    if (t >= next_tick) { tick(w); next_tick = t + TICK_MS; }
    int timeout = (int)(next_tick - now_ms());
    if (timeout < 0) timeout = 0;
    int n = epoll_wait(w->ep, evs, 512, timeout);
    for (int i = 0; i < n; i++) {
      /* Timers between events too: one event can be a multi-MB read when the server sends
       * big frames, and a late heartbeat would get us disconnected. */
      if (i > 0 && (i & 15) == 0) {
        int64_t t2 = now_ms();
        if (t2 >= next_tick) { tick(w); next_tick = t2 + TICK_MS; }
      }
      conn *c = evs[i].data.ptr;
      int st = atomic_load_explicit(&c->state, memory_order_relaxed);
      if (st == S_CLOSED) continue;
      uint32_t e = evs[i].events;
      if (st == S_CONNECTING) {
        if (e & (EPOLLOUT | EPOLLERR | EPOLLHUP)) on_connected(w, c);
        continue;
      }
      if (e & EPOLLOUT) flush_out(w, c);
      if (atomic_load_explicit(&c->state, memory_order_relaxed) == S_CLOSED) continue;
      if (e & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(w, c);
    }
  }
  return NULL;
}

/* ---------------------------------------------------------------- control and output */
static worker *workers;
static conn *all;

static void status_line(const char *event) {
  uint64_t mn = UINT64_MAX, mx = 0, msgs = 0, gaps = 0;
  int open = 0;
  for (int i = 0; i < cfg.connections; i++) {
    conn *c = &all[i];
    int st = atomic_load_explicit(&c->state, memory_order_relaxed);
    if (st == S_LIVE) {
      open++;
      uint64_t l = atomic_load_explicit(&c->last, memory_order_relaxed);
      if (l < mn) mn = l;
      if (l > mx) mx = l;
    }
    msgs += atomic_load_explicit(&c->msgs, memory_order_relaxed);
    gaps += atomic_load_explicit(&c->gaps, memory_order_relaxed);
  }
  if (mn == UINT64_MAX) mn = 0;
  printf("{\"event\":\"%s\",\"live\":%d,\"failed\":%d,\"open\":%d,\"min_last_seq\":%" PRIu64 ",\"max_last_seq\":%" PRIu64
         ",\"messages\":%" PRIu64 ",\"gaps\":%" PRIu64 "}\n",
         event, atomic_load(&live_count), atomic_load(&failed_count), open, mn, mx, msgs, gaps);
  fflush(stdout);
}

/* 1 when every live connection has last mdSeq >= seq. */
static int all_reached(uint64_t seq) {
  for (int i = 0; i < cfg.connections; i++) {
    conn *c = &all[i];
    if (atomic_load_explicit(&c->state, memory_order_relaxed) != S_LIVE) continue;
    if (atomic_load_explicit(&c->last, memory_order_relaxed) < seq) return 0;
  }
  return 1;
}

static void result_line(int64_t wall_ms) {
  hist lat; memset(&lat, 0, sizeof lat);
  uint64_t frames = 0, bytes = 0, reads = 0, hb = 0, shb = 0, drops = 0, notices = 0, perr = 0, plain = 0;
  int64_t gap = 0, quiet = 0;
  int hb_ms = 0;
  uint64_t disc[MAX_REASON + 1]; memset(disc, 0, sizeof disc);
  const char *first_error = "";
  for (int t = 0; t < cfg.threads; t++) {
    worker *w = &workers[t];
    hist_merge(&lat, &w->lat);
    frames += w->frames; bytes += w->bytes; reads += w->reads; hb += w->hb_sent; shb += w->server_hb;
    drops += w->drop_notices; notices += w->other_notices; perr += w->proto_errors; plain += w->closed_plain;
    if (w->max_send_gap_ms > gap) gap = w->max_send_gap_ms;
    if (w->hb_ms) hb_ms = w->hb_ms;
    if (w->max_silence_at_disconnect_ms > quiet) quiet = w->max_silence_at_disconnect_ms;
    for (int r = 0; r <= MAX_REASON; r++) disc[r] += w->disc[r];
    if (!first_error[0] && w->first_error[0]) first_error = w->first_error;
  }
  uint64_t msgs = 0, gaps = 0, missed = 0, dups = 0, skipped = 0, with_gaps = 0, expected = 0;
  uint64_t lmin = UINT64_MAX, lmax = 0, smin = UINT64_MAX, smax = 0;
  int connected = 0, open = 0;
  for (int i = 0; i < cfg.connections; i++) {
    conn *c = &all[i];
    if (!c->was_live) continue;
    connected++;
    if (atomic_load(&c->state) == S_LIVE) open++;
    uint64_t l = atomic_load(&c->last), g = atomic_load(&c->gaps);
    msgs += atomic_load(&c->msgs); gaps += g; missed += c->missed; dups += c->dups; skipped += c->skipped;
    if (g) with_gaps++;
    expected += l - c->snap_seq;
    if (l < lmin) lmin = l;
    if (l > lmax) lmax = l;
    if (c->snap_seq < smin) smin = c->snap_seq;
    if (c->snap_seq > smax) smax = c->snap_seq;
  }
  if (!connected) lmin = smin = 0;
  struct rusage ru; getrusage(RUSAGE_SELF, &ru);
  double ucpu = ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3;
  double scpu = ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
  printf("{\"event\":\"result\",\"fleet\":\"c\",\"requested\":%d,\"connected\":%d,\"failed\":%d,\"open_at_end\":%d,",
         cfg.connections, connected, atomic_load(&failed_count), open);
  printf("\"first_error\":"); json_str(first_error);
  printf(",\"instrument\":"); json_str(cfg.symbol);
  printf(",\"messages\":%" PRIu64 ",\"expected_from_snapshots\":%" PRIu64 ",\"duplicates\":%" PRIu64 ",\"gaps\":%" PRIu64
         ",\"missed\":%" PRIu64 ",\"skipped\":%" PRIu64 ",\"connections_with_gaps\":%" PRIu64 ",",
         msgs, expected, dups, gaps, missed, skipped, with_gaps);
  printf("\"last_seq\":{\"min\":%" PRIu64 ",\"max\":%" PRIu64 "},\"snapshot_seq\":{\"min\":%" PRIu64 ",\"max\":%" PRIu64 "},",
         lmin, lmax, smin, smax);
  printf("\"drop_notices\":%" PRIu64 ",\"other_notices\":%" PRIu64 ",\"disconnects\":{", drops, notices);
  int first = 1;
  for (int r = 0; r <= MAX_REASON; r++) if (disc[r]) {
    printf("%s\"%s%d\":%" PRIu64, first ? "" : ",", r == MAX_REASON ? ">=" : "", r, disc[r]); first = 0;
  }
  if (plain) { printf("%s\"closed\":%" PRIu64, first ? "" : ",", plain); }
  printf("},\"protocol_errors\":%" PRIu64 ",", perr);
  printf("\"latency_us\":{\"count\":%" PRIu64 ",\"min\":%" PRIu64 ",\"mean\":%.1f,\"p50\":%" PRIu64 ",\"p90\":%" PRIu64
         ",\"p95\":%" PRIu64 ",\"p99\":%" PRIu64 ",\"p999\":%" PRIu64 ",\"p9999\":%" PRIu64 ",\"max\":%" PRIu64 "},",
         lat.count, lat.min, lat.count ? (double)lat.sum / (double)lat.count : 0.0,
         hist_pct(&lat, 50), hist_pct(&lat, 90), hist_pct(&lat, 95), hist_pct(&lat, 99), hist_pct(&lat, 99.9),
         hist_pct(&lat, 99.99), lat.max);
  printf("\"frames\":%" PRIu64 ",\"reads\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"heartbeats_sent\":%" PRIu64
         ",\"server_heartbeats\":%" PRIu64 ",\"heartbeat_ms\":%d,\"max_send_gap_ms\":%" PRId64 ",\"max_silence_at_disconnect_ms\":%" PRId64 ",\"threads\":%d,\"wall_ms\":%" PRId64 ",\"cpu_ms\":{\"user\":%.1f,\"sys\":%.1f}",
         frames, reads, bytes, hb, shb, hb_ms, gap, quiet, cfg.threads, wall_ms, ucpu, scpu);
  if (cfg.per_conn) {
    printf(",\"conns\":[");
    for (int i = 0; i < cfg.connections; i++) {
      conn *c = &all[i];
      printf("%s{\"i\":%d,\"live\":%s,\"open\":%s,\"snap\":%" PRIu64 ",\"last\":%" PRIu64 ",\"msgs\":%" PRIu64 ",\"gaps\":%" PRIu64
             ",\"missed\":%" PRIu64 ",\"dups\":%" PRIu64 ",\"skipped\":%" PRIu64 ",\"disconnect\":%d}",
             i ? "," : "", i, c->was_live ? "true" : "false", atomic_load(&c->state) == S_LIVE ? "true" : "false",
             c->snap_seq, atomic_load(&c->last), atomic_load(&c->msgs), atomic_load(&c->gaps), c->missed, c->dups,
             c->skipped, c->disc_reason);
    }
    printf("]");
  }
  printf("}\n");
  fflush(stdout);
}

static void on_signal(int sig) { (void)sig; got_signal = 1; }

static void usage(const char *why) {
  fprintf(stderr, "fanout-subscriber: %s\nusage: fanout-subscriber --url ws://127.0.0.1:PORT/ws/v1 [--connections N] "
          "[--symbol S | --instrument ID] [--account-base A] [--threads T] [--duration SEC] "
          "[--connect-timeout-ms MS] [--test-skip-every K] [--per-conn]\n", why);
  exit(2);
}

static void parse_url(const char *u) {
  const char *err = parse_ws_url(u, cfg.host, sizeof cfg.host, &cfg.port, cfg.path, sizeof cfg.path);
  if (err) usage(err);
}

int main(int argc, char **argv) {
  int have_url = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDV() do { if (!v) usage("missing value"); i++; } while (0)
    if (!strcmp(a, "--url")) { NEEDV(); parse_url(v); have_url = 1; }
    else if (!strcmp(a, "--connections") || !strcmp(a, "--subscribers")) { NEEDV(); cfg.connections = atoi(v); }
    else if (!strcmp(a, "--symbol")) { NEEDV(); snprintf(cfg.symbol, sizeof cfg.symbol, "%s", v); }
    else if (!strcmp(a, "--instrument")) { NEEDV(); cfg.instrument = atoi(v); }
    else if (!strcmp(a, "--account-base")) { NEEDV(); cfg.account_base = (uint32_t)strtoul(v, NULL, 10); }
    else if (!strcmp(a, "--threads")) { NEEDV(); cfg.threads = atoi(v); }
    else if (!strcmp(a, "--duration")) { NEEDV(); cfg.duration = atof(v); }
    else if (!strcmp(a, "--connect-timeout-ms")) { NEEDV(); cfg.connect_timeout_ms = atoi(v); }
    else if (!strcmp(a, "--test-skip-every")) { NEEDV(); cfg.skip_every = strtoull(v, NULL, 10); }
    else if (!strcmp(a, "--per-conn")) cfg.per_conn = 1;
    else usage("unknown argument");
  }
  if (!have_url || cfg.port <= 0 || cfg.port > 65535) usage("--url ws://HOST:PORT/PATH is required");
  if (cfg.connections < 0 || cfg.connections > 1000000) usage("--connections out of range");
  if (cfg.threads < 1 || cfg.threads > 64) usage("--threads must be 1..64");
  memset(&server_addr, 0, sizeof server_addr);
  server_addr.sin_family = AF_INET;
  server_addr.sin_port = htons((uint16_t)cfg.port);
  if (inet_pton(AF_INET, cfg.host, &server_addr.sin_addr) != 1) usage("--url host must be a numeric IPv4 address");

  /* One fd per connection plus epoll and stdio. */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)cfg.connections + 64) {
    rl.rlim_cur = rl.rlim_max < (rlim_t)cfg.connections + 64 ? rl.rlim_max : (rlim_t)cfg.connections + 64;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_handler = on_signal; sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL); sigaction(SIGINT, &sa, NULL);
  /* Signals go to the control thread: workers block them. */
  sigset_t block; sigemptyset(&block); sigaddset(&block, SIGTERM); sigaddset(&block, SIGINT);
  pthread_sigmask(SIG_BLOCK, &block, NULL);

  all = calloc((size_t)cfg.connections ? (size_t)cfg.connections : 1, sizeof(conn));
  workers = calloc((size_t)cfg.threads, sizeof(worker));
  if (!all || !workers) { fprintf(stderr, "out of memory\n"); return 2; }
  for (int i = 0; i < cfg.connections; i++) {
    all[i].idx = i; all[i].fd = -1; all[i].inst = cfg.instrument; all[i].mask_rng = 0x9e3779b9u ^ (uint32_t)(i * 2654435761u);
    if (!all[i].mask_rng) all[i].mask_rng = 1;
    atomic_init(&all[i].state, S_IDLE);
  }
  run_start_ms = now_ms();
  int per = (cfg.connections + cfg.threads - 1) / cfg.threads;
  for (int t = 0; t < cfg.threads; t++) {
    worker *w = &workers[t];
    w->id = t;
    int lo = t * per, hi = lo + per > cfg.connections ? cfg.connections : lo + per;
    w->c = all + (lo < cfg.connections ? lo : cfg.connections);
    w->n = hi > lo ? hi - lo : 0;
    w->ep = epoll_create1(EPOLL_CLOEXEC);
    if (w->ep < 0) { perror("epoll_create1"); return 2; }
    if (pthread_create(&w->th, NULL, worker_main, w)) { perror("pthread_create"); return 2; }
  }
  pthread_sigmask(SIG_UNBLOCK, &block, NULL);

  struct stat st;
  int stdin_ctl = fstat(0, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
  char line[256]; size_t ll = 0;
  int ready_printed = 0;
  uint64_t until_seq = 0; int64_t until_deadline = -1;
  while (!got_signal) {
    int64_t t = now_ms();
    if (!ready_printed && atomic_load(&live_count) + atomic_load(&failed_count) >= cfg.connections) {
      status_line("ready");
      ready_printed = 1;
    }
    if (cfg.duration > 0 && t - run_start_ms >= (int64_t)(cfg.duration * 1000)) break;
    if (until_deadline >= 0 && (t >= until_deadline || all_reached(until_seq))) break;
    struct pollfd pf = { .fd = 0, .events = POLLIN };
    int r = poll(&pf, stdin_ctl ? 1 : 0, TICK_MS);
    if (r > 0 && (pf.revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t k = read(0, line + ll, sizeof line - 1 - ll);
      if (k <= 0) { if (k == 0 || errno != EINTR) break; continue; }
      ll += (size_t)k;
      char *nl;
      int quit = 0;
      while ((nl = memchr(line, '\n', ll)) != NULL) {
        *nl = 0;
        unsigned long long s = 0; long ms = 0;
        if (!strncmp(line, "status", 6)) status_line("status");
        else if (!strncmp(line, "stop", 4)) quit = 1;
        else if (sscanf(line, "until %llu %ld", &s, &ms) == 2) { until_seq = s; until_deadline = now_ms() + ms; }
        size_t used = (size_t)(nl - line) + 1;
        memmove(line, nl + 1, ll - used); ll -= used;
      }
      if (ll == sizeof line - 1) ll = 0; /* an overlong line: discard */
      if (quit) break;
    }
  }
  int64_t wall = now_ms() - run_start_ms;
  atomic_store(&stop_flag, 1);
  for (int t = 0; t < cfg.threads; t++) pthread_join(workers[t].th, NULL);
  if (!ready_printed) status_line("ready");
  result_line(wall);
  for (int i = 0; i < cfg.connections; i++) if (all[i].fd >= 0) close(all[i].fd);
  return 0;
}
