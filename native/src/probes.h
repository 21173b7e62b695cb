// USDT probes, provider "simex" (contract shared with the profiling labs in bpf/ and
// docs/labs/; names and argument order are fixed):
//   batch_begin(u32 ncmds)                      entry of simex_process_batch
//   batch_end(u32 ncmds, u32 nevents)           exit of simex_process_batch
//   order_added(u16 book, i64 orderId, u8 side, i64 price, i64 qty)
//       a NEW order was ACCEPTED (before matching; fires for IOC/FOK/market too; price is the
//       limit or protection price as sent, qty the order quantity)
//   order_matched(u16 book, i64 takerId, i64 makerId, i64 price, i64 qty)
//       one TRADE event (price = maker's price)
//   order_cancelled(u16 book, i64 orderId, i64 leaves)
//       one CANCELLED event, any reason (user, IOC remainder, self-trade, mass cancel)
// Compiled in when <sys/sdt.h> exists (Debian: systemtap-sdt-dev); each site is a single nop
// when not traced (no semaphores). Define SIMEX_NO_USDT to compile them out.
#pragma once

#if !defined(SIMEX_NO_USDT) && defined(__has_include)
#if __has_include(<sys/sdt.h>)
#include <sys/sdt.h>
#define SIMEX_HAVE_USDT 1
#endif
#endif

#ifdef SIMEX_HAVE_USDT
#define SIMEX_PROBE_BATCH_BEGIN(n) STAP_PROBE1(simex, batch_begin, (uint32_t)(n))
#define SIMEX_PROBE_BATCH_END(n, e) STAP_PROBE2(simex, batch_end, (uint32_t)(n), (uint32_t)(e))
#define SIMEX_PROBE_ORDER_ADDED(b, id, s, p, q) \
  STAP_PROBE5(simex, order_added, (uint16_t)(b), (int64_t)(id), (uint8_t)(s), (int64_t)(p), (int64_t)(q))
#define SIMEX_PROBE_ORDER_MATCHED(b, t, m, p, q) \
  STAP_PROBE5(simex, order_matched, (uint16_t)(b), (int64_t)(t), (int64_t)(m), (int64_t)(p), (int64_t)(q))
#define SIMEX_PROBE_ORDER_CANCELLED(b, id, l) \
  STAP_PROBE3(simex, order_cancelled, (uint16_t)(b), (int64_t)(id), (int64_t)(l))
#else
#define SIMEX_HAVE_USDT 0
#define SIMEX_PROBE_BATCH_BEGIN(n) ((void)0)
#define SIMEX_PROBE_BATCH_END(n, e) ((void)0)
#define SIMEX_PROBE_ORDER_ADDED(b, id, s, p, q) ((void)0)
#define SIMEX_PROBE_ORDER_MATCHED(b, t, m, p, q) ((void)0)
#define SIMEX_PROBE_ORDER_CANCELLED(b, id, l) ((void)0)
#endif
