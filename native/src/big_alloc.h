// Large zeroed allocations backed by transparent huge pages where the kernel allows
// (THP "madvise" mode on Debian): a 1M-order book touches ~100 MB at random, and with 4 KiB
// pages nearly every cancel also misses the TLB. Below 2 MiB it is plain calloc.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace simex {

inline constexpr std::size_t kHugePage = std::size_t{2} << 20;

/** Zeroed, 64-byte (>= 2 MiB: 2 MiB) aligned block; throws std::bad_alloc. Free with bigFree. */
inline void* bigAlloc(std::size_t bytes) {
  if (bytes < kHugePage) {
    void* p = std::calloc(1, bytes == 0 ? 1 : bytes);
    if (p == nullptr) throw std::bad_alloc();
    return p;
  }
  const std::size_t rounded = (bytes + kHugePage - 1) & ~(kHugePage - 1);
  void* p = std::aligned_alloc(kHugePage, rounded);
  if (p == nullptr) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  (void)madvise(p, rounded, MADV_HUGEPAGE);  // best effort
#endif
  std::memset(p, 0, rounded);
  return p;
}
inline void bigFree(void* p) noexcept { std::free(p); }

struct BigFree {
  void operator()(void* p) const noexcept { bigFree(p); }
};

}  // namespace simex
