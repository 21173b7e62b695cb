// Where the engine writes events: a caller-owned byte buffer of EvtRecords, grown on demand.
// The addon backs it with a JS ArrayBuffer (grow = allocate a bigger one via the env, copy,
// keep a reference); the C++ tests back it with a std::vector (VectorSink).
//
// Cost: one predictable compare per event; growth is geometric (the grower should at least
// double), so a batch emitting E events copies O(E) bytes in total.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "layout.h"

namespace simex {

struct EventSink {
  uint8_t* base = nullptr;
  std::size_t capacity = 0;  // in events
  std::size_t count = 0;     // events written since the batch began
  void* ctx = nullptr;
  /** Must keep events [0, count) and make capacity >= minCapacity, or throw. */
  void (*grow)(EventSink& self, std::size_t minCapacity) = nullptr;

  /** Appends one record and returns it for the caller to fill (contents unspecified).
   *  Valid until the next next()/push() (growth may move the buffer). */
  EvtRecord& next() {
    if (count == capacity) [[unlikely]]
      grow(*this, count + 1);
    // The buffer is raw storage for EvtRecords (trivial type: implicitly created, C++20).
    return *reinterpret_cast<EvtRecord*>(base + (count++) * kEvtSize);
  }

  void push(const EvtRecord& e) {
    if (count == capacity) [[unlikely]]
      grow(*this, count + 1);
    std::memcpy(base + count * kEvtSize, &e, kEvtSize);
    ++count;
  }
};

/** Growable std::vector-backed sink (tests, tools). */
class VectorSink : public EventSink {
 public:
  explicit VectorSink(std::size_t initialEvents = 16) {
    grow = &VectorSink::doGrow;
    buf_.resize(initialEvents * kEvtSize);
    base = buf_.data();
    capacity = initialEvents;
  }
  VectorSink(const VectorSink&) = delete;
  VectorSink& operator=(const VectorSink&) = delete;

  EvtRecord at(std::size_t i) const {
    EvtRecord e;
    std::memcpy(&e, base + i * kEvtSize, kEvtSize);
    return e;
  }
  std::size_t growths = 0;

 private:
  static void doGrow(EventSink& s, std::size_t minCapacity) {
    auto& self = static_cast<VectorSink&>(s);
    std::size_t cap = self.capacity * 2;
    if (cap < minCapacity) cap = minCapacity;
    self.buf_.resize(cap * kEvtSize);
    self.base = self.buf_.data();
    self.capacity = cap;
    ++self.growths;
  }
  std::vector<uint8_t> buf_;
};

}  // namespace simex
