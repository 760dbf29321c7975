#include "ndp/wire.h"

#include <algorithm>

namespace nearfaas::ndp {

Bytes encode(const OffloadRequest& m) {
  ByteWriter w = startMessage(kRequestMessage);
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
  w.putString(m.codeHash);
  return w.take();
}

Result<OffloadRequest> decodeRequest(std::span<const uint8_t> in) {
  ByteReader r(in);
  if (auto e = expectMessage(r, kRequestMessage, "offload request"); !e)
    return std::unexpected(e.error());
  OffloadRequest m;
  uint32_t nargs;
  if (!r.get(m.callId) || !r.getString(m.user, kMaxNameBytes) ||
      !r.getString(m.function, kMaxNameBytes) || !r.getString(m.key, kMaxNameBytes) ||
      !r.get(m.funcPtr) || !r.get(nargs) || nargs > kMaxArgs)
    return fail("offload request: malformed");
  m.args.resize(nargs);
  for (auto& a : m.args)
    if (!r.get(a)) return fail("offload request: truncated arguments");
  if (!r.getString(m.origin, kMaxNameBytes) || !r.getString(m.token, kMaxNameBytes) ||
      !r.getString(m.codeHash, kMaxNameBytes))
    return fail("offload request: malformed");
  if (auto e = finishMessage(r, "offload request"); !e) return std::unexpected(e.error());
  return m;
}

Bytes encode(const ClassRequest& m) {
  ByteWriter w = startMessage(kClassRequestMessage);
  w.putBytes(encode(m.request));
  w.putString(m.objectNamespace);
  w.putString(m.objectName);
  w.putString(m.clientAddress);
  return w.take();
}

Result<ClassRequest> decodeClassRequest(std::span<const uint8_t> in) {
  ByteReader r(in);
  if (auto e = expectMessage(r, kClassRequestMessage, "class request"); !e)
    return std::unexpected(e.error());
  ClassRequest m;
  std::span<const uint8_t> request;
  if (!r.getBytes(request, kMaxRequestFrameBytes) ||
      !r.getString(m.objectNamespace, kMaxNameBytes) || !r.getString(m.objectName, kMaxNameBytes) ||
      !r.getString(m.clientAddress, kMaxNameBytes))
    return fail("class request: malformed");
  if (auto e = finishMessage(r, "class request"); !e) return std::unexpected(e.error());
  auto decoded = decodeRequest(request);
  if (!decoded) return std::unexpected(decoded.error());
  m.request = std::move(*decoded);
  return m;
}

Bytes encode(const OffloadReply& m) {
  ByteWriter w = startMessage(kReplyMessage);
  w.put<uint8_t>(static_cast<uint8_t>(m.verdict));
  w.putString(m.reason);
  return w.take();
}

Result<OffloadReply> decodeReply(std::span<const uint8_t> in) {
  ByteReader r(in);
  if (auto e = expectMessage(r, kReplyMessage, "offload reply"); !e)
    return std::unexpected(e.error());
  OffloadReply m;
  uint8_t verdict;
  if (!r.get(verdict) || verdict > uint8_t(Verdict::Failed) || !r.getString(m.reason, 64 * 1024))
    return fail("offload reply: malformed");
  m.verdict = static_cast<Verdict>(verdict);
  if (auto e = finishMessage(r, "offload reply"); !e) return std::unexpected(e.error());
  return m;
}

Bytes encode(const ObjectOp& m) {
  ByteWriter w = startMessage(kObjectOpMessage);
  w.put<uint8_t>(m.kind);
  w.put<uint64_t>(m.offset);
  w.put<uint64_t>(m.length);
  w.putBytes(m.data);
  return w.take();
}

Result<ObjectOp> decodeObjectOp(std::span<const uint8_t> in) {
  ByteReader r(in);
  if (auto e = expectMessage(r, kObjectOpMessage, "object op"); !e)
    return std::unexpected(e.error());
  ObjectOp m;
  uint8_t kind;
  std::span<const uint8_t> data;
  if (!r.get(kind) || kind > ObjectOp::WriteFull || !r.get(m.offset) || !r.get(m.length) ||
      !r.getBytes(data, kMaxObjectBytes))
    return fail("object op: malformed");
  m.kind = static_cast<ObjectOp::Kind>(kind);
  m.data.assign(data.begin(), data.end());
  if (auto e = finishMessage(r, "object op"); !e) return std::unexpected(e.error());
  return m;
}

Bytes encode(const ObjectOpReply& m) {
  Bytes out = encodeObjectOpReplyPrefix(m.status, m.size, m.data.size());
  out.insert(out.end(), m.data.begin(), m.data.end());
  return out;
}

Bytes encodeObjectOpReplyPrefix(int32_t status, uint64_t size, uint64_t dataBytes) {
  ByteWriter w = startMessage(kObjectOpReplyMessage);
  w.put<int32_t>(status);
  w.put<uint64_t>(size);
  w.put<uint64_t>(dataBytes);  // what putBytes writes before the bytes
  Bytes out = w.take();
  return out;
}

Result<ObjectOpReplyPrefix> decodeObjectOpReplyPrefix(std::span<const uint8_t> in) {
  if (in.size() != kObjectOpReplyPrefixBytes) return fail("object op reply: malformed");
  ByteReader r(in);
  if (auto e = expectMessage(r, kObjectOpReplyMessage, "object op reply"); !e)
    return std::unexpected(e.error());
  ObjectOpReplyPrefix m;
  if (!r.get(m.status) || !r.get(m.size) || !r.get(m.dataBytes) || m.dataBytes > kMaxObjectBytes)
    return fail("object op reply: malformed");
  return m;
}

Result<ObjectOpReply> decodeObjectOpReply(std::span<const uint8_t> in) {
  ByteReader r(in);
  if (auto e = expectMessage(r, kObjectOpReplyMessage, "object op reply"); !e)
    return std::unexpected(e.error());
  ObjectOpReply m;
  std::span<const uint8_t> data;
  if (!r.get(m.status) || !r.get(m.size) || !r.getBytes(data, kMaxObjectBytes))
    return fail("object op reply: malformed");
  m.data.assign(data.begin(), data.end());
  if (auto e = finishMessage(r, "object op reply"); !e) return std::unexpected(e.error());
  return m;
}

Bytes encode(const DeltaFetch& m) {
  ByteWriter w = startMessage(kDeltaFetchMessage);
  w.put<uint64_t>(m.callId);
  w.putString(m.token);
  return w.take();
}

Result<DeltaFetch> decodeDeltaFetch(std::span<const uint8_t> in) {
  ByteReader r(in);
  if (auto e = expectMessage(r, kDeltaFetchMessage, "delta fetch"); !e)
    return std::unexpected(e.error());
  DeltaFetch m;
  if (!r.get(m.callId) || !r.getString(m.token, kMaxNameBytes))
    return fail("delta fetch: malformed");
  if (auto e = finishMessage(r, "delta fetch"); !e) return std::unexpected(e.error());
  return m;
}

uint32_t messageKind(std::span<const uint8_t> in) {
  ByteReader r(in);
  uint32_t version, kind;
  if (!r.get(version) || !r.get(kind) || version != kProtocolVersion) return 0;
  return kind;
}

const char* messageName(uint32_t kind) {
  switch (kind) {
    case kRequestMessage:
      return "offload request";
    case kReplyMessage:
      return "offload reply";
    case kResultMessage:
      return "offload result";
    case kDeltaMessage:
      return "memory delta";
    case kObjectOpMessage:
      return "object op";
    case kObjectOpReplyMessage:
      return "object op reply";
    case kDeltaFetchMessage:
      return "delta fetch";
    case kClassRequestMessage:
      return "class request";
  }
  return "unknown message";
}

uint64_t maxFrameBytes(uint32_t kind) {
  switch (kind) {
    case kRequestMessage:
    case kClassRequestMessage:
    case kDeltaFetchMessage:
      return kMaxRequestFrameBytes;
    case kReplyMessage:
      return kMaxReplyFrameBytes;
    case kObjectOpMessage:
    case kObjectOpReplyMessage:
      return kMaxObjectFrameBytes;
    case kDeltaMessage:
    case kResultMessage:
      return kMaxMemoryFrameBytes;
  }
  return 0;
}

Result<Bytes> recvMessage(int fd, std::initializer_list<uint32_t> kinds, Deadline deadline) {
  constexpr size_t kHeaderBytes = 8;  // version and kind
  auto length = recvFrameLength(fd, deadline);
  if (!length) return std::unexpected(length.error());
  uint64_t len = *length;
  if (len < kHeaderBytes) return fail("a frame of ", len, " bytes holds no message");
  Bytes header(kHeaderBytes);
  if (auto r = recvExact(fd, header.data(), header.size(), deadline); !r)
    return fail("truncated frame: ", r.error().message);
  uint32_t kind = messageKind(header);
  if (kind == 0) return fail("a frame of protocol version other than ", kProtocolVersion);
  if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end())
    return fail("unexpected message: ", messageName(kind), " (kind ", kind, ")");
  if (len > maxFrameBytes(kind))
    return fail("a ", messageName(kind), " frame of ", len, " bytes exceeds the limit of ",
                maxFrameBytes(kind));
  return recvFrameRest(fd, len, std::move(header), deadline);
}

}  // namespace nearfaas::ndp
