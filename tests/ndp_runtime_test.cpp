// The storage runtime in process, with the test on both of its sides: the
// object class's side of the unix socket (sending the request and serving the
// object from a buffer) and the compute worker's delta endpoint (TCP). The
// offloaded function is test/probe's countObject, which reads its object
// through the NDP API and leaves its finding in memory.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "ndp/delta_endpoint.h"
#include "ndp/messages.h"
#include "ndp/sockets.h"
#include "ndp/storage_runtime.h"
#include "ndp_class_player.h"
#include "peak_memory.h"
#include "sched/node.h"
#include "storage/buckets.h"
#include "storage/directory_store.h"
#include "test_env.h"
#include "wasm_builder.h"

// The binary is linked with --wrap=CRYPTO_memcmp: every call the NDP code
// makes to it comes here first, so a test can see tokens compared with it.
std::atomic<int> gConstantTimeCompares{0};
extern "C" int __real_CRYPTO_memcmp(const void* a, const void* b, size_t len);
extern "C" int __wrap_CRYPTO_memcmp(const void* a, const void* b, size_t len) {
  ++gConstantTimeCompares;
  return __real_CRYPTO_memcmp(a, b, len);
}

namespace nearfaas::ndp {
namespace {

constexpr auto kIo = std::chrono::seconds(20);
const std::string kToken = "0123456789abcdef0123456789abcdef";

std::string text(const Bytes& b) {
  return std::string(b.begin(), b.end());
}

size_t threadCount() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task"))
    ++n;
  return n;
}

void sendHeader(int fd, uint64_t len, uint32_t kind) {
  uint8_t h[16];
  uint32_t version = kProtocolVersion;
  std::memcpy(h, &len, 8);
  std::memcpy(h + 8, &version, 4);
  std::memcpy(h + 12, &kind, 4);
  ASSERT_EQ(::send(fd, h, sizeof h, MSG_NOSIGNAL), ssize_t(sizeof h));
}

// True if a connection waits on `listener` (one the runtime made would be
// there before its verdict).
bool connectionPending(const Socket& listener) {
  pollfd p{listener.fd(), POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

// The node's store, with a gate on reading functions: while it is closed, a
// function load waits in get() (the test then knows a load is in progress).
class GatedStore : public storage::ObjectStore {
 public:
  explicit GatedStore(std::unique_ptr<storage::ObjectStore> inner) : inner_(std::move(inner)) {}
  void close() {
    std::lock_guard l(mutex_);
    open_ = false;
  }
  void open() {
    {
      std::lock_guard l(mutex_);
      open_ = true;
    }
    changed_.notify_all();
  }
  bool waitForWaiters(unsigned n) {
    std::unique_lock l(mutex_);
    return changed_.wait_for(l, kIo, [&] { return waiters_ >= n; });
  }

  storage::StoreResult<Bytes> get(std::string_view bucket, std::string_view key) override {
    if (bucket == storage::kFunctionsBucket) {
      std::unique_lock l(mutex_);
      ++waiters_;
      changed_.notify_all();
      changed_.wait(l, [&] { return open_; });
      --waiters_;
    }
    return inner_->get(bucket, key);
  }
  storage::StoreResult<void> put(std::string_view b, std::string_view k,
                                 std::span<const uint8_t> d) override {
    return inner_->put(b, k, d);
  }
  storage::StoreResult<Bytes> getRange(std::string_view b, std::string_view k, uint64_t o,
                                       uint64_t n) override {
    return inner_->getRange(b, k, o, n);
  }
  storage::StoreResult<storage::ObjectInfo> stat(std::string_view b, std::string_view k) override {
    return inner_->stat(b, k);
  }
  storage::StoreResult<void> remove(std::string_view b, std::string_view k) override {
    return inner_->remove(b, k);
  }
  storage::StoreResult<std::vector<std::string>> list(std::string_view b,
                                                      std::string_view p) override {
    return inner_->list(b, p);
  }
  const storage::StoreLimits& limits() const override { return inner_->limits(); }

 private:
  std::unique_ptr<storage::ObjectStore> inner_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = true;
  unsigned waiters_ = 0;
};

class StorageRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sched::NodeConfig c;
    c.dataDir = dir_.path();
    c.codeCacheDir = test::testCacheDir();
    c.scheduler.slots = 2;
    auto store = storage::DirectoryStore::open(dir_.path() / "store");
    ASSERT_TRUE(store) << store.error().message;
    auto gated = std::make_unique<GatedStore>(std::move(*store));
    gate_ = gated.get();
    auto n = sched::Node::open(c, std::move(gated));
    ASSERT_TRUE(n) << n.error().message;
    node_ = std::move(*n);
    auto wasm = readFile(std::filesystem::path(NEARFAAS_FUNC_DIR) / "test/probe.wasm");
    ASSERT_TRUE(wasm);
    ASSERT_TRUE(node_->functions().add("test", "probe", *wasm));
    funcPtr_ = pointer("ndp_ptr");
    ASSERT_GT(funcPtr_, 0);
    settings_.socketPath = (dir_.path() / "ndp.sock").string();
    settings_.maxLoadPerCore = 1e9;  // the test machine's load must not refuse
    settings_.minAvailableMemory = 0;
    settings_.ioTimeout = std::chrono::seconds(5);
  }
  std::string call(const std::string& input) {
    return text(
        node_->scheduler().call({"test", "probe", Bytes(input.begin(), input.end())}).output);
  }
  int32_t pointer(const std::string& probe) {
    auto ptr = call(probe);
    int32_t p = 0;
    std::from_chars(ptr.data(), ptr.data() + ptr.size(), p);
    return p;
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
    r.token = kToken;
    r.codeHash = (*node_->functions().proto("test", "probe"))->codeHash();
    return r;
  }
  // What the object class sends for `r`: it ran on r's object, for a RADOS
  // client on this host.
  static Bytes forwarded(const OffloadRequest& r, const std::string& client = "127.0.0.1") {
    return encode(ClassRequest{r, r.user, r.key, client});
  }
  // The caller's memory: a fresh Faaslet's (nothing written yet).
  faaslet::MemoryDelta callerDelta() {
    auto proto = node_->functions().proto("test", "probe");
    auto f = (*proto)->newFaaslet();
    return *(*f)->takeDelta();
  }

  // Plays the object class (ndp_class_player.h): sends `req`, serves
  // ObjectOps on `object` (or drops the connection at the first op if
  // `dropAtFirstOp`, or leaves ops unanswered if `silent`), returns the verdict.
  Result<OffloadReply> actAsClass(const Bytes& req, const std::string& object,
                                  bool dropAtFirstOp = false, bool silent = false) {
    return test::playObjectClass(settings_.socketPath, req, object,
                                 {.dropAtFirstOp = dropAtFirstOp, .silent = silent, .io = kIo});
  }

  test::TempDir dir_;
  GatedStore* gate_ = nullptr;
  std::unique_ptr<sched::Node> node_;
  StorageRuntimeSettings settings_;
  std::unique_ptr<StorageRuntime> runtime_;
  int32_t funcPtr_ = 0;
};

// Lets a test hold an offload in the runtime: the caller's endpoint says when
// the runtime has asked for the delta (it holds an executor slot from before
// that) and sends the delta only once released.
struct Hold {
  std::promise<void> fetched, released;
};

// Plays the compute worker's delta endpoint for one offload: answers the
// DeltaFetch with `delta` (once `hold`, if any, is released), takes the
// result and acks it.
class CallerEndpoint {
 public:
  explicit CallerEndpoint(faaslet::MemoryDelta delta, Hold* hold = nullptr) {
    auto l = listenTcp("127.0.0.1", 0);
    EXPECT_TRUE(l);
    listener_ = std::move(*l);
    address_ = *boundAddress(listener_);
    std::shared_future<void> released;
    if (hold) released = hold->released.get_future().share();
    thread_ = std::thread([this, delta = std::move(delta), hold, released] {
      int fd = ::accept(listener_.fd(), nullptr, nullptr);
      if (fd < 0) return;
      Socket conn(fd);
      auto fetch = recvFrame(conn.fd(), 1 << 20, deadlineIn(kIo));
      if (!fetch) return;
      fetched_ = decodeDeltaFetch(*fetch).value_or(DeltaFetch{});
      if (hold) {
        hold->fetched.set_value();
        released.wait_for(kIo);
      }
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
  // 1 MiB (256 pages) that no page of the function's own memory holds.
  std::string object;
  for (int i = 0; object.size() < (1u << 20); ++i)
    object += "xxaxx-" + std::to_string(100000 + i % 90000);
  object.resize(1u << 20);
  std::optional<OffloadResult> result;
  {
    CallerEndpoint caller(callerDelta());
    auto verdict = actAsClass(forwarded(request(caller.address())), object);
    ASSERT_TRUE(verdict) << verdict.error().message;
    EXPECT_EQ(verdict->verdict, Verdict::Done) << verdict->reason;
    EXPECT_EQ(caller.fetched(), (DeltaFetch{5, kToken}));
    result = caller.result();
  }
  ASSERT_TRUE(result);
  EXPECT_EQ(result->returnValue, 7);
  EXPECT_EQ(result->callId, 5u);
  // The object's pages were not sent back (only what the function wrote):
  // none of the delta's pages is one of them.
  EXPECT_LT(result->delta.pages.size(), 32u);
  const std::string_view data(reinterpret_cast<const char*>(result->delta.data.data()),
                              result->delta.data.size());
  for (size_t at = 0; at + 4096 <= object.size(); at += 4096)
    ASSERT_EQ(data.find(std::string_view(object).substr(at, 4096)), std::string_view::npos)
        << "the delta carries the object's page at offset " << at;
  // Applied to a Faaslet of the caller's function, the delta carries the finding.
  auto proto = node_->functions().proto("test", "probe");
  auto f = (*proto)->newFaaslet();
  host::CallRequest show{"test", "probe", Bytes{'n', 'd', 'p', '_', 'r', 'e', 's', 'u', 'l', 't'}};
  auto out = (*f)->run(1, show, nullptr, kIo, {&result->delta, nullptr});
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(text(out->output),
            std::to_string(object.size() * 100 + std::count(object.begin(), object.end(), 'x')));
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
  auto v = actAsClass(forwarded(unknown), "x");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->verdict, Verdict::ProcessLocally);
  EXPECT_NE(v->reason.find("loading function test/nosuch"), std::string::npos) << v->reason;
  ASSERT_TRUE(runtime_->waitForLoads(kIo));
  v = actAsClass(forwarded(unknown), "x");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->verdict, Verdict::ProcessLocally);
  EXPECT_NE(v->reason.find("unknown function"), std::string::npos) << v->reason;
  auto refusedForUnknown = runtime_->stats().refused;
  // A corrupt request.
  v = actAsClass(Bytes{1, 2, 3}, "x");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->verdict, Verdict::ProcessLocally);
  EXPECT_NE(v->reason.find("corrupt request"), std::string::npos) << v->reason;
  // The caller cannot be reached.
  v = actAsClass(forwarded(request("127.0.0.1:1")), "x");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->verdict, Verdict::Failed);
  EXPECT_NE(v->reason.find("cannot reach the caller"), std::string::npos) << v->reason;
  EXPECT_EQ(runtime_->stats().refused, refusedForUnknown + 1);
  EXPECT_EQ(runtime_->stats().failed, 1u);
}

