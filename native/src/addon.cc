// N-API surface of the engine (thin: all logic is in the pure C++ core). Wrapped by
// src/engine/native.ts, which implements the Engine interface of src/engine/types.ts.
//
// Exports:
//   Engine        class; one instance = one set of books, single-threaded (one shard).
//   layout        every constant of src/engine/layout.ts, as compiled into this addon.
//   usdt          true when the USDT probes (provider simex) are compiled in.
//
// Hot path: Engine#process(cmds, count) crosses N-API once per batch. Events are written
// straight into a JS-owned ArrayBuffer; when a batch needs more room the addon allocates a
// bigger ArrayBuffer through the env, copies, keeps a reference to it and bumps state()[0]
// so JS knows to fetch the new one with events(). Misuse (wrong argument types or ranges)
// throws TypeError/RangeError; command contents never throw (they become REJECTED events).
#include <napi.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "engine.h"
#include "layout.h"
#include "probes.h"

namespace {

using simex::kEvtSize;

constexpr std::size_t kInitialEvents = 4096;  // 320 KiB

double requireNumber(const Napi::Env& env, const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string(what) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

int64_t requireSafeInt(const Napi::Env& env, const Napi::Value& v, const char* what) {
  const double d = requireNumber(env, v, what);
  if (!std::isfinite(d) || std::trunc(d) != d || std::fabs(d) > 9007199254740991.0)
    throw Napi::TypeError::New(env, std::string(what) + " must be a safe integer");
  return static_cast<int64_t>(d);
}

class EngineWrap : public Napi::ObjectWrap<EngineWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "Engine",
        {
            // addBook(spec: {tickSize, lotSize, minQty, maxQty, minPrice, maxPrice, bandBps,
            //   maxOrders}) -> book index. Throws TypeError/RangeError on a bad spec.
            InstanceMethod<&EngineWrap::AddBook>("addBook"),
            // process(cmds: Uint8Array, count: number) -> events written (hot path).
            InstanceMethod<&EngineWrap::Process>("process"),
            // events() -> ArrayBuffer holding the last batch's events from byte 0.
            InstanceMethod<&EngineWrap::Events>("events"),
            // state() -> Uint32Array [0] = event-buffer generation (bumped on every growth).
            InstanceMethod<&EngineWrap::State>("state"),
            // bestBid(book)/bestAsk(book) -> {price, qty, orders} | null.
            InstanceMethod<&EngineWrap::BestBid>("bestBid"),
            InstanceMethod<&EngineWrap::BestAsk>("bestAsk"),
            // depth(book, levels) -> {seq, bids: Level[], asks: Level[]}.
            InstanceMethod<&EngineWrap::Depth>("depth"),
            // order(book, orderId) -> RestingOrder | null.
            InstanceMethod<&EngineWrap::Order>("order"),
            // stats(book) -> {orders, bidLevels, askLevels, seq, lastTradePrice}.
            InstanceMethod<&EngineWrap::Stats>("stats"),
            // snapshot(book) -> Uint8Array (L3 image). restore(book, image) -> undefined.
            InstanceMethod<&EngineWrap::Snapshot>("snapshot"),
            InstanceMethod<&EngineWrap::Restore>("restore"),
            // memoryBytes(book) -> bytes reserved by the book's pools and tables.
            InstanceMethod<&EngineWrap::MemoryBytes>("memoryBytes"),
        });
  }

  explicit EngineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EngineWrap>(info) {
    Napi::Env env = info.Env();
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, kInitialEvents * kEvtSize);
    buffer_ = Napi::Persistent(ab);
    sink_.base = static_cast<uint8_t*>(ab.Data());
    sink_.capacity = kInitialEvents;
    sink_.ctx = this;
    sink_.grow = &EngineWrap::GrowEvents;
    Napi::Uint32Array st = Napi::Uint32Array::New(env, 4);
    state_ = Napi::Persistent(st);
    statePtr_ = st.Data();
  }

 private:
  // Called from inside simex_process_batch (so inside Process' callback scope).
  static void GrowEvents(simex::EventSink& s, std::size_t minCapacity) {
    auto* self = static_cast<EngineWrap*>(s.ctx);
    std::size_t cap = s.capacity * 2;
    if (cap < minCapacity) cap = minCapacity;
    Napi::Env env = self->Env();
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, cap * kEvtSize);  // throws on failure
    std::memcpy(ab.Data(), s.base, s.count * kEvtSize);
    self->buffer_.Reset(ab, 1);
    s.base = static_cast<uint8_t*>(ab.Data());
    s.capacity = cap;
    ++self->statePtr_[0];
  }

  uint16_t BookArg(const Napi::CallbackInfo& info, std::size_t i = 0) {
    const int64_t b = requireSafeInt(info.Env(), info[i], "book");
    if (b < 0 || static_cast<std::size_t>(b) >= engine_.bookCount())
      throw Napi::RangeError::New(info.Env(), "book " + std::to_string(b) + " does not exist (" +
                                                  std::to_string(engine_.bookCount()) + " books)");
    return static_cast<uint16_t>(b);
  }

  static Napi::Object LevelObj(Napi::Env env, const simex::LevelView& l) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("price", Napi::Number::New(env, static_cast<double>(l.price)));
    o.Set("qty", Napi::Number::New(env, static_cast<double>(l.qty)));
    o.Set("orders", Napi::Number::New(env, static_cast<double>(l.orders)));
    return o;
  }

  Napi::Value AddBook(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject())
      throw Napi::TypeError::New(env, "addBook(spec): spec must be an InstrumentSpec object");
    Napi::Object o = info[0].As<Napi::Object>();
    simex::InstrumentSpec s;
    s.tickSize = requireSafeInt(env, o.Get("tickSize"), "spec.tickSize");
    s.lotSize = requireSafeInt(env, o.Get("lotSize"), "spec.lotSize");
    s.minQty = requireSafeInt(env, o.Get("minQty"), "spec.minQty");
    s.maxQty = requireSafeInt(env, o.Get("maxQty"), "spec.maxQty");
    s.minPrice = requireSafeInt(env, o.Get("minPrice"), "spec.minPrice");
    s.maxPrice = requireSafeInt(env, o.Get("maxPrice"), "spec.maxPrice");
    s.bandBps = requireSafeInt(env, o.Get("bandBps"), "spec.bandBps");
    s.maxOrders = requireSafeInt(env, o.Get("maxOrders"), "spec.maxOrders");
    try {
      return Napi::Number::New(env, engine_.addBook(s));
    } catch (const std::invalid_argument& e) {
      throw Napi::RangeError::New(env, std::string("addBook: ") + e.what());
    } catch (const std::length_error& e) {
      throw Napi::RangeError::New(env, std::string("addBook: ") + e.what());
    }
  }

  Napi::Value Process(const Napi::CallbackInfo& info) {
    napi_env env = info.Env();
    if (info.Length() < 2)
      throw Napi::TypeError::New(info.Env(), "process(cmds: Uint8Array, count: number)");
    napi_value v = info[0];
    bool isTa = false;
    napi_is_typedarray(env, v, &isTa);
    napi_typedarray_type type = napi_int8_array;
    std::size_t length = 0;
    void* data = nullptr;
    if (isTa) napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr);
    if (!isTa || type != napi_uint8_array)
      throw Napi::TypeError::New(info.Env(), "process: cmds must be a Uint8Array");
    if (!info[1].IsNumber()) throw Napi::TypeError::New(info.Env(), "process: count must be a number");
    const double c = info[1].As<Napi::Number>().DoubleValue();
    if (!(c >= 0) || std::trunc(c) != c)
      throw Napi::RangeError::New(info.Env(), "process: count must be a non-negative integer");
    if (c * static_cast<double>(simex::kCmdSize) > static_cast<double>(length))
      throw Napi::RangeError::New(info.Env(), "process: count * 48 exceeds cmds.byteLength (" +
                                                  std::to_string(length) + ")");
    sink_.count = 0;
    const std::size_t n = simex_process_batch(&engine_, static_cast<const uint8_t*>(data),
                                              static_cast<std::size_t>(c), &sink_);
    return Napi::Number::New(info.Env(), static_cast<double>(n));
  }

  Napi::Value Events(const Napi::CallbackInfo&) { return buffer_.Value(); }
  Napi::Value State(const Napi::CallbackInfo&) { return state_.Value(); }

  Napi::Value BestSide(const Napi::CallbackInfo& info, uint8_t side) {
    const uint16_t b = BookArg(info);
    simex::LevelView l;
    if (!engine_.book(b).best(side, l)) return info.Env().Null();
    return LevelObj(info.Env(), l);
  }
  Napi::Value BestBid(const Napi::CallbackInfo& info) { return BestSide(info, simex::side::BUY); }
  Napi::Value BestAsk(const Napi::CallbackInfo& info) { return BestSide(info, simex::side::SELL); }

  Napi::Value Depth(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const uint16_t b = BookArg(info);
    const int64_t n = requireSafeInt(env, info[1], "levels");
    if (n < 0) throw Napi::RangeError::New(env, "depth: levels must be >= 0");
    const simex::Book& book = engine_.book(b);
    Napi::Object out = Napi::Object::New(env);
    out.Set("seq", Napi::Number::New(env, static_cast<double>(book.seq())));
    std::vector<simex::LevelView> lv;
    const char* names[2] = {"bids", "asks"};
    for (uint8_t s = 0; s < 2; ++s) {
      book.depth(s, static_cast<std::size_t>(n), lv);
      Napi::Array arr = Napi::Array::New(env, lv.size());
      for (uint32_t i = 0; i < lv.size(); ++i) arr.Set(i, LevelObj(env, lv[i]));
      out.Set(names[s], arr);
    }
    return out;
  }

  Napi::Value Order(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const uint16_t b = BookArg(info);
    const int64_t id = requireSafeInt(env, info[1], "orderId");
    simex::OrderView o;
    if (!engine_.book(b).order(id, o)) return env.Null();
    Napi::Object r = Napi::Object::New(env);
    r.Set("orderId", Napi::Number::New(env, static_cast<double>(o.orderId)));
    r.Set("owner", Napi::Number::New(env, o.owner));
    r.Set("side", Napi::Number::New(env, o.side));
    r.Set("price", Napi::Number::New(env, static_cast<double>(o.price)));
    r.Set("leaves", Napi::Number::New(env, static_cast<double>(o.leaves)));
    r.Set("flags", Napi::Number::New(env, o.flags));
    r.Set("stp", Napi::Number::New(env, o.stp));
    r.Set("filled", Napi::Number::New(env, static_cast<double>(o.filled)));
    return r;
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const simex::BookStats s = engine_.book(BookArg(info)).stats();
    Napi::Object r = Napi::Object::New(env);
    r.Set("orders", Napi::Number::New(env, static_cast<double>(s.orders)));
    r.Set("bidLevels", Napi::Number::New(env, static_cast<double>(s.bidLevels)));
    r.Set("askLevels", Napi::Number::New(env, static_cast<double>(s.askLevels)));
    r.Set("seq", Napi::Number::New(env, static_cast<double>(s.seq)));
    r.Set("lastTradePrice", Napi::Number::New(env, static_cast<double>(s.lastTradePrice)));
    return r;
  }

  Napi::Value Snapshot(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const std::vector<uint8_t> img = engine_.book(BookArg(info)).snapshot();
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, img.size());
    if (!img.empty()) std::memcpy(ab.Data(), img.data(), img.size());
    return Napi::Uint8Array::New(env, img.size(), ab, 0);
  }

  Napi::Value Restore(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const uint16_t b = BookArg(info);
    if (info.Length() < 2 || !info[1].IsTypedArray() ||
        info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
      throw Napi::TypeError::New(env, "restore(book, image): image must be a Uint8Array");
    Napi::Uint8Array img = info[1].As<Napi::Uint8Array>();
    try {
      engine_.restore(b, img.Data(), img.ByteLength());
    } catch (const std::invalid_argument& e) {
      throw Napi::Error::New(env, e.what());
    }
    return env.Undefined();
  }

  Napi::Value MemoryBytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(),
                             static_cast<double>(engine_.book(BookArg(info)).bytesReserved()));
  }

  simex::Engine engine_;
  simex::EventSink sink_;
  Napi::Reference<Napi::ArrayBuffer> buffer_;
  Napi::Reference<Napi::Uint32Array> state_;
  uint32_t* statePtr_ = nullptr;
};

