// Large zeroed allocations backed by transparent huge pages where the kernel allows
// (THP "madvise" mode on Debian): a 1M-order book touches ~100 MB at random, and with 4 KiB
// pages nearly every cancel also misses the TLB. >= 2 MiB: a 2 MiB-aligned anonymous mmap
// (already zero: no memset, the kernel zeroes each page on first touch); below: calloc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace simex {

inline constexpr std::size_t kHugePage = std::size_t{2} << 20;

inline std::size_t bigRounded(std::size_t bytes) { return (bytes + kHugePage - 1) & ~(kHugePage - 1); }

/** Zeroed block of at least `bytes`; throws std::bad_alloc. Free with bigFree(p, bytes). */
inline void* bigAlloc(std::size_t bytes) {
#if defined(__linux__)
  if (bytes >= kHugePage) {
    const std::size_t rounded = bigRounded(bytes);
    void* raw = mmap(nullptr, rounded + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) throw std::bad_alloc();
    const auto base = reinterpret_cast<std::uintptr_t>(raw);
    const std::uintptr_t aligned = (base + kHugePage - 1) & ~(kHugePage - 1);
    if (aligned > base) munmap(raw, aligned - base);
    const std::uintptr_t end = base + rounded + kHugePage;
    if (end > aligned + rounded) munmap(reinterpret_cast<void*>(aligned + rounded), end - (aligned + rounded));
#if defined(MADV_HUGEPAGE)
    (void)madvise(reinterpret_cast<void*>(aligned), rounded, MADV_HUGEPAGE);  // best effort
#endif
    return reinterpret_cast<void*>(aligned);
  }
#endif
  void* p = std::calloc(1, bytes == 0 ? 1 : bytes);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

inline void bigFree(void* p, std::size_t bytes) noexcept {
  if (p == nullptr) return;
#if defined(__linux__)
  if (bytes >= kHugePage) {
    munmap(p, bigRounded(bytes));
    return;
  }
#endif
  std::free(p);
}

/** unique_ptr deleter remembering the allocation size. */
struct BigFree {
  std::size_t bytes = 0;
  void operator()(void* p) const noexcept { bigFree(p, bytes); }
};

}  // namespace simex
