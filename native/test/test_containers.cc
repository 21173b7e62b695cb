// IdMap, Pool and NodeArena against std containers.
#include <map>
#include <random>
#include <unordered_map>

#include "check.h"
#include "id_map.h"
#include "node_arena.h"
#include "pool.h"

using namespace simex;

TEST(id_map_matches_unordered_map_under_churn) {
  IdMap m(4);  // tiny start: forces many rehashes
  std::unordered_map<uint64_t, uint32_t> ref;
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200000; ++i) {
    // Clustered keys (sequential ids) and random ones both.
    const uint64_t key = (rng() & 1) ? 1 + (rng() % 5000) : 1 + (rng() % (uint64_t{1} << 53));
    const int op = static_cast<int>(rng() % 3);
    if (op < 2) {
      if (!ref.count(key)) {
        const uint32_t v = static_cast<uint32_t>(rng());
        m.insert(key, v == kNil ? 0 : v);
        ref[key] = v == kNil ? 0 : v;
      }
    } else {
      CHECK_EQ(m.erase(key), ref.erase(key) == 1);
    }
    if (i % 997 == 0) {
      for (const auto& [k, v] : ref) CHECK_EQ(m.find(k), v);
    }
    CHECK_EQ(m.size(), ref.size());
  }
  for (const auto& [k, v] : ref) CHECK_EQ(m.find(k), v);
  std::size_t seen = 0;
  m.forEach([&](uint64_t k, uint32_t v) {
    ++seen;
    CHECK(ref.count(k) == 1 && ref[k] == v);
  });
  CHECK_EQ(seen, ref.size());
  CHECK_EQ(m.find(999999999999ull), kNil);
}

TEST(id_map_erase_everything_leaves_empty_table) {
  IdMap m(3);
  for (uint64_t k = 1; k <= 1000; ++k) m.insert(k, static_cast<uint32_t>(k));
  for (uint64_t k = 1000; k >= 1; --k) CHECK(m.erase(k));
  CHECK_EQ(m.size(), 0u);
  for (uint64_t k = 1; k <= 1000; ++k) CHECK_EQ(m.find(k), kNil);
  CHECK(!m.erase(5));
}

TEST(pool_reuses_slots_lifo_and_keeps_references_stable) {
  Pool<int64_t, 4> p(0);  // 16 per chunk
  std::vector<uint32_t> idx;
  for (int i = 0; i < 100; ++i) {
    idx.push_back(p.alloc());
    p[idx.back()] = i;
  }
  int64_t* first = &p[idx[0]];
  for (int i = 0; i < 1000; ++i) p[p.alloc()] = -1;  // grow a lot
  CHECK(first == &p[idx[0]]);                          // chunks never move
  CHECK_EQ(*first, 0);
  p.release(idx[7]);
  p.release(idx[3]);
  CHECK_EQ(p.alloc(), idx[3]);
  CHECK_EQ(p.alloc(), idx[7]);
  CHECK_EQ(p.highWater(), 1100u);
}

TEST(node_arena_map_behaves_like_std_map) {
  NodeArena arena;
  using M = std::map<int64_t, uint32_t, std::less<int64_t>, ArenaAllocator<std::pair<const int64_t, uint32_t>>>;
  M m{std::less<int64_t>{}, ArenaAllocator<std::pair<const int64_t, uint32_t>>(&arena)};
  std::map<int64_t, uint32_t> ref;
  std::mt19937 rng(7);
  for (int i = 0; i < 50000; ++i) {
    const int64_t k = rng() % 3000;
    if (rng() % 2) {
      m[k] = static_cast<uint32_t>(i);
      ref[k] = static_cast<uint32_t>(i);
    } else {
      CHECK_EQ(m.erase(k), ref.erase(k));
    }
  }
  CHECK(std::equal(m.begin(), m.end(), ref.begin(), ref.end()));
  const std::size_t reserved = arena.bytesReserved();
  for (int i = 0; i < 10; ++i) {  // churn after warm-up reuses freed nodes
    for (int64_t k = 0; k < 3000; ++k) m[k] = 1;
    m.clear();
  }
  CHECK_EQ(arena.bytesReserved(), reserved);
}
