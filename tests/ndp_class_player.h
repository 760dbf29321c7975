// The object class (libcls_nearfaas.so, which runs in a Ceph OSD) played by
// a test: the class's side of the storage runtime's unix socket for one
// request. Tests of the storage runtime and of the offloader use it without
// a cluster; the same paths run against the real class in a real OSD in the
// tests labelled ceph (ndp_offloader_ceph, ndp_class, ndp_topology).
#pragma once

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "ndp/sockets.h"
#include "ndp/wire.h"

namespace nearfaas::test {

struct ClassPlay {
  bool dropAtFirstOp = false;  // hang up at the runtime's first object operation
  bool silent = false;         // leave its object operations unanswered
  // Serve writes as offload_rw does: each is kept in *written (the last one
  // wins), for the caller to apply if the verdict is done, as the OSD does.
  bool writable = false;
  std::optional<Bytes>* written = nullptr;
  std::chrono::milliseconds io{20'000};  // bound of each exchange
};

// Sends `classRequest` to the runtime on `conn` (connected to its socket),
// serves its object operations on `object` as offload_ro does (stat, reads;
// a write is refused with -EPERM), or as offload_rw does (how.writable), and
// returns its verdict. The class's own
// checks (that the request names the object it runs on) are the caller's
// business.
inline Result<ndp::OffloadReply> playObjectClass(const ndp::Socket& conn, const Bytes& classRequest,
                                                 std::string_view object, ClassPlay how = {}) {
  // The runtime may refuse a bad request before it has read all of it: its
  // answer is read even if sending failed.
  auto sent = ndp::sendFrame(conn.fd(), classRequest, ndp::deadlineIn(how.io));
  for (;;) {
    auto frame = ndp::recvFrame(conn.fd(), 1 << 30, ndp::deadlineIn(how.io));
    if (!frame) return std::unexpected(sent ? frame.error() : sent.error());
    if (ndp::messageKind(*frame) == ndp::kReplyMessage) return ndp::decodeReply(*frame);
    if (how.dropAtFirstOp) return fail("dropped");
    if (how.silent) continue;
    auto op = ndp::decodeObjectOp(*frame);
    if (!op) return std::unexpected(op.error());
    ndp::ObjectOpReply reply;
    reply.size = object.size();
    if (op->kind == ndp::ObjectOp::Read && op->offset < object.size()) {
      uint64_t n = std::min<uint64_t>(op->length, object.size() - op->offset);
      reply.data.assign(object.begin() + op->offset, object.begin() + op->offset + n);
    }
    if (op->kind == ndp::ObjectOp::WriteFull) {
      if (how.writable && how.written)
        *how.written = op->data;
      else
        reply.status = -EPERM;
    }
    (void)ndp::sendFrame(conn.fd(), ndp::encode(reply), ndp::deadlineIn(how.io));
  }
}

// The same, connecting to the runtime's socket at `socketPath` first.
inline Result<ndp::OffloadReply> playObjectClass(const std::string& socketPath,
                                                 const Bytes& classRequest, std::string_view object,
                                                 ClassPlay how = {}) {
  auto conn = ndp::connectUnix(socketPath);
  if (!conn) return std::unexpected(conn.error());
  return playObjectClass(*conn, classRequest, object, how);
}

}  // namespace nearfaas::test