// The runtime connects only where a request the object class vouched for
// says, and only to an address a caller may have: it never takes a request
// in another form, for another object than the class ran on, with an origin
// other than the RADOS client's address, outside the caller networks, or of
// a kind no caller has. It does not even connect to refuse.
TEST_F(StorageRuntimeTest, ConnectsOnlyToTheOriginOfAVouchedRequest) {
  settings_.callerNetworks = {*parseIpv4Network("127.0.0.0/8")};
  startRuntime();
  auto l = listenTcp("127.0.0.1", 0);
  ASSERT_TRUE(l);
  Socket listener = std::move(*l);
  OffloadRequest good = request(*boundAddress(listener));
  struct Case {
    const char* what;
    Bytes bytes;
    std::string reason;
  };
  OffloadRequest otherKey = good, badToken = good, named = good, metadata = good, outside = good,
                 badHash = good;
  otherKey.key = "another_obj";
  badToken.token = "tok\r\nFLUSHALL\r\n";
  badHash.codeHash = "../x";
  named.origin = "localhost:" + good.origin.substr(good.origin.rfind(':') + 1);
  metadata.origin = "169.254.169.254:80";
  outside.origin = "10.0.0.1:80";
  std::vector<Case> cases = {
      {"a bare request, not forwarded by the class", encode(good), "corrupt request"},
      {"a request for another object than the class ran on",
       encode(ClassRequest{otherKey, "test", "ndp_obj", "127.0.0.1"}), "the request names"},
      {"a request for another user than the class ran on",
       encode(ClassRequest{good, "other", "ndp_obj", "127.0.0.1"}), "the request names"},
      {"an origin that is not the RADOS client's address", forwarded(good, "127.0.0.2"),
       "not that of the RADOS client"},
      {"an origin the OSD knows no address for", forwarded(good, ""), "(unknown)"},
      {"an origin that is a name", forwarded(named), "is not IPv4:port"},
      {"a link-local origin", forwarded(metadata, "169.254.169.254"), "not one a caller can have"},
      {"an origin outside the caller networks", forwarded(outside, "10.0.0.1"),
       "outside the caller networks"},
      {"a token that is not hex", forwarded(badToken), "the token is not"},
      {"a code hash that is not one", forwarded(badHash), "code hash"},
  };
  for (const auto& c : cases) {
    auto v = actAsClass(c.bytes, "x");
    ASSERT_TRUE(v) << c.what << ": " << v.error().message;
    EXPECT_EQ(v->verdict, Verdict::ProcessLocally) << c.what;
    EXPECT_NE(v->reason.find(c.reason), std::string::npos) << c.what << ": " << v->reason;
    EXPECT_FALSE(connectionPending(listener)) << c.what;
  }
  EXPECT_EQ(runtime_->stats().refused, cases.size());
  // The vouched request itself reaches its origin (which hangs up).
  auto vouched = std::async(std::launch::async, [&] { return actAsClass(forwarded(good), "x"); });
  Socket conn(::accept(listener.fd(), nullptr, nullptr));
  EXPECT_TRUE(conn);
  conn = Socket();
  auto v = vouched.get();
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->verdict, Verdict::Failed) << v->reason;
}

