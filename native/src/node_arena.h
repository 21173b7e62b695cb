// Fixed-slot arena + std allocator for std::map nodes (the price-level trees): node
// allocation pops a free list, so creating/erasing a price level never calls malloc after
// warm-up. Memory returns to the arena, not the system, until the arena dies.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

namespace simex {

class NodeArena {
 public:
  NodeArena() = default;
  NodeArena(const NodeArena&) = delete;
  NodeArena& operator=(const NodeArena&) = delete;
  ~NodeArena() {
    for (void* b : blocks_) ::operator delete(b);
  }

  /** All requests must have the same size (one node type per arena). */
  void* get(std::size_t size) {
    if (slot_ == 0) slot_ = (std::max(size, sizeof(void*)) + 15) & ~std::size_t{15};
    if (size > slot_) throw std::bad_alloc();  // programming error: mixed node types
    if (free_ != nullptr) {
      void* p = free_;
      free_ = *static_cast<void**>(p);
      return p;
    }
    if (cur_ == end_) {
      const std::size_t bytes = slot_ * kSlotsPerBlock;
      blocks_.reserve(blocks_.size() + 1);
      char* b = static_cast<char*>(::operator new(bytes));
      blocks_.push_back(b);
      cur_ = b;
      end_ = b + bytes;
    }
    void* p = cur_;
    cur_ += slot_;
    return p;
  }
  void put(void* p) noexcept {
    *static_cast<void**>(p) = free_;
    free_ = p;
  }
  std::size_t bytesReserved() const { return blocks_.size() * slot_ * kSlotsPerBlock; }

 private:
  static constexpr std::size_t kSlotsPerBlock = 4096;
  std::size_t slot_ = 0;
  std::vector<void*> blocks_;
  void* free_ = nullptr;
  char* cur_ = nullptr;
  char* end_ = nullptr;
};

template <class T>
struct ArenaAllocator {
  using value_type = T;
  NodeArena* arena;

  explicit ArenaAllocator(NodeArena* a) noexcept : arena(a) {}
  template <class U>
  ArenaAllocator(const ArenaAllocator<U>& o) noexcept : arena(o.arena) {}

  T* allocate(std::size_t n) {
    if (n == 1) return static_cast<T*>(arena->get(sizeof(T)));
    return std::allocator<T>{}.allocate(n);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (n == 1) arena->put(p);
    else std::allocator<T>{}.deallocate(p, n);
  }
  template <class U>
  bool operator==(const ArenaAllocator<U>& o) const noexcept { return arena == o.arena; }
  template <class U>
  bool operator!=(const ArenaAllocator<U>& o) const noexcept { return arena != o.arena; }
};

}  // namespace simex
