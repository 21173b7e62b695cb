// AMEND with AmendCmdFlags::TOTAL_QTY (docs/ENGINE.md "AMEND with TOTAL_QTY"): qty is the
// order's new total, leaves = total - filled; at or below filled the remainder is cancelled
// (AMEND_TO_FILLED). The per-order filled quantity survives snapshot/restore.
#include <vector>

#include "harness.h"

using namespace simex_test;

namespace {
CmdRecord amendTotal(int64_t id, int64_t price, int64_t total, uint32_t owner = 0) {
  CmdRecord c = amend(id, price, total, owner);
  c.flags = amendcmdflags::TOTAL_QTY;
  return c;
}
}  // namespace

TEST(amend_total_counts_fills_against_the_total) {
  Fixture f;
  f.run(limit(1, 1, 100, 10, 7));  // sell 10
  f.run(limit(2, 0, 100, 3));      // buy 3 fills 3 of it
  OrderView o;
  CHECK(f.book().order(1, o));
  CHECK_EQ(o.leaves, 7);
  CHECK_EQ(o.filled, 3);
  auto& ev = f.run(amendTotal(1, 100, 5, 7));  // total 5: 2 left, priority kept
  CHECK_EQ(ev.size(), 3u);
  CHECK_EQ(ev[0].type, evttype::ACCEPTED);
  CHECK_EQ(ev[0].s[3], 5);  // echoes the total asked
  CHECK_EQ(ev[1].type, evttype::AMENDED);
  CHECK_EQ(ev[1].flags, amendflags::PRIORITY_KEPT);
  CHECK_EQ(ev[1].s[3], 2);
  CHECK_EQ(ev[1].s[5], 7);
  CHECK(isL2(ev[2], 1, 100, 2, 1));
  CHECK_EQ(f.run(amendTotal(1, 100, 5, 7))[0].reason, reject::AMEND_NO_CHANGE);
  // Without the flag qty is still absolute leaves.
  auto& ev2 = f.run(amend(1, 100, 4, 7));
  CHECK_EQ(ev2[1].s[3], 4);
  CHECK(f.book().order(1, o));
  CHECK_EQ(o.filled, 3);
}

TEST(amend_total_at_or_below_filled_cancels) {
  for (int64_t total : {3, 2}) {
    Fixture f;
    f.run(limit(1, 1, 100, 10, 7));
    f.run(limit(2, 0, 100, 3));
    auto& ev = f.run(amendTotal(1, 100, total, 7));
    CHECK_EQ(ev.size(), 3u);  // ACCEPTED CANCELLED L2, no AMENDED
    CHECK_EQ(ev[0].type, evttype::ACCEPTED);
    CHECK_EQ(ev[1].type, evttype::CANCELLED);
    CHECK_EQ(ev[1].reason, cancelreason::AMEND_TO_FILLED);
    CHECK_EQ(ev[1].cmdType, cmdtype::AMEND);
    CHECK_EQ(ev[1].s[0], 1);
    CHECK_EQ(ev[1].s[3], 7);  // the open quantity cancelled
    CHECK(isL2(ev[2], 1, 100, 0, 0));
    CHECK_EQ(f.book().stats().orders, 0);
    CHECK_EQ(f.run(massCancel(7))[0].s[3], 0);  // gone from the owner list too
  }
}

TEST(amend_total_taker_fills_and_crossing_amends_count) {
  Fixture f;
  f.run(limit(1, 1, 100, 4));        // sell 4 @100
  f.run(limit(2, 0, 100, 10, 7));    // buy 10: takes 4 on entry, rests 6
  f.run(limit(3, 1, 102, 3));        // sell 3 @102
  auto& ev = f.run(amendTotal(2, 102, 12, 7));  // reprice: takes 3 more, 12 - 4 = 8 -> 5 rest
  CHECK_EQ(ev[1].type, evttype::AMENDED);
  CHECK_EQ(ev[1].s[3], 8);
  CHECK_EQ(ev[2].type, evttype::TRADE);
  OrderView o;
  CHECK(f.book().order(2, o));
  CHECK_EQ(o.leaves, 5);
  CHECK_EQ(o.filled, 7);
  CHECK_EQ(f.run(amendTotal(2, 102, 7, 7))[1].reason, cancelreason::AMEND_TO_FILLED);
}

TEST(amend_total_stp_decrement_is_not_a_fill) {
  Fixture f;
  f.run(limit(1, 1, 100, 10, 7));
  f.run(limit(2, 0, 100, 4, 7, tif::IOC, stp::DECREMENT_AND_CANCEL));  // decrements 1 by 4
  OrderView o;
  CHECK(f.book().order(1, o));
  CHECK_EQ(o.leaves, 6);
  CHECK_EQ(o.filled, 0);
  CHECK_EQ(f.run(amendTotal(1, 100, 10, 7))[1].s[3], 10);  // nothing traded: leaves = total
}

TEST(amend_flags_validation) {
  Fixture f;
  f.run(limit(1, 1, 100, 10, 7));
  for (uint8_t fl : {uint8_t{1}, uint8_t{4}, uint8_t{3}, uint8_t{0x80}}) {
    CmdRecord c = amend(1, 100, 5, 7);
    c.flags = fl;
    CHECK_EQ(f.run(c)[0].reason, reject::BAD_FLAGS);
  }
  CmdRecord bad = amend(0, 100, 5, 7);  // flags are checked before the order id
  bad.flags = 1;
  CHECK_EQ(f.run(bad)[0].reason, reject::BAD_FLAGS);
  // The total is validated like a quantity, and the price before the cancel decision.
  CHECK_EQ(f.run(amendTotal(1, 100, 0, 7))[0].reason, reject::BAD_QUANTITY);
  CHECK_EQ(f.run(amendTotal(1, 0, 5, 7))[0].reason, reject::BAD_PRICE);
}

TEST(amend_total_filled_survives_snapshot) {
  Fixture f;
  f.run(limit(1, 1, 100, 10, 7));
  f.run(limit(2, 0, 100, 3));
  const std::vector<uint8_t> img = f.book().snapshot();
  CHECK_EQ(img.size(), kSnapHeaderSize + kSnapOrderSize);
  Fixture g;
  g.eng.restore(0, img.data(), img.size());
  OrderView o;
  CHECK(g.book().order(1, o));
  CHECK_EQ(o.filled, 3);
  CHECK_EQ(g.run(amendTotal(1, 100, 3, 7))[1].reason, cancelreason::AMEND_TO_FILLED);
  std::vector<uint8_t> v1 = img;
  v1[4] = 1;  // version 1 image: refused
  CHECK_THROWS(g.eng.restore(0, v1.data(), v1.size()));
}