// With --any-caller-address, the origin may differ from the RADOS client's
// address (still inside the caller networks, when there are some).
TEST_F(StorageRuntimeTest, AnyCallerAddressWhenTheOperatorSaysSo) {
  settings_.originMustBeClient = false;
  startRuntime();
  CallerEndpoint caller(callerDelta());
  auto v = actAsClass(forwarded(request(caller.address()), "10.9.8.7"), "xx");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->verdict, Verdict::Done) << v->reason;
}

// An offloaded call holds the OSD's operation thread: after maxOffloadTime
// the runtime gives it back (process locally), whether the function itself
// is slow or its object reads stall.
TEST_F(StorageRuntimeTest, GivesTheCallBackAfterTheMaximumOffloadTime) {
  settings_.maxOffloadTime = std::chrono::milliseconds(300);
  startRuntime();
  OffloadReply spun, stalled;
  {
    CallerEndpoint caller(callerDelta());
    OffloadRequest r = request(caller.address());
    r.funcPtr = pointer("ndp_spin_ptr");
    ASSERT_GT(r.funcPtr, 0);
    auto v = actAsClass(forwarded(r), "x");
    ASSERT_TRUE(v) << v.error().message;
    spun = *v;
    EXPECT_EQ(caller.fetched().callId, 5u);  // it did start
    EXPECT_FALSE(caller.result());           // but returned nothing
  }
  {
    CallerEndpoint caller(callerDelta());
    auto v = actAsClass(forwarded(request(caller.address())), "x", false, /*silent=*/true);
    ASSERT_TRUE(v) << v.error().message;
    stalled = *v;
    EXPECT_FALSE(caller.result());
  }
  for (const auto& v : {spun, stalled}) {
    EXPECT_EQ(v.verdict, Verdict::ProcessLocally) << v.reason;
    EXPECT_NE(v.reason.find("longer than the storage side's limit of 300 ms"), std::string::npos)
        << v.reason;
  }
  EXPECT_EQ(runtime_->stats().refused, 2u);
}

