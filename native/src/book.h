// One order book: price-time priority matching for one instrument, exactly as
// /work/team/ENGINE-SEMANTICS.md (docs/ENGINE.md) specifies, so its event bytes equal the
// TypeScript engine's (src/engine/ts/).
//
// Structure and cost:
//   orders   Pool<Order>, index-linked; each price level is an intrusive doubly linked FIFO
//            (cancel O(1) whatever the level size); each owner an intrusive doubly linked
//            list in acceptance order (mass cancel O(k)).
//   ids      IdMap order id -> order index (O(1) expected).
//   levels   Pool<Level> + per side a std::map<key, level index> on a node arena (no malloc
//            after warm-up): new level O(log L) worst case, erase O(1) amortized via the
//            iterator kept in the level, best = map.begin() cached in SideBook::best.
//            levelIds_ hashes (side, price) -> level, so adding to an existing level and the
//            end-of-command L2 lookups are O(1) and never walk the tree.
//            Key = price for asks, -price for bids, so begin() is the best level of both.
//   pending  deferred L2 touches of the current command (coalesced when consecutive).
// Single writer: a Book is not thread-safe; one thread (one shard) owns it.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <vector>

#include "event_sink.h"
#include "id_map.h"
#include "instrument.h"
#include "layout.h"
#include "node_arena.h"
#include "pool.h"

namespace simex {

// 64 bytes: padded so that each record is exactly one cache line (pool chunks are 2 MiB
// aligned), since a random cancel touches this record and up to 4 neighbours; at 56 bytes most
// records straddled two lines. Hot in matching: id, leaves, owner, next (first 32 bytes).
struct Order {
  int64_t id;
  int64_t leaves;
  uint32_t owner;
  uint32_t next;  // level FIFO (toward the back)
  uint32_t prev;
  uint32_t level;     // index into the level pool
  int64_t price;
  uint32_t ownerNext;  // owner list (toward newer)
  uint32_t ownerPrev;
  uint32_t ownerRec;  // owner record index, kNil for owner 0
  uint8_t side;
  uint8_t flags;
  uint8_t stp;
  uint8_t pad;
  // Quantity traded over the order's life (taker on entry / crossing amends, maker), saturating
  // at kMaxSafe; AMEND with TOTAL_QTY sets leaves = total - filled. Cold: read by amends only.
  int64_t filled;
};
static_assert(sizeof(Order) == 64);
static_assert(Pool<Order>::kChunk * sizeof(Order) % kHugePage == 0, "order chunks: whole huge pages, line aligned");

using LevelMap = std::map<int64_t, uint32_t, std::less<int64_t>,
                          ArenaAllocator<std::pair<const int64_t, uint32_t>>>;

// 48 bytes.
struct Level {
  int64_t price;
  int64_t total;  // sum of leaves of its orders
  uint32_t count;
  uint32_t head;  // oldest (matched first)
  uint32_t tail;
  uint32_t gen;   // incremented when the slot is released: detects stale L2 touches
  LevelMap::iterator it;
  uint8_t side;
};

// 16 bytes.
struct OwnerRec {
  uint32_t owner;
  uint32_t head;  // oldest live order
  uint32_t tail;
  uint32_t count;
};

struct LevelView {
  int64_t price;
  int64_t qty;
  int64_t orders;
};

struct OrderView {
  int64_t orderId;
  uint32_t owner;
  uint8_t side;
  int64_t price;
  int64_t leaves;
  uint8_t flags;
  uint8_t stp;
  int64_t filled;
};

struct BookStats {
  int64_t orders;
  int64_t bidLevels;
  int64_t askLevels;
  int64_t seq;
  int64_t lastTradePrice;
};

class Book {
 public:
  Book(uint16_t index, const InstrumentSpec& spec);
  Book(const Book&) = delete;
  Book& operator=(const Book&) = delete;

