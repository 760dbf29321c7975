// The ObjectStore contract (object_store.h), the same for every backend:
// round trips, ranges, not-found, name rules, limits, listing, removal, and
// atomicity under concurrent writers and readers. Instantiated per backend by
// storage_test.cpp (DirectoryStore) and rados_store_test.cpp (RadosStore).
#include <algorithm>
#include <atomic>
#include <thread>

#include "store_contract.h"

namespace nearfaas::storage::test {

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

void StoreContractTest::SetUp() {
  backend_ = GetParam().make();
  ASSERT_TRUE(backend_) << "backend " << GetParam().name << " is not available";
  store_ = open(backend_->defaultLimits());
  ASSERT_TRUE(store_);
}

void StoreContractTest::TearDown() {
  store_.reset();
  backend_.reset();
}

std::unique_ptr<ObjectStore> StoreContractTest::open(const StoreLimits& limits) {
  auto s = backend_->open(limits);
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
  return s ? std::move(*s) : nullptr;
}

void StoreContractTest::put(std::string_view bucket, std::string_view key, std::string_view data) {
  auto r = store_->put(bucket, key, bytesOf(data));
  ASSERT_TRUE(r.has_value()) << r.error().message;
}

namespace {

using V = std::vector<std::string>;

TEST_P(StoreContractTest, RoundTripBinaryData) {
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
  EXPECT_EQ(backend_->allObjects(), V{"demo/hello/function.wasm"});
}

// Several MiB: larger than the first read of RadosStore, so whole gets and
// ranges take its second op.
TEST_P(StoreContractTest, MultiMegabyteObject) {
  Bytes data((3u << 20) + 17);
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<uint8_t>((i * 2654435761u) >> 13);
  ASSERT_TRUE(store_->put("b", "big", data).has_value());
  auto got = store_->get("b", "big");
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_TRUE(*got == data);
  auto mid = store_->getRange("b", "big", 1000, 2u << 20);
  ASSERT_TRUE(mid.has_value()) << mid.error().message;
  ASSERT_EQ(mid->size(), 2u << 20);
  EXPECT_TRUE(std::equal(mid->begin(), mid->end(), data.begin() + 1000));
  auto tail = store_->getRange("b", "big", (1u << 20) + 5, UINT64_MAX);
  ASSERT_TRUE(tail.has_value()) << tail.error().message;
  ASSERT_EQ(tail->size(), data.size() - (1u << 20) - 5);
  EXPECT_TRUE(std::equal(tail->begin(), tail->end(), data.begin() + (1u << 20) + 5));
  EXPECT_EQ(store_->stat("b", "big")->size, data.size());
}

TEST_P(StoreContractTest, EmptyObject) {
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
  EXPECT_EQ(*store_->list("b", ""), V{"empty"});
}

TEST_P(StoreContractTest, OverwriteReplacesWholeObject) {
  put("b", "k", "a much longer first version");
  put("b", "k", "v2");
  auto got = store_->get("b", "k");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(textOf(*got), "v2");
  EXPECT_EQ(store_->stat("b", "k")->size, 2u);
  EXPECT_EQ(store_->list("b", "")->size(), 1u);
  EXPECT_EQ(backend_->allObjects(), V{"b/k"});  // nothing left behind
  put("b", "k", "");
  EXPECT_EQ(store_->stat("b", "k")->size, 0u);
}

TEST_P(StoreContractTest, PersistsAcrossReopen) {
  put("b", "x/y", "kept");
  store_.reset();
  store_ = open(backend_->defaultLimits());
  ASSERT_TRUE(store_);
  auto got = store_->get("b", "x/y");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(textOf(*got), "kept");
}

TEST_P(StoreContractTest, GetRangeEdgeCases) {
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
  EXPECT_EQ(range(UINT64_MAX - 3, 2), "");
  EXPECT_EQ(range(1ull << 40, 5), "");
  EXPECT_EQ(range(10, 1), "");  // offset == size
  EXPECT_EQ(range(11, 5), "");  // offset past the end
  EXPECT_EQ(range(4, 0), "");   // maxLen 0
  EXPECT_EQ(range(0, 0), "");
  EXPECT_EQ(codeOf(store_->getRange("b", "nope", 0, 1)), StoreErrorCode::NotFound);
  EXPECT_EQ(codeOf(store_->getRange("b", "nope", 0, 0)), StoreErrorCode::NotFound);
}

TEST_P(StoreContractTest, NotFoundForMissingKeyAndBucket) {
  put("b", "a/b", "x");
  put("b", "file", "x");
  struct Case {
    std::string bucket, key;
  };
  for (const Case& c : std::vector<Case>{
           {"nobucket", "k"},   // bucket never created
           {"b", "missing"},    // key missing
           {"b", "a/missing"},  // missing next to an existing key
           {"b", "x/y/z"},      // missing, no key shares a prefix
           {"b", "a"},          // only objects *below* "a"
           {"b", "file/sub"},   // below an object
       }) {
    SCOPED_TRACE(c.bucket + "/" + c.key);
    EXPECT_EQ(codeOf(store_->get(c.bucket, c.key)), StoreErrorCode::NotFound);
    EXPECT_EQ(codeOf(store_->getRange(c.bucket, c.key, 0, 1)), StoreErrorCode::NotFound);
    EXPECT_EQ(codeOf(store_->stat(c.bucket, c.key)), StoreErrorCode::NotFound);
    EXPECT_EQ(codeOf(store_->remove(c.bucket, c.key)), StoreErrorCode::NotFound);
  }
  EXPECT_EQ(backend_->allObjects(), (V{"b/a/b", "b/file"}));  // reads create nothing
}

TEST_P(StoreContractTest, InvalidKeysAreRejected) {
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
  EXPECT_EQ(backend_->allObjects(), V{});  // nothing was written anywhere
}

TEST_P(StoreContractTest, ValidKeysIncludeOddButSafeNames) {
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
  auto listed = store_->list("b", "");
  ASSERT_TRUE(listed.has_value()) << listed.error().message;
  V sorted = good;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(*listed, sorted);
}

TEST_P(StoreContractTest, InvalidBucketsAreRejected) {
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
  EXPECT_EQ(backend_->allObjects(), V{});
  for (const std::string& bucket : std::vector<std::string>{"demo", "a.b_c-1", "...", "X9",
                                                            ".functions", std::string(255, 'b')}) {
    SCOPED_TRACE(bucket);
    EXPECT_TRUE(validateBucket(bucket).has_value());
    put(bucket, "k", "v");
    EXPECT_EQ(textOf(*store_->get(bucket, "k")), "v");
    EXPECT_EQ(*store_->list(bucket, ""), V{"k"});
  }
}

TEST_P(StoreContractTest, BucketsAreSeparate) {
  put("one", "k", "1");
  put("two", "k", "2");
  put("one1", "k", "3");  // a bucket whose name extends another's
  EXPECT_EQ(textOf(*store_->get("one", "k")), "1");
  EXPECT_EQ(textOf(*store_->get("two", "k")), "2");
  ASSERT_TRUE(store_->remove("one", "k").has_value());
  EXPECT_EQ(codeOf(store_->get("one", "k")), StoreErrorCode::NotFound);
  EXPECT_EQ(textOf(*store_->get("two", "k")), "2");
  EXPECT_EQ(*store_->list("one", ""), V{});
  EXPECT_EQ(*store_->list("one1", ""), V{"k"});
  EXPECT_EQ(backend_->allObjects(), (V{"one1/k", "two/k"}));
}

TEST_P(StoreContractTest, LimitsAreSettings) {
  StoreLimits limits = backend_->defaultLimits();
  limits.maxObjectSize = 10;
  limits.maxKeyLength = 8;
  limits.maxBucketLength = 3;
  auto small = open(limits);
  ASSERT_TRUE(small);
  EXPECT_EQ(small->limits().maxObjectSize, 10u);
  EXPECT_TRUE(small->put("b", "k", bytesOf("0123456789")).has_value());
  EXPECT_EQ(codeOf(small->put("b", "k", bytesOf("0123456789A"))), StoreErrorCode::TooLarge);
  EXPECT_EQ(textOf(*small->get("b", "k")), "0123456789");  // the failed put changed nothing
  EXPECT_TRUE(small->put("b", "12345678", bytesOf("")).has_value());
  EXPECT_EQ(codeOf(small->put("b", "123456789", bytesOf(""))), StoreErrorCode::InvalidKey);
  EXPECT_EQ(codeOf(small->put("abcd", "k", bytesOf(""))), StoreErrorCode::InvalidBucket);
  EXPECT_EQ(codeOf(small->list("b", "123456789")), StoreErrorCode::InvalidKey);
  // An object put with a larger limit is too large to get with this one,
  // but a small enough range of it is not.
  put("b", "big", "0123456789ABCDEF");
  EXPECT_EQ(codeOf(small->get("b", "big")), StoreErrorCode::TooLarge);
  EXPECT_EQ(codeOf(small->getRange("b", "big", 0, 11)), StoreErrorCode::TooLarge);
  EXPECT_EQ(textOf(*small->getRange("b", "big", 14, 100)), "EF");
  EXPECT_EQ(textOf(*small->getRange("b", "big", 0, 10)), "0123456789");
  EXPECT_EQ(small->stat("b", "big")->size, 16u);
}

TEST_P(StoreContractTest, ListWithPrefix) {
  for (const char* key :
       {"u/f1/function.wasm", "u/f2/function.wasm", "u/f10/x", "u/f1/obj/a", "v/a", "top", "u0"})
    put("b", key, key);
  put("other", "u/f1/function.wasm", "");

  auto list = [&](std::string_view prefix) {
    auto r = store_->list("b", prefix);
    EXPECT_TRUE(r.has_value()) << r.error().message;
    return r ? *r : V{"<error>"};
  };
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
  EXPECT_EQ(codeOf(store_->list("b", std::string(1025, 'u'))), StoreErrorCode::InvalidKey);
}

// Bytewise order: '/' (0x2f) sorts before '0', upper case before lower case,
// and bytes >= 0x80 after ASCII.
TEST_P(StoreContractTest, ListIsSortedBytewise) {
  const V keys = {"ab", "B", "a/b", "a-b", "a0", "\xc3\xa4", "\xff", "Z/z", "_"};
  for (const auto& k : keys)
    put("b", k, "");
  EXPECT_EQ(*store_->list("b", ""),
            (V{"B", "Z/z", "_", "a-b", "a/b", "a0", "ab", "\xc3\xa4", "\xff"}));
  EXPECT_EQ(*store_->list("b", "a"), (V{"a-b", "a/b", "a0", "ab"}));
}

TEST_P(StoreContractTest, ListManyObjects) {
  // More than one listing page of RadosStore (1024 objects).
  constexpr int kCount = 1100;
  V expected;
  for (int i = 0; i < kCount; ++i) {
    std::string key = "many/" + std::to_string(i);
    ASSERT_TRUE(store_->put("b", key, {}).has_value());
    expected.push_back(key);
  }
  put("b", "other", "");
  std::sort(expected.begin(), expected.end());
  auto listed = store_->list("b", "many/");
  ASSERT_TRUE(listed.has_value()) << listed.error().message;
  EXPECT_EQ(*listed, expected);
  EXPECT_EQ(store_->list("b", "")->size(), kCount + 1u);
}

TEST_P(StoreContractTest, RemoveDeletes) {
  put("b", "a/b/c", "1");
  put("b", "a/d", "2");
  ASSERT_TRUE(store_->remove("b", "a/b/c").has_value());
  EXPECT_EQ(codeOf(store_->get("b", "a/b/c")), StoreErrorCode::NotFound);
  EXPECT_EQ(codeOf(store_->stat("b", "a/b/c")), StoreErrorCode::NotFound);
  EXPECT_EQ(codeOf(store_->remove("b", "a/b/c")), StoreErrorCode::NotFound);
  EXPECT_EQ(*store_->list("b", ""), V{"a/d"});
  ASSERT_TRUE(store_->remove("b", "a/d").has_value());
  EXPECT_TRUE(store_->list("b", "")->empty());
  EXPECT_EQ(backend_->allObjects(), V{});
  // A removed object can be put again.
  put("b", "a/d", "back");
  EXPECT_EQ(textOf(*store_->get("b", "a/d")), "back");
  ASSERT_TRUE(store_->remove("b", "a/d").has_value());
  // "a" held objects below it; now it can be an object itself.
  put("b", "a", "now an object");
  EXPECT_EQ(textOf(*store_->get("b", "a")), "now an object");
  EXPECT_EQ(backend_->allObjects(), V{"b/a"});
}

TEST_P(StoreContractTest, StoreErrorConvertsToResult) {
  Result<Bytes> r = store_->get("b", "missing");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("missing"), std::string::npos) << r.error().message;
}

TEST_P(StoreContractTest, ConcurrentWritersAndReadersSeeWholeVersions) {
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
  EXPECT_EQ(backend_->allObjects(), V{"b/shared/key"});  // nothing left behind
}

// Puts, gets and removes of neighbouring keys from several threads never
// fail (DirectoryStore prunes and recreates the directories they share).
TEST_P(StoreContractTest, ConcurrentPutAndRemove) {
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
  EXPECT_EQ(backend_->allObjects(), V{});
}

}  // namespace
}  // namespace nearfaas::storage::test