TEST_F(StorageRuntimeTest, RefusesWhenOverloaded) {
  settings_.maxLoadPerCore = -1;  // any load is too much
  startRuntime();
  CallerEndpoint unused(callerDelta());
  auto v = actAsClass(forwarded(request(unused.address())), "x");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->verdict, Verdict::ProcessLocally);
  EXPECT_NE(v->reason.find("overloaded: load"), std::string::npos) << v->reason;
  runtime_.reset();
  settings_.maxLoadPerCore = 1e9;
  settings_.minAvailableMemory = UINT64_MAX;
  startRuntime();
  v = actAsClass(forwarded(request(unused.address())), "x");
  ASSERT_TRUE(v);
  EXPECT_NE(v->reason.find("MiB of memory available"), std::string::npos) << v->reason;
}

TEST_F(StorageRuntimeTest, RefusesWhenEverySlotIsBusy) {
  settings_.maxConcurrent = 1;
  startRuntime();
  Hold hold;
  auto fetched = hold.fetched.get_future();
  CallerEndpoint held(callerDelta(), &hold);
  auto first = std::async(std::launch::async,
                          [&] { return actAsClass(forwarded(request(held.address())), "xx"); });
  // The first request holds the slot once it asks for the caller's memory.
  ASSERT_EQ(fetched.wait_for(kIo), std::future_status::ready);
  EXPECT_NE(runtime_->refusal().value_or("").find("slots are busy"), std::string::npos);
  CallerEndpoint unused(callerDelta());
  auto second = actAsClass(forwarded(request(unused.address())), "xx");
  hold.released.set_value();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->verdict, Verdict::ProcessLocally);
  EXPECT_NE(second->reason.find("slots are busy"), std::string::npos) << second->reason;
  auto v = first.get();
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->verdict, Verdict::Done) << v->reason;
  // The slot is free again.
  EXPECT_EQ(runtime_->refusal(), std::nullopt);
}

