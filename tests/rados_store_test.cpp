// RadosStore against a real Ceph cluster: the ObjectStore contract
// (store_contract_test.cpp), what is particular to RADOS (128 MiB objects in
// one op, flat names, the layout the object class relies on, open failures),
// durability across an OSD crash, and bounded errors from a dead cluster.
//
// The binary brings up its own clusters with scripts/ceph.sh in temporary
// directories: a memstore one for the whole run (a global environment) and a
// file-backed one for the durability tests. If Ceph cannot start, the tests
// fail; they are never skipped. The clusters are taken down at the end, and
// by ceph.sh's owner watcher if this process dies first.
#include <gtest/gtest.h>
#include <unistd.h>
#include <rados/librados.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/process.h"
#include "ceph_cluster.h"
#include "sched/node.h"
#include "storage/rados_store.h"
#include "store_contract.h"

namespace nearfaas::storage::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kPool = "nearfaas";

using nearfaas::test::CephCluster;

// Direct librados access to the test pool, beside the store: to empty it
// between tests and to see what the store wrote where.
class PoolAdmin {
 public:
  Result<void> connect(const fs::path& conf) {
    int r = rados_.init2("client.admin", "ceph", 0);
    if (r == 0) r = rados_.conf_read_file(conf.c_str());
    if (r == 0) r = rados_.conf_set("rados_osd_op_timeout", "30");
    if (r == 0) r = rados_.conf_set("client_mount_timeout", "30");
    if (r == 0) r = rados_.connect();
    if (r == 0) r = rados_.ioctx_create(std::string(kPool).c_str(), pool_);
    if (r < 0) return fail("librados: ", std::strerror(-r));
    return {};
  }

  // Every object of the pool as (namespace, name).
  Result<std::vector<std::pair<std::string, std::string>>> all() {
    librados::IoCtx io;
    io.dup(pool_);
    io.set_namespace(librados::all_nspaces);
    std::vector<std::pair<std::string, std::string>> out;
    librados::ObjectCursor cursor = io.object_list_begin();
    while (!io.object_list_is_end(cursor)) {
      std::vector<librados::ObjectItem> page;
      librados::ObjectCursor next;
      int r = io.object_list(cursor, io.object_list_end(), 1000, {}, &page, &next);
      if (r < 0) return fail("object_list: ", std::strerror(-r));
      for (auto& item : page)
        out.emplace_back(item.nspace, item.oid);
      cursor = next;
    }
    return out;
  }

  Result<void> wipe() {
    auto objects = all();
    if (!objects) return std::unexpected(objects.error());
    for (const auto& [ns, oid] : *objects) {
      librados::IoCtx io;
      io.dup(pool_);
      io.set_namespace(ns);
      int r = io.remove(oid);
      if (r < 0 && r != -ENOENT) return fail("remove ", ns, "/", oid, ": ", std::strerror(-r));
    }
    return {};
  }

  // The bytes of object `oid` in namespace `ns`, read by librados directly.
  Result<std::string> read(const std::string& ns, const std::string& oid) {
    librados::IoCtx io;
    io.dup(pool_);
    io.set_namespace(ns);
    librados::bufferlist bl;
    int r = io.read(oid, bl, 0, 0);
    if (r < 0) return fail("read ", ns, "/", oid, ": ", std::strerror(-r));
    return bl.to_str();
  }

 private:
  librados::Rados rados_;  // before pool_: closed after it
  librados::IoCtx pool_;
};

// The memstore cluster shared by the whole binary. If it cannot start, every
// test that needs it fails with the reason (a failure here would make gtest
// report them as skipped).
class CephEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    auto t0 = Clock::now();
    cluster_ = CephCluster::start("memstore", error_);
    if (!cluster_) {
      error_ = "cannot bring up a Ceph cluster:\n" + error_;
      return;
    }
    admin_ = std::make_unique<PoolAdmin>();
    if (auto ok = admin_->connect(cluster_->conf()); !ok) {
      error_ = "cannot connect to the Ceph cluster: " + ok.error().message;
      admin_.reset();
      cluster_.reset();
      return;
    }
    std::printf("[ ceph     ] memstore cluster up in %.1f s: %s\n",
                std::chrono::duration<double>(Clock::now() - t0).count(), cluster_->conf().c_str());
  }
  void TearDown() override {
    admin_.reset();  // disconnect before the cluster goes
    cluster_.reset();
  }

  static CephEnvironment* get() { return instance_; }
  // Null if the cluster is not up; error() says why.
  CephCluster* cluster() { return cluster_.get(); }
  const std::string& error() const { return error_; }
  PoolAdmin& admin() { return *admin_; }

  static CephEnvironment* instance_;

 private:
  std::unique_ptr<CephCluster> cluster_;
  std::unique_ptr<PoolAdmin> admin_;
  std::string error_;
};

