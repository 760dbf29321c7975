// Object store: name validation, DirectoryStore semantics (round trips,
// ranges, not-found, listing, removal), confinement against planted symlinks,
// and atomicity under concurrent writers and readers.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "storage/buckets.h"
#include "storage/directory_store.h"

namespace nearfaas::storage {
namespace {

namespace fs = std::filesystem;

Bytes bytesOf(std::string_view s) {
  return Bytes(s.begin(), s.end());
}
std::string textOf(const Bytes& b) {
  return std::string(b.begin(), b.end());
}

std::string readText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void writeText(const fs::path& p, std::string_view s) {
  std::ofstream out(p, std::ios::binary);
  out << s;
}

class StorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "nf-storage-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    base_ = tmpl;
    root_ = base_ / "store";
    outside_ = base_ / "outside";
    fs::create_directories(outside_);
    store_ = open();
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    fs::remove_all(base_, ec);
  }

  std::unique_ptr<DirectoryStore> open(DirectoryStoreOptions options = {}) {
    auto s = DirectoryStore::open(root_, options);
    EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
    return s ? std::move(*s) : nullptr;
  }

  void put(std::string_view bucket, std::string_view key, std::string_view data) {
    auto r = store_->put(bucket, key, bytesOf(data));
    ASSERT_TRUE(r.has_value()) << r.error().message;
  }

  // The code of a failed result, failing the test if it succeeded.
  template <typename T>
  static StoreErrorCode codeOf(const StoreResult<T>& r) {
    EXPECT_FALSE(r.has_value()) << "expected a failure";
    if (r.has_value()) return static_cast<StoreErrorCode>(-1);
    EXPECT_FALSE(r.error().message.empty());
    return r.error().code;
  }

  fs::path base_, root_, outside_;
  std::unique_ptr<DirectoryStore> store_;
};

TEST_F(StorageTest, RoundTripBinaryData) {
  Bytes data;
  for (int i = 0; i < 3 * 256; ++i)
    data.push_back(static_cast<uint8_t>(i * 7));
  data.insert(data.begin() + 5, 0);  // NULs in the middle and at both ends
  data.push_back(0);
  data.insert(data.begin(), 0);
  ASSERT_TRUE(store_->put("demo", "hello/function.wasm", data).has_value());

  auto got = store_->get("demo", "hello/function.wasm");
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(*got, data);
  auto info = store_->stat("demo", "hello/function.wasm");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->size, data.size());
  // Laid out as <root>/<bucket>/<key>.
  EXPECT_EQ(fs::file_size(root_ / "demo" / "hello" / "function.wasm"), data.size());
}

TEST_F(StorageTest, EmptyObject) {
  put("b", "empty", "");
  auto got = store_->get("b", "empty");
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_TRUE(got->empty());
  auto info = store_->stat("b", "empty");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->size, 0u);
  auto range = store_->getRange("b", "empty", 0, 10);
  ASSERT_TRUE(range.has_value());
  EXPECT_TRUE(range->empty());
}

TEST_F(StorageTest, OverwriteReplacesWholeObject) {
  put("b", "k", "a much longer first version");
  put("b", "k", "v2");
  auto got = store_->get("b", "k");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(textOf(*got), "v2");
  EXPECT_EQ(store_->stat("b", "k")->size, 2u);
  EXPECT_EQ(store_->list("b", "")->size(), 1u);  // no temporary files left behind
}

TEST_F(StorageTest, PersistsAcrossReopen) {
  put("b", "x/y", "kept");
  store_.reset();
  store_ = open();
  auto got = store_->get("b", "x/y");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(textOf(*got), "kept");
}

