// The messages of an NDP offload and their encoding (codec.h).
//
// Who sends what (docs/ndp.md has the whole flow):
//   compute worker -> OSD      OffloadRequest, as the input of a RADOS exec
//                              on the object (class "nearfaas")
//   OSD class -> storage rt    the same OffloadRequest over the unix socket,
//                              then it serves ObjectOps on the object
//   storage rt -> compute      DeltaFetch, answered with the caller's
//                              MemoryDelta; later OffloadResult with the
//                              storage side's delta
//   storage rt -> OSD class    OffloadReply (the verdict), which the class
//                              returns as the exec output
//
// Decoding checks every length and count against the input and the limits
// below; a message that fails is refused, never trusted.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "faaslet/faaslet.h"

namespace nearfaas::ndp {

inline constexpr uint32_t kProtocolVersion = 1;
inline constexpr size_t kMaxNameBytes = 1024;  // users, functions, keys, hosts
inline constexpr size_t kMaxArgs = 16;
inline constexpr uint64_t kMaxDeltaBytes = 4ull << 30;  // a whole 4 GiB memory

struct OffloadRequest {
  uint64_t callId = 0;  // unique on the compute worker while the call runs
  std::string user, function;
  std::string key;  // the object; its bucket is the user
  int32_t funcPtr = 0;
  std::vector<int32_t> args;
  std::string origin;  // host:port where the compute worker serves deltas
  std::string token;   // proves a DeltaFetch/OffloadResult belongs to this call

  bool operator==(const OffloadRequest&) const = default;
};

// What the storage side did with a request.
enum class Verdict : uint8_t {
  Done = 0,            // ran; the result went to the compute worker directly
  ProcessLocally = 1,  // refused (load, unknown function, ...): run it locally
  Failed = 2,          // admitted but failed on the storage side: run it locally
};

struct OffloadReply {
  Verdict verdict = Verdict::ProcessLocally;
  std::string reason;  // why, for ProcessLocally and Failed
  bool operator==(const OffloadReply&) const = default;
};

// The storage side's answer to the compute worker: the function's return
// value and the memory delta (against the Proto-Faaslet) after it ran.
struct OffloadResult {
  uint64_t callId = 0;
  std::string token;
  int32_t returnValue = 0;
  faaslet::MemoryDelta delta;
};

Bytes encode(const OffloadRequest& m);
Bytes encode(const OffloadReply& m);
Bytes encode(const OffloadResult& m);
Bytes encode(const faaslet::MemoryDelta& d);

Result<OffloadRequest> decodeRequest(std::span<const uint8_t> in);
Result<OffloadReply> decodeReply(std::span<const uint8_t> in);
Result<OffloadResult> decodeResult(std::span<const uint8_t> in);
Result<faaslet::MemoryDelta> decodeDelta(std::span<const uint8_t> in);

}  // namespace nearfaas::ndp