CephEnvironment* CephEnvironment::instance_ =
    static_cast<CephEnvironment*>(::testing::AddGlobalTestEnvironment(new CephEnvironment));

RadosConfig configFor(const fs::path& conf, const StoreLimits& limits = RadosConfig{}.limits) {
  RadosConfig config;
  config.confPath = conf;
  config.pool = std::string(kPool);
  config.limits = limits;
  return config;
}

// Each backend instance starts from an empty pool.
class RadosBackend final : public StoreBackend {
 public:
  // Only made while the cluster is up (see makeRadosBackend).
  RadosBackend() {
    auto wiped = CephEnvironment::get()->admin().wipe();
    if (!wiped) ADD_FAILURE() << "cannot empty the pool: " << wiped.error().message;
  }
  StoreResult<std::unique_ptr<ObjectStore>> open(const StoreLimits& limits) override {
    auto* cluster = CephEnvironment::get()->cluster();
    if (!cluster) return storeFail(StoreErrorCode::Io, CephEnvironment::get()->error());
    auto s = RadosStore::open(configFor(cluster->conf(), limits));
    if (!s) return std::unexpected(s.error());
    return std::unique_ptr<ObjectStore>(std::move(*s));
  }
  StoreLimits defaultLimits() const override { return RadosConfig{}.limits; }
  std::vector<std::string> allObjects() override {
    std::vector<std::string> out;
    auto objects = CephEnvironment::get()->admin().all();
    if (!objects) {
      ADD_FAILURE() << objects.error().message;
      return {"<error>"};
    }
    for (const auto& [ns, oid] : *objects)
      out.push_back(ns + "/" + oid);
    std::sort(out.begin(), out.end());
    return out;
  }
};

std::unique_ptr<StoreBackend> makeRadosBackend() {
  if (!CephEnvironment::get()->cluster()) {
    ADD_FAILURE() << CephEnvironment::get()->error();
    return nullptr;
  }
  return std::make_unique<RadosBackend>();
}

INSTANTIATE_TEST_SUITE_P(Rados, StoreContractTest,
                         ::testing::Values(BackendParam{"Rados", makeRadosBackend}), backendName);

double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

class RadosStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(CephEnvironment::get()->cluster()) << CephEnvironment::get()->error();
    auto wiped = CephEnvironment::get()->admin().wipe();
    ASSERT_TRUE(wiped.has_value()) << wiped.error().message;
    auto s = RadosStore::open(configFor(conf()));
    ASSERT_TRUE(s.has_value()) << s.error().message;
    store_ = std::move(*s);
  }
  const fs::path& conf() { return CephEnvironment::get()->cluster()->conf(); }

  std::unique_ptr<RadosStore> store_;
};

TEST_F(RadosStoreTest, DefaultLimitObjectsRoundTripInOneOp) {
  ASSERT_EQ(store_->limits().maxObjectSize, 128ull << 20);
  Bytes data(kRadosMaxObjectSize);
  for (size_t i = 0; i < data.size(); i += 4096)
    data[i] = static_cast<uint8_t>(i >> 12);
  data.back() = 0x5a;
  auto t0 = Clock::now();
  auto put = store_->put("big", "max", data);
  ASSERT_TRUE(put.has_value()) << put.error().message;
  double putSeconds = secondsSince(t0);
  t0 = Clock::now();
  auto got = store_->get("big", "max");
  ASSERT_TRUE(got.has_value()) << got.error().message;
  double getSeconds = secondsSince(t0);
  EXPECT_TRUE(*got == data);
  std::printf("[ timing   ] 128 MiB put %.2f s, get %.2f s\n", putSeconds, getSeconds);
  EXPECT_EQ(store_->stat("big", "max")->size, data.size());
  auto tail = store_->getRange("big", "max", data.size() - 3, 100);
  ASSERT_TRUE(tail.has_value());
  EXPECT_EQ(*tail, Bytes(data.end() - 3, data.end()));

  // One byte more is refused before anything reaches the cluster.
  data.push_back(1);
  EXPECT_EQ(codeOf(store_->put("big", "max", data)), StoreErrorCode::TooLarge);
  EXPECT_EQ(store_->stat("big", "max")->size, data.size() - 1);
}

