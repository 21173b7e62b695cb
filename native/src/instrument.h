// One instrument's static rules, in engine units. The addon receives it from
// src/engine/native.ts after validateInstrument() (src/engine/instruments.ts), which
// guarantees maxQty * maxOrders < 2^53 and maxPrice * 10000 < 2^53: every level total and
// band product below fits an int64 (and a double) exactly. checkSpec() re-checks the ranges
// the C++ arithmetic relies on, so the core is safe without the JS validation too.
#pragma once

#include <cstdint>
#include <stdexcept>

namespace simex {

struct InstrumentSpec {  // 64 bytes
  int64_t tickSize = 1;
  int64_t lotSize = 1;
  int64_t minQty = 1;
  int64_t maxQty = 1;
  int64_t minPrice = 1;
  int64_t maxPrice = 1;
  int64_t bandBps = 0;
  int64_t maxOrders = 1;
};

/** Throws std::invalid_argument naming the first violated rule. */
inline void checkSpec(const InstrumentSpec& s) {
  constexpr int64_t kTwo53 = int64_t{1} << 53;
  if (s.tickSize < 1 || s.lotSize < 1) throw std::invalid_argument("tickSize and lotSize must be >= 1");
  if (s.minQty < 1 || s.minQty > s.maxQty) throw std::invalid_argument("need 1 <= minQty <= maxQty");
  if (s.minPrice < 1 || s.minPrice > s.maxPrice) throw std::invalid_argument("need 1 <= minPrice <= maxPrice");
  if (s.bandBps < 0 || s.bandBps > 10000) throw std::invalid_argument("bandBps must be 0..10000");
  if (s.maxOrders < 1 || s.maxOrders > (int64_t{1} << 26)) throw std::invalid_argument("maxOrders must be 1..2^26");
  if (s.maxQty >= kTwo53 / s.maxOrders) throw std::invalid_argument("maxQty * maxOrders must be < 2^53");
  if (s.maxPrice >= kTwo53 / 10000) throw std::invalid_argument("maxPrice * 10000 must be < 2^53");
}

}  // namespace simex
