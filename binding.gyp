# simex native engine addon -> build/Release/simex_engine.node
#
# Exception mode: C++ exceptions ON (NAPI_CPP_EXCEPTIONS). Reasons: (1) the engine core never
# throws on order flow (bad commands become REJECTED events), so exceptions only appear on
# programmer errors (bad arguments -> Napi::TypeError) and allocation failure (pool or event
# buffer growth -> std::bad_alloc), and with exceptions on both surface in JS as exceptions
# instead of std::terminate; (2) table-based unwinding costs nothing on the non-throwing hot
# path (measured: no difference in the batch loop); (3) node-addon-api code stays free of
# "check IsExceptionPending after every call" boilerplate.
#
# Symbols: no stripping, -g kept so perf/bpftrace resolve frames; `simex_process_batch` is an
# exported, non-inlined extern "C" function (uprobe target). USDT probes (provider simex) are
# compiled in when <sys/sdt.h> exists (Debian: systemtap-sdt-dev), see native/src/probes.h.
{
  "targets": [
    {
      "target_name": "simex_engine",
      "sources": [
        "native/src/addon.cc",
        "native/src/book.cc",
        "native/src/engine.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native/src"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_CPP_EXCEPTIONS_ALL",
        "NODE_ADDON_API_DISABLE_DEPRECATED"
      ],
      "cflags!": ["-fno-exceptions", "-O2"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-O2"],
      "cflags": ["-O3", "-g", "-fno-omit-frame-pointer"],
      "cflags_cc": ["-std=c++20", "-O3", "-g", "-fexceptions", "-fno-omit-frame-pointer", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++20",
        "OTHER_CPLUSPLUSFLAGS": ["-O3"]
      }
    }
  ]
}
