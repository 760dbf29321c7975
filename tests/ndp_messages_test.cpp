// NDP offload messages: round trips, and corrupt input is refused cleanly.
#include <gtest/gtest.h>

#include <cstring>

#include "ndp/messages.h"

namespace nearfaas::ndp {
namespace {

using faaslet::MemoryDelta;

OffloadRequest sampleRequest() {
  OffloadRequest m;
  m.callId = 0x1122334455667788ull;
  m.user = "ndp";
  m.function = "wordcount";
  m.key = "dir/obj\n";
  m.funcPtr = 17;
  m.args = {-1, 0, 42};
  m.origin = "10.0.0.1:8090";
  m.token = std::string("t\0k", 3);
  return m;
}

MemoryDelta sampleDelta() {
  MemoryDelta d;
  d.memoryBytes = 16 * MemoryDelta::kPageBytes;
  d.pages = {0, 3, 15};
  d.data.resize(3 * MemoryDelta::kPageBytes);
  for (size_t i = 0; i < d.data.size(); ++i)
    d.data[i] = static_cast<uint8_t>(i * 7);
  d.globals = {wasm::Value::makeI32(65536), wasm::Value::makeI64(~0ull), wasm::Value::makeF32(1.5f),
               wasm::Value::makeF64(-2.25)};
  return d;
}

void expectSameDelta(const MemoryDelta& a, const MemoryDelta& b) {
  EXPECT_EQ(a.memoryBytes, b.memoryBytes);
  EXPECT_EQ(a.pages, b.pages);
  EXPECT_EQ(a.data, b.data);
  ASSERT_EQ(a.globals.size(), b.globals.size());
  for (size_t i = 0; i < a.globals.size(); ++i) {
    EXPECT_EQ(a.globals[i].type, b.globals[i].type);
    EXPECT_EQ(a.globals[i].i64, b.globals[i].i64);
  }
}

TEST(NdpMessages, RoundTrip) {
  auto req = decodeRequest(encode(sampleRequest()));
  ASSERT_TRUE(req) << req.error().message;
  EXPECT_EQ(*req, sampleRequest());

  for (auto v : {Verdict::Done, Verdict::ProcessLocally, Verdict::Failed}) {
    OffloadReply reply{v, "overloaded: 0 free slots"};
    auto back = decodeReply(encode(reply));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, reply);
  }

  OffloadResult res{7, "tok", -3, sampleDelta()};
  auto r = decodeResult(encode(res));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->callId, 7u);
  EXPECT_EQ(r->token, "tok");
  EXPECT_EQ(r->returnValue, -3);
  expectSameDelta(r->delta, res.delta);

  DeltaFetch fetch{9, "tok"};
  EXPECT_EQ(*decodeDeltaFetch(encode(fetch)), fetch);
  EXPECT_FALSE(decodeDeltaFetch(encode(sampleRequest())));

  auto d = decodeDelta(encode(sampleDelta()));
  ASSERT_TRUE(d) << d.error().message;
  expectSameDelta(*d, sampleDelta());
  auto empty = decodeDelta(encode(MemoryDelta{}));
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->pages.empty());
}

// Every truncation of every message, and one extra byte, fail to decode.
TEST(NdpMessages, TruncatedOrPaddedInputIsRefused) {
  std::vector<std::pair<Bytes, std::function<bool(std::span<const uint8_t>)>>> cases = {
      {encode(sampleRequest()), [](auto in) { return decodeRequest(in).has_value(); }},
      {encode(OffloadReply{Verdict::Failed, "x"}),
       [](auto in) { return decodeReply(in).has_value(); }},
      {encode(OffloadResult{1, "t", 0, sampleDelta()}),
       [](auto in) { return decodeResult(in).has_value(); }},
      {encode(sampleDelta()), [](auto in) { return decodeDelta(in).has_value(); }},
      {encode(DeltaFetch{3, "t"}), [](auto in) { return decodeDeltaFetch(in).has_value(); }},
  };
  for (auto& [bytes, decodes] : cases) {
    ASSERT_TRUE(decodes(bytes));
    for (size_t len = 0; len < bytes.size(); ++len)
      EXPECT_FALSE(decodes(std::span<const uint8_t>(bytes.data(), len))) << "prefix " << len;
    Bytes padded = bytes;
    padded.push_back(0);
    EXPECT_FALSE(decodes(padded));
  }
}

TEST(NdpMessages, ObjectOps) {
  ObjectOp read{ObjectOp::Read, 5, 100, {}};
  EXPECT_EQ(*decodeObjectOp(encode(read)), read);
  ObjectOp write{ObjectOp::WriteFull, 0, 0, Bytes{1, 2, 3}};
  EXPECT_EQ(*decodeObjectOp(encode(write)), write);
  ObjectOpReply reply{-2, 42, Bytes{9, 8}};
  EXPECT_EQ(*decodeObjectOpReply(encode(reply)), reply);
  EXPECT_EQ(messageKind(encode(read)), kObjectOpMessage);
  EXPECT_EQ(messageKind(encode(reply)), kObjectOpReplyMessage);
  EXPECT_EQ(messageKind(encode(sampleRequest())), kRequestMessage);
  EXPECT_EQ(messageKind(Bytes{1, 0}), 0u);
  Bytes bad = encode(read);
  bad[8] = 9;  // no such op
  EXPECT_FALSE(decodeObjectOp(bad));
  for (size_t len = 0; len < encode(reply).size(); ++len) {
    Bytes whole = encode(reply);
    EXPECT_FALSE(decodeObjectOpReply(std::span<const uint8_t>(whole.data(), len)));
  }
}

