// The storage runtime in process, with the test on both of its sides: the
// object class's side of the unix socket (sending the request and serving the
// object from a buffer) and the compute worker's delta endpoint (TCP). The
// offloaded function is test/probe's countObject, which reads its object
// through the NDP API and leaves its finding in memory.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <functional>
#include <future>
#include <thread>

#include "ndp/delta_endpoint.h"
#include "ndp/messages.h"
#include "ndp/sockets.h"
#include "ndp/storage_runtime.h"
#include "sched/node.h"
#include "test_env.h"

namespace nearfaas::ndp {
namespace {

constexpr auto kIo = std::chrono::seconds(20);

std::string text(const Bytes& b) {
  return std::string(b.begin(), b.end());
}

class StorageRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sched::NodeConfig c;
    c.dataDir = dir_.path();
    c.codeCacheDir = test::testCacheDir();
    c.scheduler.slots = 2;
    auto n = sched::Node::open(c);
    ASSERT_TRUE(n) << n.error().message;
    node_ = std::move(*n);
    auto wasm = readFile(std::filesystem::path(NEARFAAS_FUNC_DIR) / "test/probe.wasm");
    ASSERT_TRUE(wasm);
    ASSERT_TRUE(node_->functions().add("test", "probe", *wasm));
    auto ptr = call("ndp_ptr");
    std::from_chars(ptr.data(), ptr.data() + ptr.size(), funcPtr_);
    ASSERT_GT(funcPtr_, 0) << ptr;
    settings_.socketPath = (dir_.path() / "ndp.sock").string();
    settings_.maxLoadPerCore = 1e9;  // the test machine's load must not refuse
    settings_.minAvailableMemory = 0;
    settings_.ioTimeout = std::chrono::seconds(5);
  }
  std::string call(const std::string& input) {
    return text(
        node_->scheduler().call({"test", "probe", Bytes(input.begin(), input.end())}).output);
  }
  void startRuntime() {
    auto rt = StorageRuntime::start(*node_, settings_);
    ASSERT_TRUE(rt) << rt.error().message;
    runtime_ = std::move(*rt);
  }
  OffloadRequest request(const std::string& origin) {
    OffloadRequest r;
    r.callId = 5;
    r.user = "test";
    r.function = "probe";
    r.key = "ndp_obj";
    r.funcPtr = funcPtr_;
    r.origin = origin;
    r.token = "tok";
    r.codeHash = (*node_->functions().proto("test", "probe"))->codeHash();
    return r;
  }
  // The caller's memory: a fresh Faaslet's (nothing written yet).
  faaslet::MemoryDelta callerDelta() {
    auto proto = node_->functions().proto("test", "probe");
    auto f = (*proto)->newFaaslet();
    return *(*f)->takeDelta();
  }

  // Plays the object class: sends `req`, serves ObjectOps on `object` (or
  // drops the connection at the first op if `dropAtFirstOp`), returns the verdict.
  Result<OffloadReply> actAsClass(const Bytes& req, const std::string& object,
                                  bool dropAtFirstOp = false) {
    auto conn = connectUnix(settings_.socketPath);
    if (!conn) return std::unexpected(conn.error());
    if (auto r = sendFrame(conn->fd(), req, deadlineIn(kIo)); !r) return std::unexpected(r.error());
    for (;;) {
      auto frame = recvFrame(conn->fd(), 1 << 30, deadlineIn(kIo));
      if (!frame) return std::unexpected(frame.error());
      if (messageKind(*frame) == kReplyMessage) return decodeReply(*frame);
      if (dropAtFirstOp) return fail("dropped");
      auto op = decodeObjectOp(*frame);
      if (!op) return std::unexpected(op.error());
      ObjectOpReply reply;
      reply.size = object.size();
      if (op->kind == ObjectOp::Read)
        reply.data.assign(
            object.begin() + std::min<uint64_t>(op->offset, object.size()),
            object.begin() + std::min<uint64_t>(op->offset + op->length, object.size()));
      if (op->kind == ObjectOp::WriteFull) reply.status = -EPERM;
      sendFrame(conn->fd(), encode(reply), deadlineIn(kIo));
    }
  }

  test::TempDir dir_;
  std::unique_ptr<sched::Node> node_;
  StorageRuntimeSettings settings_;
  std::unique_ptr<StorageRuntime> runtime_;
  int32_t funcPtr_ = 0;
};

