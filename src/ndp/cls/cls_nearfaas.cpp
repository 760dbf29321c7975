// The object class "nearfaas", loaded by Ceph OSDs from their class directory
// as libcls_nearfaas.so. Its methods take an NDP OffloadRequest (the input of
// a RADOS exec on an object), check that the request's user and key are the
// namespace and name of the object the exec runs on (from the OSD's object
// info), forward it to the storage runtime beside the OSD over a unix socket
// as a ClassRequest (with that object and the RADOS client's address, as the
// OSD knows them), and serve that runtime's operations on the object
// (stat, read, and for the write methods a whole-object write) from the OSD's
// local copy, until the runtime sends its verdict. offload_ro returns the
// verdict (an OffloadReply) as the exec output; offload_rw and offload_wo,
// whose output Ceph drops, as the return code (0 done, -EBUSY run locally,
// -EIO failed). The OSD answers an exec of offload_ro on a missing object
// with -ENOENT before the class runs; on a missing object the write methods
// cannot check the request (there is no object info) and answer run
// locally. Whatever goes wrong here ends in a verdict the compute worker
// understands (run locally), never in a stuck or crashed OSD.
//
// Settings come from the OSD's environment: NEARFAAS_NDP_SOCKET (the storage
// runtime's socket, default kDefaultSocket) and NEARFAAS_NDP_TIMEOUT_MS (how
// long one offload may hold the OSD's op thread at most, default 15000; the
// storage runtime gives a call back earlier, after its --max-offload-time).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include <rados/buffer.h>

#include "ndp/frame.h"
#include "ndp/sockets.h"
#include "ndp/wire.h"

// The object class ABI of Ceph 16 (Pacific). Debian ships no objclass.h; the
// ceph-osd binary exports these, and the mangled names pin the types.
using cls_handle_t = void*;
using cls_method_handle_t = void*;
using cls_method_context_t = void*;
using cls_method_cxx_call_t = int (*)(cls_method_context_t, ceph::bufferlist*, ceph::bufferlist*);
extern "C" int cls_register(const char* name, cls_handle_t* handle);
extern "C" int cls_log(int level, const char* format, ...);
int cls_register_cxx_method(cls_handle_t, const char* method, int flags, cls_method_cxx_call_t,
                            cls_method_handle_t*);
int cls_cxx_stat(cls_method_context_t, uint64_t* size, time_t* mtime);
int cls_cxx_read(cls_method_context_t, int ofs, int len, ceph::bufferlist* out);
int cls_cxx_write_full(cls_method_context_t, ceph::bufferlist* in);
int cls_cxx_getxattr(cls_method_context_t, const char* name, ceph::bufferlist* out);
// Takes an entity_inst_t* (msg/msg_types.h): see clientAddress().
extern "C" int cls_get_request_origin(cls_method_context_t, void* origin);

