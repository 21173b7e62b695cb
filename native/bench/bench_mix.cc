// Core-only (no Node) throughput of the "mix" workload, for profiling with perf:
//   g++ -std=c++20 -O3 -g -fno-omit-frame-pointer -Inative/src native/src/book.cc 
//       native/src/engine.cc native/bench/bench_mix.cc -o /tmp/bench_mix
//   perf record -e cpu-clock -g /tmp/bench_mix 1000000
// Same generator idea as mix.mjs: the stream is produced by replaying it through a separate
// engine (cancels target live orders), then timed on a fresh engine in batches of 1024.
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <unordered_map>
#include <vector>

#include "engine.h"

using namespace simex;

static CmdRecord mk(uint8_t type, uint8_t side, uint8_t tif, int64_t id, int64_t price, int64_t qty, uint32_t owner, int64_t ts) {
  CmdRecord c;
  std::memset(&c, 0, sizeof c);
  c.type = type; c.side = side; c.tif = tif; c.orderId = id; c.price = price; c.qty = qty; c.owner = owner; c.ts = ts;
  return c;
}

int main(int argc, char** argv) {
  const int64_t resting = argc > 1 ? std::atoll(argv[1]) : 100000;
  const int64_t ops = argc > 2 ? std::atoll(argv[2]) : 2000000;
  InstrumentSpec spec;
  spec.tickSize = 1; spec.lotSize = 100; spec.minQty = 100; spec.maxQty = 1'000'000'000;
  spec.minPrice = 1; spec.maxPrice = 10'000'000'000; spec.bandBps = 0; spec.maxOrders = 4'194'304;
  const int64_t mid = 5'000'000;
  std::mt19937_64 rng(12345);
  auto u = [&] { return (rng() >> 11) * (1.0 / 9007199254740992.0); };

  Engine gen;
  gen.addBook(spec);
  VectorSink sink(1 << 16);
  std::vector<int64_t> live;
  std::unordered_map<int64_t, std::size_t> pos;
  auto addLive = [&](int64_t id) { pos[id] = live.size(); live.push_back(id); };
  auto dropLive = [&](int64_t id) {
    auto it = pos.find(id);
    if (it == pos.end()) return;
    const std::size_t p = it->second;
    pos.erase(it);
    const int64_t last = live.back();
    live.pop_back();
    if (last != id) { live[p] = last; pos[last] = p; }
  };
  std::vector<CmdRecord> init, stream;
  int64_t nextId = 1;
  for (int64_t i = 0; i < resting; ++i) {
    const uint8_t side = i & 1;
    const int64_t k = 1 + static_cast<int64_t>(u() * 2000);
    init.push_back(mk(1, side, 0, nextId, side == 0 ? mid - k : mid + k, 100 * (1 + static_cast<int64_t>(u() * 10)), 1 + i % 50, i));
    addLive(nextId++);
  }
  sink.count = 0;
  for (const auto& c : init) { sink.count = 0; gen.process(reinterpret_cast<const uint8_t*>(&c), 1, sink); }
  for (int64_t i = 0; i < ops; ++i) {
    LevelView bb{mid - 1, 0, 0}, ba{mid + 1, 0, 0};
    gen.book(0).best(0, bb);
    gen.book(0).best(1, ba);
    const double x = u();
    CmdRecord c;
    if (x < 0.40 && !live.empty()) {
      const int64_t id = live[static_cast<std::size_t>(u() * live.size())];
      OrderView o;
      gen.book(0).order(id, o);
      c = mk(2, 0, 0, id, 0, 0, o.owner, i);
      dropLive(id);
    } else if (x < 0.45) {
      const uint8_t side = u() < 0.5 ? 0 : 1;
      c = mk(1, side, 1, nextId++, side == 0 ? ba.price + 2 : bb.price - 2, 100 * (1 + static_cast<int64_t>(u() * 20)), 1 + i % 50, i);
    } else {
      const uint8_t side = u() < 0.5 ? 0 : 1;
      const int64_t k = static_cast<int64_t>(u() * u() * 50);
      const int64_t px = side == 0 ? std::min(bb.price + 1, ba.price - 1) - k : std::max(ba.price - 1, bb.price + 1) + k;
      c = mk(1, side, 0, nextId, px, 100 * (1 + static_cast<int64_t>(u() * 10)), 1 + i % 50, i);
      addLive(nextId++);
    }
    stream.push_back(c);
    sink.count = 0;
    const std::size_t n = gen.process(reinterpret_cast<const uint8_t*>(&c), 1, sink);
    for (std::size_t k = 0; k < n; ++k) {
      const EvtRecord e = sink.at(k);
      if (e.type == evttype::TRADE && e.s[5] == 0) dropLive(e.s[1]);
    }
  }
  const int reps = argc > 3 ? std::atoi(argv[3]) : 3;
  for (int rep = 0; rep < reps; ++rep) {
    Engine e;
    e.addBook(spec);
    VectorSink out(1 << 16);
    for (std::size_t i = 0; i < init.size(); i += 1024) {
      out.count = 0;
      e.process(reinterpret_cast<const uint8_t*>(init.data() + i), std::min<std::size_t>(1024, init.size() - i), out);
    }
    std::size_t events = 0;
    timespec c0, c1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < stream.size(); i += 1024) {
      out.count = 0;
      events += simex_process_batch(&e, reinterpret_cast<const uint8_t*>(stream.data() + i),
                                    std::min<std::size_t>(1024, stream.size() - i), &out);
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    const double s = (c1.tv_sec - c0.tv_sec) + (c1.tv_nsec - c0.tv_nsec) * 1e-9;
    std::printf("core resting=%lld ops=%lld: %.2fM ops/s on-CPU (%.2fM wall), %.1f ns/op, events/op %.2f, end orders %lld, bytes/order %.0f\n",
                (long long)resting, (long long)ops, ops / s / 1e6, ops / wall / 1e6, s * 1e9 / ops, double(events) / ops,
                (long long)e.book(0).stats().orders, double(e.book(0).bytesReserved()) / e.book(0).stats().orders);
  }
}