TEST_F(StorageRuntimeTest, ClassThatGoesAwayFailsTheCallAndTheRuntimeKeepsServing) {
  startRuntime();
  {
    CallerEndpoint caller(callerDelta());
    auto v = actAsClass(forwarded(request(caller.address())), "xx", /*dropAtFirstOp=*/true);
    EXPECT_FALSE(v);
    EXPECT_FALSE(caller.result());  // nothing was returned to the caller
  }
  ASSERT_TRUE(runtime_->waitForVerdicts(1, kIo));
  EXPECT_EQ(runtime_->stats().failed, 1u);
  CallerEndpoint caller(callerDelta());
  auto v = actAsClass(forwarded(request(caller.address())), "x");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->verdict, Verdict::Done) << v->reason;
}

// Hostile frames on both of the runtime's connections: a header that
// promises more than comes costs only what came, one over its kind's limit
// is refused unread, and the runtime keeps serving.
TEST_F(StorageRuntimeTest, HostileFramesAreRefusedAndTheRuntimeKeepsServing) {
  startRuntime();
  // From the caller: a memory delta announced at 1 GiB (under the limit),
  // 8 bytes of it sent; then one announced over the limit.
  for (uint64_t announced : {uint64_t{1} << 30, kMaxMemoryFrameBytes + 1}) {
    auto l = listenTcp("127.0.0.1", 0);
    ASSERT_TRUE(l);
    Socket listener = std::move(*l);
    std::thread hostile([&] {
      Socket conn(::accept(listener.fd(), nullptr, nullptr));
      if (!conn) return;
      (void)recvFrame(conn.fd(), 1 << 20, deadlineIn(kIo));
      sendHeader(conn.fd(), announced, kDeltaMessage);
    });
    test::resetPeakResident();
    uint64_t before = test::peakResidentBytes();
    auto v = actAsClass(forwarded(request(*boundAddress(listener))), "x");
    hostile.join();
    ASSERT_TRUE(v) << v.error().message;
    EXPECT_EQ(v->verdict, Verdict::Failed);
    EXPECT_NE(v->reason.find(announced == uint64_t{1} << 30 ? "truncated frame: 8 of its 1073741824"
                                                            : "exceeds the limit"),
              std::string::npos)
        << v->reason;
    EXPECT_LT(test::peakResidentBytes() - before, 64u << 20);
  }
  // From the class's side: a request over its limit, and a truncated one.
  for (uint64_t announced : {kMaxRequestFrameBytes + 1, uint64_t{100}}) {
    auto conn = connectUnix(settings_.socketPath);
    ASSERT_TRUE(conn);
    sendHeader(conn->fd(), announced, kClassRequestMessage);
    ::shutdown(conn->fd(), SHUT_WR);
    auto reply = recvFrame(conn->fd(), 1 << 20, deadlineIn(kIo));
    ASSERT_TRUE(reply) << reply.error().message;
    auto v = decodeReply(*reply);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->verdict, Verdict::ProcessLocally);
    EXPECT_NE(v->reason.find(announced == 100 ? "truncated frame" : "exceeds the limit"),
              std::string::npos)
        << v->reason;
  }
  CallerEndpoint caller(callerDelta());
  auto v = actAsClass(forwarded(request(caller.address())), "x");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->verdict, Verdict::Done) << v->reason;
}

