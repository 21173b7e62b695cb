// Seeded random streams (every command type, TIF, STP mode, garbage fields): full structural
// validation after every command, event-stream invariants, and snapshot/restore continuity.
#include <random>

#include "harness.h"

using namespace simex_test;

namespace {

struct Gen {
  std::mt19937_64 rng;
  int64_t nextId = 1;
  explicit Gen(uint64_t seed) : rng(seed) {}
  int64_t r(int64_t n) { return static_cast<int64_t>(rng() % static_cast<uint64_t>(n)); }

  CmdRecord next() {
    const int64_t k = r(100);
    const int64_t id = nextId > 1 && r(2) ? 1 + r(nextId) : nextId++;
    const uint32_t owner = static_cast<uint32_t>(r(5));
    CmdRecord c;
    if (k < 45) {
      const uint8_t sd = static_cast<uint8_t>(r(2));
      const int64_t px = 1000 + (sd == 0 ? -r(12) + 3 : r(12) - 3);
      c = limit(id, sd, px, 1 + r(20), owner, r(10) < 8 ? tif::GTC : static_cast<uint8_t>(1 + r(2)),
                static_cast<uint8_t>(r(5)), r(10) == 0 ? flags::POST_ONLY : 0);
    } else if (k < 50) {
      c = market(id, static_cast<uint8_t>(r(2)), 1 + r(40), r(2) ? 0 : 990 + r(20), owner,
                 r(3) ? tif::IOC : tif::FOK, static_cast<uint8_t>(r(5)));
    } else if (k < 75) {
      c = cancel(1 + r(nextId), owner);
    } else if (k < 88) {
      c = amend(1 + r(nextId), 990 + r(20), 1 + r(25), owner);
      if (r(3) == 0) c.flags = amendcmdflags::TOTAL_QTY;  // total: below/at/above filled
    } else if (k < 91) {
      c = massCancel(owner);
    } else {  // garbage
      c = limit(id, static_cast<uint8_t>(r(4)), 1000 + r(5), r(3) - 1, owner);
      c.type = static_cast<uint8_t>(r(7));
      c.ordType = static_cast<uint8_t>(r(3));
      c.tif = static_cast<uint8_t>(r(4));
      c.flags = static_cast<uint8_t>(r(4));
      c.stp = static_cast<uint8_t>(r(7));
      if (r(4) == 0) c.book = static_cast<uint16_t>(r(3));
      if (r(4) == 0) c.orderId = static_cast<int64_t>(rng());
      if (r(4) == 0) c.qty = static_cast<int64_t>(rng());
      if (r(4) == 0) c.price = static_cast<int64_t>(rng());
    }
    c.ts = 1'700'000'000'000'000 + nextId;
    return c;
  }
};

void checkStream(const std::vector<EvtRecord>& ev, int64_t& lastSeq) {
  CHECK(!ev.empty());
  CHECK(ev[0].type == evttype::ACCEPTED || ev[0].type == evttype::REJECTED);
  if (ev[0].type == evttype::REJECTED) CHECK_EQ(ev.size(), 1u);
  for (std::size_t i = 0; i < ev.size(); ++i) {
    if (ev[i].seq == 0) continue;  // reject for a missing book
    CHECK_EQ(ev[i].seq, lastSeq + 1);
    lastSeq = ev[i].seq;
    if (i > 0) CHECK(ev[i].type != evttype::ACCEPTED && ev[i].type != evttype::REJECTED);
    if (ev[i].type == evttype::TRADE) CHECK(ev[i].s[3] > 0 && ev[i].s[4] >= 0 && ev[i].s[5] >= 0);
    if (ev[i].type == evttype::L2) CHECK(ev[i].s[1] >= 0 && ev[i].s[2] >= 0);
  }
}

}  // namespace

TEST(random_streams_keep_every_invariant) {
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    Fixture f;
    Gen g(seed);
    int64_t lastSeq = 0;
    int trades = 0, rejects = 0;
    for (int i = 0; i < 20000; ++i) {
      const auto& ev = f.run(g.next());  // validate() runs after every command
      checkStream(ev, lastSeq);
      for (const auto& e : ev) {
        trades += e.type == evttype::TRADE;
        rejects += e.type == evttype::REJECTED;
      }
    }
    CHECK(trades > 1000);
    CHECK(rejects > 1000);
  }
}