void SetAll(Napi::Env env, Napi::Object o, std::initializer_list<std::pair<const char*, double>> kv) {
  for (const auto& [k, v] : kv) o.Set(k, Napi::Number::New(env, v));
}

Napi::Object Group(Napi::Env env, std::initializer_list<std::pair<const char*, double>> kv) {
  Napi::Object o = Napi::Object::New(env);
  SetAll(env, o, kv);
  return o;
}

Napi::Object Layout(Napi::Env env) {
  using namespace simex;
  Napi::Object l = Napi::Object::New(env);
  SetAll(env, l,
         {{"ENGINE_ABI_VERSION", kEngineAbiVersion},
          {"CMD_SIZE", kCmdSize},
          {"EVT_SIZE", kEvtSize},
          {"MAX_SAFE", static_cast<double>(kMaxSafe)},
          {"SNAP_MAGIC", kSnapMagic},
          {"SNAP_HEADER_SIZE", kSnapHeaderSize},
          {"SNAP_ORDER_SIZE", kSnapOrderSize}});
  l.Set("CmdOff", Group(env, {{"type", cmdoff::type}, {"side", cmdoff::side},
                              {"ordType", cmdoff::ordType}, {"tif", cmdoff::tif},
                              {"flags", cmdoff::flags}, {"stp", cmdoff::stp},
                              {"book", cmdoff::book}, {"owner", cmdoff::owner},
                              {"reserved", cmdoff::reserved}, {"ts", cmdoff::ts},
                              {"orderId", cmdoff::orderId}, {"price", cmdoff::price},
                              {"qty", cmdoff::qty}}));
  l.Set("EvtOff", Group(env, {{"type", evtoff::type}, {"side", evtoff::side},
                              {"reason", evtoff::reason}, {"cmdType", evtoff::cmdType},
                              {"book", evtoff::book}, {"flags", evtoff::flags},
                              {"seq", evtoff::seq}, {"ts", evtoff::ts}, {"s0", evtoff::s0},
                              {"s1", evtoff::s1}, {"s2", evtoff::s2}, {"s3", evtoff::s3},
                              {"s4", evtoff::s4}, {"s5", evtoff::s5}, {"s6", evtoff::s6}}));
  l.Set("CmdType", Group(env, {{"NEW", cmdtype::NEW}, {"CANCEL", cmdtype::CANCEL},
                               {"AMEND", cmdtype::AMEND}, {"MASS_CANCEL", cmdtype::MASS_CANCEL}}));
  l.Set("Side", Group(env, {{"BUY", side::BUY}, {"SELL", side::SELL}}));
  l.Set("OrdType", Group(env, {{"LIMIT", ordtype::LIMIT}, {"MARKET", ordtype::MARKET}}));
  l.Set("Tif", Group(env, {{"GTC", tif::GTC}, {"IOC", tif::IOC}, {"FOK", tif::FOK}}));
  l.Set("Flags", Group(env, {{"POST_ONLY", flags::POST_ONLY}}));
  l.Set("AmendCmdFlags", Group(env, {{"TOTAL_QTY", amendcmdflags::TOTAL_QTY}}));
  l.Set("StpMode", Group(env, {{"NONE", stp::NONE}, {"CANCEL_NEWEST", stp::CANCEL_NEWEST},
                               {"CANCEL_OLDEST", stp::CANCEL_OLDEST},
                               {"CANCEL_BOTH", stp::CANCEL_BOTH},
                               {"DECREMENT_AND_CANCEL", stp::DECREMENT_AND_CANCEL}}));
  l.Set("EventType", Group(env, {{"ACCEPTED", evttype::ACCEPTED}, {"REJECTED", evttype::REJECTED},
                                 {"TRADE", evttype::TRADE}, {"CANCELLED", evttype::CANCELLED},
                                 {"AMENDED", evttype::AMENDED}, {"L2", evttype::L2},
                                 {"DECREMENTED", evttype::DECREMENTED}}));
  l.Set("AmendFlags", Group(env, {{"PRIORITY_KEPT", amendflags::PRIORITY_KEPT}}));
  l.Set("CancelReason", Group(env, {{"USER", cancelreason::USER},
                                    {"IOC_REMAINDER", cancelreason::IOC_REMAINDER},
                                    {"SELF_TRADE", cancelreason::SELF_TRADE},
                                    {"MASS_CANCEL", cancelreason::MASS_CANCEL},
                                    {"AMEND_TO_FILLED", cancelreason::AMEND_TO_FILLED}}));
  l.Set("RejectReason",
        Group(env, {{"UNKNOWN_COMMAND", reject::UNKNOWN_COMMAND},
                    {"UNKNOWN_BOOK", reject::UNKNOWN_BOOK},
                    {"BAD_SIDE", reject::BAD_SIDE},
                    {"BAD_ORDER_TYPE", reject::BAD_ORDER_TYPE},
                    {"BAD_TIF", reject::BAD_TIF},
                    {"BAD_FLAGS", reject::BAD_FLAGS},
                    {"BAD_STP_MODE", reject::BAD_STP_MODE},
                    {"BAD_ORDER_ID", reject::BAD_ORDER_ID},
                    {"DUPLICATE_ORDER_ID", reject::DUPLICATE_ORDER_ID},
                    {"UNKNOWN_ORDER", reject::UNKNOWN_ORDER},
                    {"NOT_OWNER", reject::NOT_OWNER},
                    {"BAD_QUANTITY", reject::BAD_QUANTITY},
                    {"BAD_LOT", reject::BAD_LOT},
                    {"BAD_PRICE", reject::BAD_PRICE},
                    {"OFF_TICK", reject::OFF_TICK},
                    {"PRICE_OUT_OF_BAND", reject::PRICE_OUT_OF_BAND},
                    {"POST_ONLY_WOULD_CROSS", reject::POST_ONLY_WOULD_CROSS},
                    {"FOK_NOT_FILLABLE", reject::FOK_NOT_FILLABLE},
                    {"BOOK_FULL", reject::BOOK_FULL},
                    {"AMEND_NO_CHANGE", reject::AMEND_NO_CHANGE},
                    {"BAD_OWNER", reject::BAD_OWNER}}));
  return l;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Engine", EngineWrap::Define(env));
  exports.Set("layout", Layout(env));
  exports.Set("usdt", Napi::Boolean::New(env, SIMEX_HAVE_USDT != 0));
  return exports;
}

}  // namespace

NODE_API_MODULE(simex_engine, Init)
