// Minimal test harness: TEST(name) registers a function; CHECK* record failures without
// aborting the test; test_main.cc runs everything and prints "N passed, N failed".
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace simex_test {

struct Case {
  const char* name;
  void (*fn)();
};
inline std::vector<Case>& registry() {
  static std::vector<Case> r;
  return r;
}
inline int& failures() {
  static int f = 0;
  return f;
}
struct Registrar {
  Registrar(const char* n, void (*f)()) { registry().push_back({n, f}); }
};

}  // namespace simex_test

#define TEST(name)                                                        \
  static void test_##name();                                              \
  static simex_test::Registrar reg_##name(#name, &test_##name);           \
  static void test_##name()

#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "  CHECK failed %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      ++simex_test::failures();                                                       \
    }                                                                                 \
  } while (0)

#define CHECK_EQ(a, b)                                                                   \
  do {                                                                                   \
    const auto va_ = (a);                                                                \
    const auto vb_ = (b);                                                                \
    if (!(va_ == vb_)) {                                                                 \
      std::fprintf(stderr, "  CHECK_EQ failed %s:%d: %s == %s (%lld vs %lld)\n", __FILE__, \
                   __LINE__, #a, #b, (long long)va_, (long long)vb_);                    \
      ++simex_test::failures();                                                          \
    }                                                                                    \
  } while (0)

#define CHECK_THROWS(expr)                                                                  \
  do {                                                                                      \
    bool threw_ = false;                                                                    \
    try {                                                                                   \
      expr;                                                                                 \
    } catch (...) {                                                                         \
      threw_ = true;                                                                        \
    }                                                                                       \
    if (!threw_) {                                                                          \
      std::fprintf(stderr, "  CHECK_THROWS failed %s:%d: %s\n", __FILE__, __LINE__, #expr); \
      ++simex_test::failures();                                                             \
    }                                                                                       \
  } while (0)
