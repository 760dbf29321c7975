// Little-endian binary encoding for NDP messages: a writer that appends to a
// byte buffer and a reader that never reads past its input. Every length
// read from the wire is checked against what is left, so a corrupt or
// hostile message fails to decode instead of allocating or overrunning.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "base/bytes.h"
#include "base/result.h"

namespace nearfaas::ndp {

class ByteWriter {
 public:
  template <typename T>
  requires std::is_arithmetic_v<T>
  void put(T value) {
    uint8_t raw[sizeof(T)];
    std::memcpy(raw, &value, sizeof(T));  // the hosts are little-endian (x86-64)
    out_.insert(out_.end(), raw, raw + sizeof(T));
  }
  void putBytes(std::span<const uint8_t> bytes) {
    put<uint64_t>(bytes.size());
    out_.insert(out_.end(), bytes.begin(), bytes.end());
  }
  void putString(std::string_view s) {
    putBytes({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
  }
  Bytes take() { return std::move(out_); }

 private:
  Bytes out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> in) : in_(in) {}

  template <typename T>
  requires std::is_arithmetic_v<T>
  bool get(T& value) {
    if (in_.size() - at_ < sizeof(T)) return false;
    std::memcpy(&value, in_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return true;
  }
  // A length-prefixed byte string of at most `maxLen` bytes, as a view into
  // the input.
  bool getBytes(std::span<const uint8_t>& out, uint64_t maxLen) {
    uint64_t len;
    if (!get(len) || len > maxLen || len > in_.size() - at_) return false;
    out = in_.subspan(at_, len);
    at_ += len;
    return true;
  }
  bool getString(std::string& out, uint64_t maxLen) {
    std::span<const uint8_t> b;
    if (!getBytes(b, maxLen)) return false;
    out.assign(b.begin(), b.end());
    return true;
  }
  bool atEnd() const { return at_ == in_.size(); }
  size_t remaining() const { return in_.size() - at_; }

 private:
  std::span<const uint8_t> in_;
  size_t at_ = 0;
};

// Every message starts with the protocol version and its kind (u32 each).
inline constexpr uint32_t kProtocolVersion = 1;

inline ByteWriter startMessage(uint32_t kind) {
  ByteWriter w;
  w.put<uint32_t>(kProtocolVersion);
  w.put<uint32_t>(kind);
  return w;
}

inline Result<void> expectMessage(ByteReader& r, uint32_t kind, const char* what) {
  uint32_t version, k;
  if (!r.get(version) || !r.get(k)) return fail(what, ": truncated header");
  if (version != kProtocolVersion)
    return fail(what, ": protocol version ", version, ", expected ", kProtocolVersion);
  if (k != kind) return fail(what, ": message kind ", k, ", expected ", kind);
  return {};
}

inline Result<void> finishMessage(const ByteReader& r, const char* what) {
  if (!r.atEnd()) return fail(what, ": ", r.remaining(), " unexpected trailing bytes");
  return {};
}

}  // namespace nearfaas::ndp
