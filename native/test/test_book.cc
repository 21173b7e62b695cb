// Book behaviour, event by event, per ENGINE-SEMANTICS.md.
#include "harness.h"

using namespace simex_test;

TEST(resting_limit_emits_accepted_then_l2) {
  Fixture f;
  auto& ev = f.run(limit(1, side::BUY, 100, 5, 7));
  CHECK_EQ(ev.size(), 2u);
  CHECK_EQ(ev[0].type, evttype::ACCEPTED);
  CHECK_EQ(ev[0].seq, 1);
  CHECK_EQ(ev[0].ts, 1001);
  CHECK_EQ(ev[0].cmdType, cmdtype::NEW);
  CHECK_EQ(ev[0].s[0], 1);
  CHECK_EQ(ev[0].s[1], 7);
  CHECK_EQ(ev[0].s[2], 100);
  CHECK_EQ(ev[0].s[3], 5);
  CHECK(isL2(ev[1], side::BUY, 100, 5, 1));
  CHECK_EQ(ev[1].seq, 2);
  LevelView b;
  CHECK(f.book().best(side::BUY, b) && b.price == 100 && b.qty == 5);
}

TEST(cross_trades_at_maker_price_in_fifo_order) {
  Fixture f;
  f.run(limit(1, side::SELL, 101, 3));
  f.run(limit(2, side::SELL, 101, 4));
  f.run(limit(3, side::SELL, 102, 10));
  auto& ev = f.run(limit(4, side::BUY, 102, 9));
  // ACCEPTED, TRADE(1), TRADE(2), TRADE(3), L2 101 (coalesced), L2 102
  CHECK_EQ(ev.size(), 6u);
  CHECK_EQ(ev[1].type, evttype::TRADE);
  CHECK_EQ(ev[1].side, side::BUY);
  CHECK_EQ(ev[1].s[0], 4);
  CHECK_EQ(ev[1].s[1], 1);
  CHECK_EQ(ev[1].s[2], 101);
  CHECK_EQ(ev[1].s[3], 3);
  CHECK_EQ(ev[1].s[4], 6);
  CHECK_EQ(ev[1].s[5], 0);
  CHECK_EQ(ev[1].s[6], 1);
  CHECK_EQ(ev[2].s[1], 2);
  CHECK_EQ(ev[2].s[6], 2);
  CHECK_EQ(ev[3].s[1], 3);
  CHECK_EQ(ev[3].s[2], 102);
  CHECK_EQ(ev[3].s[3], 2);
  CHECK_EQ(ev[3].s[5], 8);
  CHECK(isL2(ev[4], side::SELL, 101, 0, 0));
  CHECK(isL2(ev[5], side::SELL, 102, 8, 1));
  CHECK_EQ(f.book().stats().lastTradePrice, 102);
  CHECK_EQ(f.book().stats().orders, 1);
}

TEST(partial_fill_rests_remainder) {
  Fixture f;
  f.run(limit(1, side::SELL, 100, 3));
  auto& ev = f.run(limit(2, side::BUY, 100, 5));
  CHECK_EQ(ev.size(), 4u);  // ACCEPTED TRADE L2(sell 100) L2(buy 100)
  CHECK(isL2(ev[2], side::SELL, 100, 0, 0));
  CHECK(isL2(ev[3], side::BUY, 100, 2, 1));
  OrderView o;
  CHECK(f.book().order(2, o) && o.leaves == 2);
}

TEST(ioc_and_market_remainders_cancelled) {
  Fixture f;
  f.run(limit(1, side::SELL, 100, 3));
  auto& ev = f.run(limit(2, side::BUY, 100, 5, 0, tif::IOC));
  CHECK_EQ(ev.size(), 4u);
  CHECK_EQ(ev[2].type, evttype::CANCELLED);
  CHECK_EQ(ev[2].reason, cancelreason::IOC_REMAINDER);
  CHECK_EQ(ev[2].s[2], 100);
  CHECK_EQ(ev[2].s[3], 2);
  f.run(limit(3, side::SELL, 105, 3));
  auto& ev2 = f.run(market(4, side::BUY, 5, 104));  // protection stops at 104
  CHECK_EQ(ev2.size(), 2u);
  CHECK_EQ(ev2[1].type, evttype::CANCELLED);
  CHECK_EQ(ev2[1].s[2], 104);
  CHECK_EQ(ev2[1].s[3], 5);
  auto& ev3 = f.run(market(5, side::BUY, 5));  // no protection: fills 3, cancels 2
  CHECK_EQ(ev3[1].type, evttype::TRADE);
  CHECK_EQ(ev3[2].type, evttype::CANCELLED);
  CHECK_EQ(ev3[2].s[2], 0);
  CHECK_EQ(ev3[2].s[3], 2);
}

