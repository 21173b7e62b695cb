// The engine's binary contract, C++ mirror of src/engine/layout.ts (the normative source).
// Change both or neither and bump kEngineAbiVersion; test/engine/native-layout.test.ts checks
// every constant exported by the addon against layout.ts.
//
// All integers little-endian (this file static_asserts a little-endian host, so records are
// read/written with memcpy of packed structs, no byte swapping).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace simex {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "simex layouts are little-endian");

// 2: AMEND flag TOTAL_QTY, cancel reason AMEND_TO_FILLED, 48-byte snapshot order records
// carrying the order's filled quantity (v1 images are refused).
inline constexpr int kEngineAbiVersion = 2;

// ---- commands: fixed 48-byte records ------------------------------------------------------
inline constexpr std::size_t kCmdSize = 48;
namespace cmdoff {
inline constexpr int type = 0, side = 1, ordType = 2, tif = 3, flags = 4, stp = 5, book = 6,
                     owner = 8, reserved = 12, ts = 16, orderId = 24, price = 32, qty = 40;
}

// 48 bytes; field order and offsets exactly as CmdOff in layout.ts.
struct CmdRecord {
  uint8_t type;
  uint8_t side;
  uint8_t ordType;
  uint8_t tif;
  uint8_t flags;
  uint8_t stp;
  uint16_t book;
  uint32_t owner;
  uint32_t reserved;
  int64_t ts;
  int64_t orderId;
  int64_t price;
  int64_t qty;
};
static_assert(sizeof(CmdRecord) == kCmdSize);
static_assert(offsetof(CmdRecord, book) == cmdoff::book);
static_assert(offsetof(CmdRecord, owner) == cmdoff::owner);
static_assert(offsetof(CmdRecord, ts) == cmdoff::ts);
static_assert(offsetof(CmdRecord, orderId) == cmdoff::orderId);
static_assert(offsetof(CmdRecord, price) == cmdoff::price);
static_assert(offsetof(CmdRecord, qty) == cmdoff::qty);

namespace cmdtype {
inline constexpr uint8_t NEW = 1, CANCEL = 2, AMEND = 3, MASS_CANCEL = 4;
}
namespace side {
inline constexpr uint8_t BUY = 0, SELL = 1;
}
namespace ordtype {
inline constexpr uint8_t LIMIT = 0, MARKET = 1;
}
namespace tif {
inline constexpr uint8_t GTC = 0, IOC = 1, FOK = 2;
}
namespace flags {
inline constexpr uint8_t POST_ONLY = 1;
}
// AMEND command flags (byte 4): TOTAL_QTY = qty is the order's new total quantity
// (leaves = qty - filled; qty <= filled cancels with AMEND_TO_FILLED). Other bits: BAD_FLAGS.
namespace amendcmdflags {
inline constexpr uint8_t TOTAL_QTY = 2;
}
namespace stp {
inline constexpr uint8_t NONE = 0, CANCEL_NEWEST = 1, CANCEL_OLDEST = 2, CANCEL_BOTH = 3,
                         DECREMENT_AND_CANCEL = 4;
}

// ---- events: fixed 80-byte records --------------------------------------------------------
inline constexpr std::size_t kEvtSize = 80;
namespace evtoff {
inline constexpr int type = 0, side = 1, reason = 2, cmdType = 3, book = 4, flags = 6, seq = 8,
                     ts = 16, s0 = 24, s1 = 32, s2 = 40, s3 = 48, s4 = 56, s5 = 64, s6 = 72;
}

// 80 bytes; field order and offsets exactly as EvtOff in layout.ts.
struct EvtRecord {
  uint8_t type;
  uint8_t side;
  uint8_t reason;
  uint8_t cmdType;
  uint16_t book;
  uint16_t flags;
  int64_t seq;
  int64_t ts;
  int64_t s[7];
};
static_assert(sizeof(EvtRecord) == kEvtSize);
static_assert(offsetof(EvtRecord, book) == evtoff::book);
static_assert(offsetof(EvtRecord, flags) == evtoff::flags);
static_assert(offsetof(EvtRecord, seq) == evtoff::seq);
static_assert(offsetof(EvtRecord, ts) == evtoff::ts);
static_assert(offsetof(EvtRecord, s) == evtoff::s0);

namespace evttype {
inline constexpr uint8_t ACCEPTED = 1, REJECTED = 2, TRADE = 3, CANCELLED = 4, AMENDED = 5,
                         L2 = 6, DECREMENTED = 7;
}
namespace amendflags {
inline constexpr uint16_t PRIORITY_KEPT = 1;
}
namespace cancelreason {
inline constexpr uint8_t USER = 1, IOC_REMAINDER = 2, SELF_TRADE = 3, MASS_CANCEL = 4,
                         AMEND_TO_FILLED = 5;
}
namespace reject {
inline constexpr uint8_t UNKNOWN_COMMAND = 1, UNKNOWN_BOOK = 2, BAD_SIDE = 3, BAD_ORDER_TYPE = 4,
                         BAD_TIF = 5, BAD_FLAGS = 6, BAD_STP_MODE = 7, BAD_ORDER_ID = 8,
                         DUPLICATE_ORDER_ID = 9, UNKNOWN_ORDER = 10, NOT_OWNER = 11,
                         BAD_QUANTITY = 12, BAD_LOT = 13, BAD_PRICE = 14, OFF_TICK = 15,
                         PRICE_OUT_OF_BAND = 16, POST_ONLY_WOULD_CROSS = 17,
                         FOK_NOT_FILLABLE = 18, BOOK_FULL = 19, AMEND_NO_CHANGE = 20,
                         BAD_OWNER = 21;
}

/** Largest order id / price / quantity the engine accepts (2^53 - 1, exact in a double). */
inline constexpr int64_t kMaxSafe = (int64_t{1} << 53) - 1;

// ---- L3 snapshot ---------------------------------------------------------------------------
inline constexpr uint32_t kSnapMagic = 0x334C5853;  // "SXL3"
inline constexpr std::size_t kSnapHeaderSize = 40;
inline constexpr std::size_t kSnapOrderSize = 48;

// 40 bytes.
struct SnapHeader {
  uint32_t magic;
  uint16_t version;
  uint16_t book;
  int64_t seq;
  int64_t nextMatchId;
  int64_t lastTradePrice;
  int64_t orderCount;
};
static_assert(sizeof(SnapHeader) == kSnapHeaderSize);

// 48 bytes (version 2: `filled` appended).
struct SnapOrder {
  int64_t orderId;
  uint32_t owner;
  uint8_t side;
  uint8_t flags;
  uint8_t stp;
  uint8_t zero;
  int64_t price;
  int64_t leaves;
  int64_t ownerRank;
  int64_t filled;
};
static_assert(sizeof(SnapOrder) == kSnapOrderSize);
static_assert(offsetof(SnapOrder, price) == 16);
static_assert(offsetof(SnapOrder, ownerRank) == 32);
static_assert(offsetof(SnapOrder, filled) == 40);

}  // namespace simex