// Functions it has not loaded are loaded by one loader from a bounded queue:
// many distinct code hashes make neither threads nor unbounded memory, and
// calls beyond the queue run on the caller.
TEST_F(StorageRuntimeTest, ManyUnknownCodesShareOneBoundedLoader) {
  settings_.loadQueue = 4;
  settings_.maxLoadFailures = 8;
  settings_.loadFailureMemory = std::chrono::hours(1);
  startRuntime();
  CallerEndpoint unused(callerDelta());
  auto unknownCode = [&](int i) {
    OffloadRequest r = request(unused.address());
    r.function = "nosuch";
    r.codeHash = std::string(60, 'a') + std::to_string(1000 + i);
    return r;
  };
  gate_->close();
  size_t threadsBefore = threadCount();
  auto first = actAsClass(forwarded(unknownCode(0)), "x");
  ASSERT_TRUE(first);
  EXPECT_NE(first->reason.find("loading function test/nosuch"), std::string::npos) << first->reason;
  ASSERT_TRUE(gate_->waitForWaiters(1));  // the first load is in progress
  constexpr int kCodes = 40;
  int refusedForQueue = 0;
  for (int i = 1; i < kCodes; ++i) {
    auto v = actAsClass(forwarded(unknownCode(i)), "x");
    ASSERT_TRUE(v) << v.error().message;
    EXPECT_EQ(v->verdict, Verdict::ProcessLocally);
    refusedForQueue += v->reason.find("function loads are waiting") != std::string::npos;
  }
  // One loader thread, whatever the number of codes (a connection's thread
  // may still be on its way out).
  EXPECT_LT(threadCount() - threadsBefore, 4u);
  EXPECT_EQ(refusedForQueue, kCodes - 1 - 4);
  EXPECT_EQ(runtime_->stats().loadsQueued, 5u);
  EXPECT_EQ(runtime_->stats().loadsRefused, uint64_t(kCodes - 1 - 4));
  gate_->open();
  ASSERT_TRUE(runtime_->waitForLoads(kIo));
  // Failures are remembered up to the bound, the oldest forgotten first.
  for (int i = kCodes; i < kCodes + 12; ++i) {
    auto v = actAsClass(forwarded(unknownCode(i)), "x");
    ASSERT_TRUE(v);
    ASSERT_TRUE(runtime_->waitForLoads(kIo));
  }
  EXPECT_EQ(runtime_->stats().loadFailuresRemembered, 8u);
  auto queued = runtime_->stats().loadsQueued;
  auto recent = actAsClass(forwarded(unknownCode(kCodes + 11)), "x");
  ASSERT_TRUE(recent);
  EXPECT_NE(recent->reason.find("unknown function"), std::string::npos) << recent->reason;
  auto forgotten = actAsClass(forwarded(unknownCode(0)), "x");
  ASSERT_TRUE(forgotten);
  EXPECT_NE(forgotten->reason.find("loading function"), std::string::npos) << forgotten->reason;
  EXPECT_EQ(runtime_->stats().loadsQueued, queued + 1);  // only the forgotten one loads again
  ASSERT_TRUE(runtime_->waitForLoads(kIo));
  EXPECT_EQ(runtime_->stats().loadFailuresRemembered, 8u);
}

