// The wire messages of an NDP offload that need nothing of the runtime:
// the request, the storage side's verdict, and the object operations the
// storage runtime asks of the object class (which serves them from the OSD's
// copy). The object class plugin links only this (and base).
//
// Who sends what (docs/ndp.md has the whole flow):
//   compute worker -> OSD      OffloadRequest, as the input of a RADOS exec
//                              on the object (class "nearfaas")
//   OSD class -> storage rt    a ClassRequest over the unix socket: the same
//                              OffloadRequest with what the class checked
//                              itself; then it answers ObjectOps on the object
//   storage rt -> OSD class    ObjectOps, then the OffloadReply (the
//                              verdict), which the class returns as the exec
//                              output
//   storage rt <-> compute     DeltaFetch / OffloadResult (messages.h)
//
// Decoding checks every length and count against the input and the limits
// below; a message that fails is refused, never trusted. Receiving checks
// each frame's length against the largest frame of its kind
// (maxFrameBytes) before reading it, and grows the buffer as bytes arrive.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "ndp/codec.h"
#include "ndp/frame.h"

namespace nearfaas::ndp {

inline constexpr size_t kMaxNameBytes = 1024;  // users, functions, keys, hosts
inline constexpr size_t kMaxArgs = 16;
inline constexpr uint64_t kMaxDeltaBytes = 4ull << 30;  // a whole 4 GiB memory
// No object is larger (RadosStore caps them at 128 MiB, scripts/ceph.sh's
// OSDs at 256 MiB): the data of one object operation.
inline constexpr uint64_t kMaxObjectBytes = 256ull << 20;
// A call's token: this many lowercase hex digits (128 random bits). The
// storage runtime refuses others, so that what it sends to a caller's
// address is never text of the requester's choosing.
inline constexpr size_t kTokenHexDigits = 32;
// How the reason of a Failed verdict starts when the call wrote its object in
// a read-only offload (offload_ro): the compute worker then sends that
// function's storage calls with offload_rw.
inline constexpr std::string_view kWritesItsObject = "the storage call writes its object";

// The largest frame of each kind of message (maxFrameBytes).
inline constexpr uint64_t kMaxRequestFrameBytes = 64 << 10;  // requests, delta fetches
inline constexpr uint64_t kMaxReplyFrameBytes = 128 << 10;   // verdicts (reason <= 64 KiB)
inline constexpr uint64_t kMaxObjectFrameBytes = kMaxObjectBytes + (4 << 10);
inline constexpr uint64_t kMaxMemoryFrameBytes = kMaxDeltaBytes + (1 << 20);  // deltas, results

// Message kinds, the first u32 after the version: a message of one kind never
// decodes as another.
enum MessageKind : uint32_t {
  kRequestMessage = 1,
  kReplyMessage = 2,
  kResultMessage = 3,
  kDeltaMessage = 4,
  kObjectOpMessage = 5,
  kObjectOpReplyMessage = 6,
  kDeltaFetchMessage = 7,
  kClassRequestMessage = 8,
};

struct OffloadRequest {
  uint64_t callId = 0;  // unique on the compute worker while the call runs
  std::string user, function;
  std::string key;  // the object; its bucket is the user
  int32_t funcPtr = 0;
  std::vector<int32_t> args;
  std::string origin;  // host:port where the compute worker serves deltas
  std::string token;   // proves a DeltaFetch/OffloadResult belongs to this call
  // SHA-256 of the caller's wasm: the storage side runs exactly that code
  // (a function replaced meanwhile is reloaded, or the call refused).
  std::string codeHash;

  bool operator==(const OffloadRequest&) const = default;
};

// Object class -> storage runtime: a request and what the class found out
// itself, from the OSD, about the RADOS exec that carried it. The storage
// runtime takes requests only in this form, only from its unix socket.
struct ClassRequest {
  OffloadRequest request;
  // The object the exec runs on (its namespace and name in the pool, from
  // the OSD's object info); the class forwards only requests whose user and
  // key are these.
  std::string objectNamespace, objectName;
  // The address of the RADOS client that sent the exec, as the OSD knows it
  // (IPv4, no port), or empty if the OSD has none.
  std::string clientAddress;
  bool operator==(const ClassRequest&) const = default;
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

// An operation of the storage runtime on the offloaded object, served by the
// object class from the OSD's copy.
struct ObjectOp {
  enum Kind : uint8_t { Stat = 0, Read = 1, WriteFull = 2 } kind = Stat;
  uint64_t offset = 0, length = 0;  // Read
  Bytes data;                       // WriteFull
  bool operator==(const ObjectOp&) const = default;
};

struct ObjectOpReply {
  int32_t status = 0;  // 0, or a negative errno from the OSD
  uint64_t size = 0;   // Stat
  Bytes data;          // Read
  bool operator==(const ObjectOpReply&) const = default;
};

// Storage runtime -> compute worker: the caller's delta for this call, please.
// Answered with the delta (messages.h) or an OffloadReply saying why not.
struct DeltaFetch {
  uint64_t callId = 0;
  std::string token;
  bool operator==(const DeltaFetch&) const = default;
};

// An ObjectOpReply whose data is sent or received without building the whole
// message: the prefix (everything before the data) has a fixed size, and
// prefix + data is exactly encode() of the reply.
struct ObjectOpReplyPrefix {
  int32_t status = 0;
  uint64_t size = 0;
  uint64_t dataBytes = 0;  // the data that follows
};
inline constexpr size_t kObjectOpReplyPrefixBytes = 4 + 4 + 4 + 8 + 8;
Bytes encodeObjectOpReplyPrefix(int32_t status, uint64_t size, uint64_t dataBytes);
Result<ObjectOpReplyPrefix> decodeObjectOpReplyPrefix(std::span<const uint8_t> in);

Bytes encode(const OffloadRequest& m);
Bytes encode(const ClassRequest& m);
Bytes encode(const DeltaFetch& m);
Bytes encode(const OffloadReply& m);
Bytes encode(const ObjectOp& m);
Bytes encode(const ObjectOpReply& m);

Result<OffloadRequest> decodeRequest(std::span<const uint8_t> in);
Result<ClassRequest> decodeClassRequest(std::span<const uint8_t> in);
Result<OffloadReply> decodeReply(std::span<const uint8_t> in);
Result<DeltaFetch> decodeDeltaFetch(std::span<const uint8_t> in);
Result<ObjectOp> decodeObjectOp(std::span<const uint8_t> in);
Result<ObjectOpReply> decodeObjectOpReply(std::span<const uint8_t> in);

// The kind of an encoded message, or 0 if it has no valid header.
uint32_t messageKind(std::span<const uint8_t> in);
// What a message of `kind` is, for errors ("offload request", ...).
const char* messageName(uint32_t kind);
// The largest frame a message of `kind` may take (0 for unknown kinds).
uint64_t maxFrameBytes(uint32_t kind);

// Receives one frame holding a message of one of `kinds`: after the length
// header it reads the message header, and refuses a kind not in `kinds` or
// a length over that kind's maxFrameBytes before reading more. The payload
// buffer grows as bytes arrive. On any error the connection is out of step:
// the caller closes it.
Result<Bytes> recvMessage(int fd, std::initializer_list<uint32_t> kinds, Deadline deadline);

}  // namespace nearfaas::ndp