// A store allowed more than the cluster accepts in one write gets TooLarge
// from the cluster (scripts/ceph.sh: osd max write size 256 MiB), and the
// object keeps its old contents.
TEST_F(RadosStoreTest, ClusterRefusingAWriteGivesTooLarge) {
  StoreLimits limits = RadosConfig{}.limits;
  limits.maxObjectSize = 512ull << 20;
  auto big = RadosStore::open(configFor(conf(), limits));
  ASSERT_TRUE(big.has_value()) << big.error().message;
  ASSERT_TRUE((*big)->put("b", "k", bytesOf("old")).has_value());
  Bytes data((256ull << 20) + 1);
  auto put = (*big)->put("b", "k", data);
  ASSERT_FALSE(put.has_value());
  EXPECT_EQ(put.error().code, StoreErrorCode::TooLarge) << put.error().message;
  EXPECT_NE(put.error().message.find("osd_max_write_size"), std::string::npos)
      << put.error().message;
  EXPECT_EQ(textOf(*(*big)->get("b", "k")), "old");
}

// Names are flat in RADOS: an object and objects "below" it coexist.
// Workers sharing a cluster share generated code: a second node, with an
// empty code cache of its own, runs a function with the code the first one
// generated and generates nothing itself.
TEST_F(RadosStoreTest, NodesShareGeneratedCode) {
  auto wasm = readFile(fs::path(NEARFAAS_FUNC_DIR) / "demo/hello.wasm");
  ASSERT_TRUE(wasm.has_value()) << wasm.error().message;
  char pattern[] = "/tmp/nearfaas-share-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  fs::path root = pattern;
  auto openNode = [&](const std::string& name) {
    sched::NodeConfig c;
    c.dataDir = root / name;
    c.codeCacheDir = root / name / "code";
    c.scheduler.slots = 1;
    c.codeSharingSecret = "rados-test-cluster-secret";
    auto store = RadosStore::open(configFor(conf()));
    EXPECT_TRUE(store.has_value()) << store.error().message;
    return sched::Node::open(c, std::move(*store));
  };
  {
    auto first = openNode("first");
    ASSERT_TRUE(first.has_value()) << first.error().message;
    ASSERT_TRUE((*first)->functions().add("demo", "hello", *wasm).has_value());
    EXPECT_EQ((*first)->engine().stats().compiled.load(), 1u);
    auto second = openNode("second");
    ASSERT_TRUE(second.has_value()) << second.error().message;
    host::CallOutcome out = (*second)->scheduler().call({"demo", "hello"});
    EXPECT_EQ(out.error, "");
    EXPECT_EQ(std::string(out.output.begin(), out.output.end()), "Hello Faasm!");
    EXPECT_EQ((*second)->engine().stats().compiled.load(), 0u);
    EXPECT_EQ((*second)->engine().stats().diskHits.load(), 1u);
  }
  fs::remove_all(root);
}

TEST_F(RadosStoreTest, KeysAreFlatNames) {
  ASSERT_TRUE(store_->put("b", "a", bytesOf("1")).has_value());
  ASSERT_TRUE(store_->put("b", "a/b", bytesOf("2")).has_value());
  ASSERT_TRUE(store_->put("b", "a/b/c", bytesOf("3")).has_value());
  EXPECT_EQ(textOf(*store_->get("b", "a")), "1");
  EXPECT_EQ(textOf(*store_->get("b", "a/b")), "2");
  EXPECT_EQ(*store_->list("b", "a"), (std::vector<std::string>{"a", "a/b", "a/b/c"}));
  ASSERT_TRUE(store_->remove("b", "a").has_value());
  EXPECT_EQ(textOf(*store_->get("b", "a/b/c")), "3");
}

// The object class and other RADOS clients find an object under its key, in
// the bucket's namespace of the pool, holding exactly its bytes.
TEST_F(RadosStoreTest, ObjectIsKeyInBucketNamespace) {
  ASSERT_TRUE(store_->put("demo", "dir/obj.txt", bytesOf("contents")).has_value());
  auto& admin = CephEnvironment::get()->admin();
  auto all = admin.all();
  ASSERT_TRUE(all.has_value()) << all.error().message;
  EXPECT_EQ(*all, (std::vector<std::pair<std::string, std::string>>{{"demo", "dir/obj.txt"}}));
  auto raw = admin.read("demo", "dir/obj.txt");
  ASSERT_TRUE(raw.has_value()) << raw.error().message;
  EXPECT_EQ(*raw, "contents");
}