// The storage runtime compiles the functions it runs: a module whose export
// name is C that would run when its code is loaded must only ever be a name.
TEST_F(StorageRuntimeTest, LoadingTheExportNameExploitRunsNothing) {
  startRuntime();
  auto proof = dir_.path() / "exploited";
  Bytes wasm = test::constructorExploitModule(proof.string());
  ASSERT_TRUE(
      node_->objects().put(storage::kFunctionsBucket, sched::functionKey("test", "exploit"), wasm));
  CallerEndpoint unused(callerDelta());
  OffloadRequest r = request(unused.address());
  r.function = "exploit";
  r.codeHash = sha256Hex(wasm);
  auto v = actAsClass(forwarded(r), "x");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_NE(v->reason.find("loading function test/exploit"), std::string::npos) << v->reason;
  ASSERT_TRUE(runtime_->waitForLoads(kIo));
  EXPECT_NE(node_->functions().loaded("test", "exploit", r.codeHash), nullptr);  // it loaded
  EXPECT_FALSE(std::filesystem::exists(proof));
}

// The whole storage side with the compute worker's real delta endpoint; only
// the object class is played by the test.
TEST_F(StorageRuntimeTest, WithTheDeltaEndpoint) {
  startRuntime();
  auto endpoint = DeltaEndpoint::start({});
  ASSERT_TRUE(endpoint) << endpoint.error().message;
  ASSERT_TRUE((*endpoint)->expect(5, kToken, callerDelta()));
  EXPECT_FALSE((*endpoint)->expect(5, kToken, callerDelta()));  // one registration per call
  auto verdict = actAsClass(forwarded(request((*endpoint)->address())), "xyx");
  ASSERT_TRUE(verdict) << verdict.error().message;
  EXPECT_EQ(verdict->verdict, Verdict::Done) << verdict->reason;
  auto result = (*endpoint)->finish(5);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->returnValue, 7);
  EXPECT_FALSE((*endpoint)->finish(5));  // taken once

  // A wrong token or an unknown call gets no memory, and the runtime fails
  // the offload (the caller then runs it itself).
  std::string right = "fedcba9876543210fedcba9876543210";
  ASSERT_TRUE((*endpoint)->expect(6, right, callerDelta()));
  OffloadRequest wrong = request((*endpoint)->address());
  wrong.callId = 6;
  verdict = actAsClass(forwarded(wrong), "x");
  ASSERT_TRUE(verdict);
  EXPECT_EQ(verdict->verdict, Verdict::Failed);
  EXPECT_NE(verdict->reason.find("with that token"), std::string::npos) << verdict->reason;
  EXPECT_FALSE((*endpoint)->finish(6));  // registered, but no result came
  OffloadRequest unknown = request((*endpoint)->address());
  unknown.callId = 99;
  verdict = actAsClass(forwarded(unknown), "x");
  ASSERT_TRUE(verdict);
  EXPECT_EQ(verdict->verdict, Verdict::Failed);
}

// The delta endpoint, played against by the test as a (hostile) runtime.
class DeltaEndpointTest : public StorageRuntimeTest {
 protected:
  void SetUp() override {
    StorageRuntimeTest::SetUp();
    auto e = DeltaEndpoint::start({});
    ASSERT_TRUE(e) << e.error().message;
    endpoint_ = std::move(*e);
  }
  Socket connect() {
    auto c = connectTcp(endpoint_->address(), deadlineIn(kIo));
    EXPECT_TRUE(c) << c.error().message;
    return c ? std::move(*c) : Socket();
  }
  // Sends a fetch; the answer: a delta (kind kDeltaMessage) or a refusal.
  Result<Bytes> fetch(const Socket& conn, uint64_t callId, const std::string& token) {
    if (auto r = sendFrame(conn.fd(), encode(DeltaFetch{callId, token}), deadlineIn(kIo)); !r)
      return std::unexpected(r.error());
    return recvFrame(conn.fd(), 1ull << 30, deadlineIn(kIo));
  }
  Result<OffloadReply> deliver(const Socket& conn, uint64_t callId, const std::string& token) {
    OffloadResult result{callId, token, 42, callerDelta()};
    if (auto r = sendFrame(conn.fd(), encode(result), deadlineIn(kIo)); !r)
      return std::unexpected(r.error());
    auto ack = recvFrame(conn.fd(), 1 << 20, deadlineIn(kIo));
    if (!ack) return std::unexpected(ack.error());
    return decodeReply(*ack);
  }
  static std::string refusal(const Result<Bytes>& answer) {
    if (!answer) return "error: " + answer.error().message;
    auto reply = decodeReply(*answer);
    return reply ? reply->reason : "not a refusal";
  }
  std::unique_ptr<DeltaEndpoint> endpoint_;
};

