// The NDP messages that carry Faaslet memory: the storage side's result
// (return value and memory delta) and the caller's delta. The rest of the
// protocol is in wire.h.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "faaslet/faaslet.h"
#include "ndp/wire.h"

namespace nearfaas::ndp {

// The storage side's answer to the compute worker: the function's return
// value and the memory delta (against the Proto-Faaslet) after it ran.
struct OffloadResult {
  uint64_t callId = 0;
  std::string token;
  int32_t returnValue = 0;
  faaslet::MemoryDelta delta;
};

Bytes encode(const OffloadResult& m);
Bytes encode(const faaslet::MemoryDelta& d);

Result<OffloadResult> decodeResult(std::span<const uint8_t> in);
Result<faaslet::MemoryDelta> decodeDelta(std::span<const uint8_t> in);

}  // namespace nearfaas::ndp