// Objects that other RADOS clients put into a bucket's namespace under names
// the store cannot address are not listed.
TEST_F(RadosStoreTest, ListSkipsNamesTheStoreCannotAddress) {
  ASSERT_TRUE(store_->put("b", "ok", {}).has_value());
  librados::Rados rados;
  ASSERT_EQ(rados.init2("client.admin", "ceph", 0), 0);
  ASSERT_EQ(rados.conf_read_file(conf().c_str()), 0);
  ASSERT_EQ(rados.connect(), 0);
  librados::IoCtx io;
  ASSERT_EQ(rados.ioctx_create(std::string(kPool).c_str(), io), 0);
  io.set_namespace("b");
  librados::bufferlist bl;
  for (const char* name : {"a//b", "/abs", "x/../y", ".nftmp-1"})
    ASSERT_EQ(io.write_full(name, bl), 0) << name;
  EXPECT_EQ(*store_->list("b", ""), std::vector<std::string>{"ok"});
}

TEST_F(RadosStoreTest, OpenFailsCleanly) {
  struct Case {
    std::string what;
    RadosConfig config;
    StoreErrorCode code;
  };
  RadosConfig noConf = configFor("");
  RadosConfig missingConf = configFor("/nonexistent/ceph.conf");
  RadosConfig missingPool = configFor(conf());
  missingPool.pool = "no-such-pool";
  RadosConfig hugeLimit = configFor(conf());
  hugeLimit.limits.maxObjectSize = 5ull << 30;
  for (const Case& c : std::vector<Case>{{"no conf", noConf, StoreErrorCode::Io},
                                         {"missing conf", missingConf, StoreErrorCode::Io},
                                         {"missing pool", missingPool, StoreErrorCode::Io},
                                         {"huge limit", hugeLimit, StoreErrorCode::TooLarge}}) {
    SCOPED_TRACE(c.what);
    auto s = RadosStore::open(c.config);
    ASSERT_FALSE(s.has_value());
    EXPECT_EQ(s.error().code, c.code) << s.error().message;
    EXPECT_FALSE(s.error().message.empty());
  }
  auto s = RadosStore::open(missingPool);
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message.find("no-such-pool"), std::string::npos) << s.error().message;
}

// ---- durability and failures, on a file-backed cluster of their own --------

class RadosClusterFailureTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto t0 = Clock::now();
    std::string error;
    cluster_ = CephCluster::start("file", error).release();
    if (!cluster_) {
      startError_ = new std::string(error);
      return;
    }
    std::printf("[ ceph     ] file-backed cluster up in %.1f s\n", secondsSince(t0));
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
    delete startError_;
    startError_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(cluster_) << "cannot bring up a file-backed Ceph cluster:\n"
                          << (startError_ ? *startError_ : "");
  }

  // A store whose every RADOS call gives up after `seconds`.
  std::unique_ptr<RadosStore> open(int seconds) {
    RadosConfig config = configFor(cluster_->conf());
    config.timeouts = {.connect = std::chrono::seconds(seconds),
                       .monOp = std::chrono::seconds(seconds),
                       .osdOp = std::chrono::seconds(seconds)};
    auto s = RadosStore::open(config);
    EXPECT_TRUE(s.has_value()) << s.error().message;
    return s ? std::move(*s) : nullptr;
  }

  static CephCluster* cluster_;
  static std::string* startError_;
};

CephCluster* RadosClusterFailureTest::cluster_ = nullptr;
std::string* RadosClusterFailureTest::startError_ = nullptr;