// A call's memory goes out once, to the first fetch with its token, and its
// result comes in once; tokens are compared in constant time.
TEST_F(DeltaEndpointTest, MemoryIsFetchedOnceAndTheResultTakenOnce) {
  ASSERT_TRUE(endpoint_->expect(7, kToken, callerDelta()));
  int comparesBefore = gConstantTimeCompares.load();
  Socket first = connect();
  auto delta = fetch(first, 7, kToken);
  ASSERT_TRUE(delta) << delta.error().message;
  EXPECT_EQ(messageKind(*delta), kDeltaMessage);
  EXPECT_GT(gConstantTimeCompares.load(), comparesBefore);
  // A second fetch, while the first connection still waits to deliver.
  Socket second = connect();
  auto again = fetch(second, 7, kToken);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(messageKind(*again), kReplyMessage);
  EXPECT_NE(refusal(again).find("was fetched already"), std::string::npos) << refusal(again);
  auto ack = deliver(first, 7, kToken);
  ASSERT_TRUE(ack) << ack.error().message;
  EXPECT_EQ(ack->verdict, Verdict::Done) << ack->reason;
  // After the result, the call is known but gives nothing more.
  Socket third = connect();
  EXPECT_NE(refusal(fetch(third, 7, kToken)).find("was fetched already"), std::string::npos);
  auto result = endpoint_->finish(7);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->returnValue, 42);
  // Tokens that differ in their last digit, or are a prefix, get nothing.
  ASSERT_TRUE(endpoint_->expect(8, kToken, callerDelta()));
  for (std::string bad : {kToken.substr(0, 31) + "0", kToken.substr(0, 16), kToken + "0"}) {
    Socket c = connect();
    EXPECT_NE(refusal(fetch(c, 8, bad)).find("with that token"), std::string::npos) << bad;
  }
  Socket right = connect();
  EXPECT_EQ(messageKind(*fetch(right, 8, kToken)), kDeltaMessage);
}

TEST_F(DeltaEndpointTest, HostileFramesAreRefusedAndTheEndpointKeepsServing) {
  // A fetch over its limit, one of another kind, a truncated one.
  for (auto [announced, kind, why] :
       {std::tuple{kMaxRequestFrameBytes + 1, uint32_t{kDeltaFetchMessage}, "exceeds the limit"},
        std::tuple{uint64_t{100}, uint32_t{kResultMessage}, "unexpected message: offload result"},
        std::tuple{uint64_t{100}, uint32_t{kDeltaFetchMessage}, "truncated frame"}}) {
    Socket c = connect();
    sendHeader(c.fd(), announced, kind);
    ::shutdown(c.fd(), SHUT_WR);
    auto answer = recvFrame(c.fd(), 1 << 20, deadlineIn(kIo));
    EXPECT_NE(refusal(answer).find(why), std::string::npos) << refusal(answer);
  }
  // A result announced at 1 GiB (under the limit) after a rightful fetch:
  // it costs what arrives, not what was announced.
  ASSERT_TRUE(endpoint_->expect(9, kToken, callerDelta()));
  Socket c = connect();
  ASSERT_EQ(messageKind(*fetch(c, 9, kToken)), kDeltaMessage);
  test::resetPeakResident();
  uint64_t before = test::peakResidentBytes();
  sendHeader(c.fd(), 1ull << 30, kResultMessage);
  ::shutdown(c.fd(), SHUT_WR);
  auto ack = recvFrame(c.fd(), 1 << 20, deadlineIn(kIo));
  ASSERT_TRUE(ack) << ack.error().message;
  auto reply = decodeReply(*ack);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->verdict, Verdict::Failed);
  EXPECT_NE(reply->reason.find("truncated frame: 8 of its 1073741824"), std::string::npos)
      << reply->reason;
  EXPECT_LT(test::peakResidentBytes() - before, 64u << 20);
  EXPECT_FALSE(endpoint_->finish(9));
  // Still serving.
  ASSERT_TRUE(endpoint_->expect(10, kToken, callerDelta()));
  Socket good = connect();
  ASSERT_EQ(messageKind(*fetch(good, 10, kToken)), kDeltaMessage);
  auto done = deliver(good, 10, kToken);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->verdict, Verdict::Done);
}

}  // namespace
}  // namespace nearfaas::ndp
