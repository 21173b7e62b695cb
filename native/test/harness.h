// Helpers shared by the engine tests: command builders and a one-book fixture.
#pragma once

#include <cstring>
#include <vector>

#include "check.h"
#include "engine.h"
#include "layout.h"

namespace simex_test {

using namespace simex;

inline CmdRecord mk(uint8_t type, int64_t id, uint8_t sd = 0, int64_t price = 0, int64_t qty = 0,
                    uint32_t owner = 0) {
  CmdRecord c;
  std::memset(&c, 0, sizeof c);
  c.type = type;
  c.side = sd;
  c.orderId = id;
  c.price = price;
  c.qty = qty;
  c.owner = owner;
  c.ts = 1000 + id;
  return c;
}
inline CmdRecord limit(int64_t id, uint8_t sd, int64_t price, int64_t qty, uint32_t owner = 0,
                       uint8_t tf = tif::GTC, uint8_t stpMode = 0, uint8_t fl = 0) {
  CmdRecord c = mk(cmdtype::NEW, id, sd, price, qty, owner);
  c.tif = tf;
  c.stp = stpMode;
  c.flags = fl;
  return c;
}
inline CmdRecord market(int64_t id, uint8_t sd, int64_t qty, int64_t protection = 0,
                        uint32_t owner = 0, uint8_t tf = tif::IOC, uint8_t stpMode = 0) {
  CmdRecord c = mk(cmdtype::NEW, id, sd, protection, qty, owner);
  c.ordType = ordtype::MARKET;
  c.tif = tf;
  c.stp = stpMode;
  return c;
}
inline CmdRecord cancel(int64_t id, uint32_t owner = 0) { return mk(cmdtype::CANCEL, id, 0, 0, 0, owner); }
inline CmdRecord amend(int64_t id, int64_t price, int64_t qty, uint32_t owner = 0) {
  return mk(cmdtype::AMEND, id, 0, price, qty, owner);
}
inline CmdRecord massCancel(uint32_t owner) { return mk(cmdtype::MASS_CANCEL, 0, 0, 0, 0, owner); }

inline InstrumentSpec testSpec(int64_t maxOrders = 1 << 20) {
  InstrumentSpec s;
  s.tickSize = 1;
  s.lotSize = 1;
  s.minQty = 1;
  s.maxQty = 1'000'000'000;
  s.minPrice = 1;
  s.maxPrice = 1'000'000'000;
  s.bandBps = 0;
  s.maxOrders = maxOrders;
  return s;
}

struct Fixture {
  Engine eng;
  VectorSink sink;
  std::vector<EvtRecord> ev;  // events of the last run()
  explicit Fixture(const InstrumentSpec& s = testSpec()) { eng.addBook(s); }

  const std::vector<EvtRecord>& run(const CmdRecord& c) { return runMany(&c, 1); }
  const std::vector<EvtRecord>& runMany(const CmdRecord* cs, std::size_t n) {
    std::vector<uint8_t> bytes(n * kCmdSize);
    std::memcpy(bytes.data(), cs, n * kCmdSize);
    sink.count = 0;
    const std::size_t got = simex_process_batch(&eng, bytes.data(), n, &sink);
    ev.clear();
    for (std::size_t i = 0; i < got; ++i) ev.push_back(sink.at(i));
    eng.book(0).validate();
    return ev;
  }
  Book& book() { return eng.book(0); }
};

inline bool isL2(const EvtRecord& e, uint8_t sd, int64_t price, int64_t qty, int64_t orders) {
  return e.type == evttype::L2 && e.side == sd && e.s[0] == price && e.s[1] == qty && e.s[2] == orders;
}

}  // namespace simex_test
