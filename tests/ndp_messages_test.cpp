// NDP offload messages: round trips, and corrupt input is refused cleanly.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <thread>

#include "ndp/frame.h"
#include "ndp/messages.h"
#include "ndp/sockets.h"
#include "peak_memory.h"

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

  ClassRequest forwarded{sampleRequest(), "ndp", "dir/obj\n", "10.0.0.1"};
  auto back = decodeClassRequest(encode(forwarded));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, forwarded);
  EXPECT_FALSE(decodeClassRequest(encode(sampleRequest())));  // a bare request is not one

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
      {encode(ClassRequest{sampleRequest(), "ndp", "k", ""}),
       [](auto in) { return decodeClassRequest(in).has_value(); }},
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

TEST(NdpSockets, Ipv4AddressesAndNetworks) {
  auto e = parseIpv4Endpoint("10.1.2.3:8090");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->address, 0x0A010203u);
  EXPECT_EQ(e->port, 8090);
  for (const char* bad :
       {"localhost:80", "10.1.2.3", "10.1.2.3:0", "10.1.2.3:65536", "010.1.2.3:80", "0x0a.1.2.3:80",
        "10.1.2:80", " 10.1.2.3:80", "10.1.2.3:80 ", "[::1]:80", "10.1.2.3:+80"})
    EXPECT_FALSE(parseIpv4Endpoint(bad)) << bad;
  auto n = parseIpv4Network("10.1.2.3/8");
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, (Ipv4Network{0x0A000000, 8}));
  EXPECT_TRUE(n->contains(0x0AFFFFFF));
  EXPECT_FALSE(n->contains(0x0B000000));
  auto host = parseIpv4Network("192.168.0.7");
  ASSERT_TRUE(host);
  EXPECT_TRUE(host->contains(0xC0A80007));
  EXPECT_FALSE(host->contains(0xC0A80008));
  EXPECT_TRUE(parseIpv4Network("0.0.0.0/0")->contains(0x7F000001));
  for (const char* bad : {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "ten/8"})
    EXPECT_FALSE(parseIpv4Network(bad)) << bad;
  EXPECT_EQ(ipv4Text(0x7F000001), "127.0.0.1");
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

constexpr auto kIo = std::chrono::seconds(10);

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

void writeAll(int fd, std::span<const uint8_t> bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    ASSERT_GT(n, 0);
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
}
void writeHeader(int fd, uint64_t len) {
  uint8_t h[8];
  std::memcpy(h, &len, 8);
  writeAll(fd, h);
}

// A header may promise up to the limit, but memory follows what arrives: a
// peer that announces 1 GiB and sends 4 KiB costs about 4 KiB (before, the
// whole announced length was allocated and zeroed before reading).
TEST(NdpFrames, AHeaderThatPromisesMoreThanArrivesCostsOnlyWhatArrived) {
  constexpr uint64_t kPromised = 1ull << 30;
  SocketPair s;
  test::resetPeakResident();
  uint64_t before = test::peakResidentBytes();
  writeHeader(s.fds[0], kPromised);
  writeAll(s.fds[0], Bytes(4096, 'x'));
  close(s.fds[0]);
  s.fds[0] = -1;
  auto r = recvFrame(s.fds[1], 4ull << 30, deadlineIn(std::chrono::seconds(10)));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("truncated frame: 4096 of its 1073741824 bytes came"),
            std::string::npos)
      << r.error().message;
  EXPECT_LT(test::peakResidentBytes() - before, 64u << 20);
}

// Each message kind has its largest frame; the receiver names what it
// expected and refuses other kinds, other versions and frames too short to
// be messages, before reading their payload.
TEST(NdpFrames, MessagesAreHeldToTheLimitOfTheirKind) {
  auto received = [](const std::function<void(int)>& send,
                     std::initializer_list<uint32_t> kinds) -> Result<Bytes> {
    SocketPair s;
    send(s.fds[0]);
    ::shutdown(s.fds[0], SHUT_WR);
    return recvMessage(s.fds[1], kinds, deadlineIn(std::chrono::seconds(10)));
  };
  auto header = [](uint32_t version, uint32_t kind) {
    Bytes h(8);
    std::memcpy(h.data(), &version, 4);
    std::memcpy(h.data() + 4, &kind, 4);
    return h;
  };
  // A delta fetch announced at 1 MiB (its limit is 64 KiB).
  auto r = received(
      [&](int fd) {
        writeHeader(fd, 1 << 20);
        writeAll(fd, header(kProtocolVersion, kDeltaFetchMessage));
      },
      {kDeltaFetchMessage});
  ASSERT_FALSE(r);
  EXPECT_NE(
      r.error().message.find("a delta fetch frame of 1048576 bytes exceeds the limit of 65536"),
      std::string::npos)
      << r.error().message;
  // A kind the receiver does not expect.
  r = received([&](int fd) { sendFrame(fd, encode(OffloadReply{}), deadlineIn(kIo)); },
               {kDeltaFetchMessage});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("unexpected message: offload reply"), std::string::npos)
      << r.error().message;
  // Another protocol version; a frame too short for a message header.
  r = received(
      [&](int fd) {
        writeHeader(fd, 8);
        writeAll(fd, header(99, kDeltaFetchMessage));
      },
      {kDeltaFetchMessage});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("protocol version"), std::string::npos) << r.error().message;
  r = received(
      [&](int fd) {
        sendFrame(fd, Bytes{1, 2, 3}, deadlineIn(kIo));
      },
      {kDeltaFetchMessage});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("holds no message"), std::string::npos) << r.error().message;
  // Truncated after the header.
  r = received(
      [&](int fd) {
        writeHeader(fd, 100);
        writeAll(fd, header(kProtocolVersion, kDeltaFetchMessage));
      },
      {kDeltaFetchMessage});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("truncated frame: 8 of its 100 bytes"), std::string::npos)
      << r.error().message;
  // Within the limits, one of several kinds, arrives whole (a delta larger
  // than the first chunk grows as it comes).
  MemoryDelta big;
  big.memoryBytes = 256 * MemoryDelta::kPageBytes;
  for (uint32_t p = 0; p < 200; ++p)
    big.pages.push_back(p);
  big.data.assign(200 * MemoryDelta::kPageBytes, 7);
  SocketPair s;
  std::thread writer([&] { sendFrame(s.fds[0], encode(big), deadlineIn(kIo)); });
  auto whole = recvMessage(s.fds[1], {kReplyMessage, kDeltaMessage}, deadlineIn(kIo));
  writer.join();
  ASSERT_TRUE(whole) << whole.error().message;
  auto decoded = decodeDelta(*whole);
  ASSERT_TRUE(decoded) << decoded.error().message;
  expectSameDelta(*decoded, big);
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