namespace {

using namespace nearfaas;
using namespace nearfaas::ndp;

constexpr int kMethodRead = 0x1, kMethodWrite = 0x2;
constexpr const char* kDefaultSocket = "/run/nearfaas/ndp.sock";
constexpr long kDefaultTimeoutMs = 15'000;
// cls_cxx_read takes int offsets and lengths: larger reads go in chunks.
constexpr uint64_t kReadChunk = 64ull << 20;
// How long the class looks for a verdict the runtime sent before it stopped
// reading (poll returns at once if it is there, or the runtime has gone).
constexpr auto kLateVerdictWait = std::chrono::milliseconds(100);

std::string socketPath() {
  const char* p = std::getenv("NEARFAAS_NDP_SOCKET");
  return p && *p ? p : kDefaultSocket;
}

std::chrono::milliseconds timeout() {
  const char* t = std::getenv("NEARFAAS_NDP_TIMEOUT_MS");
  long ms = t ? std::strtol(t, nullptr, 10) : 0;
  return std::chrono::milliseconds(ms > 0 ? ms : kDefaultTimeoutMs);
}

// The return code of a method that writes: Ceph returns no output for write
// operations, only the code, so the verdict travels as the code (the reason
// only in the OSD's log).
int verdictCode(Verdict verdict) {
  switch (verdict) {
    case Verdict::Done:
      return 0;
    case Verdict::ProcessLocally:
      return -EBUSY;
    case Verdict::Failed:
      break;
  }
  return -EIO;
}

// Ends the method with `verdict`: as its output for read-only methods, as its
// return code for the others.
int answer(ceph::bufferlist* out, int flags, Verdict verdict, const std::string& reason) {
  if (verdict != Verdict::Done) cls_log(5, "nearfaas: %s", reason.c_str());
  if (flags & kMethodWrite) return verdictCode(verdict);
  Bytes reply = encode(OffloadReply{verdict, reason});
  out->append(reinterpret_cast<const char*>(reply.data()), static_cast<unsigned>(reply.size()));
  return 0;
}

// The object the method runs on, as the OSD records it: the object info
// (object_info_t) that the OSD keeps in the object's attribute "_", which a
// GETXATTR of "" reads. Its encoding (Ceph's versioned encoding, stable
// across releases) starts with the object's hobject_t: struct version,
// compat version, length, then key (locator), oid, snap, hash, max, nspace,
// pool. Only a head object without a locator key is one of ours.
struct ObjectIdentity {
  std::string nspace, name;
};

Result<ObjectIdentity> objectIdentity(cls_method_context_t ctx) {
  ceph::bufferlist bl;
  int r = cls_cxx_getxattr(ctx, "", &bl);
  if (r < 0) return fail("cannot read the object's info (errno ", -r, ")");
  Bytes info(bl.length());
  bl.begin().copy(bl.length(), reinterpret_cast<char*>(info.data()));
  size_t at = 0;
  auto take = [&](void* to, size_t n) {
    if (info.size() - at < n) return false;
    std::memcpy(to, info.data() + at, n);
    at += n;
    return true;
  };
  auto string = [&](std::string& out) {
    uint32_t len;
    if (!take(&len, sizeof len) || info.size() - at < len) return false;
    out.assign(reinterpret_cast<const char*>(info.data() + at), len);
    at += len;
    return true;
  };
  uint8_t infoVersion, infoCompat, hobjVersion, hobjCompat, max;
  uint32_t infoLen, hobjLen, hash;
  uint64_t snap;
  std::string locator;
  ObjectIdentity id;
  if (!take(&infoVersion, 1) || !take(&infoCompat, 1) || !take(&infoLen, 4) ||
      !take(&hobjVersion, 1) || !take(&hobjCompat, 1) || !take(&hobjLen, 4))
    return fail("the object's info is truncated");
  if (hobjVersion < 4 || hobjCompat > 4)
    return fail("the object's info has an unknown encoding (hobject_t v", int{hobjVersion},
                ", compat ", int{hobjCompat}, ")");
  if (!string(locator) || !string(id.name) || !take(&snap, 8) || !take(&hash, 4) ||
      !take(&max, 1) || !string(id.nspace))
    return fail("the object's info is truncated");
  if (!locator.empty()) return fail("the object has a locator key");
  return id;
}

// The IPv4 address of the RADOS client that sent the exec, as the OSD's
// messenger knows it (the connection's peer address), or "" if it is not
// IPv4. cls_get_request_origin writes an entity_inst_t: an entity_name_t
// (u8 type, s64 num) then an entity_addr_t (u32 type, u32 nonce, a sockaddr
// union). The buffer is larger than that struct, so a larger one in another
// release could not overrun it.
std::string clientAddress(cls_method_context_t ctx) {
  struct EntityInst {
    uint8_t nameType;
    int64_t nameNum;
    uint32_t addrType, addrNonce;
    union {
      sockaddr sa;
      sockaddr_in sin;
      sockaddr_in6 sin6;
    } u;
  };
  static_assert(sizeof(EntityInst) == 56);
  alignas(16) unsigned char buffer[512] = {};
  if (cls_get_request_origin(ctx, buffer) != 0) return "";
  EntityInst inst;
  std::memcpy(&inst, buffer, sizeof inst);
  if (inst.u.sa.sa_family != AF_INET) return "";
  char text[INET_ADDRSTRLEN];
  if (!inet_ntop(AF_INET, &inst.u.sin.sin_addr, text, sizeof text)) return "";
  return text;
}

ObjectOpReply serve(cls_method_context_t ctx, const ObjectOp& op, int flags) {
  ObjectOpReply reply;
  switch (op.kind) {
    case ObjectOp::Stat: {
      time_t mtime;
      reply.status = cls_cxx_stat(ctx, &reply.size, &mtime);
      break;
    }
    case ObjectOp::Read:
      break;  // sendRead()
    case ObjectOp::WriteFull: {
      if (!(flags & kMethodWrite)) {
        reply.status = -EPERM;
        break;
      }
      ceph::bufferlist bl;
      bl.append(reinterpret_cast<const char*>(op.data.data()),
                static_cast<unsigned>(op.data.size()));
      reply.status = cls_cxx_write_full(ctx, &bl);
      break;
    }
  }
  return reply;
}

// Serves a Read: one ObjectOpReply frame whose data goes to the socket
// straight from the OSD's read buffers (no copy into a message first; an
// object may be 128 MiB).
Result<void> sendRead(cls_method_context_t ctx, int fd, const ObjectOp& op, int flags,
                      Deadline deadline) {
  int32_t status = 0;
  std::vector<ceph::bufferlist> chunks;
  uint64_t total = 0;
  if (!(flags & kMethodRead)) status = -EPERM;
  for (uint64_t at = op.offset, left = op.length; status == 0 && left > 0;) {
    uint64_t n = std::min(left, kReadChunk);
    if (at > uint64_t{INT_MAX} - n) {
      status = -EFBIG;
      break;
    }
    ceph::bufferlist bl;
    int r = cls_cxx_read(ctx, static_cast<int>(at), static_cast<int>(n), &bl);
    if (r < 0) {
      status = r;
      break;
    }
    uint64_t got = bl.length();
    total += got;
    chunks.push_back(std::move(bl));
    if (got < n) break;  // the end of the object
    at += n;
    left -= n;
  }
  if (status < 0) {
    chunks.clear();
    total = 0;
  }
  Bytes prefix = encodeObjectOpReplyPrefix(status, 0, total);
  std::vector<std::span<const uint8_t>> parts{prefix};
  for (const auto& bl : chunks)
    for (const auto& p : bl.buffers())
      parts.emplace_back(reinterpret_cast<const uint8_t*>(p.c_str()), p.length());
  return sendFrameParts(fd, parts, deadline);
}

int offload(cls_method_context_t ctx, ceph::bufferlist* in, ceph::bufferlist* out, int flags) {
  Bytes requestBytes(in->length());
  in->begin().copy(in->length(), reinterpret_cast<char*>(requestBytes.data()));
  auto request = decodeRequest(requestBytes);
  if (!request)
    return answer(out, flags, Verdict::ProcessLocally,
                  "corrupt request: " + request.error().message);
  // The storage runtime serves the request's user and key with this object:
  // they must be this object, or a client could have another user's code
  // run with this object's data (or this object's data land in another
  // user's call).
  auto object = objectIdentity(ctx);
  if (!object)
    return answer(out, flags, Verdict::ProcessLocally,
                  "cannot identify the object: " + object.error().message);
  if (request->user != object->nspace || request->key != object->name)
    return answer(out, flags, Verdict::ProcessLocally,
                  "the request names object '" + request->key + "' of user '" + request->user +
                      "', but was sent to '" + object->name + "' in namespace '" + object->nspace +
                      "'");
  ClassRequest forward{std::move(*request), std::move(object->nspace), std::move(object->name),
                       clientAddress(ctx)};
  Deadline deadline = deadlineIn(timeout());
  auto conn = connectUnix(socketPath());
  if (!conn)
    return answer(out, flags, Verdict::ProcessLocally,
                  "no storage runtime: " + conn.error().message);
  if (auto r = sendFrame(conn->fd(), encode(forward), deadline); !r)
    return answer(out, flags, Verdict::Failed, "storage runtime: " + r.error().message);
  for (;;) {
    auto frame = recvMessage(conn->fd(), {kReplyMessage, kObjectOpMessage}, deadline);
    if (!frame)
      return answer(out, flags, Verdict::Failed, "storage runtime: " + frame.error().message);
    if (messageKind(*frame) == kReplyMessage) {
      auto reply = decodeReply(*frame);
      if (!reply)
        return answer(out, flags, Verdict::Failed, "storage runtime: " + reply.error().message);
      return answer(out, flags, reply->verdict, reply->reason);
    }
    auto op = decodeObjectOp(*frame);
    if (!op) return answer(out, flags, Verdict::Failed, "storage runtime: " + op.error().message);
    auto sent = op->kind == ObjectOp::Read
                    ? sendRead(ctx, conn->fd(), *op, flags, deadline)
                    : sendFrame(conn->fd(), encode(serve(ctx, *op, flags)), deadline);
    if (!sent) {
      // The runtime may have given up on the call (its time limit) and
      // answered while this was sending: that verdict says why.
      auto late = recvMessage(conn->fd(), {kReplyMessage}, deadlineIn(kLateVerdictWait));
      auto reply = late ? decodeReply(*late) : Result<OffloadReply>(std::unexpected(late.error()));
      if (reply) return answer(out, flags, reply->verdict, reply->reason);
      return answer(out, flags, Verdict::Failed, "storage runtime: " + sent.error().message);
    }
  }
}

int offloadRead(cls_method_context_t ctx, ceph::bufferlist* in, ceph::bufferlist* out) {
  return offload(ctx, in, out, kMethodRead);
}
int offloadReadWrite(cls_method_context_t ctx, ceph::bufferlist* in, ceph::bufferlist* out) {
  return offload(ctx, in, out, kMethodRead | kMethodWrite);
}
int offloadWrite(cls_method_context_t ctx, ceph::bufferlist* in, ceph::bufferlist* out) {
  return offload(ctx, in, out, kMethodWrite);
}

}  // namespace

// Called by the OSD once, after it loaded the class.
extern "C" __attribute__((visibility("default"))) void __cls_init() {
  cls_handle_t cls;
  cls_method_handle_t method;
  cls_register("nearfaas", &cls);
  cls_register_cxx_method(cls, "offload_ro", kMethodRead, offloadRead, &method);
  cls_register_cxx_method(cls, "offload_rw", kMethodRead | kMethodWrite, offloadReadWrite, &method);
  // Registered as reading too: the class reads the object's info to check
  // the request (the OSD fails a method not marked RD that reads); it still
  // serves the runtime no reads of the object.
  cls_register_cxx_method(cls, "offload_wo", kMethodRead | kMethodWrite, offloadWrite, &method);
}
