// Generated code shared through the object store: only code whose MAC under
// the cluster's secret verifies is loaded; anything else is refused and
// generated again. Two nodes share one directory store here (the RADOS store
// runs the same path in rados_store_test.cpp).
#include "sched/shared_code.h"

#include <gtest/gtest.h>

#include "sched/node.h"
#include "storage/buckets.h"
#include "test_env.h"

namespace nearfaas::sched {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSecret = "0123456789abcdef-cluster-secret";

class SharedCodeTest : public ::testing::Test {
 protected:
  // A node of the shared store with a code cache of its own.
  std::unique_ptr<Node> node(const std::string& name, std::string secret = kSecret) {
    NodeConfig c;
    c.dataDir = dir_.path() / "shared";
    c.codeCacheDir = dir_.path() / name;
    c.scheduler.slots = 1;
    c.codeSharingSecret = std::move(secret);
    auto n = Node::open(c);
    EXPECT_TRUE(n) << n.error().message;
    return n ? std::move(*n) : nullptr;
  }
  static std::string hello(Node& n) {
    auto out = n.scheduler().call({"demo", "hello"});
    EXPECT_EQ(out.error, "");
    return std::string(out.output.begin(), out.output.end());
  }
  // The one object of the code bucket.
  std::string codeObjectName(Node& n) {
    auto keys = n.objects().list(storage::kCodeBucket, "");
    EXPECT_TRUE(keys);
    EXPECT_EQ(keys ? keys->size() : 0u, 1u);
    return keys && !keys->empty() ? keys->front() : std::string();
  }
  void putCodeObject(Node& n, const std::string& name, std::string_view object) {
    auto bytes = std::span(reinterpret_cast<const uint8_t*>(object.data()), object.size());
    ASSERT_TRUE(n.objects().put(storage::kCodeBucket, name, bytes));
  }

  test::TempDir dir_;
  Bytes wasm_ = *readFile(fs::path(NEARFAAS_FUNC_DIR) / "demo/hello.wasm");
  Bytes other_ = *readFile(fs::path(NEARFAAS_FUNC_DIR) / "demo/echo.wasm");
};

TEST_F(SharedCodeTest, NodesLoadVerifiedCodeWithoutGenerating) {
  auto first = node("first");
  ASSERT_TRUE(first);
  ASSERT_TRUE(first->functions().add("demo", "hello", wasm_));
  EXPECT_EQ(first->functions().sharedCode()->stats().published, 1u);
  auto second = node("second");
  ASSERT_TRUE(second);
  EXPECT_EQ(hello(*second), "Hello Faasm!");
  EXPECT_EQ(second->engine().stats().compiled, 0u);
  EXPECT_EQ(second->functions().sharedCode()->stats().fetched, 1u);
}

// Whoever can write the store must not get code run: a shared object whose
// code was replaced (here by another module's valid code, keeping the header
// and MAC of the original) is refused, generated locally and published again.
TEST_F(SharedCodeTest, TamperedCodeIsRefusedAndRegenerated) {
  auto first = node("first");
  ASSERT_TRUE(first);
  ASSERT_TRUE(first->functions().add("demo", "hello", wasm_));
  std::string name = codeObjectName(*first);
  auto original = first->objects().get(storage::kCodeBucket, name);
  ASSERT_TRUE(original);
  auto foreign = first->engine().load(other_);
  ASSERT_TRUE(foreign);
  auto foreignCode = readFile((*foreign)->objectPath());
  ASSERT_TRUE(foreignCode);
  std::string stored(original->begin(), original->end());
  std::string header = stored.substr(0, stored.find('\n') + 1);
  putCodeObject(*first, name, header + std::string(foreignCode->begin(), foreignCode->end()));

  auto second = node("second");
  ASSERT_TRUE(second);
  EXPECT_EQ(hello(*second), "Hello Faasm!");
  EXPECT_EQ(second->functions().sharedCode()->stats().refused, 1u);
  EXPECT_EQ(second->engine().stats().compiled, 1u);
  // Published again over the bad copy: a third node loads it.
  auto third = node("third");
  ASSERT_TRUE(third);
  EXPECT_EQ(hello(*third), "Hello Faasm!");
  EXPECT_EQ(third->functions().sharedCode()->stats().refused, 0u);
  EXPECT_EQ(third->engine().stats().compiled, 0u);
}

// A MAC made with another secret, a missing header and a truncated object
// are all refused.
TEST_F(SharedCodeTest, ForgedOrDamagedObjectsAreRefused) {
  auto first = node("first");
  ASSERT_TRUE(first);
  ASSERT_TRUE(first->functions().add("demo", "hello", wasm_));
  std::string name = codeObjectName(*first);
  auto code = readFile(first->engine().cachedObjectPath(wasm_));
  ASSERT_TRUE(code);
  std::string codeText(code->begin(), code->end());
  SharedCode forger(first->objects(), "another-secret-of-16+bytes");
  auto forgedMac = forger.mac(name, codeText);
  ASSERT_TRUE(forgedMac);
  std::vector<std::string> bad = {SharedCode::encode(*forgedMac, codeText), codeText,
                                  "NFCODE1 short"};
  for (size_t i = 0; i < bad.size(); ++i) {
    SCOPED_TRACE(i);
    putCodeObject(*first, name, bad[i]);
    auto n = node("n" + std::to_string(i));
    ASSERT_TRUE(n);
    EXPECT_EQ(hello(*n), "Hello Faasm!");
    EXPECT_EQ(n->functions().sharedCode()->stats().refused, 1u);
    EXPECT_EQ(n->engine().stats().compiled, 1u);
  }
}

TEST_F(SharedCodeTest, WithoutASecretNothingIsShared) {
  auto first = node("first", "");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->functions().sharedCode(), nullptr);
  ASSERT_TRUE(first->functions().add("demo", "hello", wasm_));
  auto keys = first->objects().list(storage::kCodeBucket, "");
  EXPECT_TRUE(!keys || keys->empty());
  // Nor does a node without the secret load what others shared.
  auto sharing = node("sharing");
  ASSERT_TRUE(sharing);
  EXPECT_EQ(hello(*sharing), "Hello Faasm!");  // generates and publishes
  auto second = node("second", "");
  ASSERT_TRUE(second);
  EXPECT_EQ(hello(*second), "Hello Faasm!");
  EXPECT_EQ(second->engine().stats().compiled, 1u);
}

TEST_F(SharedCodeTest, ShortSecretIsRefused) {
  NodeConfig c;
  c.dataDir = dir_.path() / "shared";
  c.codeSharingSecret = "short";
  auto n = Node::open(c);
  ASSERT_FALSE(n);
  EXPECT_NE(n.error().message.find("at least 16"), std::string::npos) << n.error().message;
}

}  // namespace
}  // namespace nearfaas::sched
