#include "ndp/messages.h"

#include "ndp/codec.h"

namespace nearfaas::ndp {

namespace {

// Message kinds, the first u32 after the version: a message of one kind never
// decodes as another.
enum Kind : uint32_t { kRequest = 1, kReply = 2, kResult = 3, kDelta = 4 };

ByteWriter start(Kind kind) {
  ByteWriter w;
  w.put<uint32_t>(kProtocolVersion);
  w.put<uint32_t>(kind);
  return w;
}

Result<void> expect(ByteReader& r, Kind kind, const char* what) {
  uint32_t version, k;
  if (!r.get(version) || !r.get(k)) return fail(what, ": truncated header");
  if (version != kProtocolVersion)
    return fail(what, ": protocol version ", version, ", expected ", kProtocolVersion);
  if (k != kind) return fail(what, ": message kind ", k, ", expected ", uint32_t{kind});
  return {};
}

Result<void> finish(const ByteReader& r, const char* what) {
  if (!r.atEnd()) return fail(what, ": ", r.remaining(), " unexpected trailing bytes");
  return {};
}

void putDelta(ByteWriter& w, const faaslet::MemoryDelta& d) {
  w.put<uint32_t>(d.memoryBytes);
  w.put<uint32_t>(static_cast<uint32_t>(d.pages.size()));
  for (uint32_t p : d.pages)
    w.put<uint32_t>(p);
  w.put<uint32_t>(static_cast<uint32_t>(d.globals.size()));
  for (const auto& g : d.globals) {
    w.put<uint8_t>(static_cast<uint8_t>(g.type));
    w.put<uint64_t>(g.i64);  // the union's widest scalar member
  }
  w.putBytes(d.data);
}

Result<void> getDelta(ByteReader& r, faaslet::MemoryDelta& d) {
  constexpr uint32_t P = faaslet::MemoryDelta::kPageBytes;
  uint32_t npages, nglobals;
  if (!r.get(d.memoryBytes) || !r.get(npages)) return fail("delta: truncated");
  if (uint64_t{npages} * P > d.memoryBytes || uint64_t{npages} * 4 > r.remaining())
    return fail("delta: ", npages, " pages do not fit ", d.memoryBytes, " bytes of memory");
  d.pages.resize(npages);
  uint32_t previous = 0;
  for (uint32_t i = 0; i < npages; ++i) {
    if (!r.get(d.pages[i])) return fail("delta: truncated page list");
    if ((i && d.pages[i] <= previous) || uint64_t{d.pages[i] + 1} * P > d.memoryBytes)
      return fail("delta: page numbers must ascend within the memory");
    previous = d.pages[i];
  }
  if (!r.get(nglobals) || uint64_t{nglobals} * 9 > r.remaining())
    return fail("delta: truncated globals");
  d.globals.resize(nglobals);
  for (auto& g : d.globals) {
    uint8_t type;
    uint64_t bits;
    if (!r.get(type) || !r.get(bits)) return fail("delta: truncated globals");
    auto t = static_cast<wasm::ValType>(type);
    if (t != wasm::ValType::I32 && t != wasm::ValType::I64 && t != wasm::ValType::F32 &&
        t != wasm::ValType::F64)
      return fail("delta: global of unsupported type ", uint32_t{type});
    g.type = t;
    g.i64 = bits;
  }
  std::span<const uint8_t> data;
  if (!r.getBytes(data, kMaxDeltaBytes) || data.size() != uint64_t{npages} * P)
    return fail("delta: page data does not match ", npages, " pages");
  d.data.assign(data.begin(), data.end());
  return {};
}

}  // namespace

Bytes encode(const OffloadRequest& m) {
  ByteWriter w = start(kRequest);
  w.put<uint64_t>(m.callId);
  w.putString(m.user);
  w.putString(m.function);
  w.putString(m.key);
  w.put<int32_t>(m.funcPtr);
  w.put<uint32_t>(static_cast<uint32_t>(m.args.size()));
  for (int32_t a : m.args)
    w.put<int32_t>(a);
  w.putString(m.origin);
  w.putString(m.token);
  return w.take();
}

Result<OffloadRequest> decodeRequest(std::span<const uint8_t> in) {
  ByteReader r(in);
  if (auto e = expect(r, kRequest, "offload request"); !e) return std::unexpected(e.error());
  OffloadRequest m;
  uint32_t nargs;
  if (!r.get(m.callId) || !r.getString(m.user, kMaxNameBytes) ||
      !r.getString(m.function, kMaxNameBytes) || !r.getString(m.key, kMaxNameBytes) ||
      !r.get(m.funcPtr) || !r.get(nargs) || nargs > kMaxArgs)
    return fail("offload request: malformed");
  m.args.resize(nargs);
  for (auto& a : m.args)
    if (!r.get(a)) return fail("offload request: truncated arguments");
  if (!r.getString(m.origin, kMaxNameBytes) || !r.getString(m.token, kMaxNameBytes))
    return fail("offload request: malformed");
  if (auto e = finish(r, "offload request"); !e) return std::unexpected(e.error());
  return m;
}

Bytes encode(const OffloadReply& m) {
  ByteWriter w = start(kReply);
  w.put<uint8_t>(static_cast<uint8_t>(m.verdict));
  w.putString(m.reason);
  return w.take();
}

Result<OffloadReply> decodeReply(std::span<const uint8_t> in) {
  ByteReader r(in);
  if (auto e = expect(r, kReply, "offload reply"); !e) return std::unexpected(e.error());
  OffloadReply m;
  uint8_t verdict;
  if (!r.get(verdict) || verdict > uint8_t(Verdict::Failed) || !r.getString(m.reason, 64 * 1024))
    return fail("offload reply: malformed");
  m.verdict = static_cast<Verdict>(verdict);
  if (auto e = finish(r, "offload reply"); !e) return std::unexpected(e.error());
  return m;
}

Bytes encode(const OffloadResult& m) {
  ByteWriter w = start(kResult);
  w.put<uint64_t>(m.callId);
  w.putString(m.token);
  w.put<int32_t>(m.returnValue);
  putDelta(w, m.delta);
  return w.take();
}

Result<OffloadResult> decodeResult(std::span<const uint8_t> in) {
  ByteReader r(in);
  if (auto e = expect(r, kResult, "offload result"); !e) return std::unexpected(e.error());
  OffloadResult m;
  if (!r.get(m.callId) || !r.getString(m.token, kMaxNameBytes) || !r.get(m.returnValue))
    return fail("offload result: malformed");
  if (auto e = getDelta(r, m.delta); !e) return std::unexpected(e.error());
  if (auto e = finish(r, "offload result"); !e) return std::unexpected(e.error());
  return m;
}

Bytes encode(const faaslet::MemoryDelta& d) {
  ByteWriter w = start(kDelta);
  putDelta(w, d);
  return w.take();
}

Result<faaslet::MemoryDelta> decodeDelta(std::span<const uint8_t> in) {
  ByteReader r(in);
  if (auto e = expect(r, kDelta, "memory delta"); !e) return std::unexpected(e.error());
  faaslet::MemoryDelta d;
  if (auto e = getDelta(r, d); !e) return std::unexpected(e.error());
  if (auto e = finish(r, "memory delta"); !e) return std::unexpected(e.error());
  return d;
}

}  // namespace nearfaas::ndp
