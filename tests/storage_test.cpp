// Object store: the ObjectStore contract against DirectoryStore
// (store_contract_test.cpp), and what is particular to DirectoryStore: its
// layout on disk, confinement against planted symlinks, invisible in-flight
// writes, pruning of emptied directories, and file/directory conflicts. Also
// the user-name rule of buckets.h.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "storage/buckets.h"
#include "storage/directory_store.h"
#include "store_contract.h"

namespace nearfaas::storage::test {
namespace {

namespace fs = std::filesystem;

std::string readText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void writeText(const fs::path& p, std::string_view s) {
  std::ofstream out(p, std::ios::binary);
  out << s;
}

// A fresh temporary directory, removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (fs::temp_directory_path() / "nf-storage-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

class DirectoryBackend final : public StoreBackend {
 public:
  StoreResult<std::unique_ptr<ObjectStore>> open(const StoreLimits& limits) override {
    auto s = DirectoryStore::open(root(), {.limits = limits});
    if (!s) return std::unexpected(s.error());
    return std::unique_ptr<ObjectStore>(std::move(*s));
  }
  StoreLimits defaultLimits() const override { return {}; }
  // Every file below the root, temporary files included.
  std::vector<std::string> allObjects() override {
    std::vector<std::string> out;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root(), ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_directory()) out.push_back(fs::relative(it->path(), root()).string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  fs::path root() const { return dir_.path() / "store"; }
  ScratchDir dir_;
};

INSTANTIATE_TEST_SUITE_P(Directory, StoreContractTest,
                         ::testing::Values(BackendParam{
                             "Directory", [] { return std::make_unique<DirectoryBackend>(); }}),
                         backendName);

class DirectoryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.path() / "store";
    outside_ = dir_.path() / "outside";
    fs::create_directories(outside_);
    auto s = DirectoryStore::open(root_);
    ASSERT_TRUE(s.has_value()) << s.error().message;
    store_ = std::move(*s);
  }

  void put(std::string_view bucket, std::string_view key, std::string_view data) {
    auto r = store_->put(bucket, key, bytesOf(data));
    ASSERT_TRUE(r.has_value()) << r.error().message;
  }

