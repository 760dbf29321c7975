// A minimal writer of WebAssembly binaries for tests that need modules with
// exact, hostile bytes in them (names with "*/", newlines, NUL, invalid UTF-8,
// 100 KB names; custom sections), which a .wat file cannot spell or wat2wasm
// would refuse. Every function it writes has type () -> i32 and returns a
// constant; imports are functions of that type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.h"

namespace nearfaas::test {

class WasmBuilder {
 public:
  // Imports function `module`.`field`; imports come before defined functions
  // in the function index space.
  WasmBuilder& importFunc(std::string module, std::string field) {
    imports_.emplace_back(std::move(module), std::move(field));
    return *this;
  }
  // Defines a function returning `value`, exported as `name`.
  WasmBuilder& exportFunc(std::string name, int32_t value) {
    funcs_.push_back(value);
    exports_.emplace_back(std::move(name), imports_.size() + funcs_.size() - 1);
    return *this;
  }
  // Defines one linear memory of `pages` pages, exported as "memory".
  WasmBuilder& memory(uint32_t pages) {
    memoryPages_ = pages;
    return *this;
  }
  WasmBuilder& custom(std::string name, std::string payload) {
    customs_.emplace_back(std::move(name), std::move(payload));
    return *this;
  }

  Bytes bytes() const {
    Bytes out = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    section(out, 1, {0x01, 0x60, 0x00, 0x01, 0x7f});  // one type: () -> i32
    if (!imports_.empty()) {
      Bytes s;
      uleb(s, imports_.size());
      for (const auto& [m, f] : imports_) {
        name(s, m);
        name(s, f);
        s.push_back(0x00);  // function
        s.push_back(0x00);  // of type 0
      }
      section(out, 2, s);
    }
    Bytes funcs;
    uleb(funcs, funcs_.size());
    for (size_t i = 0; i < funcs_.size(); ++i)
      funcs.push_back(0x00);
    section(out, 3, funcs);
    if (memoryPages_) {
      Bytes mem = {0x01, 0x00};  // one memory, no maximum
      uleb(mem, *memoryPages_);
      section(out, 5, mem);
    }
    Bytes exports;
    uleb(exports, exports_.size() + (memoryPages_ ? 1 : 0));
    if (memoryPages_) {
      name(exports, "memory");
      exports.push_back(0x02);
      exports.push_back(0x00);
    }
    for (const auto& [n, index] : exports_) {
      name(exports, n);
      exports.push_back(0x00);
      uleb(exports, index);
    }
    section(out, 7, exports);
    Bytes code;
    uleb(code, funcs_.size());
    for (int32_t v : funcs_) {
      Bytes body = {0x00, 0x41};  // no locals; i32.const
      sleb(body, v);
      body.push_back(0x0b);  // end
      uleb(code, body.size());
      code.insert(code.end(), body.begin(), body.end());
    }
    section(out, 10, code);
    for (const auto& [n, payload] : customs_) {
      Bytes s;
      name(s, n);
      s.insert(s.end(), payload.begin(), payload.end());
      section(out, 0, s);
    }
    return out;
  }

 private:
  static void uleb(Bytes& out, uint64_t v) {
    do {
      uint8_t b = v & 0x7f;
      v >>= 7;
      out.push_back(v ? (b | 0x80) : b);
    } while (v);
  }
  static void sleb(Bytes& out, int64_t v) {
    for (;;) {
      uint8_t b = v & 0x7f;
      v >>= 7;
      bool done = (v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40));
      out.push_back(done ? b : (b | 0x80));
      if (done) return;
    }
  }
  static void name(Bytes& out, std::string_view n) {
    uleb(out, n.size());
    out.insert(out.end(), n.begin(), n.end());
  }
  static void section(Bytes& out, uint8_t id, const Bytes& content) {
    out.push_back(id);
    uleb(out, content.size());
    out.insert(out.end(), content.begin(), content.end());
  }

  std::vector<std::pair<std::string, std::string>> imports_;
  std::vector<int32_t> funcs_;
  std::vector<std::pair<std::string, size_t>> exports_;
  std::vector<std::pair<std::string, std::string>> customs_;
  std::optional<uint32_t> memoryPages_;
};

// The exploit of wasm2c 1.0.32's unescaped export-name comments: an export
// name that closes the comment and defines a constructor which, if this name
// were ever compiled as C, would create `proofFile` when the shared object is
// loaded. Valid UTF-8, a valid wasm name.
inline std::string constructorExploitName(const std::string& proofFile) {
  return "x */\n#ifndef NF_EXPLOIT\n#define NF_EXPLOIT\nint creat(const char*, unsigned);\n"
         "__attribute__((constructor)) static void nf_exploit(void) { creat(\"" +
         proofFile + "\", 0644); }\n#endif\n/* ";
}

// A module with a memory that exports `run` (returning 7) and a function
// named by constructorExploitName(proofFile) (returning 1).
inline Bytes constructorExploitModule(const std::string& proofFile) {
  return WasmBuilder()
      .memory(1)
      .exportFunc("run", 7)
      .exportFunc(constructorExploitName(proofFile), 1)
      .bytes();
}

}  // namespace nearfaas::test
