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
// value, what it changed in memory (relative to the caller's delta), and its
// effects outside memory that the caller must replay: output set with
// faasmSetOutput and what it wrote to stdout/stderr.
struct OffloadResult {
  uint64_t callId = 0;
  std::string token;
  int32_t returnValue = 0;
  faaslet::MemoryDelta delta;
  bool outputSet = false;
  Bytes output;  // when outputSet
  std::string stdoutText, stderrText;
};

Bytes encode(const OffloadResult& m);
Bytes encode(const faaslet::MemoryDelta& d);

Result<OffloadResult> decodeResult(std::span<const uint8_t> in);
Result<faaslet::MemoryDelta> decodeDelta(std::span<const uint8_t> in);

}  // namespace nearfaas::ndp
