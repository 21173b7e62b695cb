// Engine: the set of books plus the batch entry point. Pure C++ (no N-API): the addon
// (addon.cc) and the C++ tests (native/test/) drive it the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "book.h"
#include "event_sink.h"
#include "instrument.h"

namespace simex {

class Engine {
 public:
  /** Creates a book; returns its index (0, 1, 2 ... in call order). Throws
   *  std::invalid_argument on a bad spec, std::length_error past 65535 books. */
  uint16_t addBook(const InstrumentSpec& spec);

  /** Runs `count` 48-byte command records from `cmds` (any alignment); appends events to
   *  `out` (out.count is NOT reset here). Returns the number of events appended. Never throws
   *  on bad command contents; throws only std::bad_alloc (pool/event growth), in which case
   *  the events of the failing command are incomplete. */
  std::size_t process(const uint8_t* cmds, std::size_t count, EventSink& out);

  std::size_t bookCount() const { return books_.size(); }
  Book& book(std::size_t i) { return *books_[i]; }
  const Book& book(std::size_t i) const { return *books_[i]; }
  /** Replaces book i with the image; the old book is untouched if this throws. */
  void restore(std::size_t i, const uint8_t* image, std::size_t len);

 private:
  void rejectNoBook(const CmdRecord& c, uint8_t reason, EventSink& out);
  std::vector<std::unique_ptr<Book>> books_;
};

}  // namespace simex

/** The batch entry (uprobe/uretprobe target, USDT batch_begin/batch_end). Never inlined,
 *  exported with default visibility. Returns events appended to `out`. */
extern "C" __attribute__((noinline, visibility("default"))) std::size_t simex_process_batch(
    simex::Engine* engine, const uint8_t* cmds, std::size_t count, simex::EventSink* out);
