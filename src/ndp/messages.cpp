#include "ndp/messages.h"

#include "ndp/codec.h"

namespace nearfaas::ndp {

namespace {

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

Bytes encode(const OffloadResult& m) {
  ByteWriter w = startMessage(kResultMessage);
  w.put<uint64_t>(m.callId);
  w.putString(m.token);
  w.put<int32_t>(m.returnValue);
  putDelta(w, m.delta);
  w.put<uint8_t>(m.outputSet ? 1 : 0);
  w.putBytes(m.output);
  w.putString(m.stdoutText);
  w.putString(m.stderrText);
  return w.take();
}

Result<OffloadResult> decodeResult(std::span<const uint8_t> in) {
  ByteReader r(in);
  if (auto e = expectMessage(r, kResultMessage, "offload result"); !e)
    return std::unexpected(e.error());
  OffloadResult m;
  if (!r.get(m.callId) || !r.getString(m.token, kMaxNameBytes) || !r.get(m.returnValue))
    return fail("offload result: malformed");
  if (auto e = getDelta(r, m.delta); !e) return std::unexpected(e.error());
  uint8_t outputSet;
  std::span<const uint8_t> output;
  if (!r.get(outputSet) || outputSet > 1 || !r.getBytes(output, kMaxDeltaBytes) ||
      !r.getString(m.stdoutText, kMaxDeltaBytes) || !r.getString(m.stderrText, kMaxDeltaBytes))
    return fail("offload result: malformed output");
  m.outputSet = outputSet == 1;
  m.output.assign(output.begin(), output.end());
  if (auto e = finishMessage(r, "offload result"); !e) return std::unexpected(e.error());
  return m;
}

Bytes encode(const faaslet::MemoryDelta& d) {
  ByteWriter w = startMessage(kDeltaMessage);
  putDelta(w, d);
  return w.take();
}

Result<faaslet::MemoryDelta> decodeDelta(std::span<const uint8_t> in) {
  ByteReader r(in);
  if (auto e = expectMessage(r, kDeltaMessage, "memory delta"); !e)
    return std::unexpected(e.error());
  faaslet::MemoryDelta d;
  if (auto e = getDelta(r, d); !e) return std::unexpected(e.error());
  if (auto e = finishMessage(r, "memory delta"); !e) return std::unexpected(e.error());
  return d;
}

}  // namespace nearfaas::ndp