TEST(validation_order_and_reject_payload) {
  Fixture f;
  CmdRecord c = limit(5, 9, 100, 1, 77);  // bad side
  c.ordType = 9;                         // also bad type: side wins
  auto& ev = f.run(c);
  CHECK_EQ(ev.size(), 1u);
  CHECK_EQ(ev[0].type, evttype::REJECTED);
  CHECK_EQ(ev[0].reason, reject::BAD_SIDE);
  CHECK_EQ(ev[0].side, 9);
  CHECK_EQ(ev[0].s[0], 5);
  CHECK_EQ(ev[0].s[1], 77);
  CHECK_EQ(ev[0].seq, 1);
  CHECK_EQ(f.run(market(6, 0, 5, 0, 0, tif::GTC))[0].reason, reject::BAD_TIF);
  CHECK_EQ(f.run(limit(6, 0, 100, 5, 0, 3))[0].reason, reject::BAD_TIF);
  CHECK_EQ(f.run(limit(6, 0, 100, 5, 0, tif::IOC, 0, flags::POST_ONLY))[0].reason, reject::BAD_FLAGS);
  CHECK_EQ(f.run(limit(6, 0, 100, 5, 0, tif::GTC, 0, 2))[0].reason, reject::BAD_FLAGS);
  CHECK_EQ(f.run(limit(6, 0, 100, 5, 0, tif::GTC, 5))[0].reason, reject::BAD_STP_MODE);
  CHECK_EQ(f.run(limit(0, 0, 100, 5))[0].reason, reject::BAD_ORDER_ID);
  CHECK_EQ(f.run(limit(int64_t{1} << 53, 0, 100, 5))[0].reason, reject::BAD_ORDER_ID);
  CmdRecord neg = limit(-1, 0, 100, 5);
  auto& nev = f.run(neg);
  CHECK_EQ(nev[0].reason, reject::BAD_ORDER_ID);
  CHECK_EQ(nev[0].s[0], -1);  // raw bytes echoed
  f.run(limit(1, 0, 100, 5));
  CHECK_EQ(f.run(limit(1, 0, 100, 5))[0].reason, reject::DUPLICATE_ORDER_ID);
  CHECK_EQ(f.run(limit(2, 0, 100, 0))[0].reason, reject::BAD_QUANTITY);
  CHECK_EQ(f.run(limit(2, 0, 100, -5))[0].reason, reject::BAD_QUANTITY);
  CHECK_EQ(f.run(limit(2, 0, 0, 5))[0].reason, reject::BAD_PRICE);
  CHECK_EQ(f.run(market(2, 0, 5, -3))[0].reason, reject::BAD_PRICE);
  CHECK_EQ(f.run(limit(2, 0, 2'000'000'000, 5))[0].reason, reject::BAD_PRICE);
  CHECK_EQ(f.book().stats().orders, 1);
}

TEST(lot_tick_and_band) {
  InstrumentSpec s = testSpec();
  s.lotSize = 10;
  s.minQty = 10;
  s.tickSize = 5;
  s.bandBps = 1000;  // 10%
  Fixture f(s);
  CHECK_EQ(f.run(limit(1, 0, 100, 15))[0].reason, reject::BAD_LOT);
  CHECK_EQ(f.run(limit(1, 0, 101, 10))[0].reason, reject::OFF_TICK);
  CHECK_EQ(f.run(market(1, 0, 10, 101))[0].reason, reject::OFF_TICK);
  CHECK_EQ(f.run(limit(1, 0, 5000, 10))[0].type, evttype::ACCEPTED);  // no trade yet: no band
  f.run(limit(2, 1, 1000, 10));                                         // trades at 5000
  CHECK_EQ(f.book().stats().lastTradePrice, 5000);
  CHECK_EQ(f.run(limit(3, 0, 5500, 10))[0].type, evttype::ACCEPTED);  // exactly 10%: ok
  CHECK_EQ(f.run(limit(4, 1, 4495, 10))[0].reason, reject::PRICE_OUT_OF_BAND);
  CHECK_EQ(f.run(amend(3, 5505, 10))[0].reason, reject::PRICE_OUT_OF_BAND);
  CHECK_EQ(f.run(market(5, 1, 10, 100))[0].type, evttype::ACCEPTED);  // market: no band
}

TEST(unknown_command_and_unknown_book) {
  Fixture f;
  CmdRecord c = limit(1, 0, 100, 5);
  c.type = 9;
  auto& ev = f.run(c);
  CHECK_EQ(ev[0].reason, reject::UNKNOWN_COMMAND);
  CHECK_EQ(ev[0].seq, 1);  // book exists: seq assigned
  CHECK_EQ(ev[0].cmdType, 9);
  c.book = 3;
  auto& ev2 = f.run(c);
  CHECK_EQ(ev2[0].reason, reject::UNKNOWN_COMMAND);
  CHECK_EQ(ev2[0].seq, 0);
  CHECK_EQ(ev2[0].book, 3);
  c.type = cmdtype::NEW;
  auto& ev3 = f.run(c);
  CHECK_EQ(ev3[0].reason, reject::UNKNOWN_BOOK);
  CHECK_EQ(ev3[0].seq, 0);
  CHECK_EQ(f.book().seq(), 1);
}

TEST(post_only_and_fok) {
  Fixture f;
  f.run(limit(1, 1, 100, 5, 1));
  f.run(limit(2, 1, 101, 5, 2));
  CHECK_EQ(f.run(limit(3, 0, 100, 1, 0, tif::GTC, 0, flags::POST_ONLY))[0].reason,
           reject::POST_ONLY_WOULD_CROSS);
  CHECK_EQ(f.run(limit(3, 0, 99, 1, 0, tif::GTC, 0, flags::POST_ONLY))[0].type, evttype::ACCEPTED);
  CHECK_EQ(f.run(limit(4, 0, 101, 11, 0, tif::FOK))[0].reason, reject::FOK_NOT_FILLABLE);
  CHECK_EQ(f.run(limit(4, 0, 100, 6, 0, tif::FOK))[0].reason, reject::FOK_NOT_FILLABLE);
  // Owner 1 FOK with CANCEL_OLDEST skips its own maker (5 at 100) -> needs 6 of owner 2's 5.
  CHECK_EQ(f.run(limit(4, 0, 101, 6, 1, tif::FOK, stp::CANCEL_OLDEST))[0].reason, reject::FOK_NOT_FILLABLE);
  CHECK_EQ(f.run(limit(4, 0, 101, 5, 1, tif::FOK, stp::CANCEL_NEWEST))[0].reason, reject::FOK_NOT_FILLABLE);
  auto& ev = f.run(limit(4, 0, 101, 5, 1, tif::FOK, stp::CANCEL_OLDEST));
  CHECK_EQ(ev[0].type, evttype::ACCEPTED);
  CHECK_EQ(ev[1].type, evttype::CANCELLED);  // own maker 1 removed
  CHECK_EQ(ev[1].reason, cancelreason::SELF_TRADE);
  CHECK_EQ(ev[1].s[0], 1);
  CHECK_EQ(ev[2].type, evttype::TRADE);
  CHECK_EQ(ev[2].s[1], 2);
  CHECK_EQ(ev.size(), 5u);  // + L2 sell 100, L2 sell 101
  auto& ev2 = f.run(market(5, 0, 1, 0, 0, tif::FOK));
  CHECK_EQ(ev2[0].reason, reject::FOK_NOT_FILLABLE);
}

TEST(stp_cancel_newest_and_both) {
  Fixture f;
  f.run(limit(1, 1, 100, 5, 9));
  auto& ev = f.run(limit(2, 0, 100, 3, 9, tif::GTC, stp::CANCEL_NEWEST));
  CHECK_EQ(ev.size(), 2u);
  CHECK_EQ(ev[1].type, evttype::CANCELLED);
  CHECK_EQ(ev[1].s[0], 2);
  CHECK_EQ(ev[1].s[2], 100);
  CHECK_EQ(ev[1].s[3], 3);
  CHECK_EQ(f.book().stats().orders, 1);
  auto& ev2 = f.run(limit(3, 0, 100, 3, 9, tif::GTC, stp::CANCEL_BOTH));
  CHECK_EQ(ev2.size(), 4u);
  CHECK_EQ(ev2[1].s[0], 1);
  CHECK_EQ(ev2[2].s[0], 3);
  CHECK(isL2(ev2[3], 1, 100, 0, 0));
  CHECK_EQ(f.book().stats().orders, 0);
  // Owner 0 never self-trades; STP NONE allows self-trades.
  f.run(limit(4, 1, 100, 5, 9));
  CHECK_EQ(f.run(limit(5, 0, 100, 1, 9))[1].type, evttype::TRADE);
}

TEST(stp_decrement_and_cancel) {
  Fixture f;
  f.run(limit(1, 1, 100, 5, 9));
  f.run(limit(2, 1, 100, 4, 8));
  auto& ev = f.run(limit(3, 0, 100, 7, 9, tif::GTC, stp::DECREMENT_AND_CANCEL));
  // maker 1 (5) removed: CANCELLED(1, leaves 5); taker 7 -> 2: DECREMENTED(3, 100, 2, 5);
  // then trade 2 with maker 2; L2 sell 100 (4-2=2, 1 order)
  CHECK_EQ(ev.size(), 5u);
  CHECK_EQ(ev[1].type, evttype::CANCELLED);
  CHECK_EQ(ev[1].s[3], 5);
  CHECK_EQ(ev[2].type, evttype::DECREMENTED);
  CHECK_EQ(ev[2].s[0], 3);
  CHECK_EQ(ev[2].s[2], 100);
  CHECK_EQ(ev[2].s[3], 2);
  CHECK_EQ(ev[2].s[4], 5);
  CHECK_EQ(ev[3].type, evttype::TRADE);
  CHECK_EQ(ev[3].s[3], 2);
  CHECK(isL2(ev[4], 1, 100, 2, 1));
  f.run(limit(4, 1, 100, 10, 8));
  auto& ev2 = f.run(market(5, 0, 3, 0, 8, tif::IOC, stp::DECREMENT_AND_CANCEL));
  // maker 2 (2 left) removed; taker 3->1 DECREMENTED s2=0 (market); maker 4 10->9 DECREMENTED;
  // taker cancelled with leaves 1.
  CHECK_EQ(ev2[1].type, evttype::CANCELLED);
  CHECK_EQ(ev2[1].s[0], 2);
  CHECK_EQ(ev2[2].type, evttype::DECREMENTED);
  CHECK_EQ(ev2[2].s[2], 0);
  CHECK_EQ(ev2[2].s[3], 1);
  CHECK_EQ(ev2[3].type, evttype::DECREMENTED);
  CHECK_EQ(ev2[3].s[0], 4);
  CHECK_EQ(ev2[3].s[3], 9);
  CHECK_EQ(ev2[3].s[4], 1);
  CHECK_EQ(ev2[4].type, evttype::CANCELLED);
  CHECK_EQ(ev2[4].s[0], 5);
  CHECK_EQ(ev2[4].s[3], 1);
  CHECK(isL2(ev2[5], 1, 100, 9, 1));
  CHECK_EQ(ev2.size(), 6u);
}

TEST(cancel_and_owner_checks) {
  Fixture f;
  f.run(limit(1, 0, 100, 5, 3));
  CHECK_EQ(f.run(cancel(0, 3))[0].reason, reject::BAD_ORDER_ID);
  CHECK_EQ(f.run(cancel(2, 3))[0].reason, reject::UNKNOWN_ORDER);
  CHECK_EQ(f.run(cancel(1, 4))[0].reason, reject::NOT_OWNER);
  auto& ev = f.run(cancel(1, 3));
  CHECK_EQ(ev.size(), 3u);
  CHECK_EQ(ev[0].type, evttype::ACCEPTED);
  CHECK_EQ(ev[0].s[2], 100);
  CHECK_EQ(ev[0].s[3], 5);
  CHECK_EQ(ev[0].cmdType, cmdtype::CANCEL);
  CHECK_EQ(ev[1].reason, cancelreason::USER);
  CHECK(isL2(ev[2], 0, 100, 0, 0));
  CHECK_EQ(f.run(cancel(1, 3))[0].reason, reject::UNKNOWN_ORDER);
  CHECK_EQ(f.run(limit(1, 0, 100, 5, 3))[0].type, evttype::ACCEPTED);  // id reusable once gone
}

TEST(amend_keeps_or_loses_priority) {
  Fixture f;
  f.run(limit(1, 0, 100, 5, 1));
  f.run(limit(2, 0, 100, 5, 2));
  CHECK_EQ(f.run(amend(1, 100, 5, 1))[0].reason, reject::AMEND_NO_CHANGE);
  CHECK_EQ(f.run(amend(1, 100, 5, 2))[0].reason, reject::NOT_OWNER);
  CHECK_EQ(f.run(amend(1, 101, 0, 1))[0].reason, reject::BAD_QUANTITY);
  auto& ev = f.run(amend(1, 100, 3, 1));
  CHECK_EQ(ev.size(), 3u);
  CHECK_EQ(ev[1].type, evttype::AMENDED);
  CHECK_EQ(ev[1].flags, amendflags::PRIORITY_KEPT);
  CHECK_EQ(ev[1].s[3], 3);
  CHECK_EQ(ev[1].s[4], 100);
  CHECK_EQ(ev[1].s[5], 5);
  CHECK(isL2(ev[2], 0, 100, 8, 2));
  auto& ev2 = f.run(limit(3, 1, 100, 2));
  CHECK_EQ(ev2[1].s[1], 1);  // order 1 still first
  auto& ev3 = f.run(amend(1, 100, 4, 1));  // qty up: loses priority
  CHECK_EQ(ev3[1].flags, 0);
  CHECK_EQ(ev3.size(), 3u);  // ACCEPTED AMENDED L2 (coalesced remove+append)
  CHECK(isL2(ev3[2], 0, 100, 9, 2));
  auto& ev4 = f.run(limit(4, 1, 100, 1));
  CHECK_EQ(ev4[1].s[1], 2);  // order 2 now first
}

TEST(amend_reprice_crosses_and_matches) {
  Fixture f;
  f.run(limit(1, 1, 105, 2));
  f.run(limit(2, 0, 100, 5, 6));
  auto& ev = f.run(amend(2, 105, 5, 6));
  // ACCEPTED AMENDED TRADE L2(buy 100 gone) L2(sell 105 gone) L2(buy 105 rests 3)
  CHECK_EQ(ev.size(), 6u);
  CHECK_EQ(ev[1].type, evttype::AMENDED);
  CHECK_EQ(ev[1].s[4], 100);
  CHECK_EQ(ev[2].type, evttype::TRADE);
  CHECK_EQ(ev[2].s[0], 2);
  CHECK_EQ(ev[2].s[4], 3);
  CHECK(isL2(ev[3], 0, 100, 0, 0));
  CHECK(isL2(ev[4], 1, 105, 0, 0));
  CHECK(isL2(ev[5], 0, 105, 3, 1));
  f.run(limit(3, 1, 106, 3));
  auto& ev2 = f.run(amend(2, 106, 3, 6));  // fully fills: leaves the index and owner list
  CHECK_EQ(ev2[2].type, evttype::TRADE);
  CHECK_EQ(f.book().stats().orders, 0);
  OrderView o;
  CHECK(!f.book().order(2, o));
  CHECK_EQ(f.run(massCancel(6))[0].s[3], 0);
}

TEST(amend_post_only_would_cross) {
  Fixture f;
  f.run(limit(1, 1, 105, 2));
  f.run(limit(2, 0, 100, 5, 0, tif::GTC, 0, flags::POST_ONLY));
  CHECK_EQ(f.run(amend(2, 105, 5))[0].reason, reject::POST_ONLY_WOULD_CROSS);
  CHECK_EQ(f.run(amend(2, 104, 5))[0].type, evttype::ACCEPTED);
}

TEST(mass_cancel_in_acceptance_order) {
  Fixture f;
  f.run(limit(1, 0, 100, 1, 5));
  f.run(limit(2, 1, 110, 1, 5));
  f.run(limit(3, 0, 99, 1, 6));
  f.run(limit(4, 0, 100, 1, 5));
  f.run(amend(1, 98, 1, 5));  // amend keeps the owner-list position
  CHECK_EQ(f.run(massCancel(0))[0].reason, reject::BAD_OWNER);
  auto& ev = f.run(massCancel(5));
  CHECK_EQ(ev[0].type, evttype::ACCEPTED);
  CHECK_EQ(ev[0].s[0], 0);
  CHECK_EQ(ev[0].s[1], 5);
  CHECK_EQ(ev[0].s[3], 3);
  CHECK_EQ(ev[1].s[0], 1);
  CHECK_EQ(ev[2].s[0], 2);
  CHECK_EQ(ev[3].s[0], 4);
  CHECK_EQ(ev[1].reason, cancelreason::MASS_CANCEL);
  // L2 in touch order: buy 98, sell 110, buy 100
  CHECK(isL2(ev[4], 0, 98, 0, 0));
  CHECK(isL2(ev[5], 1, 110, 0, 0));
  CHECK(isL2(ev[6], 0, 100, 0, 0));
  CHECK_EQ(ev.size(), 7u);
  CHECK_EQ(f.book().stats().orders, 1);
}

TEST(l2_non_consecutive_touches_repeat) {
  Fixture f;
  f.run(limit(1, 0, 100, 1, 5));
  f.run(limit(2, 0, 101, 1, 5));
  f.run(limit(3, 0, 100, 1, 5));
  auto& ev = f.run(massCancel(5));
  CHECK(isL2(ev[4], 0, 100, 0, 0));
  CHECK(isL2(ev[5], 0, 101, 0, 0));
  CHECK(isL2(ev[6], 0, 100, 0, 0));
}

TEST(book_full_rejects_gtc_but_not_ioc) {
  Fixture f(testSpec(2));
  f.run(limit(1, 0, 100, 1));
  f.run(limit(2, 1, 105, 1));
  CHECK_EQ(f.run(limit(3, 1, 100, 1))[0].reason, reject::BOOK_FULL);  // would fill: still full
  CHECK_EQ(f.run(limit(3, 1, 100, 1, 0, tif::IOC))[0].type, evttype::ACCEPTED);
  CHECK_EQ(f.run(limit(4, 1, 100, 1))[0].type, evttype::ACCEPTED);
}

TEST(event_sink_grows_through_a_100k_maker_sweep) {
  Fixture f;
  const int n = 100000;
  std::vector<CmdRecord> cmds;
  for (int i = 0; i < n; ++i) cmds.push_back(limit(i + 1, 1, 1000 + i, 1));
  for (int i = 0; i < n; i += 1000) f.runMany(cmds.data() + i, 1000);  // sink stays small
  f.sink.growths = 0;
  CHECK(f.sink.capacity < 1u + 2u * n);
  auto& ev = f.run(market(n + 1, 0, n));
  CHECK(f.sink.growths > 0);
  CHECK_EQ(ev.size(), 1u + 2u * n);  // ACCEPTED, n trades, n L2
  CHECK_EQ(ev[n].type, evttype::TRADE);
  CHECK_EQ(ev[n].s[6], n);
  CHECK_EQ(ev.back().type, evttype::L2);
  CHECK_EQ(ev.back().seq, f.book().seq());
  CHECK_EQ(f.book().stats().orders, 0);
}