TEST_F(StorageTest, GetRangeEdgeCases) {
  put("b", "digits", "0123456789");
  auto range = [&](uint64_t off, uint64_t len) {
    auto r = store_->getRange("b", "digits", off, len);
    EXPECT_TRUE(r.has_value()) << r.error().message;
    return r ? textOf(*r) : std::string("<error>");
  };
  EXPECT_EQ(range(0, 4), "0123");
  EXPECT_EQ(range(3, 2), "34");
  EXPECT_EQ(range(8, 100), "89");  // partial: clipped at the end
  EXPECT_EQ(range(9, 1), "9");
  EXPECT_EQ(range(0, 10), "0123456789");
  EXPECT_EQ(range(0, UINT64_MAX), "0123456789");
  EXPECT_EQ(range(UINT64_MAX, UINT64_MAX), "");
  EXPECT_EQ(range(10, 1), "");  // offset == size
  EXPECT_EQ(range(11, 5), "");  // offset past the end
  EXPECT_EQ(range(4, 0), "");   // maxLen 0
  EXPECT_EQ(codeOf(store_->getRange("b", "nope", 0, 1)), StoreErrorCode::NotFound);
}

TEST_F(StorageTest, NotFoundForMissingKeyAndBucket) {
  put("b", "a/b", "x");
  put("b", "file", "x");
  struct Case {
    std::string bucket, key;
  };
  for (const Case& c : std::vector<Case>{
           {"nobucket", "k"},   // bucket never created
           {"b", "missing"},    // key missing
           {"b", "a/missing"},  // missing in an existing directory
           {"b", "x/y/z"},      // missing directories
           {"b", "a"},          // only objects *below* "a"
           {"b", "file/sub"},   // an object where a directory would be
       }) {
    SCOPED_TRACE(c.bucket + "/" + c.key);
    EXPECT_EQ(codeOf(store_->get(c.bucket, c.key)), StoreErrorCode::NotFound);
    EXPECT_EQ(codeOf(store_->getRange(c.bucket, c.key, 0, 1)), StoreErrorCode::NotFound);
    EXPECT_EQ(codeOf(store_->stat(c.bucket, c.key)), StoreErrorCode::NotFound);
    EXPECT_EQ(codeOf(store_->remove(c.bucket, c.key)), StoreErrorCode::NotFound);
  }
  EXPECT_FALSE(fs::exists(root_ / "nobucket"));  // reads create nothing
}

TEST_F(StorageTest, InvalidKeysAreRejected) {
  const std::vector<std::string> bad = {
      "",
      "..",
      ".",
      "../escape",
      "a/../../escape",
      "a/..",
      "/abs",
      "/etc/passwd",
      "a//b",
      "a/",
      "./x",
      "a/./b",
      std::string("nul\0byte", 8),
      std::string(1025, 'k'),                       // whole key too long
      std::string(256, 'c'),                        // one component too long
      std::string(kReservedComponentPrefix) + "1",  // reserved temp name
      "a/" + std::string(kReservedComponentPrefix) + "x/b",
  };
  for (const auto& key : bad) {
    SCOPED_TRACE("key '" + key.substr(0, 40) + "'");
    EXPECT_EQ(codeOf(validateKey(key)), StoreErrorCode::InvalidKey);
    EXPECT_EQ(codeOf(store_->put("b", key, bytesOf("x"))), StoreErrorCode::InvalidKey);
    EXPECT_EQ(codeOf(store_->get("b", key)), StoreErrorCode::InvalidKey);
    EXPECT_EQ(codeOf(store_->getRange("b", key, 0, 1)), StoreErrorCode::InvalidKey);
    EXPECT_EQ(codeOf(store_->stat("b", key)), StoreErrorCode::InvalidKey);
    EXPECT_EQ(codeOf(store_->remove("b", key)), StoreErrorCode::InvalidKey);
  }
  // Nothing was written anywhere.
  EXPECT_TRUE(fs::is_empty(root_));
  EXPECT_TRUE(fs::is_empty(outside_));
  EXPECT_FALSE(fs::exists(base_ / "escape"));
}

TEST_F(StorageTest, ValidKeysIncludeOddButSafeNames) {
  const std::vector<std::string> good = {
      "k",
      "user/func/function.wasm",
      "..a",
      "a..",
      ".hidden",
      "a\\..\\b",  // backslash is a plain character
      "with space",
      "\xc3\xbc\xff",
      std::string(255, 'c'),
      std::string(255, 'a') + "/" + std::string(255, 'b') + "/" + std::string(255, 'c') + "/" +
          std::string(254, 'd') + "/e",  // exactly 1024 bytes
  };
  for (const auto& key : good) {
    SCOPED_TRACE("key '" + key.substr(0, 40) + "'");
    EXPECT_TRUE(validateKey(key).has_value());
    put("b", key, key);
    auto got = store_->get("b", key);
    ASSERT_TRUE(got.has_value()) << got.error().message;
    EXPECT_EQ(textOf(*got), key);
  }
  EXPECT_EQ(good.back().size(), 1024u);
  EXPECT_TRUE(fs::exists(root_ / "b" / "a\\..\\b"));
}