  ScratchDir dir_;
  fs::path root_, outside_;
  std::unique_ptr<DirectoryStore> store_;
};

TEST_F(DirectoryStoreTest, LayoutIsBucketThenKey) {
  put("demo", "hello/function.wasm", "code");
  EXPECT_EQ(readText(root_ / "demo" / "hello" / "function.wasm"), "code");
  put("b", "a\\..\\b", "x");  // a backslash is part of the file name
  EXPECT_TRUE(fs::is_regular_file(root_ / "b" / "a\\..\\b"));
  // Reads of missing buckets create nothing.
  EXPECT_FALSE(store_->get("nobucket", "k").has_value());
  EXPECT_TRUE(store_->list("nobucket", "")->empty());
  EXPECT_FALSE(fs::exists(root_ / "nobucket"));
}

TEST_F(DirectoryStoreTest, SymlinksInsideTheStoreAreNotFollowed) {
  writeText(outside_ / "secret", "outside data");
  put("b", "real", "inside");
  // A link to an outside directory in place of a key directory, one to an
  // outside file in place of an object, and one in place of a bucket.
  fs::create_directory_symlink(outside_, root_ / "b" / "dirlink");
  fs::create_symlink(outside_ / "secret", root_ / "b" / "filelink");
  fs::create_directory_symlink(outside_, root_ / "evil");

  struct Case {
    std::string bucket, key;
  };
  for (const Case& c : std::vector<Case>{{"b", "dirlink/secret"},
                                         {"b", "filelink"},
                                         {"evil", "secret"},
                                         {"b", "dirlink/new"},
                                         {"evil", "new"},
                                         {"evil", "sub/new"}}) {
    SCOPED_TRACE(c.bucket + "/" + c.key);
    auto got = store_->get(c.bucket, c.key);
    EXPECT_FALSE(got.has_value()) << "read through a symlink: " << textOf(*got);
    EXPECT_FALSE(store_->getRange(c.bucket, c.key, 0, 100).has_value());
    EXPECT_FALSE(store_->stat(c.bucket, c.key).has_value());
    auto put = store_->put(c.bucket, c.key, bytesOf("overwritten"));
    EXPECT_FALSE(put.has_value()) << "wrote through a symlink";
    if (!put) {
      EXPECT_EQ(put.error().code, StoreErrorCode::Io) << put.error().message;
    }
    EXPECT_FALSE(store_->remove(c.bucket, c.key).has_value());
  }
  EXPECT_EQ(codeOf(store_->get("b", "filelink")), StoreErrorCode::Io);

  // Outside untouched: same file, same contents, nothing new.
  EXPECT_EQ(readText(outside_ / "secret"), "outside data");
  std::vector<std::string> outsideNames;
  for (const auto& e : fs::directory_iterator(outside_))
    outsideNames.push_back(e.path().filename().string());
  EXPECT_EQ(outsideNames, std::vector<std::string>{"secret"});
  // The links themselves are still links, and are not objects.
  EXPECT_TRUE(fs::is_symlink(root_ / "b" / "filelink"));
  EXPECT_TRUE(fs::is_symlink(root_ / "b" / "dirlink"));
  EXPECT_EQ(*store_->list("b", ""), std::vector<std::string>{"real"});
  EXPECT_TRUE(store_->list("evil", "")->empty());
  EXPECT_TRUE(store_->list("b", "dirlink/")->empty());
}

TEST_F(DirectoryStoreTest, InFlightWritesAreNeverListed) {
  put("b", "u/a", "1");
  put("b", "top", "2");
  // What a write in progress (or one cut short by a crash) leaves behind.
  writeText(root_ / "b" / "u" / (std::string(kReservedComponentPrefix) + "123-abc-0"), "partial");
  writeText(root_ / "b" / (std::string(kReservedComponentPrefix) + "9"), "partial");
  EXPECT_EQ(*store_->list("b", "u/"), std::vector<std::string>{"u/a"});
  EXPECT_EQ(*store_->list("b", ""), (std::vector<std::string>{"top", "u/a"}));
}

TEST_F(DirectoryStoreTest, RemovePrunesEmptiedDirectories) {
  put("b", "a/b/c", "1");
  put("b", "a/d", "2");
  ASSERT_TRUE(store_->remove("b", "a/b/c").has_value());
  EXPECT_FALSE(fs::exists(root_ / "b" / "a" / "b"));  // emptied directory pruned
  EXPECT_TRUE(fs::exists(root_ / "b" / "a"));         // still holds a/d
  ASSERT_TRUE(store_->remove("b", "a/d").has_value());
  EXPECT_FALSE(fs::exists(root_ / "b" / "a"));
  EXPECT_TRUE(fs::is_directory(root_ / "b"));  // buckets stay
}

TEST_F(DirectoryStoreTest, FileAndDirectoryKeysConflict) {
  put("b", "a/b", "1");
  EXPECT_EQ(codeOf(store_->put("b", "a", bytesOf("x"))), StoreErrorCode::Conflict);
  put("b", "x", "1");
  EXPECT_EQ(codeOf(store_->put("b", "x/y", bytesOf("y"))), StoreErrorCode::Conflict);
  EXPECT_EQ(textOf(*store_->get("b", "x")), "1");
  EXPECT_EQ(textOf(*store_->get("b", "a/b")), "1");
  // A leftover empty directory does not block an object of that name.
  fs::create_directories(root_ / "b" / "empty");
  put("b", "empty", "fine");
  EXPECT_EQ(textOf(*store_->get("b", "empty")), "fine");
}

TEST_F(DirectoryStoreTest, OpenFailsCleanlyOnAFile) {
  writeText(dir_.path() / "plainfile", "x");
  auto s = DirectoryStore::open(dir_.path() / "plainfile");
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, StoreErrorCode::Io);
}

TEST_F(DirectoryStoreTest, DefaultLimitIsFourGiB) {
  EXPECT_EQ(store_->limits().maxObjectSize, 4ull << 30);
  EXPECT_EQ(StoreLimits{}.maxObjectSize, 4ull << 30);
}

// System buckets start with '.', user names may not, so no user's objects can
// land in (or read) a system bucket.
TEST(BucketNames, UserNamesCannotReachSystemBuckets) {
  for (std::string_view bucket : {kFunctionsBucket, kSharedFilesBucket}) {
    SCOPED_TRACE(std::string(bucket));
    EXPECT_TRUE(validateBucket(bucket).has_value());
    EXPECT_EQ(codeOf(validateUser(bucket)), StoreErrorCode::InvalidBucket);
  }
  EXPECT_EQ(codeOf(validateUser(".hidden")), StoreErrorCode::InvalidBucket);
  EXPECT_EQ(codeOf(validateUser("a/b")), StoreErrorCode::InvalidBucket);
  EXPECT_TRUE(validateUser("demo").has_value());
  EXPECT_TRUE(validateUser("a.b").has_value());
}

}  // namespace
}  // namespace nearfaas::storage::test
