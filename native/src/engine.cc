#include "engine.h"

#include <cstring>
#include <stdexcept>

#include "probes.h"

namespace simex {

uint16_t Engine::addBook(const InstrumentSpec& spec) {
  if (books_.size() >= 65535) throw std::length_error("at most 65535 books");
  checkSpec(spec);
  const auto idx = static_cast<uint16_t>(books_.size());
  books_.push_back(std::make_unique<Book>(idx, spec));
  return idx;
}

void Engine::rejectNoBook(const CmdRecord& c, uint8_t reason, EventSink& out) {
  EvtRecord e;
  std::memset(&e, 0, sizeof e);
  e.type = evttype::REJECTED;
  e.side = c.side;
  e.reason = reason;
  e.cmdType = c.type;
  e.book = c.book;  // raw
  e.seq = 0;
  e.ts = c.ts;
  e.s[0] = c.orderId;
  e.s[1] = c.owner;
  out.push(e);
}

std::size_t Engine::process(const uint8_t* cmds, std::size_t count, EventSink& out) {
  const std::size_t start = out.count;
  const std::size_t nbooks = books_.size();
  // Prefetch pipeline: while command i runs, the id slot of i+8, the order of i+4 and the
  // neighbours of i+2 are being loaded, so the cache misses of random cancels overlap
  // instead of serialising (the main cost once a book outgrows the caches).
  constexpr std::size_t kD1 = 8, kD2 = 4, kD3 = 2;
  auto at = [&](std::size_t j, CmdRecord& c) -> Book* {
    std::memcpy(&c, cmds + j * kCmdSize, kCmdSize);
    return c.book < nbooks ? books_[c.book].get() : nullptr;
  };
  for (std::size_t i = 0; i < count; ++i) {
    CmdRecord c;
#ifndef SIMEX_NO_PREFETCH
    if (i + kD1 < count) {
      if (const Book* b = at(i + kD1, c)) b->prefetchSlot(c);
    }
    if (i + kD2 < count) {
      if (const Book* b = at(i + kD2, c)) b->prefetchOrder(c);
    }
    if (i + kD3 < count) {
      if (const Book* b = at(i + kD3, c)) b->prefetchNeighbours(c);
    }
#endif
    std::memcpy(&c, cmds + i * kCmdSize, kCmdSize);
    if (c.type < cmdtype::NEW || c.type > cmdtype::MASS_CANCEL) [[unlikely]] {
      if (c.book < nbooks) books_[c.book]->reject(c, reject::UNKNOWN_COMMAND, out);
      else rejectNoBook(c, reject::UNKNOWN_COMMAND, out);
    } else if (c.book >= nbooks) [[unlikely]] {
      rejectNoBook(c, reject::UNKNOWN_BOOK, out);
    } else {
      books_[c.book]->execute(c, out);
    }
  }
  return out.count - start;
}

void Engine::restore(std::size_t i, const uint8_t* image, std::size_t len) {
  if (i >= books_.size()) throw std::out_of_range("restore: no such book");
  auto fresh = Book::fromSnapshot(static_cast<uint16_t>(i), books_[i]->spec(), image, len);
  books_[i] = std::move(fresh);
}

}  // namespace simex

extern "C" std::size_t simex_process_batch(simex::Engine* engine, const uint8_t* cmds,
                                           std::size_t count, simex::EventSink* out) {
  SIMEX_PROBE_BATCH_BEGIN(count);
  const std::size_t n = engine->process(cmds, count, *out);
  SIMEX_PROBE_BATCH_END(count, n);
  return n;
}