// A writer puts objects without pause while the OSD is killed (SIGKILL, as
// in a crash) and started again. Every put that succeeded must be readable
// afterwards, whole; a put that failed may have happened or not, but never
// partly. The writer's own client must recover without being reopened.
TEST_F(RadosClusterFailureTest, OsdCrashLosesNoAcknowledgedObject) {
  auto store = open(3);
  ASSERT_TRUE(store);
  std::mutex mu;
  std::vector<uint32_t> acked, failed;  // guarded by mu
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (uint32_t i = 0; !stop.load(); ++i) {
      bool ok = store->put("durable", "k" + std::to_string(i), makeVersion(7, i)).has_value();
      std::lock_guard lock(mu);
      (ok ? acked : failed).push_back(i);
    }
  });
  auto ackedCount = [&] {
    std::lock_guard lock(mu);
    return acked.size();
  };
  auto waitForAcks = [&](size_t n, std::chrono::seconds bound) {
    auto deadline = Clock::now() + bound;
    while (ackedCount() < n && Clock::now() < deadline)
      std::this_thread::sleep_for(10ms);
    return ackedCount() >= n;
  };

  bool before = waitForAcks(50, 20s);
  auto t0 = Clock::now();
  auto restart = cluster_->run({"restart-osd", "--kill"});
  double restartSeconds = secondsSince(t0);
  size_t ackedAtRestart = ackedCount();
  // The same client goes on writing once the OSD is back.
  bool after = waitForAcks(ackedAtRestart + 50, 30s);
  stop = true;
  writer.join();
  ASSERT_TRUE(before) << "puts did not succeed before the crash";
  ASSERT_TRUE(restart.has_value()) << restart.error().message;
  EXPECT_TRUE(after) << "the writer's client did not recover after the OSD restarted";
  std::printf(
      "[ timing   ] OSD killed and restarted in %.1f s; %zu puts acknowledged, %zu failed\n",
      restartSeconds, acked.size(), failed.size());

  // A new client sees every acknowledged object whole.
  auto reader = open(10);
  ASSERT_TRUE(reader);
  int lost = 0, wrong = 0;
  for (uint32_t i : acked) {
    auto got = reader->get("durable", "k" + std::to_string(i));
    if (!got)
      ++lost;
    else if (*got != makeVersion(7, i))
      ++wrong;
  }
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(wrong, 0);
  for (uint32_t i : failed) {
    auto got = reader->get("durable", "k" + std::to_string(i));
    if (got) {
      EXPECT_EQ(*got, makeVersion(7, i)) << "failed put k" << i << " left a partial object";
    } else {
      EXPECT_EQ(got.error().code, StoreErrorCode::NotFound) << got.error().message;
    }
  }
  EXPECT_EQ(reader->list("durable", "")->size(),
            acked.size() + std::count_if(failed.begin(), failed.end(), [&](uint32_t i) {
              return reader->stat("durable", "k" + std::to_string(i)).has_value();
            }));
}

// With the OSD and then the monitor stopped, every call returns an Io error
// within its timeout instead of hanging; `up` brings the cluster back with
// the data.
TEST_F(RadosClusterFailureTest, DeadClusterGivesIoErrorWithinTimeout) {
  constexpr int kTimeout = 2;
  // The bound allows for a loaded machine; a hang would exceed it by far.
  constexpr double kBound = kTimeout + 4.0;
  auto store = open(kTimeout);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->put("b", "k", bytesOf("survives")).has_value());

  auto expectIoInTime = [&](const char* what, auto&& call) {
    auto t0 = Clock::now();
    auto r = call();
    double s = secondsSince(t0);
    EXPECT_FALSE(r.has_value()) << what << " succeeded on a dead cluster";
    if (!r) {
      EXPECT_EQ(r.error().code, StoreErrorCode::Io) << what << ": " << r.error().message;
      EXPECT_NE(r.error().message.find("timed out"), std::string::npos) << r.error().message;
    }
    EXPECT_LT(s, kBound) << what << " took " << s << " s";
    std::printf("[ timing   ] %s failed after %.1f s\n", what, s);
  };

  auto stopOsd = cluster_->run({"stop-osd", "--kill"});
  ASSERT_TRUE(stopOsd.has_value()) << stopOsd.error().message;
  expectIoInTime("get, OSD down", [&] { return store->get("b", "k"); });
  expectIoInTime("put, OSD down", [&] { return store->put("b", "k2", bytesOf("x")); });
  expectIoInTime("list, OSD down", [&] { return store->list("b", ""); });

  auto stopMon = cluster_->run({"stop-mon", "--kill"});
  ASSERT_TRUE(stopMon.has_value()) << stopMon.error().message;
  expectIoInTime("stat, all down", [&] { return store->stat("b", "k"); });
  expectIoInTime("open, all down", [&] {
    RadosConfig config = configFor(cluster_->conf());
    config.timeouts = {.connect = std::chrono::seconds(kTimeout),
                       .monOp = std::chrono::seconds(kTimeout),
                       .osdOp = std::chrono::seconds(kTimeout)};
    return RadosStore::open(config);
  });
  // Closing a client of a dead cluster does not hang either.
  auto t0 = Clock::now();
  store.reset();
  EXPECT_LT(secondsSince(t0), kBound);

  auto up = cluster_->run({"up"});
  ASSERT_TRUE(up.has_value()) << up.error().message;
  auto again = open(10);
  ASSERT_TRUE(again);
  auto got = again->get("b", "k");
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(textOf(*got), "survives");
}

}  // namespace
}  // namespace nearfaas::storage::test
