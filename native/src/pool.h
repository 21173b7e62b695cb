// Index-linked arena: objects addressed by uint32 index, stored in fixed-size chunks that
// are never moved or freed while the pool lives (so references stay valid across alloc()).
// Growth allocates one chunk (kChunk objects) at a time: no per-object malloc, no copy.
// Free slots are reused LIFO (the most recently freed, likely cache-hot, slot first).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "big_alloc.h"

namespace simex {

inline constexpr uint32_t kNil = UINT32_MAX;

/** Cache prefetch hint. GCC -O2 deletes __builtin_prefetch whose address comes from
 *  side-effect-free code (it did here: the whole prefetch pipeline vanished), so on x86 it is
 *  an asm volatile the optimiser must keep. Never faults (prefetches of bad addresses are
 *  dropped by the CPU), but callers only pass addresses inside live allocations anyway. */
inline void prefetch(const void* p) {
#if defined(__x86_64__) || defined(__i386__)
  asm volatile("prefetcht0 %0" : : "m"(*static_cast<const char*>(p)));
#else
  __builtin_prefetch(p);
#endif
}

template <class T, unsigned kChunkBits = 16>
class Pool {
 public:
  static constexpr uint32_t kChunk = 1u << kChunkBits;
  static constexpr uint32_t kMask = kChunk - 1;

  explicit Pool(uint32_t preallocate = kChunk) {
    while (static_cast<uint64_t>(chunks_.size()) * kChunk < preallocate) addChunk();
  }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  T& operator[](uint32_t i) { return chunks_[i >> kChunkBits][i & kMask]; }
  const T& operator[](uint32_t i) const { return chunks_[i >> kChunkBits][i & kMask]; }

  /** O(1) amortized; throws std::bad_alloc (pool unchanged) if a new chunk cannot be had. */
  uint32_t alloc() {
    if (!free_.empty()) {
      uint32_t i = free_.back();
      free_.pop_back();
      return i;
    }
    if (used_ == static_cast<uint64_t>(chunks_.size()) * kChunk) {
      free_.reserve(static_cast<size_t>(chunks_.size() + 1) * kChunk);  // release() never allocates
      addChunk();
    }
    return used_++;
  }
  /** O(1), never allocates (free_ capacity >= slots ever handed out). */
  void release(uint32_t i) { free_.push_back(i); }

  /** Slots ever handed out (live + free); indices are < highWater(). */
  uint32_t highWater() const { return used_; }
  std::size_t bytesReserved() const {
    return chunks_.size() * sizeof(T) * kChunk + free_.capacity() * sizeof(uint32_t);
  }

 private:
  // Chunks are zeroed (huge-page backed when >= 2 MiB); T must be an aggregate of integers
  // and iterators for which all-zero bytes are a valid value (Order, Level, OwnerRec).
  struct ChunkFree {
    void operator()(T* p) const noexcept { bigFree(p, sizeof(T) * kChunk); }
  };
  void addChunk() {
    chunks_.reserve(chunks_.size() + 1);
    chunks_.emplace_back(static_cast<T*>(bigAlloc(sizeof(T) * kChunk)));
  }

  std::vector<std::unique_ptr<T[], ChunkFree>> chunks_;
  std::vector<uint32_t> free_;
  uint32_t used_ = 0;
};

}  // namespace simex
