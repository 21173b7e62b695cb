/*
 * ws-client.h: what simex's C load tools (bench/fanout/subscriber.c, bench/ordergen/ordergen.c)
 * share: little-endian field access for the binary protocol (docs/PROTOCOL.md), the ws:// URL
 * they accept, RFC 6455 server-frame header decoding, a growable buffer, a PRNG for masking
 * keys and JSON string output. Header-only (static functions), C11 + libc, no state.
 *
 * Each tool keeps its own frame loop around ws_frame() (what a frame means differs: market
 * data accounting vs execution-report timing) and its own histogram (different layouts).
 */
#ifndef SIMEX_WS_CLIENT_H
#define SIMEX_WS_CLIENT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Protocol fields are little-endian; the hosts these tools run on (x86-64, arm64) are too. */
static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline void wr16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void wr32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void wr64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* xorshift32: client masking keys (RFC 6455 needs unpredictability from browsers, not here). */
static inline uint32_t xorshift(uint32_t *s) { uint32_t x = *s; x ^= x << 13; x ^= x >> 17; x ^= x << 5; return *s = x; }

/* Grow *b (capacity *cap, first allocation `initial`) by doubling until it holds `need`
 * bytes. 0 on success, -1 when out of memory (the old buffer is kept). */
static int ensure_cap(uint8_t **b, size_t *cap, size_t need, size_t initial) {
  if (need <= *cap) return 0;
  size_t nc = *cap ? *cap : initial;
  while (nc < need) nc *= 2;
  uint8_t *nb = realloc(*b, nc);
  if (!nb) return -1;
  *b = nb; *cap = nc;
  return 0;
}

/* ws://HOST:PORT[/PATH] into host (numeric IPv4; "localhost" becomes 127.0.0.1), port and
 * path (left as is when the URL has none). NULL on success, else what is wrong. */
static const char *parse_ws_url(const char *u, char *host, size_t hostsz, int *port, char *path, size_t pathsz) {
  if (strncmp(u, "ws://", 5) != 0) return "--url must start with ws:// (wss is not supported)";
  const char *h = u + 5, *colon = strchr(h, ':'), *slash = strchr(h, '/');
  if (!colon || (slash && colon > slash)) return "--url needs host:port";
  size_t hl = (size_t)(colon - h);
  if (hl == 0 || hl >= hostsz) return "bad host in --url";
  memcpy(host, h, hl); host[hl] = 0;
  if (!strcmp(host, "localhost")) snprintf(host, hostsz, "127.0.0.1");
  char *e; long p = strtol(colon + 1, &e, 10);
  if (e == colon + 1 || (*e && *e != '/') || p <= 0 || p > 65535) return "bad port in --url";
  *port = (int)p;
  if (slash) snprintf(path, pathsz, "%s", slash);
  return NULL;
}

enum { WS_FRAME_OK = 1, WS_FRAME_MORE = 0, WS_FRAME_TOO_LARGE = -1 };
/* Frames above this payload size are refused (the server's are far smaller). */
#define WS_MAX_PAYLOAD (1ull << 31)

/* The frame starting at f (avail bytes buffered): 7/16/64-bit lengths, optional mask.
 * WS_FRAME_OK: *hdr and *plen say where its payload is (unmasked in place), *op and *fin its
 * opcode and FIN bit. WS_FRAME_MORE: incomplete; *hdr + *plen is its whole size once the
 * header is in (0 before), so the caller can grow its buffer. WS_FRAME_TOO_LARGE: refuse. */
static int ws_frame(uint8_t *f, size_t avail, size_t *hdr, uint64_t *plen, int *op, int *fin) {
  *hdr = 0; *plen = 0;
  if (avail < 2) return WS_FRAME_MORE;
  size_t h = 2;
  uint64_t n = f[1] & 0x7f;
  if (n == 126) {
    if (avail < 4) return WS_FRAME_MORE;
    n = ((uint64_t)f[2] << 8) | f[3]; h = 4;
  } else if (n == 127) {
    if (avail < 10) return WS_FRAME_MORE;
    n = 0;
    for (int i = 0; i < 8; i++) n = (n << 8) | f[2 + i];
    h = 10;
  }
  int masked = (f[1] & 0x80) != 0;
  if (masked) h += 4;
  if (n > WS_MAX_PAYLOAD) return WS_FRAME_TOO_LARGE;
  *hdr = h; *plen = n;
  if (avail < h + n) return WS_FRAME_MORE;
  if (masked) { const uint8_t *k = f + h - 4; uint8_t *pl = f + h; for (uint64_t i = 0; i < n; i++) pl[i] ^= k[i & 3]; }
  *op = f[0] & 0x0f; *fin = (f[0] & 0x80) != 0;
  return WS_FRAME_OK;
}

/* s as a JSON string literal on stdout. */
static void json_str(const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\') { putchar('\\'); putchar(ch); }
    else if (ch < 0x20) printf("\\u%04x", ch);
    else putchar(ch);
  }
  putchar('"');
}

#endif
