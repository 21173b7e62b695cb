// Open-addressing hash map uint64 key -> uint32 value (order id -> order index, owner ->
// owner record). Linear probing, Fibonacci hashing (sequential ids spread evenly), load
// factor <= 1/2, backward-shift deletion (no tombstones, so probe lengths stay short under
// the add/cancel churn of an order book). Key 0 is reserved as "empty": order ids are >= 1
// and owner 0 never has a list.
//
// Cost: find/insert/erase O(1) expected; insert that crosses the load limit rehashes
// (O(n), amortized O(1)); 16 bytes per slot, 2..4 slots per entry.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>

#include "big_alloc.h"
#include "pool.h"

namespace simex {

class IdMap {
 public:
  explicit IdMap(uint32_t initialBits = 12) { allocate(initialBits); }
  IdMap(const IdMap&) = delete;
  IdMap& operator=(const IdMap&) = delete;

  uint32_t size() const { return size_; }
  std::size_t bytesReserved() const { return (std::size_t{mask_} + 1) * sizeof(Slot); }

  /** Hint only: starts loading key's home slot (no effect on contents). */
  void prefetch(uint64_t key) const { simex::prefetch(&slots_[home(key)]); }

  /** Value for key, or kNil. */
  uint32_t find(uint64_t key) const {
    for (uint32_t i = home(key);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.key == key) return s.val;
      if (s.key == 0) return kNil;
    }
  }

  /** Precondition: key != 0 and key absent. May rehash (throws std::bad_alloc, map intact). */
  void insert(uint64_t key, uint32_t val) {
    if ((size_ + 1) * 2 > mask_ + 1) grow();
    place(key, val);
    ++size_;
  }

  /** Removes key if present; returns whether it was. Never allocates. */
  bool erase(uint64_t key) {
    uint32_t i = home(key);
    for (;; i = (i + 1) & mask_) {
      if (slots_[i].key == key) break;
      if (slots_[i].key == 0) return false;
    }
    // Backward shift: pull later members of the probe run into the hole when their home is
    // not cyclically inside (hole, j].
    for (uint32_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
      const uint64_t k = slots_[j].key;
      if (k == 0) break;
      const uint32_t h = home(k);
      if (((j - h) & mask_) >= ((j - i) & mask_)) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i].key = 0;
    --size_;
    return true;
  }

  /** Calls f(key, value) for every entry, in table order (not insertion order). */
  template <class F>
  void forEach(F&& f) const {
    for (uint32_t i = 0; i <= mask_; ++i)
      if (slots_[i].key != 0) f(slots_[i].key, slots_[i].val);
  }

 private:
  struct Slot {  // 16 bytes
    uint64_t key;
    uint32_t val;
    uint32_t pad;
  };

  // Fibonacci hashing: consecutive ids land far apart, so probe runs stay short and
  // backward-shift deletion scans few slots (grouping ids per cache line made runs long).
  // The batch prefetch pipeline hides the resulting cache miss of a new id's slot.
  uint32_t home(uint64_t key) const {
    return static_cast<uint32_t>((key * 0x9E3779B97F4A7C15ull) >> shift_);
  }
  void place(uint64_t key, uint32_t val) {
    uint32_t i = home(key);
    while (slots_[i].key != 0) i = (i + 1) & mask_;
    slots_[i].key = key;
    slots_[i].val = val;
  }
  void allocate(uint32_t bits) {
    const std::size_t bytes = sizeof(Slot) << bits;
    slots_ = std::unique_ptr<Slot[], BigFree>(static_cast<Slot*>(bigAlloc(bytes)), BigFree{bytes});  // zeroed: all empty
    mask_ = (uint32_t{1} << bits) - 1;
    shift_ = 64 - bits;
  }
  void grow() {
    std::unique_ptr<Slot[], BigFree> old = std::move(slots_);
    const uint32_t oldMask = mask_, oldShift = shift_;
    try {
      allocate(64 - shift_ + 1);
    } catch (...) {
      slots_ = std::move(old);
      mask_ = oldMask;
      shift_ = oldShift;
      throw;
    }
    for (uint32_t i = 0; i <= oldMask; ++i)
      if (old[i].key != 0) place(old[i].key, old[i].val);
  }

  std::unique_ptr<Slot[], BigFree> slots_;
  uint32_t mask_ = 0;
  uint32_t shift_ = 0;
  uint32_t size_ = 0;
};

}  // namespace simex
