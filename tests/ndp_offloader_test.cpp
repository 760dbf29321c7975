// The compute worker's Offloader (src/ndp/offloader.h) with a real storage
// runtime: its decisions (the cost model on both sides of its threshold, the
// back-off after a refusal and its end) and its fallbacks (every way the
// storage side can give a call back, a code hash the runtime does not hold,
// a storage side slower than the offloader waits), each compared byte for
// byte with the same call run locally (forbid_ndp); and the caller's deadline
// passing while it waits.
//
// Built twice from this file:
//  - nearfaas_ndp_offloader_tests (the normal set): objects in a directory
//    store; the object class and its OSD are played in process (ClassPlayer:
//    what libcls_nearfaas.so does in the OSD, over the runtime's socket).
//  - nearfaas_ndp_offloader_ceph_tests (ctest ndp_offloader_ceph, label
//    ceph; NEARFAAS_OFFLOADER_TEST_CEPH): the same tests on a memstore
//    cluster from scripts/ceph.sh whose OSD runs the real class; objects and
//    functions in RADOS, the offloader's execs through librados.
// In both, the compute worker and the storage runtime are two nodes in this
// process that share the store; the runtime is the real StorageRuntime,
// and the offloader the real Offloader with its delta endpoint.
//
// The called function is test/ndpcalls (tests/guest/ndp_calls.c).
#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ndp/offloader.h"
#include "ndp/storage_runtime.h"
#include "ndp_class_player.h"
#include "sched/node.h"
#include "storage/buckets.h"
#include "storage/directory_store.h"
#include "test_env.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include "stb_image_write.h"
#pragma GCC diagnostic pop

#if NEARFAAS_OFFLOADER_TEST_CEPH
#include "ceph_cluster.h"
#include "ndp/rados_class_store.h"
#include "storage/rados_store.h"
#endif