// Plays the compute worker's delta endpoint for one offload: answers the
// DeltaFetch with `delta` (after `stall`), takes the result and acks it.
class CallerEndpoint {
 public:
  CallerEndpoint(faaslet::MemoryDelta delta, std::chrono::milliseconds stall = {}) {
    auto l = listenTcp("127.0.0.1", 0);
    EXPECT_TRUE(l);
    listener_ = std::move(*l);
    address_ = *boundAddress(listener_);
    thread_ = std::thread([this, delta = std::move(delta), stall] {
      int fd = ::accept(listener_.fd(), nullptr, nullptr);
      if (fd < 0) return;
      Socket conn(fd);
      auto fetch = recvFrame(conn.fd(), 1 << 20, deadlineIn(kIo));
      if (!fetch) return;
      fetched_ = decodeDeltaFetch(*fetch).value_or(DeltaFetch{});
      std::this_thread::sleep_for(stall);
      sendFrame(conn.fd(), encode(delta), deadlineIn(kIo));
      auto res = recvFrame(conn.fd(), 1ull << 32, deadlineIn(kIo));
      if (!res) return;
      auto decoded = decodeResult(*res);
      if (decoded) result_ = std::move(*decoded);
      sendFrame(conn.fd(), encode(OffloadReply{Verdict::Done, ""}), deadlineIn(kIo));
    });
  }
  ~CallerEndpoint() {
    listener_.shutdown();
    thread_.join();
  }
  const std::string& address() const { return address_; }
  const DeltaFetch& fetched() const { return fetched_; }
  const std::optional<OffloadResult>& result() const { return result_; }

 private:
  Socket listener_;
  std::string address_;
  std::thread thread_;
  DeltaFetch fetched_;
  std::optional<OffloadResult> result_;
};

TEST_F(StorageRuntimeTest, RunsTheCallNearTheObjectAndReturnsItsMemory) {
  startRuntime();
  std::optional<OffloadResult> result;
  {
    CallerEndpoint caller(callerDelta());
    auto verdict = actAsClass(encode(request(caller.address())), "xxaxx-xx");
    ASSERT_TRUE(verdict) << verdict.error().message;
    EXPECT_EQ(verdict->verdict, Verdict::Done) << verdict->reason;
    EXPECT_EQ(caller.fetched(), (DeltaFetch{5, "tok"}));
    result = caller.result();
  }
  ASSERT_TRUE(result);
  EXPECT_EQ(result->returnValue, 7);
  EXPECT_EQ(result->callId, 5u);
  // The object's bytes were not sent back (only what the function wrote).
  EXPECT_LT(result->delta.pages.size(), 8u);
  // Applied to a Faaslet of the caller's function, the delta carries the finding.
  auto proto = node_->functions().proto("test", "probe");
  auto f = (*proto)->newFaaslet();
  host::CallRequest show{"test", "probe", Bytes{'n', 'd', 'p', '_', 'r', 'e', 's', 'u', 'l', 't'}};
  auto out = (*f)->run(1, show, nullptr, kIo, {&result->delta, nullptr});
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(text(out->output), std::to_string(8 * 100 + 6));
  EXPECT_EQ(runtime_->stats().done, 1u);
}

TEST_F(StorageRuntimeTest, RefusesWhatItShouldNotRun) {
  startRuntime();
  CallerEndpoint unused(callerDelta());
  // Unknown function.
  OffloadRequest unknown = request(unused.address());
  unknown.function = "nosuch";
  // The first request starts loading it in the background (a function is
  // never read from the store inside the class call); once that load has
  // failed, a request is told why.
  auto v = actAsClass(encode(unknown), "x");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->verdict, Verdict::ProcessLocally);
  EXPECT_NE(v->reason.find("loading function test/nosuch"), std::string::npos) << v->reason;
  for (int i = 0; i < 500 && v && v->reason.find("unknown function") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    v = actAsClass(encode(unknown), "x");
  }
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->verdict, Verdict::ProcessLocally);
  EXPECT_NE(v->reason.find("unknown function"), std::string::npos) << v->reason;
  auto refusedForUnknown = runtime_->stats().refused;
  // A corrupt request.
  v = actAsClass(Bytes{1, 2, 3}, "x");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->verdict, Verdict::ProcessLocally);
  EXPECT_NE(v->reason.find("corrupt request"), std::string::npos) << v->reason;
  // The caller cannot be reached.
  v = actAsClass(encode(request("127.0.0.1:1")), "x");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->verdict, Verdict::Failed);
  EXPECT_NE(v->reason.find("cannot reach the caller"), std::string::npos) << v->reason;
  EXPECT_EQ(runtime_->stats().refused, refusedForUnknown + 1);
  EXPECT_EQ(runtime_->stats().failed, 1u);
}