TEST_F(StorageTest, InvalidBucketsAreRejected) {
  const std::vector<std::string> bad = {
      "",
      ".",
      "..",
      "a/b",
      "../x",
      "/abs",
      "a b",
      "a\\b",
      std::string("a\0b", 3),
      "\xc3\xbc",
      std::string(256, 'b'),
  };
  for (const auto& bucket : bad) {
    SCOPED_TRACE("bucket '" + bucket.substr(0, 40) + "'");
    EXPECT_EQ(codeOf(validateBucket(bucket)), StoreErrorCode::InvalidBucket);
    EXPECT_EQ(codeOf(store_->put(bucket, "k", bytesOf("x"))), StoreErrorCode::InvalidBucket);
    EXPECT_EQ(codeOf(store_->get(bucket, "k")), StoreErrorCode::InvalidBucket);
    EXPECT_EQ(codeOf(store_->getRange(bucket, "k", 0, 1)), StoreErrorCode::InvalidBucket);
    EXPECT_EQ(codeOf(store_->stat(bucket, "k")), StoreErrorCode::InvalidBucket);
    EXPECT_EQ(codeOf(store_->remove(bucket, "k")), StoreErrorCode::InvalidBucket);
    EXPECT_EQ(codeOf(store_->list(bucket, "")), StoreErrorCode::InvalidBucket);
  }
  EXPECT_TRUE(fs::is_empty(root_));
  for (const std::string& bucket :
       std::vector<std::string>{"demo", "a.b_c-1", "...", "X9", std::string(255, 'b')}) {
    SCOPED_TRACE(bucket);
    EXPECT_TRUE(validateBucket(bucket).has_value());
    put(bucket, "k", "v");
    EXPECT_EQ(textOf(*store_->get(bucket, "k")), "v");
  }
}