  /** Runs one command whose type (1..4) and book index are already checked. */
  void execute(const CmdRecord& c, EventSink& out);
  /** Emits the REJECTED outcome of `c` with this book's next seq. */
  void reject(const CmdRecord& c, uint8_t reason, EventSink& out);

  uint16_t index() const { return index_; }
  const InstrumentSpec& spec() const { return spec_; }

  // ---- queries (not on the hot path) ----
  bool best(uint8_t side, LevelView& out) const;
  /** Top `n` levels of `side`, best first. */
  void depth(uint8_t side, std::size_t n, std::vector<LevelView>& out) const;
  bool order(int64_t orderId, OrderView& out) const;
  BookStats stats() const;
  int64_t seq() const { return seq_; }
  /** Memory held by this book's pools/tables (bytes). */
  std::size_t bytesReserved() const;

  /** L3 image, layout.ts "L3 snapshot". */
  std::vector<uint8_t> snapshot() const;
  /** Builds a new book from an image; throws std::invalid_argument on a malformed image. */
  static std::unique_ptr<Book> fromSnapshot(uint16_t index, const InstrumentSpec& spec,
                                            const uint8_t* image, std::size_t len);

  // ---- software prefetch pipeline (Engine::process, several commands ahead) ----
  // Hints only: they read the structures but never change them, so a stale answer (the
  // book changes before the command runs) costs a wasted prefetch, never a wrong result.
  // Stage 1: the id-hash home slot of the command's order id.
  void prefetchSlot(const CmdRecord& c) const {
    if (c.type <= cmdtype::AMEND && c.orderId > 0) ids_.prefetch(static_cast<uint64_t>(c.orderId));
    if (c.type == cmdtype::NEW && c.side <= 1 && c.price > 0 && c.price <= spec_.maxPrice)
      levelIds_.prefetch(levelKey(c.side, c.price));
  }
  // Stage 2: CANCEL/AMEND: the order record (its slot should be cached by now);
  // NEW limit: the level record it would join, and its owner's record.
  void prefetchOrder(const CmdRecord& c) const {
    if ((c.type == cmdtype::CANCEL || c.type == cmdtype::AMEND) && c.orderId > 0) {
      const uint32_t oi = ids_.find(static_cast<uint64_t>(c.orderId));
      if (oi != kNil) simex::prefetch(&orders_[oi]);
    } else if (c.type == cmdtype::NEW && c.side <= 1 && c.price > 0 && c.price <= spec_.maxPrice) {
      const uint32_t li = findLevel(c.side, c.price);
      if (li != kNil) simex::prefetch(&levels_[li]);
      if (c.owner != 0) {
        const uint32_t ri = owners_.find(c.owner);
        if (ri != kNil) simex::prefetch(&ownerRecs_[ri]);
      }
    }
  }
  // Stage 3: CANCEL/AMEND: what unlinking touches: FIFO and owner-list neighbours, level.
  void prefetchNeighbours(const CmdRecord& c) const {
    if ((c.type == cmdtype::CANCEL || c.type == cmdtype::AMEND) && c.orderId > 0) {
      const uint32_t oi = ids_.find(static_cast<uint64_t>(c.orderId));
      if (oi == kNil) return;
      const Order& o = orders_[oi];
      if (o.prev != kNil) simex::prefetch(&orders_[o.prev]);
      if (o.next != kNil) simex::prefetch(&orders_[o.next]);
      if (o.ownerPrev != kNil) simex::prefetch(&orders_[o.ownerPrev]);
      if (o.ownerNext != kNil) simex::prefetch(&orders_[o.ownerNext]);
      if (o.level != kNil) simex::prefetch(&levels_[o.level]);
    } else if (c.type == cmdtype::NEW && c.side <= 1 && c.price > 0 && c.price <= spec_.maxPrice) {
      // Appending links the level's tail order and the owner's newest order.
      const uint32_t li = findLevel(c.side, c.price);
      if (li != kNil && levels_[li].tail != kNil) simex::prefetch(&orders_[levels_[li].tail]);
      if (c.owner != 0) {
        const uint32_t ri = owners_.find(c.owner);
        if (ri != kNil && ownerRecs_[ri].tail != kNil) simex::prefetch(&orders_[ownerRecs_[ri].tail]);
      }
    }
  }

