#include <cstdio>
#include <exception>

#include "check.h"

int main() {
  int passed = 0, failed = 0;
  for (const auto& c : simex_test::registry()) {
    const int before = simex_test::failures();
    try {
      c.fn();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "  uncaught exception: %s\n", e.what());
      ++simex_test::failures();
    }
    if (simex_test::failures() == before) {
      ++passed;
      std::printf("ok   %s\n", c.name);
    } else {
      ++failed;
      std::printf("FAIL %s\n", c.name);
    }
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