// System buckets start with '.', user names may not, so no user's objects can
// land in (or read) a system bucket.
TEST_F(StorageTest, UserNamesCannotReachSystemBuckets) {
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

TEST_F(StorageTest, LimitsAreSettings) {
  DirectoryStoreOptions options;
  options.limits.maxObjectSize = 10;
  options.limits.maxKeyLength = 8;
  options.limits.maxBucketLength = 3;
  options.syncWrites = false;
  auto small = open(options);
  ASSERT_TRUE(small);
  EXPECT_TRUE(small->put("b", "k", bytesOf("0123456789")).has_value());
  EXPECT_EQ(codeOf(small->put("b", "k", bytesOf("0123456789A"))), StoreErrorCode::TooLarge);
  EXPECT_EQ(textOf(*small->get("b", "k")), "0123456789");  // the failed put changed nothing
  EXPECT_TRUE(small->put("b", "12345678", bytesOf("")).has_value());
  EXPECT_EQ(codeOf(small->put("b", "123456789", bytesOf(""))), StoreErrorCode::InvalidKey);
  EXPECT_EQ(codeOf(small->put("abcd", "k", bytesOf(""))), StoreErrorCode::InvalidBucket);
  EXPECT_EQ(codeOf(small->list("b", "123456789")), StoreErrorCode::InvalidKey);
  // An object put with a larger limit is too large to get with this one.
  put("b", "big", "0123456789ABCDEF");
  EXPECT_EQ(codeOf(small->get("b", "big")), StoreErrorCode::TooLarge);
  EXPECT_EQ(textOf(*small->getRange("b", "big", 14, 100)), "EF");
  EXPECT_EQ(StoreLimits{}.maxObjectSize, 4ull << 30);
}

TEST_F(StorageTest, SymlinksInsideTheStoreAreNotFollowed) {
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

TEST_F(StorageTest, ListWithPrefix) {
  for (const char* key :
       {"u/f1/function.wasm", "u/f2/function.wasm", "u/f10/x", "u/f1/obj/a", "v/a", "top", "u0"})
    put("b", key, key);
  put("other", "u/f1/function.wasm", "");

  auto list = [&](std::string_view prefix) {
    auto r = store_->list("b", prefix);
    EXPECT_TRUE(r.has_value()) << r.error().message;
    return r ? *r : std::vector<std::string>{"<error>"};
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(list(""), (V{"top", "u/f1/function.wasm", "u/f1/obj/a", "u/f10/x", "u/f2/function.wasm",
                         "u0", "v/a"}));
  EXPECT_EQ(list("u/"), (V{"u/f1/function.wasm", "u/f1/obj/a", "u/f10/x", "u/f2/function.wasm"}));
  EXPECT_EQ(list("u"),
            (V{"u/f1/function.wasm", "u/f1/obj/a", "u/f10/x", "u/f2/function.wasm", "u0"}));
  EXPECT_EQ(list("u/f1"), (V{"u/f1/function.wasm", "u/f1/obj/a", "u/f10/x"}));
  EXPECT_EQ(list("u/f1/"), (V{"u/f1/function.wasm", "u/f1/obj/a"}));
  EXPECT_EQ(list("u/f1/function.wasm"), (V{"u/f1/function.wasm"}));
  EXPECT_EQ(list("u/f1/function.wasm/"), V{});
  EXPECT_EQ(list("t"), V{"top"});
  EXPECT_EQ(list("nothing"), V{});
  EXPECT_EQ(list("../"), V{});
  EXPECT_EQ(list("/u"), V{});
  EXPECT_EQ(list("u//"), V{});
  auto missing = store_->list("nobucket", "");
  ASSERT_TRUE(missing.has_value());
  EXPECT_TRUE(missing->empty());
  EXPECT_EQ(codeOf(store_->list("b", std::string("u\0", 2))), StoreErrorCode::InvalidKey);

  // In-flight (or crashed) writes are never listed.
  writeText(root_ / "b" / "u" / (std::string(kReservedComponentPrefix) + "123-abc-0"), "partial");
  writeText(root_ / "b" / (std::string(kReservedComponentPrefix) + "9"), "partial");
  EXPECT_EQ(list("u/"), (V{"u/f1/function.wasm", "u/f1/obj/a", "u/f10/x", "u/f2/function.wasm"}));
  EXPECT_EQ(list("").size(), 7u);
}

TEST_F(StorageTest, RemoveDeletesAndPrunes) {
  put("b", "a/b/c", "1");
  put("b", "a/d", "2");
  ASSERT_TRUE(store_->remove("b", "a/b/c").has_value());
  EXPECT_EQ(codeOf(store_->get("b", "a/b/c")), StoreErrorCode::NotFound);
  EXPECT_EQ(codeOf(store_->remove("b", "a/b/c")), StoreErrorCode::NotFound);
  EXPECT_EQ(*store_->list("b", ""), std::vector<std::string>{"a/d"});
  EXPECT_FALSE(fs::exists(root_ / "b" / "a" / "b"));  // emptied directory pruned
  EXPECT_TRUE(fs::exists(root_ / "b" / "a"));         // still holds a/d
  ASSERT_TRUE(store_->remove("b", "a/d").has_value());
  EXPECT_FALSE(fs::exists(root_ / "b" / "a"));
  EXPECT_TRUE(fs::is_directory(root_ / "b"));  // buckets stay
  EXPECT_TRUE(store_->list("b", "")->empty());
  // "a" was a directory of objects; now it can be an object.
  put("b", "a", "now an object");
  EXPECT_EQ(textOf(*store_->get("b", "a")), "now an object");
}

TEST_F(StorageTest, FileAndDirectoryKeysConflict) {
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

TEST_F(StorageTest, StoreErrorConvertsToResult) {
  Result<Bytes> r = store_->get("b", "missing");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("missing"), std::string::npos) << r.error().message;
}

TEST_F(StorageTest, OpenFailsCleanlyOnAFile) {
  writeText(base_ / "plainfile", "x");
  auto s = DirectoryStore::open(base_ / "plainfile");
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, StoreErrorCode::Io);
}

// A version is self-describing: 8 bytes of writer id and sequence number,
// then a length-dependent run of bytes derived from them. A reader can check
// that what it got is exactly one complete version.
Bytes makeVersion(uint32_t writer, uint32_t seq) {
  size_t len = 8 + 1000 + (seq * 7919u + writer * 104729u) % 60000;
  Bytes v(len);
  for (int i = 0; i < 4; ++i) {
    v[i] = static_cast<uint8_t>(writer >> (8 * i));
    v[4 + i] = static_cast<uint8_t>(seq >> (8 * i));
  }
  for (size_t i = 8; i < len; ++i)
    v[i] = static_cast<uint8_t>(writer * 31 + seq * 17 + i);
  return v;
}
bool isCompleteVersion(const Bytes& v) {
  if (v.size() < 8) return false;
  uint32_t writer = 0, seq = 0;
  for (int i = 0; i < 4; ++i) {
    writer |= uint32_t{v[i]} << (8 * i);
    seq |= uint32_t{v[4 + i]} << (8 * i);
  }
  return v == makeVersion(writer, seq);
}

TEST_F(StorageTest, ConcurrentWritersAndReadersSeeWholeVersions) {
  constexpr int kWriters = 3, kReaders = 3, kPutsPerWriter = 60;
  ASSERT_TRUE(store_->put("b", "shared/key", makeVersion(99, 0)).has_value());
  std::atomic<bool> writing{true};
  std::atomic<int> failedPuts{0}, badReads{0}, goodReads{0}, badRanges{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int s = 1; s <= kPutsPerWriter; ++s)
        if (!store_->put("b", "shared/key", makeVersion(w, s))) ++failedPuts;
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&] {
      while (writing.load()) {
        auto got = store_->get("b", "shared/key");
        if (got && isCompleteVersion(*got))
          ++goodReads;
        else
          ++badReads;
        // A range is cut from one version: its first bytes name that version.
        auto range = store_->getRange("b", "shared/key", 0, 2000);
        if (!range || range->size() < 8) {
          ++badRanges;
          continue;
        }
        Bytes whole = makeVersion((*range)[0], (*range)[4]);
        if (range->size() != std::min<size_t>(whole.size(), 2000) ||
            !std::equal(range->begin(), range->end(), whole.begin()))
          ++badRanges;
      }
    });
  }
  for (int w = 0; w < kWriters; ++w)
    threads[w].join();
  writing = false;
  for (size_t i = kWriters; i < threads.size(); ++i)
    threads[i].join();

  EXPECT_EQ(failedPuts.load(), 0);
  EXPECT_EQ(badReads.load(), 0);
  EXPECT_EQ(badRanges.load(), 0);
  EXPECT_GT(goodReads.load(), 0);
  auto last = store_->get("b", "shared/key");
  ASSERT_TRUE(last.has_value());
  EXPECT_TRUE(isCompleteVersion(*last));
  EXPECT_EQ(*store_->list("b", ""), std::vector<std::string>{"shared/key"});  // no temp files
}

// Removing the last object of a directory prunes it; a concurrent put into
// that directory must still succeed (it starts over), never fail.
TEST_F(StorageTest, ConcurrentPutAndRemoveInOneDirectory) {
  constexpr int kRounds = 300;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (const char* key : {"d/e/x", "d/e/y", "d/z"}) {
    threads.emplace_back([&, key] {
      for (int i = 0; i < kRounds; ++i) {
        auto p = store_->put("b", key, bytesOf(key));
        if (!p) {
          ++failures;
          ADD_FAILURE() << p.error().message;
          continue;
        }
        auto g = store_->get("b", key);
        if (!g || textOf(*g) != key) ++failures;
        if (!store_->remove("b", key)) ++failures;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_TRUE(store_->list("b", "")->empty());
  EXPECT_FALSE(fs::exists(root_ / "b" / "d"));
}

}  // namespace
}  // namespace nearfaas::storage