  /** Full structural check (tests): throws std::logic_error describing the first violation. */
  void validate() const;

 private:
  struct SideBook {
    NodeArena arena;  // declared before map: outlives it
    LevelMap map{std::less<int64_t>{}, ArenaAllocator<std::pair<const int64_t, uint32_t>>(&arena)};
    uint32_t best = kNil;
  };
  struct Touch {  // 24 bytes
    int64_t price;
    uint32_t level;
    uint32_t gen;
    uint8_t side;
  };
  struct Taker {
    int64_t id;
    int64_t price;  // limit price; market: protection price or 0
    int64_t leaves;
    uint32_t owner;
    uint8_t side;
    uint8_t stp;
    bool market;
    int64_t filled = 0;  // traded by this taker in match() (TRADE only, not STP decrements)
  };

  static int64_t keyOf(uint8_t side, int64_t price) { return side == side::BUY ? -price : price; }
  // levelIds_ key: never 0 (prices >= 1), 2 keys per price (one per side).
  static uint64_t levelKey(uint8_t side, int64_t price) {
    return (static_cast<uint64_t>(price) << 1) | side;
  }
  uint32_t findLevel(uint8_t side, int64_t price) const { return levelIds_.find(levelKey(side, price)); }

  EvtRecord& begin(EventSink& out, uint8_t type, uint8_t side, const CmdRecord& c);
  void emitCancelledOrder(const Order& o, uint8_t reason, const CmdRecord& c, EventSink& out);
  void emitCancelledTaker(const Taker& t, uint8_t reason, int64_t leaves, const CmdRecord& c,
                          EventSink& out);

  void touch(uint32_t li);
  void flushL2(const CmdRecord& c, EventSink& out);

  bool eligible(const Taker& t, int64_t makerPrice) const {
    if (t.market && t.price == 0) return true;
    return t.side == side::BUY ? makerPrice <= t.price : makerPrice >= t.price;
  }
  bool crosses(uint8_t side, int64_t price) const;
  bool fokFillable(const Taker& t) const;
  /** Matches t against the opposite side; returns true if STP cancelled the taker. */
  bool match(Taker& t, const CmdRecord& c, EventSink& out);

  uint32_t levelFor(uint8_t side, int64_t price);  // find or create
  void linkToLevel(uint32_t oi);                   // append at the back, touch
  void unlinkFromLevel(uint32_t oi);               // touch, erase the level if it empties
  void ownerAppend(uint32_t oi);
  void ownerUnlink(uint32_t oi);
  /** Order leaves the book entirely: level (if linked), id index, owner list, pool. */
  void removeOrder(uint32_t oi, bool linked = true);

  void onNew(const CmdRecord& c, EventSink& out);
  void onCancel(const CmdRecord& c, EventSink& out);
  void onAmend(const CmdRecord& c, EventSink& out);
  void onMassCancel(const CmdRecord& c, EventSink& out);

  uint8_t checkLimitPrice(int64_t price) const;  // 0 or a reject reason (step 10, limit)

  uint16_t index_;
  InstrumentSpec spec_;
  int64_t seq_ = 0;
  int64_t nextMatchId_ = 1;
  int64_t lastTradePrice_ = 0;
  int64_t live_ = 0;

  Pool<Order> orders_;
  Pool<Level, 12> levels_;
  Pool<OwnerRec, 12> ownerRecs_;
  IdMap ids_{15};
  IdMap owners_{10};
  IdMap levelIds_{12};  // (side, price) -> level index: O(1) lookup of an existing level
  SideBook sides_[2];  // [BUY] bids, [SELL] asks
  std::vector<Touch> pending_;
};

}  // namespace simex
