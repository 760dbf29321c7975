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