namespace nearfaas::ndp {
namespace {

using host::CallOutcome;
using host::CallRequest;
using namespace std::chrono_literals;

constexpr auto kIo = std::chrono::milliseconds(30'000);
constexpr int32_t kStorageCallTrapped = -0x12345678;  // what a trapped storage call returns

std::string text(const Bytes& b) {
  return std::string(b.begin(), b.end());
}
Bytes bytesOf(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

// `n` bytes of text, different for each `seed`.
std::string objectOf(size_t n, char seed = 'a') {
  std::string s(n, ' ');
  for (size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>(i % 61 == 60 ? '\n' : seed + (i * 7 + i / 13) % 26);
  return s;
}

// What test/ndpcalls outputs when its storage function read `object` (hash
// seed of test/ndpcalls) and returned `rc`.
std::string expectedOutput(int rc, std::string_view object, const std::string& extra = "-") {
  uint32_t h = 2166136261u;
  for (unsigned char c : object)
    h = (h ^ c) * 16777619u;
  char out[160];
  std::snprintf(out, sizeof out, "rc=%d len=%zu hash=%08x extra=%s", rc, object.size(), h,
                extra.c_str());
  return out;
}

// What the offloader and the runtime log (spdlog's default logger), kept
// for the tests to read: each fallback's reason is only said there.
class CapturedLog final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // Installed once, by the first test, before any thread of it logs.
  static CapturedLog& get() {
    static std::shared_ptr<CapturedLog> sink = [] {
      auto s = std::make_shared<CapturedLog>();
      spdlog::default_logger()->sinks().push_back(s);
      return s;
    }();
    return *sink;
  }
  size_t mark() {
    std::lock_guard l(mutex_);
    return lines_.size();
  }
  // The lines logged since `mark`, one per line.
  std::string since(size_t mark) {
    std::lock_guard l(mutex_);
    std::string out;
    for (size_t i = mark; i < lines_.size(); ++i)
      out += lines_[i] + "\n";
    return out;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    lines_.emplace_back(msg.payload.data(), msg.payload.size());
  }
  void flush_() override {}

 private:
  std::vector<std::string> lines_;
};

// Takes the caller's memory delta as the offloader does, and declines (the
// call runs locally): what the cost model counts for the call.
class DeltaMeter final : public sched::StorageOffloader {
 public:
  std::optional<int32_t> offload(faaslet::Faaslet& caller, const host::CallRequest&,
                                 const host::CallServices::StorageCall&) override {
    auto d = caller.takeDelta();
    bytes = d ? deltaLinkBytes(*d) : 0;
    return std::nullopt;
  }
  std::atomic<uint64_t> bytes{0};
};

// ---- where the tests run ---------------------------------------------------

// Objects, functions and the object class for one test.
class Backend {
 public:
  virtual ~Backend() = default;
  // Where the object class connects to the storage runtime.
  virtual std::string socketPath() = 0;
  // A connection to the store (each node has its own).
  virtual Result<std::unique_ptr<storage::ObjectStore>> openStore() = 0;
  // The offloader's view of `store` (a store from openStore()).
  virtual std::unique_ptr<ObjectClassStore> classStore(storage::ObjectStore& store) = 0;
};

#if !NEARFAAS_OFFLOADER_TEST_CEPH

// The object class and its OSD, played in process. stat reads the store. An
// exec of offload_ro does what the OSD and libcls_nearfaas.so do: a missing
// object is NotFound; the request must name the object; without a runtime
// the verdict is "no storage runtime"; otherwise the class's side of the
// runtime's socket, with the object as the store holds it. offload_rw also
// serves writes, applies the last one to the store only if the verdict is
// done, and answers with an error for any other verdict (as the class's
// return code: Ceph returns no output for a write). The exchange runs
// on a thread of its own and is waited for as RadosStore::execClass waits
// for an exec (until the deadline, polling abandon), so a caller that gives
// up leaves it running, as it leaves an exec in the OSD.
class ClassPlayer final : public ObjectClassStore {
 public:
  ClassPlayer(storage::ObjectStore& store, std::string socketPath)
      : store_(store), socketPath_(std::move(socketPath)) {}
  // Exchanges given up on end with the runtime's verdict.
  ~ClassPlayer() override {
    std::lock_guard l(mutex_);
    for (auto& t : exchanges_)
      t.join();
  }

  storage::StoreResult<storage::ObjectInfo> stat(std::string_view bucket,
                                                 std::string_view key) override {
    return store_.stat(bucket, key);
  }
  storage::StoreResult<Bytes> execClass(std::string_view bucket, std::string_view key,
                                        const char* cls, const char* method,
                                        std::span<const uint8_t> input,
                                        std::chrono::steady_clock::time_point deadline,
                                        const std::function<bool()>& abandon) override {
    EXPECT_STREQ(cls, "nearfaas");
    const bool readWrite = std::string_view(method) == "offload_rw";
    EXPECT_TRUE(readWrite || std::string_view(method) == "offload_ro") << method;
    auto object = store_.get(bucket, key);
    if (!object) return std::unexpected(object.error());
    auto verdict = std::make_shared<std::promise<OffloadReply>>();
    auto answer = verdict->get_future();
    std::unique_lock l(mutex_);
    exchanges_.emplace_back([this, verdict, readWrite, request = decodeRequest(input),
                             user = std::string(bucket), name = std::string(key),
                             object = text(*object)] {
      verdict->set_value(exchange(request, user, name, object, readWrite));
    });
    l.unlock();
    using Clock = std::chrono::steady_clock;
    for (;;) {
      Clock::duration left = std::max(Clock::duration::zero(), deadline - Clock::now());
      if (answer.wait_for(std::min<Clock::duration>(left, 5ms)) == std::future_status::ready) {
        OffloadReply reply = answer.get();
        if (!readWrite) return encode(reply);
        if (reply.verdict != Verdict::Done)
          return storage::storeFail(
              storage::StoreErrorCode::Io, "class call: ",
              reply.verdict == Verdict::ProcessLocally ? "EBUSY: " : "EIO: ", reply.reason);
        return Bytes{};
      }
      if (Clock::now() >= deadline)
        return storage::storeFail(storage::StoreErrorCode::Io, "class call: timed out");
      if (abandon && abandon())
        return storage::storeFail(storage::StoreErrorCode::Io, "class call: abandoned");
    }
  }

 private:
  OffloadReply exchange(const Result<OffloadRequest>& request, const std::string& user,
                        const std::string& name, const std::string& object, bool readWrite) {
    if (!request) return {Verdict::ProcessLocally, "corrupt request: " + request.error().message};
    if (request->user != user || request->key != name)
      return {Verdict::ProcessLocally, "the request names another object"};
    auto conn = connectUnix(socketPath_);
    if (!conn) return {Verdict::ProcessLocally, "no storage runtime: " + conn.error().message};
    std::optional<Bytes> written;
    auto v = test::playObjectClass(*conn, encode(ClassRequest{*request, user, name, "127.0.0.1"}),
                                   object, {.writable = readWrite, .written = &written});
    if (!v) return {Verdict::Failed, "storage runtime: " + v.error().message};
    if (v->verdict == Verdict::Done && written) {
      if (auto r = store_.put(user, name, *written); !r)
        return {Verdict::Failed, "applying the write: " + r.error().message};
    }
    return *v;
  }

  storage::ObjectStore& store_;
  std::string socketPath_;
  std::mutex mutex_;
  std::vector<std::thread> exchanges_;
};

class LocalBackend final : public Backend {
 public:
  std::string socketPath() override { return (dir_.path() / "ndp.sock").string(); }
  Result<std::unique_ptr<storage::ObjectStore>> openStore() override {
    auto s = storage::DirectoryStore::open(dir_.path() / "store");
    if (!s) return fail(s.error().message);
    return std::unique_ptr<storage::ObjectStore>(std::move(*s));
  }
  std::unique_ptr<ObjectClassStore> classStore(storage::ObjectStore& store) override {
    return std::make_unique<ClassPlayer>(store, socketPath());
  }

 private:
  nearfaas::test::TempDir dir_;
};

Result<std::unique_ptr<Backend>> makeBackend() {
  return std::make_unique<LocalBackend>();
}

#else  // NEARFAAS_OFFLOADER_TEST_CEPH

// One memstore cluster for the binary; its OSD's class connects to the
// runtime at the socket named in its environment when it starts.
class CephEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    socketDir_ = std::make_unique<nearfaas::test::TempDir>();
    ::setenv("NEARFAAS_NDP_SOCKET", socketPath().c_str(), 1);
    auto t0 = std::chrono::steady_clock::now();
    cluster_ = nearfaas::test::CephCluster::start("memstore", error_);
    if (cluster_)
      std::printf("[ ceph     ] memstore cluster up in %.1f s\n",
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  void TearDown() override {
    cluster_.reset();
    socketDir_.reset();
  }
  std::string socketPath() const { return (socketDir_->path() / "ndp.sock").string(); }
  nearfaas::test::CephCluster* cluster() { return cluster_.get(); }
  const std::string& error() const { return error_; }

 private:
  std::unique_ptr<nearfaas::test::TempDir> socketDir_;
  std::unique_ptr<nearfaas::test::CephCluster> cluster_;
  std::string error_;
};
CephEnvironment* gCeph =
    static_cast<CephEnvironment*>(::testing::AddGlobalTestEnvironment(new CephEnvironment));

class CephBackend final : public Backend {
 public:
  std::string socketPath() override { return gCeph->socketPath(); }
  Result<std::unique_ptr<storage::ObjectStore>> openStore() override {
    storage::RadosConfig config;
    config.confPath = gCeph->cluster()->conf();
    auto s = storage::RadosStore::open(config);
    if (!s) return fail(s.error().message);
    return std::unique_ptr<storage::ObjectStore>(std::move(*s));
  }
  std::unique_ptr<ObjectClassStore> classStore(storage::ObjectStore& store) override {
    return std::make_unique<RadosClassStore>(dynamic_cast<storage::RadosStore&>(store));
  }
};

Result<std::unique_ptr<Backend>> makeBackend() {
  if (!gCeph->cluster()) return fail("the Ceph cluster did not come up: ", gCeph->error());
  return std::make_unique<CephBackend>();
}

#endif

// ---- the fixture -------------------------------------------------------------

class OffloaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CapturedLog::get();
    auto backend = makeBackend();
    ASSERT_TRUE(backend) << backend.error().message;
    backend_ = std::move(*backend);
    static std::atomic<int> tests{0};
    user_ = "offload" + std::to_string(++tests);  // a namespace of its own in RADOS
    compute_ = openNode(computeDir_);
    storageNode_ = openNode(storageDir_);
    ASSERT_TRUE(compute_ && storageNode_);
    ASSERT_TRUE(compute_->functions().add(user_, "ndpcalls", wasm("test/ndpcalls")));
    // The runtime's node loads it now: a runtime that has not loaded a
    // function refuses calls of it while it loads it (tested in
    // ndp_runtime_test.cpp).
    ASSERT_TRUE(storageNode_->functions().proto(user_, "ndpcalls"));
    runtimeSettings_.socketPath = backend_->socketPath();
    runtimeSettings_.maxLoadPerCore = 1e9;  // the test machine's load must not refuse
    runtimeSettings_.minAvailableMemory = 0;
    runtimeSettings_.ioTimeout = std::chrono::seconds(10);
    startRuntime();
  }
  void TearDown() override {
    if (compute_) compute_->scheduler().setOffloader(nullptr);
    offloader_.reset();
    runtime_.reset();
    compute_.reset();
    storageNode_.reset();
    backend_.reset();
  }

  std::unique_ptr<sched::Node> openNode(const nearfaas::test::TempDir& dir) {
    sched::NodeConfig c;
    c.dataDir = dir.path();
    c.codeCacheDir = nearfaas::test::testCacheDir();
    c.scheduler.slots = 2;
    c.scheduler.callTimeout = kIo;
    auto store = backend_->openStore();
    EXPECT_TRUE(store) << store.error().message;
    if (!store) return nullptr;
    auto n = sched::Node::open(c, std::move(*store));
    EXPECT_TRUE(n) << n.error().message;
    return n ? std::move(*n) : nullptr;
  }
  static Bytes wasm(const std::string& userAndName) {
    auto b = readFile(std::filesystem::path(NEARFAAS_FUNC_DIR) / (userAndName + ".wasm"));
    EXPECT_TRUE(b) << b.error().message;
    return b ? *b : Bytes{};
  }

  void startRuntime() {
    auto rt = StorageRuntime::start(*storageNode_, runtimeSettings_);
    ASSERT_TRUE(rt) << rt.error().message;
    runtime_ = std::move(*rt);
  }
  void restartRuntime() {
    runtime_.reset();
    startRuntime();
  }
  // The default model offloads every object of these tests: 1 byte of fixed
  // cost (1 s at 8 bit/s).
  static OffloaderSettings offloadAll() {
    OffloaderSettings s;
    s.cost.fixedCost = 1s;
    s.cost.linkBitsPerSecond = 8;
    return s;
  }
  void startOffloader(OffloaderSettings settings = offloadAll()) {
    compute_->scheduler().setOffloader(nullptr);
    offloader_.reset();
    auto o = Offloader::start(backend_->classStore(compute_->objects()), std::move(settings));
    ASSERT_TRUE(o) << o.error().message;
    offloader_ = std::move(*o);
    compute_->scheduler().setOffloader(offloader_.get());
  }

  void put(const std::string& key, std::string_view value) {
    ASSERT_TRUE(compute_->objects().put(user_, key, bytesOf(value)));
  }
  std::string get(const std::string& key) {
    auto b = compute_->objects().get(user_, key);
    return b ? text(*b) : "<" + b.error().message + ">";
  }

  CallOutcome call(const std::string& function, const std::string& input, bool forbidNdp = false,
                   std::chrono::milliseconds timeout = {}) {
    CallRequest r;
    r.user = user_;
    r.function = function;
    r.input = bytesOf(input);
    r.forbidNdp = forbidNdp;
    r.timeout = timeout;
    return compute_->scheduler().call(std::move(r));
  }
  // The call with NDP, then with forbid_ndp (after `between`): the caller
  // must see the same in both. The NDP call's outcome.
  CallOutcome sameAsLocal(const std::string& input, const std::function<void()>& between = {},
                          const std::string& function = "ndpcalls") {
    auto ndp = call(function, input);
    if (between) between();
    auto local = call(function, input, /*forbidNdp=*/true);
    EXPECT_EQ(text(ndp.output), text(local.output)) << input;
    EXPECT_EQ(ndp.returnValue, local.returnValue) << input;
    EXPECT_EQ(ndp.outputSet, local.outputSet) << input;
    EXPECT_EQ(ndp.stdoutText, local.stdoutText) << input;
    EXPECT_EQ(ndp.stderrText, local.stderrText) << input;
    EXPECT_EQ(ndp.error, local.error) << input;
    return ndp;
  }
  // What the cost model counts for the caller of `input` (its delta).
  uint64_t callerDeltaBytes(const std::string& input) {
    DeltaMeter meter;
    compute_->scheduler().setOffloader(&meter);
    auto out = call("ndpcalls", input);
    EXPECT_EQ(out.error, "");
    compute_->scheduler().setOffloader(offloader_.get());
    EXPECT_GT(meter.bytes.load(), 0u);
    return meter.bytes;
  }

  nearfaas::test::TempDir computeDir_, storageDir_;
  std::unique_ptr<Backend> backend_;
  std::string user_;
  std::unique_ptr<sched::Node> compute_, storageNode_;
  StorageRuntimeSettings runtimeSettings_;
  std::unique_ptr<StorageRuntime> runtime_;
  std::unique_ptr<Offloader> offloader_;
};

// ---- tests -----------------------------------------------------------------

// The storage function runs beside the object, and the caller continues with
// its memory, return value and stdout as if it had run in place.
TEST_F(OffloaderTest, OffloadedCallGivesTheLocalOutput) {
  startOffloader();
  std::string object = objectOf(1 << 20);
  put("doc", object);
  auto out = sameAsLocal("count doc");
  EXPECT_EQ(text(out.output), expectedOutput(7, object));
  EXPECT_EQ(out.stdoutText, "counted 1048576\n");
  EXPECT_EQ(offloader_->stats().offloaded, 1u);
  EXPECT_EQ(offloader_->stats().failed + offloader_->stats().refused, 0u);
  EXPECT_EQ(runtime_->stats().done, 1u);
}

// The NDP functions of func/ndp whose storage calls offload (get and put make
// none): the same output offloaded and local. (The tests on the directory
// store in faaslet_test, http_test and cli_test have no offloader.)
TEST_F(OffloaderTest, NdpFunctionsGiveTheLocalOutputOffloaded) {
  startOffloader();
  for (const char* f : {"wordcount", "grep", "substr", "sha256sum"}) {
    ASSERT_TRUE(compute_->functions().add(user_, f, wasm(std::string("ndp/") + f)));
    ASSERT_TRUE(storageNode_->functions().proto(user_, f));
  }
  std::string words;
  for (int i = 0; words.size() < (1 << 20); ++i)
    words += "w" + std::to_string(i * 7919 % 997) + (i % 12 == 11 ? "\n" : " ");
  put("words", words);
  // Each call finds something: "w0 w" starts the text.
  ASSERT_EQ(words.substr(0, 4), "w0 w");
  uint64_t offloaded = 0;
  for (auto [f, input] : {std::pair{"wordcount", "words"}, std::pair{"grep", "words w0 w[0-9]"},
                          std::pair{"substr", "words w0 w"}, std::pair{"sha256sum", "words"}}) {
    auto out = sameAsLocal(input, {}, f);
    EXPECT_EQ(out.returnValue, 0) << f << ": " << out.error;
    EXPECT_FALSE(out.output.empty()) << f;
    EXPECT_EQ(offloader_->stats().offloaded, ++offloaded) << f << " did not offload";
  }
  EXPECT_EQ(runtime_->stats().done, offloaded);
}

// The ndp/ functions with libraries (stb, nlohmann-json, Eigen) offloaded:
// the same output as local. (Their outputs against a native build of the
// same source: ndp_functions_test.cpp.)
TEST_F(OffloaderTest, LibraryNdpFunctionsGiveTheLocalOutputOffloaded) {
  startOffloader();
  for (const char* f : {"thumbnailer", "json_query", "pcakmm"}) {
    ASSERT_TRUE(compute_->functions().add(user_, f, wasm(std::string("ndp/") + f)));
    ASSERT_TRUE(storageNode_->functions().proto(user_, f));
  }
  // Noise: a PNG of about the raw size (larger than the caller's delta).
  std::vector<uint8_t> pixels(300 * 200 * 3);
  uint32_t seed = 1;
  for (auto& p : pixels) {
    seed = seed * 1103515245u + 12345u;
    p = static_cast<uint8_t>(seed >> 16);
  }
  std::string png;
  ASSERT_TRUE(stbi_write_png_to_func(
      [](void* out, void* data, int n) { static_cast<std::string*>(out)->append((char*)data, n); },
      &png, 300, 200, 3, pixels.data(), 300 * 3));
  put("image", png);
  std::string lines, matrix;
  int passing = 0;  // lines with v >= 50
  for (int i = 0; i < 2000; ++i) {
    passing += i * 37 % 101 >= 50;
    lines += "{\"id\":" + std::to_string(i) + ",\"v\":" + std::to_string(i * 37 % 101) + "}\n";
    for (int c = 0; c < 4; ++c)
      matrix += std::to_string((i % 3) * 10 * (c % 2) + (i * 13 + c * 7) % 17 / 10.0) +
                (c == 3 ? "\n" : " ");
  }
  put("lines", lines);
  put("matrix", matrix);
  uint64_t offloaded = 0;
  const std::string matched = "matched " + std::to_string(passing) + " of 2000 lines";
  for (auto [f, input, expected] :
       {std::tuple{"thumbnailer", "image 64x64", "image.thumb.png 64x43 "},  // 200 * 64 / 300
        std::tuple{"json_query", "lines v>=50", matched.c_str()},
        std::tuple{"pcakmm", "matrix 2 3",
                   "pcakmm 2000 rows 4 columns 2 components 3 clusters "}}) {
    auto out = sameAsLocal(input, {}, f);
    EXPECT_EQ(out.returnValue, 0) << f << ": " << out.error;
    EXPECT_TRUE(text(out.output).starts_with(expected)) << f << ": " << text(out.output);
    EXPECT_EQ(offloader_->stats().offloaded, ++offloaded) << f << " did not offload";
  }
  EXPECT_EQ(runtime_->stats().done, offloaded);
}

// A storage call that writes its object (ndp/substrrepl) goes as a read-write
// offload: the first one, sent read-only, comes back ("writes its object")
// and is sent again read-write at once; later ones go read-write from the
// start. The storage side writes the object, and only if the call is done
// there: a call given back leaves it to the caller.
TEST_F(OffloaderTest, StorageCallThatWritesItsObjectGoesReadWrite) {
  startOffloader();
  ASSERT_TRUE(compute_->functions().add(user_, "substrrepl", wasm("ndp/substrrepl")));
  ASSERT_TRUE(storageNode_->functions().proto(user_, "substrrepl"));
  std::string original;
  for (int i = 0; original.size() < 200'000; ++i)
    original += "w" + std::to_string(i % 97) + " ";
  std::string expected = original;
  size_t count = 0;
  for (size_t at = expected.find("w5 "); at != std::string::npos;
       at = expected.find("w5 ", at + 4), ++count)
    expected.replace(at, 3, "W5W ");
  ASSERT_GT(count, 0u);
  const std::string output = std::to_string(count) + " replacements, " +
                             std::to_string(expected.size()) + " bytes written";

  put("doc", original);
  size_t mark = CapturedLog::get().mark();
  auto first = sameAsLocal(
      "doc /w5 /W5W /",
      [&] {
        EXPECT_EQ(get("doc"), expected);  // written by the storage side
        put("doc", original);
      },
      "substrrepl");
  EXPECT_EQ(text(first.output), output);
  EXPECT_EQ(get("doc"), expected);
  EXPECT_EQ(offloader_->stats().offloaded, 1u);
  EXPECT_EQ(offloader_->stats().failed + offloader_->stats().refused, 0u);
  EXPECT_EQ(runtime_->stats().failed, 1u);  // the read-only attempt
  EXPECT_EQ(runtime_->stats().done, 1u);
  std::string log = CapturedLog::get().since(mark);
  EXPECT_NE(log.find("ndp: " + user_ +
                     "/substrrepl on 'doc' writes its object: sent again as a "
                     "read-write offload"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find(", read-write) in "), std::string::npos) << log;

  // The next call goes read-write at once.
  put("doc", original);
  EXPECT_EQ(text(call("substrrepl", "doc /w5 /W5W /").output), output);
  EXPECT_EQ(get("doc"), expected);
  EXPECT_EQ(runtime_->stats().failed, 1u);
  EXPECT_EQ(runtime_->stats().done, 2u);
  EXPECT_EQ(offloader_->stats().offloaded, 2u);

  // Given back (the runtime's hold time is over before the call runs): the
  // caller writes the object itself, once.
  runtimeSettings_.maxOffloadTime = std::chrono::milliseconds(0);
  restartRuntime();
  put("doc", original);
  EXPECT_EQ(text(call("substrrepl", "doc /w5 /W5W /").output), output);
  EXPECT_EQ(get("doc"), expected);
  EXPECT_EQ(offloader_->stats().offloaded, 2u);
  EXPECT_EQ(runtime_->stats().done, 0u);
}

// A storage call reads what it wrote to its object, offloaded as on the
// caller (the OSD applies the write only when the class call ends; the
// storage runtime serves the call's later reads from what it wrote).
TEST_F(OffloaderTest, StorageCallReadsWhatItWrote) {
  startOffloader();
  std::string object = objectOf(64 << 10);
  put("doc", object);
  auto out = sameAsLocal("write doc", [&] {
    EXPECT_EQ(get("doc"), "rewritten");  // written by the storage side
    put("doc", object);
  });
  EXPECT_EQ(text(out.output), expectedOutput(7, "rewritten", "0"));
  EXPECT_EQ(get("doc"), "rewritten");
  EXPECT_EQ(offloader_->stats().offloaded, 1u);
}

// Objects below fixed cost x link rate + the caller's delta + the expected
// result (before a function's first offload: the delta again) run locally,
// without asking the storage side; from there on they offload. A slower
// link lowers the threshold.
TEST_F(OffloaderTest, CostModelDecidesAtItsThreshold) {
  OffloaderSettings s;
  s.cost.fixedCost = 1s;  // 50,000 bytes at 400 kbit/s
  s.cost.linkBitsPerSecond = 400'000;
  startOffloader(s);
  uint64_t delta = callerDeltaBytes("count lo");
  ASSERT_EQ(callerDeltaBytes("count hi"), delta);  // the same caller memory for both keys
  const uint64_t threshold = 50'000 + delta + delta;
  std::string below = objectOf(threshold - 1), at = objectOf(threshold, 'b');
  put("lo", below);
  put("hi", at);

  EXPECT_EQ(text(sameAsLocal("count lo").output), expectedOutput(7, below));
  EXPECT_EQ(offloader_->stats().small, 1u);
  EXPECT_EQ(offloader_->stats().offloaded, 0u);
  EXPECT_EQ(runtime_->stats().received, 0u);  // not even asked

  EXPECT_EQ(text(sameAsLocal("count hi").output), expectedOutput(7, at));
  EXPECT_EQ(offloader_->stats().offloaded, 1u);
  EXPECT_EQ(runtime_->stats().done, 1u);

  // At 40 kbit/s the fixed cost is 5,000 bytes: the smaller object pays.
  s.cost.linkBitsPerSecond = 40'000;
  startOffloader(s);
  EXPECT_EQ(text(sameAsLocal("count lo").output), expectedOutput(7, below));
  EXPECT_EQ(offloader_->stats().offloaded, 1u);
  EXPECT_EQ(runtime_->stats().done, 2u);
}

// --ndp-force-offload (the benchmark's crossover sweep): an object far below
// the threshold offloads too.
TEST_F(OffloaderTest, ForcedOffloadIgnoresTheThreshold) {
  OffloaderSettings s;
  s.cost.fixedCost = 1s;  // 50,000 bytes at 400 kbit/s
  s.cost.linkBitsPerSecond = 400'000;
  s.cost.forceOffload = true;
  startOffloader(s);
  std::string small = objectOf(1000);
  put("lo", small);
  EXPECT_EQ(text(sameAsLocal("count lo").output), expectedOutput(7, small));
  EXPECT_EQ(offloader_->stats().small, 0u);
  EXPECT_EQ(offloader_->stats().offloaded, 1u);
  EXPECT_EQ(runtime_->stats().done, 1u);
}

// After an offload, the model expects the function's last result to come
// back: a function whose result (256 pages) outweighs what its object saves
// stops being offloaded.
TEST_F(OffloaderTest, CostModelExpectsTheFunctionsLastResult) {
  OffloaderSettings s;
  s.cost.fixedCost = 1s;
  s.cost.linkBitsPerSecond = 400'000;
  startOffloader(s);
  uint64_t delta = callerDeltaBytes("big doc");
  ASSERT_LT(delta, 512u << 10);
  // Pays with a result the size of the delta, not with one of 1 MiB.
  std::string object = objectOf(50'000 + 2 * delta + (64 << 10));
  put("doc", object);
  auto first = sameAsLocal("big doc");
  EXPECT_EQ(offloader_->stats().offloaded, 1u);
  auto second = sameAsLocal("big doc");
  EXPECT_EQ(text(second.output), text(first.output));
  EXPECT_EQ(offloader_->stats().offloaded, 1u);
  EXPECT_EQ(offloader_->stats().small, 1u);
  EXPECT_EQ(runtime_->stats().received, 1u);
}

// Memory the storage call wrote and zeroed again (it holds its snapshot
// contents) is not part of the result: the next call expects a small result
// and offloads again.
TEST_F(OffloaderTest, MemoryZeroedAgainDoesNotTravelBack) {
  OffloaderSettings s;
  s.cost.fixedCost = 1s;
  s.cost.linkBitsPerSecond = 400'000;
  startOffloader(s);
  uint64_t delta = callerDeltaBytes("wiped doc");
  ASSERT_LT(delta, 512u << 10);
  std::string object = objectOf(50'000 + 2 * delta + (64 << 10));
  put("doc", object);
  auto first = sameAsLocal("wiped doc");
  EXPECT_EQ(text(first.output), expectedOutput(7, object, "0"));
  auto second = sameAsLocal("wiped doc");
  EXPECT_EQ(text(second.output), text(first.output));
  EXPECT_EQ(offloader_->stats().offloaded, 2u);
  EXPECT_EQ(offloader_->stats().small, 0u);
}

// What the storage side cannot do as the caller would, it gives back
// (Failed), and the caller runs the function itself: touching another object
// or a /shared file, state, trapping. (Writing its object is sent again as a
// read-write offload: StorageCallThatWritesItsObjectGoesReadWrite.)
TEST_F(OffloaderTest, StorageSideGivesBackWhatItCannotRunAsTheCallerWould) {
  startOffloader();
  std::string object = objectOf(256 << 10), other = objectOf(1000, 'c');
  put("doc", object);
  put("doc.other", other);
  ASSERT_TRUE(compute_->objects().put(storage::kSharedFilesBucket, "ndp_calls.txt",
                                      bytesOf("shared-contents")));
  struct Case {
    std::string mode, output, reason;
  };
  std::vector<Case> cases = {
      {"other", expectedOutput(7, object, "1000"),
       "the storage call uses another object ('doc.other' in '" + user_ + "')"},
      {"shared", expectedOutput(7, object, "shared-contents"),
       "the storage call uses another object ('ndp_calls.txt' in '.shared')"},
      {"state", expectedOutput(7, object, "doc"), "the storage call uses state"},
      {"trap", expectedOutput(kStorageCallTrapped, object), "the storage call failed"},
  };
  uint64_t failed = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.mode);
    size_t log = CapturedLog::get().mark();
    auto out = sameAsLocal(c.mode + " doc");
    EXPECT_EQ(text(out.output), c.output);
    EXPECT_EQ(offloader_->stats().failed, ++failed);
    EXPECT_EQ(runtime_->stats().failed, failed);
    std::string said = CapturedLog::get().since(log);
    EXPECT_NE(said.find("ndp: " + user_ +
                        "/ndpcalls on 'doc' runs locally: failed on the storage "
                        "side: " +
                        c.reason),
              std::string::npos)
        << said;
    if (c.mode == "trap") {
      EXPECT_NE(out.stderrText.find("storage call trapped"), std::string::npos);
    }
  }
  EXPECT_EQ(offloader_->stats().offloaded, 0u);
}

// The runtime runs only the caller's code: with other code under the
// function's name in the store (it was replaced), it refuses, and the caller
// runs its own. Such a refusal is not for load: the next call asks again.
TEST_F(OffloaderTest, CodeHashMismatchRunsLocally) {
  startOffloader();
  std::string object = objectOf(64 << 10);
  put("doc", object);
  // The function replaced through the storage node: the compute node keeps
  // running the code it loaded (its hash travels with every offload).
  ASSERT_TRUE(storageNode_->functions().add(user_, "ndpcalls", wasm("test/ndpcalls2")));
  size_t log = CapturedLog::get().mark();
  EXPECT_EQ(text(sameAsLocal("count doc").output), expectedOutput(7, object));
  ASSERT_TRUE(runtime_->waitForLoads(kIo));  // its load of the caller's code failed
  EXPECT_EQ(text(sameAsLocal("count doc").output), expectedOutput(7, object));
  EXPECT_EQ(runtime_->stats().received, 2u);
  EXPECT_EQ(runtime_->stats().done, 0u);
  EXPECT_EQ(offloader_->stats().refused, 2u);
  EXPECT_EQ(offloader_->stats().backoff, 0u);
  std::string said = CapturedLog::get().since(log);
  EXPECT_NE(said.find("runs locally: refused by the storage side: loading function"),
            std::string::npos)
      << said;
  EXPECT_NE(said.find("runs locally: refused by the storage side: unknown function"),
            std::string::npos)
      << said;
}

// After a refusal for load (an overloaded runtime, or none beside the OSD)
// the worker runs storage calls locally for the back-off, without asking.
TEST_F(OffloaderTest, RefusalForLoadBacksOff) {
  EXPECT_EQ(CostModel{}.refusalBackoff, 1s);  // as docs/ndp.md says
  std::string object = objectOf(64 << 10);
  put("doc", object);
  OffloaderSettings s = offloadAll();
  s.cost.refusalBackoff = std::chrono::hours(1);
  for (bool overloaded : {true, false}) {
    SCOPED_TRACE(overloaded ? "an overloaded runtime" : "no runtime");
    runtime_.reset();
    if (overloaded) {
      runtimeSettings_.maxLoadPerCore = -1;  // any load is too much
      startRuntime();
    }
    startOffloader(s);
    size_t log = CapturedLog::get().mark();
    for (int i = 0; i < 3; ++i)
      EXPECT_EQ(text(sameAsLocal("count doc").output), expectedOutput(7, object));
    if (overloaded) {
      EXPECT_EQ(runtime_->stats().received, 1u);
    }
    EXPECT_EQ(offloader_->stats().refused, 1u);
    EXPECT_EQ(offloader_->stats().backoff, 2u);
    std::string said = CapturedLog::get().since(log);
    EXPECT_NE(
        said.find(overloaded ? "runs locally: refused by the storage side: overloaded: load"
                             : "runs locally: refused by the storage side: no storage runtime"),
        std::string::npos)
        << said;
  }
}

// Once the back-off has passed, the worker asks again.
TEST_F(OffloaderTest, BackOffEnds) {
  runtime_.reset();
  OffloaderSettings s = offloadAll();
  s.cost.refusalBackoff = 200ms;
  startOffloader(s);
  std::string object = objectOf(64 << 10);
  put("doc", object);
  EXPECT_EQ(text(sameAsLocal("count doc").output), expectedOutput(7, object));
  auto refusedAt = std::chrono::steady_clock::now();
  EXPECT_EQ(offloader_->stats().refused, 1u);  // no storage runtime
  // Not synchronisation: the behaviour under test is the back-off's end.
  std::this_thread::sleep_until(refusedAt + s.cost.refusalBackoff);
  startRuntime();
  EXPECT_EQ(text(sameAsLocal("count doc").output), expectedOutput(7, object));
  EXPECT_EQ(offloader_->stats().offloaded, 1u);
  EXPECT_EQ(offloader_->stats().backoff, 0u);
}

// A storage side that has not answered within the offloader's wait: the
// caller runs the function itself, and the storage side's late result is
// refused by the delta endpoint (the runtime's fetch of the delta fails).
TEST_F(OffloaderTest, SlowStorageSideRunsLocally) {
  OffloaderSettings s = offloadAll();
  s.execTimeout = 0ms;  // gives up at once
  startOffloader(s);
  std::string object = objectOf(64 << 10);
  put("doc", object);
  size_t log = CapturedLog::get().mark();
  EXPECT_EQ(text(sameAsLocal("count doc").output), expectedOutput(7, object));
  EXPECT_EQ(offloader_->stats().failed, 1u);
  EXPECT_EQ(offloader_->stats().offloaded, 0u);
  std::string said = CapturedLog::get().since(log);
  EXPECT_NE(said.find("ndp: " + user_ + "/ndpcalls on 'doc' runs locally: class call"),
            std::string::npos)
      << said;
  EXPECT_NE(said.find("timed out"), std::string::npos) << said;
  ASSERT_TRUE(runtime_->waitForVerdicts(1, kIo));
  EXPECT_EQ(runtime_->stats().done, 0u);
}

// The caller's own deadline passing while the storage side runs its call
// ends the wait: the call fails with a timeout then, while the storage side
// still holds the call (the caller does not wait for it to give the call
// back), and the function is not run again locally.
TEST_F(OffloaderTest, CallersDeadlineEndsTheWait) {
  runtimeSettings_.maxOffloadTime = 3s;  // ten times the caller's deadline
  restartRuntime();
  startOffloader();
  put("doc", objectOf(64 << 10));
  auto out = call("ndpcalls", "spin doc", false, 300ms);
  EXPECT_EQ(runtime_->stats().received, 0u) << "the call waited for the storage side's verdict";
  EXPECT_EQ(out.returnValue, 1);
  EXPECT_NE(out.error.find("the call's deadline passed during a storage call"), std::string::npos)
      << out.error;
  EXPECT_EQ(
      offloader_->stats().offloaded + offloader_->stats().failed + offloader_->stats().refused, 0u);
  // The storage side gives the call back at its own limit.
  ASSERT_TRUE(runtime_->waitForVerdicts(1, kIo));
  EXPECT_EQ(runtime_->stats().refused, 1u);
}

// A missing object: the function's own answer, without asking the storage side.
TEST_F(OffloaderTest, MissingObjectRunsLocally) {
  startOffloader();
  auto out = sameAsLocal("count nothing-here");
  EXPECT_EQ(text(out.output), "rc=-1 len=0 hash=00000000 extra=-");
  EXPECT_EQ(runtime_->stats().received, 0u);
  EXPECT_EQ(offloader_->stats().failed, 0u);
}

}  // namespace
}  // namespace nearfaas::ndp
