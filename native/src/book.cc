// Book: command execution, matching, L2 deferral, snapshot/restore. Rules and event order:
// /work/team/ENGINE-SEMANTICS.md; choices where it is silent are marked "CHOICE" and listed
// in /work/team/SPEC-CHANGES.md.
#include "book.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <tuple>

#include "probes.h"

namespace simex {

namespace {
inline bool bad(int64_t v, int64_t lo, int64_t hi) { return v < lo || v > hi; }
// Filled quantities saturate at 2^53-1 (the TS engine's exact range): a + b < 2^63 here.
inline int64_t satAdd(int64_t a, int64_t b) { return a + b > kMaxSafe ? kMaxSafe : a + b; }
}  // namespace

Book::Book(uint16_t index, const InstrumentSpec& spec)
    : index_(index),
      spec_(spec),
      orders_(Pool<Order>::kChunk),
      levels_(Pool<Level, 12>::kChunk),
      ownerRecs_(Pool<OwnerRec, 12>::kChunk) {
  checkSpec(spec_);
  pending_.reserve(64);
}

// ---------------------------------------------------------------------------------------
// Event helpers. Every event: seq = ++seq_, ts and cmdType from the command.

// The record is written in place in the sink (no stack copy: a copy re-reads the narrow
// header stores as wide loads and stalls on store forwarding). The reference is valid until
// the next begin() (the sink may grow); callers fill the payload before emitting again.
EvtRecord& Book::begin(EventSink& out, uint8_t type, uint8_t side, const CmdRecord& c) {
  EvtRecord& e = out.next();
  e.type = type;
  e.side = side;
  e.reason = 0;
  e.cmdType = c.type;
  e.book = index_;
  e.flags = 0;
  e.seq = ++seq_;
  e.ts = c.ts;
  for (int64_t& v : e.s) v = 0;
  return e;
}

void Book::reject(const CmdRecord& c, uint8_t reason, EventSink& out) {
  EvtRecord& e = begin(out, evttype::REJECTED, c.side, c);
  e.reason = reason;
  e.s[0] = c.orderId;  // raw 8 bytes (memcpy'd from the record, never re-encoded)
  e.s[1] = c.owner;
}

void Book::emitCancelledOrder(const Order& o, uint8_t reason, const CmdRecord& c, EventSink& out) {
  EvtRecord& e = begin(out, evttype::CANCELLED, o.side, c);
  e.reason = reason;
  e.s[0] = o.id;
  e.s[1] = o.owner;
  e.s[2] = o.price;
  e.s[3] = o.leaves;
  SIMEX_PROBE_ORDER_CANCELLED(index_, o.id, o.leaves);
}

// CHOICE: a cancelled taker reports s2 = its price field as sent (limit price; market: the
// protection price or 0), for IOC_REMAINDER (normative) and SELF_TRADE alike.
void Book::emitCancelledTaker(const Taker& t, uint8_t reason, int64_t leaves, const CmdRecord& c,
                              EventSink& out) {
  EvtRecord& e = begin(out, evttype::CANCELLED, t.side, c);
  e.reason = reason;
  e.s[0] = t.id;
  e.s[1] = t.owner;
  e.s[2] = t.price;
  e.s[3] = leaves;
  SIMEX_PROBE_ORDER_CANCELLED(index_, t.id, leaves);
}

void Book::touch(uint32_t li) {
  const Level& L = levels_[li];
  if (!pending_.empty()) {
    const Touch& last = pending_.back();
    if (last.side == L.side && last.price == L.price) return;
  }
  pending_.push_back(Touch{L.price, li, L.gen, L.side});
}

void Book::flushL2(const CmdRecord& c, EventSink& out) {
  for (const Touch& t : pending_) {
    int64_t qty = 0, count = 0;
    const Level& L = levels_[t.level];
    if (L.gen == t.gen) {  // same level still alive
      qty = L.total;
      count = L.count;
    } else {  // level was erased; a new one may exist at the same price
      const uint32_t li = findLevel(t.side, t.price);
      if (li != kNil) {
        qty = levels_[li].total;
        count = levels_[li].count;
      }
    }
    EvtRecord& e = begin(out, evttype::L2, t.side, c);
    e.s[0] = t.price;
    e.s[1] = qty;
    e.s[2] = count;
  }
  pending_.clear();
}

// ---------------------------------------------------------------------------------------
// Structure maintenance.

uint32_t Book::levelFor(uint8_t side, int64_t price) {
  SideBook& sb = sides_[side];
  if (sb.best != kNil && levels_[sb.best].price == price) return sb.best;
  const uint32_t found = findLevel(side, price);
  if (found != kNil) return found;
  // New level: O(log L) tree insert. Each step can throw bad_alloc; undo the earlier ones.
  const uint32_t li = levels_.alloc();
  LevelMap::iterator it;
  try {
    it = sb.map.try_emplace(keyOf(side, price), li).first;
  } catch (...) {
    levels_.release(li);
    throw;
  }
  try {
    levelIds_.insert(levelKey(side, price), li);
  } catch (...) {
    sb.map.erase(it);
    levels_.release(li);
    throw;
  }
  Level& L = levels_[li];
  L.price = price;
  L.total = 0;
  L.count = 0;
  L.head = L.tail = kNil;
  L.it = it;
  L.side = side;
  sb.best = sb.map.begin()->second;
  return li;
}

void Book::linkToLevel(uint32_t oi) {
  Order& o = orders_[oi];
  const uint32_t li = levelFor(o.side, o.price);
  Level& L = levels_[li];
  o.level = li;
  o.next = kNil;
  o.prev = L.tail;
  if (L.tail != kNil) orders_[L.tail].next = oi;
  else L.head = oi;
  L.tail = oi;
  ++L.count;
  L.total += o.leaves;
  touch(li);
}

void Book::unlinkFromLevel(uint32_t oi) {
  Order& o = orders_[oi];
  const uint32_t li = o.level;
  Level& L = levels_[li];
  touch(li);
  if (o.prev != kNil) orders_[o.prev].next = o.next;
  else L.head = o.next;
  if (o.next != kNil) orders_[o.next].prev = o.prev;
  else L.tail = o.prev;
  --L.count;
  L.total -= o.leaves;
  o.level = kNil;
  if (L.count == 0) {
    SideBook& sb = sides_[L.side];
    sb.map.erase(L.it);
    levelIds_.erase(levelKey(L.side, L.price));
    sb.best = sb.map.empty() ? kNil : sb.map.begin()->second;
    ++L.gen;
    levels_.release(li);
  }
}

void Book::ownerAppend(uint32_t oi) {
  Order& o = orders_[oi];
  o.ownerNext = o.ownerPrev = kNil;
  if (o.owner == 0) {
    o.ownerRec = kNil;
    return;
  }
  uint32_t ri = owners_.find(o.owner);
  if (ri == kNil) {
    ri = ownerRecs_.alloc();
    try {
      owners_.insert(o.owner, ri);
    } catch (...) {
      ownerRecs_.release(ri);
      throw;
    }
    ownerRecs_[ri] = OwnerRec{o.owner, kNil, kNil, 0};
  }
  OwnerRec& r = ownerRecs_[ri];
  o.ownerRec = ri;
  o.ownerPrev = r.tail;
  if (r.tail != kNil) orders_[r.tail].ownerNext = oi;
  else r.head = oi;
  r.tail = oi;
  ++r.count;
}

void Book::ownerUnlink(uint32_t oi) {
  Order& o = orders_[oi];
  if (o.ownerRec == kNil) return;
  OwnerRec& r = ownerRecs_[o.ownerRec];
  if (o.ownerPrev != kNil) orders_[o.ownerPrev].ownerNext = o.ownerNext;
  else r.head = o.ownerNext;
  if (o.ownerNext != kNil) orders_[o.ownerNext].ownerPrev = o.ownerPrev;
  else r.tail = o.ownerPrev;
  if (--r.count == 0) {  // owner records live only while the owner has orders
    owners_.erase(r.owner);
    ownerRecs_.release(o.ownerRec);
  }
  o.ownerRec = kNil;
}

void Book::removeOrder(uint32_t oi, bool linked) {
  if (linked) unlinkFromLevel(oi);
  ids_.erase(static_cast<uint64_t>(orders_[oi].id));
  ownerUnlink(oi);
  orders_.release(oi);
  --live_;
}

// ---------------------------------------------------------------------------------------
// Matching.

bool Book::crosses(uint8_t side, int64_t price) const {
  const SideBook& opp = sides_[side ^ 1];
  if (opp.best == kNil) return false;
  const int64_t bp = levels_[opp.best].price;
  return side == side::BUY ? price >= bp : price <= bp;
}

bool Book::fokFillable(const Taker& t) const {
  int64_t need = t.leaves;
  const bool stpPossible = t.owner != 0 && t.stp != stp::NONE;
  for (const auto& [key, li] : sides_[t.side ^ 1].map) {
    const Level& L = levels_[li];
    if (!eligible(t, L.price)) return false;
    if (!stpPossible) {  // level total == sum of its makers: same answer as the per-order walk
      if (L.total >= need) return true;
      need -= L.total;
      continue;
    }
    for (uint32_t mi = L.head; mi != kNil; mi = orders_[mi].next) {
      const Order& m = orders_[mi];
      if (m.owner == t.owner) {
        if (t.stp == stp::CANCEL_OLDEST) continue;  // would be removed: contributes 0
        return false;
      }
      need -= std::min(need, m.leaves);
      if (need == 0) return true;
    }
  }
  return false;
}

bool Book::match(Taker& t, const CmdRecord& c, EventSink& out) {
  SideBook& opp = sides_[t.side ^ 1];
  while (t.leaves > 0 && opp.best != kNil) {
    const uint32_t li = opp.best;
    Level& L = levels_[li];
    const int64_t mp = L.price;
    if (!eligible(t, mp)) break;
    // Invariant: if the level empties, the order just removed was its last (next == kNil),
    // so L is not read after its slot is released.
    uint32_t mi = L.head;
    while (mi != kNil && t.leaves > 0) {
      Order& m = orders_[mi];
      const uint32_t next = m.next;
      if (t.owner != 0 && m.owner == t.owner && t.stp != stp::NONE) {
        switch (t.stp) {
          case stp::CANCEL_NEWEST:
            emitCancelledTaker(t, cancelreason::SELF_TRADE, t.leaves, c, out);
            t.leaves = 0;
            return true;
          case stp::CANCEL_OLDEST:
            emitCancelledOrder(m, cancelreason::SELF_TRADE, c, out);
            removeOrder(mi);  // touches L
            break;
          case stp::CANCEL_BOTH:
            emitCancelledOrder(m, cancelreason::SELF_TRADE, c, out);
            removeOrder(mi);
            emitCancelledTaker(t, cancelreason::SELF_TRADE, t.leaves, c, out);
            t.leaves = 0;
            return true;
          default: {  // DECREMENT_AND_CANCEL
            const int64_t d = std::min(t.leaves, m.leaves);
            if (m.leaves == d) {
              emitCancelledOrder(m, cancelreason::SELF_TRADE, c, out);
              removeOrder(mi);
            } else {
              m.leaves -= d;
              L.total -= d;
              EvtRecord& e = begin(out, evttype::DECREMENTED, m.side, c);
              e.s[0] = m.id;
              e.s[1] = m.owner;
              e.s[2] = m.price;
              e.s[3] = m.leaves;
              e.s[4] = d;
              touch(li);
            }
            if (t.leaves == d) {
              emitCancelledTaker(t, cancelreason::SELF_TRADE, d, c, out);
              t.leaves = 0;
              return true;
            }
            t.leaves -= d;
            EvtRecord& e = begin(out, evttype::DECREMENTED, t.side, c);
            e.s[0] = t.id;
            e.s[1] = t.owner;
            e.s[2] = t.market ? 0 : t.price;
            e.s[3] = t.leaves;
            e.s[4] = d;
            break;
          }
        }
      } else {
        const int64_t q = std::min(t.leaves, m.leaves);
        t.leaves -= q;
        t.filled += q;
        m.leaves -= q;
        m.filled = satAdd(m.filled, q);
        L.total -= q;
        EvtRecord& e = begin(out, evttype::TRADE, t.side, c);
        e.s[0] = t.id;
        e.s[1] = m.id;
        e.s[2] = mp;
        e.s[3] = q;
        e.s[4] = t.leaves;
        e.s[5] = m.leaves;
        e.s[6] = nextMatchId_++;
        lastTradePrice_ = mp;
        SIMEX_PROBE_ORDER_MATCHED(index_, t.id, m.id, mp, q);
        if (m.leaves == 0) removeOrder(mi);  // touches L
        else touch(li);
      }
      mi = next;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------
// Commands.

uint8_t Book::checkLimitPrice(int64_t price) const {
  if (bad(price, spec_.minPrice, spec_.maxPrice)) return reject::BAD_PRICE;
  if (price % spec_.tickSize != 0) return reject::OFF_TICK;
  if (spec_.bandBps > 0 && lastTradePrice_ > 0) {
    // Exact: price, last <= maxPrice and maxPrice * 10000 < 2^53.
    const int64_t diff = price > lastTradePrice_ ? price - lastTradePrice_ : lastTradePrice_ - price;
    if (diff * 10000 > spec_.bandBps * lastTradePrice_) return reject::PRICE_OUT_OF_BAND;
  }
  return 0;
}

void Book::execute(const CmdRecord& c, EventSink& out) {
  switch (c.type) {
    case cmdtype::NEW: onNew(c, out); break;
    case cmdtype::CANCEL: onCancel(c, out); break;
    case cmdtype::AMEND: onAmend(c, out); break;
    default: onMassCancel(c, out); break;
  }
}

void Book::onNew(const CmdRecord& c, EventSink& out) {
  uint8_t r = 0;
  const bool market = c.ordType == ordtype::MARKET;
  const bool postOnly = (c.flags & flags::POST_ONLY) != 0;
  if (c.side > 1) r = reject::BAD_SIDE;
  else if (c.ordType > 1) r = reject::BAD_ORDER_TYPE;
  else if (c.tif > 2 || (market && c.tif == tif::GTC)) r = reject::BAD_TIF;
  else if ((c.flags & ~flags::POST_ONLY) != 0 || (postOnly && (market || c.tif != tif::GTC)))
    r = reject::BAD_FLAGS;
  else if (c.stp > 4) r = reject::BAD_STP_MODE;
  else if (bad(c.orderId, 1, kMaxSafe)) r = reject::BAD_ORDER_ID;
  else if (ids_.find(static_cast<uint64_t>(c.orderId)) != kNil) r = reject::DUPLICATE_ORDER_ID;
  else if (bad(c.qty, spec_.minQty, spec_.maxQty)) r = reject::BAD_QUANTITY;
  else if (c.qty % spec_.lotSize != 0) r = reject::BAD_LOT;
  else if (!market) r = checkLimitPrice(c.price);
  else if (c.price != 0) {
    if (bad(c.price, spec_.minPrice, spec_.maxPrice)) r = reject::BAD_PRICE;
    else if (c.price % spec_.tickSize != 0) r = reject::OFF_TICK;
  }
  Taker t{c.orderId, c.price, c.qty, c.owner, c.side, c.stp, market};
  if (r == 0 && postOnly && crosses(c.side, c.price)) r = reject::POST_ONLY_WOULD_CROSS;
  if (r == 0 && c.tif == tif::FOK && !fokFillable(t)) r = reject::FOK_NOT_FILLABLE;
  const bool rests = !market && c.tif == tif::GTC;
  if (r == 0 && rests && live_ >= spec_.maxOrders) r = reject::BOOK_FULL;
  if (r != 0) {
    reject(c, r, out);
    return;
  }

  EvtRecord& e = begin(out, evttype::ACCEPTED, c.side, c);
  e.s[0] = c.orderId;
  e.s[1] = c.owner;
  e.s[2] = c.price;
  e.s[3] = c.qty;
  SIMEX_PROBE_ORDER_ADDED(index_, c.orderId, c.side, c.price, c.qty);

  const bool stopped = match(t, c, out);
  if (!stopped && t.leaves > 0) {
    if (rests) {
      const uint32_t oi = orders_.alloc();
      Order& o = orders_[oi];
      o.id = c.orderId;
      o.leaves = t.leaves;
      o.owner = c.owner;
      o.price = c.price;
      o.side = c.side;
      o.flags = c.flags;
      o.stp = c.stp;
      o.pad = 0;
      o.filled = t.filled;
      o.ownerRec = kNil;
      o.level = kNil;
      try {
        ids_.insert(static_cast<uint64_t>(o.id), oi);
        ownerAppend(oi);
      } catch (...) {
        ids_.erase(static_cast<uint64_t>(o.id));
        orders_.release(oi);
        throw;
      }
      ++live_;
      linkToLevel(oi);
    } else {
      emitCancelledTaker(t, cancelreason::IOC_REMAINDER, t.leaves, c, out);
    }
  }
  flushL2(c, out);
}

void Book::onCancel(const CmdRecord& c, EventSink& out) {
  if (bad(c.orderId, 1, kMaxSafe)) return reject(c, reject::BAD_ORDER_ID, out);
  const uint32_t oi = ids_.find(static_cast<uint64_t>(c.orderId));
  if (oi == kNil) return reject(c, reject::UNKNOWN_ORDER, out);
  const Order& o = orders_[oi];
  if (o.owner != c.owner) return reject(c, reject::NOT_OWNER, out);

  EvtRecord& e = begin(out, evttype::ACCEPTED, o.side, c);
  e.s[0] = o.id;
  e.s[1] = c.owner;
  e.s[2] = o.price;
  e.s[3] = o.leaves;
  emitCancelledOrder(o, cancelreason::USER, c, out);
  removeOrder(oi);
  flushL2(c, out);
}

// Validation order (docs/ENGINE.md): flags (6) -> orderId / live / owner (8, 10, 11) -> qty
// range / lot (12, 13; with TOTAL_QTY of the total) -> price (14-16) -> TOTAL_QTY at or below
// filled: ACCEPTED + CANCELLED(AMEND_TO_FILLED) -> no change (20) -> post-only cross (17).
void Book::onAmend(const CmdRecord& c, EventSink& out) {
  if ((c.flags & ~amendcmdflags::TOTAL_QTY) != 0) return reject(c, reject::BAD_FLAGS, out);
  if (bad(c.orderId, 1, kMaxSafe)) return reject(c, reject::BAD_ORDER_ID, out);
  const uint32_t oi = ids_.find(static_cast<uint64_t>(c.orderId));
  if (oi == kNil) return reject(c, reject::UNKNOWN_ORDER, out);
  Order& o = orders_[oi];
  if (o.owner != c.owner) return reject(c, reject::NOT_OWNER, out);
  const int64_t np = c.price;
  uint8_t r = 0;
  if (bad(c.qty, spec_.minQty, spec_.maxQty)) r = reject::BAD_QUANTITY;
  else if (c.qty % spec_.lotSize != 0) r = reject::BAD_LOT;
  else r = checkLimitPrice(np);
  if (r != 0) return reject(c, r, out);
  int64_t nq = c.qty;
  if (c.flags & amendcmdflags::TOTAL_QTY) {
    // qty is the new total: what already traded counts against it.
    if (c.qty <= o.filled) {
      EvtRecord& e = begin(out, evttype::ACCEPTED, o.side, c);
      e.s[0] = o.id;
      e.s[1] = c.owner;
      e.s[2] = np;
      e.s[3] = c.qty;
      emitCancelledOrder(o, cancelreason::AMEND_TO_FILLED, c, out);
      removeOrder(oi);
      flushL2(c, out);
      return;
    }
    nq = c.qty - o.filled;
  }
  if (np == o.price && nq == o.leaves) r = reject::AMEND_NO_CHANGE;
  else if ((o.flags & flags::POST_ONLY) && crosses(o.side, np)) r = reject::POST_ONLY_WOULD_CROSS;
  if (r != 0) return reject(c, r, out);

  // ACCEPTED echoes the request: qty as sent (new leaves, or the new total with TOTAL_QTY).
  EvtRecord& e = begin(out, evttype::ACCEPTED, o.side, c);
  e.s[0] = o.id;
  e.s[1] = c.owner;
  e.s[2] = np;
  e.s[3] = c.qty;

  const int64_t oldPrice = o.price, oldLeaves = o.leaves;
  if (np == o.price && nq < o.leaves) {  // reduce in place, keep time priority
    o.leaves = nq;
    levels_[o.level].total -= oldLeaves - nq;
    EvtRecord& a = begin(out, evttype::AMENDED, o.side, c);
    a.flags = amendflags::PRIORITY_KEPT;
    a.s[0] = o.id;
    a.s[1] = o.owner;
    a.s[2] = np;
    a.s[3] = nq;
    a.s[4] = oldPrice;
    a.s[5] = oldLeaves;
    touch(o.level);
    flushL2(c, out);
    return;
  }

  // Loses priority: leave the level (the order stays in the id index and owner list),
  // re-enter as a GTC limit taker with its stored STP mode.
  unlinkFromLevel(oi);
  o.price = np;
  o.leaves = nq;
  {
    EvtRecord& a = begin(out, evttype::AMENDED, o.side, c);
    a.s[0] = o.id;
    a.s[1] = o.owner;
    a.s[2] = np;
    a.s[3] = nq;
    a.s[4] = oldPrice;
    a.s[5] = oldLeaves;
  }
  Taker t{o.id, np, nq, o.owner, o.side, o.stp, false};
  const bool stopped = match(t, c, out);  // never allocates orders: `o` stays valid
  if (stopped || t.leaves == 0) {
    o.leaves = 0;
    removeOrder(oi, /*linked=*/false);
  } else {
    o.leaves = t.leaves;
    o.filled = satAdd(o.filled, t.filled);
    linkToLevel(oi);
  }
  flushL2(c, out);
}

void Book::onMassCancel(const CmdRecord& c, EventSink& out) {
  if (c.owner == 0) return reject(c, reject::BAD_OWNER, out);
  const uint32_t ri = owners_.find(c.owner);
  EvtRecord& e = begin(out, evttype::ACCEPTED, 0, c);
  e.s[1] = c.owner;
  e.s[3] = ri == kNil ? 0 : ownerRecs_[ri].count;
  if (ri != kNil) {
    // The record is released with the owner's last order: read only order links here.
    uint32_t oi = ownerRecs_[ri].head;
    while (oi != kNil) {
      const uint32_t next = orders_[oi].ownerNext;
      emitCancelledOrder(orders_[oi], cancelreason::MASS_CANCEL, c, out);
      removeOrder(oi);
      oi = next;
    }
  }
  flushL2(c, out);
}

// ---------------------------------------------------------------------------------------
// Queries.

bool Book::best(uint8_t side, LevelView& out) const {
  const uint32_t li = sides_[side].best;
  if (li == kNil) return false;
  const Level& L = levels_[li];
  out = LevelView{L.price, L.total, L.count};
  return true;
}

void Book::depth(uint8_t side, std::size_t n, std::vector<LevelView>& out) const {
  out.clear();
  for (const auto& [key, li] : sides_[side].map) {
    if (out.size() >= n) break;
    const Level& L = levels_[li];
    out.push_back(LevelView{L.price, L.total, L.count});
  }
}

bool Book::order(int64_t orderId, OrderView& out) const {
  if (bad(orderId, 1, kMaxSafe)) return false;
  const uint32_t oi = ids_.find(static_cast<uint64_t>(orderId));
  if (oi == kNil) return false;
  const Order& o = orders_[oi];
  out = OrderView{o.id, o.owner, o.side, o.price, o.leaves, o.flags, o.stp, o.filled};
  return true;
}

BookStats Book::stats() const {
  return BookStats{live_, static_cast<int64_t>(sides_[0].map.size()),
                   static_cast<int64_t>(sides_[1].map.size()), seq_, lastTradePrice_};
}

std::size_t Book::bytesReserved() const {
  return orders_.bytesReserved() + levels_.bytesReserved() + ownerRecs_.bytesReserved() +
         ids_.bytesReserved() + owners_.bytesReserved() + levelIds_.bytesReserved() +
         sides_[0].arena.bytesReserved() +
         sides_[1].arena.bytesReserved();
}

// ---------------------------------------------------------------------------------------
// Snapshot / restore.

std::vector<uint8_t> Book::snapshot() const {
  std::vector<uint8_t> img(kSnapHeaderSize + static_cast<std::size_t>(live_) * kSnapOrderSize);
  SnapHeader h{kSnapMagic, static_cast<uint16_t>(kEngineAbiVersion), index_, seq_,
               nextMatchId_, lastTradePrice_, live_};
  std::memcpy(img.data(), &h, sizeof h);
  // ownerRank: position in the owner's list. CHOICE: owner 0 (no list) writes rank 0.
  std::vector<int64_t> rank(orders_.highWater(), 0);
  owners_.forEach([&](uint64_t, uint32_t ri) {
    int64_t k = 0;
    for (uint32_t oi = ownerRecs_[ri].head; oi != kNil; oi = orders_[oi].ownerNext) rank[oi] = k++;
  });
  uint8_t* p = img.data() + kSnapHeaderSize;
  for (int s = 0; s < 2; ++s) {
    for (const auto& [key, li] : sides_[s].map) {
      for (uint32_t oi = levels_[li].head; oi != kNil; oi = orders_[oi].next) {
        const Order& o = orders_[oi];
        SnapOrder r{o.id, o.owner, o.side, o.flags, o.stp, 0, o.price, o.leaves, rank[oi], o.filled};
        std::memcpy(p, &r, sizeof r);
        p += kSnapOrderSize;
      }
    }
  }
  return img;
}

std::unique_ptr<Book> Book::fromSnapshot(uint16_t index, const InstrumentSpec& spec,
                                         const uint8_t* image, std::size_t len) {
  auto fail = [](const std::string& why) { throw std::invalid_argument("restore: " + why); };
  if (len < kSnapHeaderSize) fail("image shorter than the 40-byte header");
  SnapHeader h;
  std::memcpy(&h, image, sizeof h);
  if (h.magic != kSnapMagic) fail("bad magic (not an SXL3 image)");
  if (h.version == 1)
    fail("version 1 image (no per-order filled quantity) is not supported: take the snapshot again with this engine (version 2)");
  if (h.version != kEngineAbiVersion) fail("unsupported version " + std::to_string(h.version));
  if (h.book != index) fail("image is of book " + std::to_string(h.book) + ", not " + std::to_string(index));
  if (h.orderCount < 0 || h.orderCount > spec.maxOrders) fail("orderCount out of range");
  if (len != kSnapHeaderSize + static_cast<std::size_t>(h.orderCount) * kSnapOrderSize)
    fail("length does not match orderCount");
  if (bad(h.seq, 0, kMaxSafe) || bad(h.nextMatchId, 1, kMaxSafe) || bad(h.lastTradePrice, 0, kMaxSafe))
    fail("header seq/nextMatchId/lastTradePrice out of range");

  auto b = std::make_unique<Book>(index, spec);
  b->seq_ = h.seq;
  b->nextMatchId_ = h.nextMatchId;
  b->lastTradePrice_ = h.lastTradePrice;
  struct Ranked {
    uint32_t owner;
    int64_t rank;
    uint32_t oi;
  };
  std::vector<Ranked> ranked;
  const uint8_t* p = image + kSnapHeaderSize;
  int prevSide = 0;
  int64_t prevPrice = 0;
  for (int64_t i = 0; i < h.orderCount; ++i, p += kSnapOrderSize) {
    SnapOrder r;
    std::memcpy(&r, p, sizeof r);
    const std::string at = "order " + std::to_string(i) + ": ";
    if (bad(r.orderId, 1, kMaxSafe)) fail(at + "bad orderId");
    if (r.side > 1) fail(at + "bad side");
    if ((r.flags & ~flags::POST_ONLY) != 0) fail(at + "bad flags");
    if (r.stp > 4) fail(at + "bad stp");
    if (bad(r.price, spec.minPrice, spec.maxPrice)) fail(at + "price out of range");
    if (r.price % spec.tickSize != 0) fail(at + "price off tick");
    if (bad(r.leaves, 1, spec.maxQty)) fail(at + "leaves out of range");
    if (bad(r.filled, 0, kMaxSafe)) fail(at + "filled out of range");
    if (r.side < prevSide) fail(at + "bids must precede asks");
    if (i > 0 && r.side == prevSide &&
        (r.side == side::BUY ? r.price > prevPrice : r.price < prevPrice))
      fail(at + "levels out of price order");
    if (b->ids_.find(static_cast<uint64_t>(r.orderId)) != kNil) fail(at + "duplicate orderId");
    prevSide = r.side;
    prevPrice = r.price;
    const uint32_t oi = b->orders_.alloc();
    Order& o = b->orders_[oi];
    o.id = r.orderId;
    o.leaves = r.leaves;
    o.owner = r.owner;
    o.price = r.price;
    o.side = r.side;
    o.flags = r.flags;
    o.stp = r.stp;
    o.pad = 0;
    o.filled = r.filled;
    o.ownerRec = kNil;
    o.ownerNext = o.ownerPrev = kNil;
    b->ids_.insert(static_cast<uint64_t>(o.id), oi);
    ++b->live_;
    b->linkToLevel(oi);
    if (r.owner != 0) ranked.push_back(Ranked{r.owner, r.ownerRank, oi});
  }
  b->pending_.clear();
  LevelView bb, ba;
  if (b->best(side::BUY, bb) && b->best(side::SELL, ba) && bb.price >= ba.price)
    fail("book is crossed");
  std::sort(ranked.begin(), ranked.end(), [](const Ranked& x, const Ranked& y) {
    return std::tie(x.owner, x.rank) < std::tie(y.owner, y.rank);
  });
  for (std::size_t i = 0; i < ranked.size(); ++i) {
    const bool first = i == 0 || ranked[i - 1].owner != ranked[i].owner;
    const int64_t want = first ? 0 : ranked[i - 1].rank + 1;
    if (ranked[i].rank != want) fail("ownerRank of owner " + std::to_string(ranked[i].owner) + " is not 0..k-1");
    b->ownerAppend(ranked[i].oi);
  }
  return b;
}

// ---------------------------------------------------------------------------------------

void Book::validate() const {
  auto fail = [](const std::string& why) { throw std::logic_error("book invariant: " + why); };
  int64_t orders = 0;
  for (int s = 0; s < 2; ++s) {
    const SideBook& sb = sides_[s];
    if (sb.map.empty() != (sb.best == kNil)) fail("best/emptiness mismatch");
    if (!sb.map.empty() && sb.best != sb.map.begin()->second) fail("cached best is stale");
    for (const auto& [key, li] : sb.map) {
      const Level& L = levels_[li];
      if (L.side != s || keyOf(L.side, L.price) != key) fail("level key mismatch");
      if (L.count == 0) fail("empty level kept");
      if (findLevel(L.side, L.price) != li) fail("level hash mismatch");
      int64_t total = 0;
      uint32_t n = 0, prev = kNil;
      for (uint32_t oi = L.head; oi != kNil; oi = orders_[oi].next) {
        const Order& o = orders_[oi];
        if (o.prev != prev) fail("level prev link broken");
        if (o.level != li || o.price != L.price || o.side != s) fail("order/level mismatch");
        if (o.leaves <= 0) fail("non-positive leaves");
        if (bad(o.filled, 0, kMaxSafe)) fail("filled out of range");
        if (ids_.find(static_cast<uint64_t>(o.id)) != oi) fail("id index mismatch");
        total += o.leaves;
        ++n;
        prev = oi;
      }
      if (prev != L.tail) fail("level tail mismatch");
      if (n != L.count || total != L.total) fail("level totals != sum of orders");
      orders += n;
    }
  }
  if (orders != live_ || ids_.size() != live_) fail("live count mismatch");
  if (levelIds_.size() != sides_[0].map.size() + sides_[1].map.size()) fail("level hash size mismatch");
  if (sides_[0].best != kNil && sides_[1].best != kNil &&
      levels_[sides_[0].best].price >= levels_[sides_[1].best].price)
    fail("book rests crossed");
  int64_t listed = 0;
  owners_.forEach([&](uint64_t owner, uint32_t ri) {
    const OwnerRec& r = ownerRecs_[ri];
    if (r.owner != owner || r.count == 0) fail("owner record mismatch");
    uint32_t n = 0, prev = kNil;
    for (uint32_t oi = r.head; oi != kNil; oi = orders_[oi].ownerNext) {
      const Order& o = orders_[oi];
      if (o.owner != owner || o.ownerRec != ri || o.ownerPrev != prev) fail("owner list broken");
      if (o.level == kNil) fail("owner list holds an order that is not resting");
      ++n;
      prev = oi;
    }
    if (prev != r.tail || n != r.count) fail("owner list count/tail mismatch");
    listed += n;
  });
  (void)listed;
}

}  // namespace simex