TEST(snapshot_restore_continues_identically) {
  Fixture a, b;
  Gen g(99);
  std::vector<CmdRecord> cmds;
  for (int i = 0; i < 30000; ++i) cmds.push_back(g.next());
  a.runMany(cmds.data(), 15000);
  const std::vector<uint8_t> img = a.book().snapshot();
  CHECK_EQ(img.size(), kSnapHeaderSize + static_cast<std::size_t>(a.book().stats().orders) * kSnapOrderSize);
  b.eng.restore(0, img.data(), img.size());
  b.book().validate();
  CHECK(b.book().snapshot() == img);
  for (int i = 15000; i < 30000; i += 100) {
    const auto& ea = a.runMany(cmds.data() + i, 100);
    std::vector<EvtRecord> ca = ea;
    const auto& eb = b.runMany(cmds.data() + i, 100);
    CHECK_EQ(ca.size(), eb.size());
    CHECK(ca.size() == eb.size() && std::memcmp(ca.data(), eb.data(), ca.size() * kEvtSize) == 0);
  }
  CHECK(a.book().snapshot() == b.book().snapshot());
}

TEST(restore_rejects_malformed_images_and_keeps_the_book) {
  Fixture f;
  f.run(limit(1, 0, 100, 5, 3));
  f.run(limit(2, 0, 100, 5, 3));
  f.run(limit(3, 1, 105, 5, 4));
  const std::vector<uint8_t> good = f.book().snapshot();
  auto mutate = [&](std::size_t off, const void* v, std::size_t n) {
    std::vector<uint8_t> img = good;
    std::memcpy(img.data() + off, v, n);
    return img;
  };
  const uint32_t badMagic = 1;
  const uint16_t badVersion = 9, otherBook = 1;
  const int64_t badCount = 4, negSeq = -1, zero = 0, crossedPrice = 110;
  const uint8_t two = 2, badStp = 7;
  const int64_t rank5 = 5;
  std::vector<std::vector<uint8_t>> bads = {
      mutate(0, &badMagic, 4), mutate(4, &badVersion, 2), mutate(6, &otherBook, 2),
      mutate(32, &badCount, 8), mutate(8, &negSeq, 8), mutate(16, &zero, 8),
      mutate(40 + 0, &zero, 8),                      // order id 0
      mutate(40 + 12, &two, 1),                      // side 2
      mutate(40 + 14, &badStp, 1),                   // stp 7
      mutate(40 + 24, &zero, 8),                     // leaves 0
      mutate(40 + 40, &negSeq, 8),                   // filled -1
      mutate(40 + kSnapOrderSize + 0, &good[40], 8),  // duplicate id (order 2 := id 1)
      mutate(40 + kSnapOrderSize + 32, &rank5, 8),    // owner rank gap
      mutate(40 + 16, &crossedPrice, 8),             // bid 110 >= ask 105 (and out of order)
      std::vector<uint8_t>(good.begin(), good.end() - 1),
      std::vector<uint8_t>(good.begin(), good.begin() + 10),
  };
  for (const auto& img : bads) CHECK_THROWS(f.eng.restore(0, img.data(), img.size()));
  CHECK(f.book().snapshot() == good);
  f.book().validate();
  // A crossed book with levels in order: bid 106 (only bid) vs ask 105.
  std::vector<uint8_t> crossed = good;
  const int64_t p106 = 106;
  std::memcpy(crossed.data() + 40 + 16, &p106, 8);
  std::memcpy(crossed.data() + 40 + kSnapOrderSize + 16, &p106, 8);
  CHECK_THROWS(f.eng.restore(0, crossed.data(), crossed.size()));
  // Empty image restores an empty book with the header's counters.
  SnapHeader h{kSnapMagic, static_cast<uint16_t>(kEngineAbiVersion), 0, 77, 5, 100, 0};
  std::vector<uint8_t> empty(sizeof h);
  std::memcpy(empty.data(), &h, sizeof h);
  f.eng.restore(0, empty.data(), empty.size());
  CHECK_EQ(f.book().stats().orders, 0);
  CHECK_EQ(f.book().seq(), 77);
  const auto& ev = f.run(limit(9, 0, 100, 1));
  CHECK_EQ(ev[0].seq, 78);
}