TEST(NdpMessages, CorruptFieldsAreRefused) {
  // A message of one kind is not another; versions must match.
  Bytes req = encode(sampleRequest());
  EXPECT_FALSE(decodeReply(req));
  EXPECT_FALSE(decodeDelta(req));
  Bytes wrongVersion = req;
  wrongVersion[0] = 99;
  auto v = decodeRequest(wrongVersion);
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("protocol version 99"), std::string::npos);
  // A huge length prefix (the user name's) does not allocate or overrun.
  Bytes hugeLen = req;
  uint64_t huge = ~0ull;
  std::memcpy(hugeLen.data() + 16, &huge, 8);
  EXPECT_FALSE(decodeRequest(hugeLen));
  // Too many arguments.
  OffloadRequest many = sampleRequest();
  many.args.assign(kMaxArgs + 1, 1);
  EXPECT_FALSE(decodeRequest(encode(many)));
  // An unknown verdict.
  Bytes reply = encode(OffloadReply{Verdict::Done, ""});
  reply[8] = 7;
  EXPECT_FALSE(decodeReply(reply));
  // Deltas: pages out of order, beyond the memory, or data of the wrong size.
  MemoryDelta unordered = sampleDelta();
  std::swap(unordered.pages[0], unordered.pages[1]);
  EXPECT_FALSE(decodeDelta(encode(unordered)));
  MemoryDelta beyond = sampleDelta();
  beyond.pages.back() = 16;
  EXPECT_FALSE(decodeDelta(encode(beyond)));
  MemoryDelta shortData = sampleDelta();
  shortData.data.resize(shortData.data.size() - 1);
  EXPECT_FALSE(decodeDelta(encode(shortData)));
  MemoryDelta refGlobal = sampleDelta();
  refGlobal.globals[0].type = wasm::ValType::FuncRef;
  EXPECT_FALSE(decodeDelta(encode(refGlobal)));
}

}  // namespace
}  // namespace nearfaas::ndp

#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "ndp/frame.h"

namespace nearfaas::ndp {
namespace {

struct SocketPair {
  int fds[2] = {-1, -1};
  SocketPair() { EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0); }
  ~SocketPair() {
    for (int fd : fds)
      if (fd >= 0) close(fd);
  }
};

TEST(NdpFrames, RoundTripIncludingLargeFrames) {
  SocketPair s;
  Bytes big(8 << 20);
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<uint8_t>(i * 31);
  // Larger than the socket buffer: the reader runs concurrently.
  std::thread writer([&] {
    EXPECT_TRUE(sendFrame(s.fds[0], Bytes{}, deadlineIn(std::chrono::seconds(10))));
    EXPECT_TRUE(sendFrame(s.fds[0], big, deadlineIn(std::chrono::seconds(10))));
  });
  auto empty = recvFrame(s.fds[1], 1 << 30, deadlineIn(std::chrono::seconds(10)));
  auto got = recvFrame(s.fds[1], 1 << 30, deadlineIn(std::chrono::seconds(10)));
  writer.join();
  ASSERT_TRUE(empty && got);
  EXPECT_TRUE(empty->empty());
  EXPECT_EQ(*got, big);
}

TEST(NdpFrames, SilentClosedOrOversizePeersFail) {
  {
    SocketPair s;  // nothing is sent: the deadline ends the wait
    auto r = recvFrame(s.fds[1], 100, deadlineIn(std::chrono::milliseconds(50)));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("timed out"), std::string::npos);
  }
  {
    SocketPair s;  // half a frame, then the peer goes away
    uint64_t len = 10;
    ASSERT_EQ(write(s.fds[0], &len, sizeof len), ssize_t(sizeof len));
    ASSERT_EQ(write(s.fds[0], "abc", 3), 3);
    close(s.fds[0]);
    s.fds[0] = -1;
    auto r = recvFrame(s.fds[1], 100, deadlineIn(std::chrono::seconds(5)));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("closed"), std::string::npos);
  }
  {
    SocketPair s;  // a length over the limit is refused before reading it
    uint64_t len = 1ull << 40;
    ASSERT_EQ(write(s.fds[0], &len, sizeof len), ssize_t(sizeof len));
    auto r = recvFrame(s.fds[1], 1 << 20, deadlineIn(std::chrono::seconds(5)));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("exceeds the limit"), std::string::npos);
  }
  {
    SocketPair s;  // the peer has gone: sending fails (no SIGPIPE kills the process)
    close(s.fds[1]);
    s.fds[1] = -1;
    auto r = sendFrame(s.fds[0], Bytes(1 << 20), deadlineIn(std::chrono::seconds(5)));
    EXPECT_FALSE(r);
  }
}

}  // namespace
}  // namespace nearfaas::ndp