TEST_F(StorageRuntimeTest, RefusesWhenOverloaded) {
  settings_.maxLoadPerCore = -1;  // any load is too much
  startRuntime();
  CallerEndpoint unused(callerDelta());
  auto v = actAsClass(encode(request(unused.address())), "x");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->verdict, Verdict::ProcessLocally);
  EXPECT_NE(v->reason.find("overloaded: load"), std::string::npos) << v->reason;
  runtime_.reset();
  settings_.maxLoadPerCore = 1e9;
  settings_.minAvailableMemory = UINT64_MAX;
  startRuntime();
  v = actAsClass(encode(request(unused.address())), "x");
  ASSERT_TRUE(v);
  EXPECT_NE(v->reason.find("MiB of memory available"), std::string::npos) << v->reason;
}

TEST_F(StorageRuntimeTest, RefusesWhenEverySlotIsBusy) {
  settings_.maxConcurrent = 1;
  startRuntime();
  CallerEndpoint slow(callerDelta(), std::chrono::milliseconds(1500));
  auto first = std::async(std::launch::async,
                          [&] { return actAsClass(encode(request(slow.address())), "xx"); });
  // Wait until the first request holds the slot.
  for (int i = 0; i < 500 && !runtime_->refusal(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CallerEndpoint unused(callerDelta());
  auto second = actAsClass(encode(request(unused.address())), "xx");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->verdict, Verdict::ProcessLocally);
  EXPECT_NE(second->reason.find("slots are busy"), std::string::npos) << second->reason;
  auto v = first.get();
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->verdict, Verdict::Done) << v->reason;
}

TEST_F(StorageRuntimeTest, ClassThatGoesAwayFailsTheCallAndTheRuntimeKeepsServing) {
  startRuntime();
  {
    CallerEndpoint caller(callerDelta());
    auto v = actAsClass(encode(request(caller.address())), "xx", /*dropAtFirstOp=*/true);
    EXPECT_FALSE(v);
    EXPECT_FALSE(caller.result());  // nothing was returned to the caller
  }
  for (int i = 0; i < 500 && runtime_->stats().failed == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(runtime_->stats().failed, 1u);
  CallerEndpoint caller(callerDelta());
  auto v = actAsClass(encode(request(caller.address())), "x");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->verdict, Verdict::Done) << v->reason;
}

// The whole storage side with the compute worker's real delta endpoint; only
// the object class is played by the test.
TEST_F(StorageRuntimeTest, WithTheDeltaEndpoint) {
  startRuntime();
  auto endpoint = DeltaEndpoint::start({});
  ASSERT_TRUE(endpoint) << endpoint.error().message;
  ASSERT_TRUE((*endpoint)->expect(5, "tok", callerDelta()));
  EXPECT_FALSE((*endpoint)->expect(5, "tok", callerDelta()));  // one registration per call
  auto verdict = actAsClass(encode(request((*endpoint)->address())), "xyx");
  ASSERT_TRUE(verdict) << verdict.error().message;
  EXPECT_EQ(verdict->verdict, Verdict::Done) << verdict->reason;
  auto result = (*endpoint)->finish(5);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->returnValue, 7);
  EXPECT_FALSE((*endpoint)->finish(5));  // taken once

  // A wrong token or an unknown call gets no memory, and the runtime fails
  // the offload (the caller then runs it itself).
  ASSERT_TRUE((*endpoint)->expect(6, "right", callerDelta()));
  OffloadRequest wrong = request((*endpoint)->address());
  wrong.callId = 6;
  wrong.token = "wrong";
  verdict = actAsClass(encode(wrong), "x");
  ASSERT_TRUE(verdict);
  EXPECT_EQ(verdict->verdict, Verdict::Failed);
  EXPECT_NE(verdict->reason.find("with that token"), std::string::npos) << verdict->reason;
  EXPECT_FALSE((*endpoint)->finish(6));  // registered, but no result came
  OffloadRequest unknown = request((*endpoint)->address());
  unknown.callId = 99;
  verdict = actAsClass(encode(unknown), "x");
  ASSERT_TRUE(verdict);
  EXPECT_EQ(verdict->verdict, Verdict::Failed);
}

}  // namespace
}  // namespace nearfaas::ndp
