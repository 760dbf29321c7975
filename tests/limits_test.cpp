// What one call (or one user) may use of the host, and what happens past it:
// captured stdio, shared and scratch files, state keys and bytes, and the
// stdio of a function's initialisation. Through a real Node (directory store
// in a temp dir) with the guest test/exhaust, and the pieces on their own.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "base/bytes.h"
#include "host/call_context.h"
#include "host/file_view.h"
#include "sched/node.h"
#include "state/state_store.h"
#include "storage/buckets.h"
#include "storage/directory_store.h"
#include "test_env.h"

namespace nearfaas {
namespace {

using host::CallOutcome;
using host::CallRequest;

std::string text(const Bytes& b) {
  return std::string(b.begin(), b.end());
}

std::span<const uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

class LimitsTest : public ::testing::Test {
 protected:
  // Opens the node with the limits the test set in config_.
  void open() {
    config_.dataDir = dir_.path();
    config_.codeCacheDir = test::testCacheDir();
    config_.scheduler.slots = 1;
    config_.scheduler.callTimeout = std::chrono::seconds(20);
    config_.faaslet.maxMemoryPages = 1024;
    auto n = sched::Node::open(config_);
    ASSERT_TRUE(n) << n.error().message;
    node_ = std::move(*n);
  }
  static Bytes wasm() {
    auto w = readFile(std::filesystem::path(NEARFAAS_FUNC_DIR) / "test" / "exhaust.wasm");
    EXPECT_TRUE(w) << w.error().message;
    return w.value_or(Bytes{});
  }
  void add(const std::string& user) {
    auto r = node_->functions().add(user, "exhaust", wasm());
    ASSERT_TRUE(r) << r.error().message;
  }
  CallOutcome call(const std::string& user, const std::string& input) {
    CallRequest r;
    r.user = user;
    r.function = "exhaust";
    r.input.assign(input.begin(), input.end());
    return node_->scheduler().call(std::move(r));
  }

  test::TempDir dir_;
  sched::NodeConfig config_;
  std::unique_ptr<sched::Node> node_;
};

// ---- Captured stdio -----------------------------------------------------------

TEST_F(LimitsTest, CapturedStdioIsBoundedPerCall) {
  config_.faaslet.maxStdioBytes = 100'000;
  open();
  add("test");
  auto out = call("test", "flood");
  ASSERT_EQ(out.returnValue, 0) << out.error;
  EXPECT_EQ(text(out.output), "flooded");
  const std::string stdoutMarker = host::truncationMarker((3 << 20) - 100'000);
  const std::string stderrMarker = host::truncationMarker((1 << 20) - 100'000);
  // (Compared whole, reported by size and end: the texts are long.)
  auto same = [](const std::string& got, const std::string& want) {
    return ::testing::AssertionResult(got == want)
           << got.size() << " bytes ending in '"
           << got.substr(got.size() - std::min<size_t>(got.size(), 60)) << "', expected "
           << want.size() << " bytes ending in '" << want.substr(want.size() - 60) << "'";
  };
  EXPECT_TRUE(same(out.stdoutText, std::string(100'000, 'o') + stdoutMarker));
  EXPECT_TRUE(same(out.stderrText, std::string(100'000, 'e') + stderrMarker));
  EXPECT_EQ(stdoutMarker, "\n[output truncated: 3045728 bytes dropped]\n");
  // The next call of the same Faaslet starts with empty streams.
  auto next = call("test", "init");
  EXPECT_EQ(next.returnValue, 0) << next.error;
  EXPECT_EQ(next.stdoutText, "");
  EXPECT_EQ(next.stderrText, "");
}

TEST(CapturedStream, KeepsThePrefixAndCountsTheRest) {
  host::CapturedStream s;
  s.setLimit(5);
  s.append("abc");
  s.append("defg");
  s.append("");
  s.append("hi");
  EXPECT_EQ(s.dropped(), 4u);
  EXPECT_EQ(s.take(), "abcde" + host::truncationMarker(4));
  s.append("x");
  EXPECT_EQ(s.take(), "x");  // take() started a fresh stream
}

// ---- Initialisation's stdio ---------------------------------------------------

// Reads what is left in a pipe whose write ends are all closed.
std::string drain(int fd) {
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;)
    out.append(buf, static_cast<size_t>(n));
  return out;
}

TEST_F(LimitsTest, InitialisationNeverUsesTheProcessStdio) {
  open();
  Bytes module = wasm();
  // The process's stdin holds bytes and its stdout is a pipe, for as long as
  // the function is added (its constructor and zygote run then).
  int out[2], in[2];
  ASSERT_EQ(pipe(out), 0);
  ASSERT_EQ(pipe(in), 0);
  const std::string secret = "process stdin\n";
  ASSERT_EQ(write(in[1], secret.data(), secret.size()), static_cast<ssize_t>(secret.size()));
  std::fflush(stdout);
  int savedOut = dup(1), savedIn = dup(0);
  ASSERT_GE(savedOut, 0);
  ASSERT_GE(savedIn, 0);
  dup2(out[1], 1);
  dup2(in[0], 0);
  auto added = node_->functions().add("test", "exhaust", module);
  std::fflush(stdout);
  dup2(savedOut, 1);
  dup2(savedIn, 0);
  close(savedOut);
  close(savedIn);
  close(out[1]);
  close(in[1]);
  std::string written = drain(out[0]);
  std::string unread = drain(in[0]);
  close(out[0]);
  close(in[0]);

  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ(written, "");
  EXPECT_EQ(unread, secret);
  // The zygote's read of stdin saw end-of-file.
  auto init = call("test", "init");
  EXPECT_EQ(init.returnValue, 0) << init.error;
  EXPECT_EQ(text(init.output), "stdin: 0");
  EXPECT_EQ(init.stdoutText, "");  // initialisation's output is no call's
}

// ---- Shared and scratch files -------------------------------------------------

TEST_F(LimitsTest, SharedFilesOnceAndScratchBounded) {
  constexpr size_t kMiB = 1 << 20;
  config_.faaslet.files.maxSharedBytes = 3 * kMiB / 2;  // one of the files, not two
  config_.faaslet.files.maxScratchBytes = 2 * kMiB;
  open();
  add("test");
  std::string a(kMiB, 'a'), b(kMiB, 'b');
  a.back() = 'A';
  ASSERT_TRUE(node_->objects().put(storage::kSharedFilesBucket, "big/a", bytes(a)));
  ASSERT_TRUE(node_->objects().put(storage::kSharedFilesBucket, "big/b", bytes(b)));
  auto out = call("test", "shared");
  ASSERT_EQ(out.returnValue, 0) << out.error;
  // 64 descriptors of a share one copy; b does not fit beside it (ENOMEM);
  // scratch writes stop at the limit (ENOSPC), and the call goes on.
  EXPECT_EQ(text(out.output), "opened 64, last A, b: errno 48, fill: 2097152 bytes, errno 51");
  // Nothing of it outlives the call, and the node keeps serving.
  auto again = call("test", "shared");
  EXPECT_EQ(text(again.output), text(out.output));
}

class SharedCopyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = storage::DirectoryStore::open(dir_.path() / "store");
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    ASSERT_TRUE(store_->put(storage::kSharedFilesBucket, "big", bytes(std::string(kSize, 'x'))));
    ASSERT_TRUE(store_->put(storage::kSharedFilesBucket, "other", bytes(std::string(kSize, 'y'))));
    view_.bindShared(store_.get());
  }
  host::FsResult<uint32_t> open(std::string_view path) {
    return view_.open(host::FileView::kRootFd, path, 0, host::wasi_bits::kRightRead, 0);
  }
  static constexpr size_t kSize = 256 * 1024;
  test::TempDir dir_;
  std::unique_ptr<storage::ObjectStore> store_;
  host::FileView view_;
};

TEST_F(SharedCopyTest, OneCopyPerFileHoweverOftenOpened) {
  std::vector<uint32_t> fds;
  for (int i = 0; i < 100; ++i) {
    auto fd = open(i % 2 ? "shared/big" : "faasm://big");
    ASSERT_TRUE(fd) << i;
    fds.push_back(*fd);
  }
  EXPECT_EQ(view_.sharedBytes(), kSize);
  ASSERT_TRUE(view_.readFile("/shared/big"));
  EXPECT_EQ(view_.sharedBytes(), kSize);
  uint8_t byte = 0;
  EXPECT_EQ(view_.pread(fds.back(), {&byte, 1}, kSize - 1).value_or(0), 1u);
  EXPECT_EQ(byte, 'x');
  auto other = open("shared/other");
  ASSERT_TRUE(other);
  EXPECT_EQ(view_.sharedBytes(), 2 * kSize);
  // A copy lives while a descriptor uses it.
  for (uint32_t fd : fds)
    ASSERT_TRUE(view_.close(fd));
  EXPECT_EQ(view_.sharedBytes(), kSize);
  view_.reset();
  EXPECT_EQ(view_.sharedBytes(), 0u);
  EXPECT_EQ(view_.scratchBytes(), 0u);  // shared copies are not scratch
}

TEST_F(SharedCopyTest, HeldBytesAreBounded) {
  host::FileViewLimits limits;
  limits.maxSharedBytes = kSize + kSize / 2;
  view_.setLimits(limits);
  auto big = open("shared/big");
  ASSERT_TRUE(big);
  ASSERT_TRUE(open("shared/big"));
  EXPECT_EQ(open("shared/other").error(), host::WasiErrno::Nomem);
  EXPECT_EQ(view_.readFile("shared/other").error(), host::WasiErrno::Nomem);
  EXPECT_EQ(view_.sharedBytes(), kSize);
  // Once nothing holds big, other fits.
  view_.reset();
  EXPECT_TRUE(open("shared/other"));
}

// ---- State --------------------------------------------------------------------

TEST_F(LimitsTest, StateKeysPerUser) {
  config_.state.maxKeysPerUser = 8;
  open();
  add("test");
  add("other");
  // Reading keys that do not exist creates none.
  auto read = call("test", "read 20");
  EXPECT_EQ(read.returnValue, 0) << read.error;
  EXPECT_EQ(text(read.output), "read 20, sizes 0");
  EXPECT_EQ(node_->state().usage("test").keys, 0u);
  auto over = call("test", "keys 20");
  EXPECT_NE(over.returnValue, 0);
  EXPECT_TRUE(contains(over.error, "__faasm_write_state: state: user test has 8 keys, the limit"))
      << over.error;
  EXPECT_EQ(node_->state().usage("test").keys, 8u);
  // Another user is not affected; the first can still write its keys.
  auto other = call("other", "keys 8");
  EXPECT_EQ(other.returnValue, 0) << other.error;
  EXPECT_EQ(text(other.output), "created 8");
  auto again = call("test", "keys 8");
  EXPECT_EQ(again.returnValue, 0) << again.error;
  EXPECT_EQ(text(again.output), "created 8");
}

// User names are free-form: many users, each under its own caps, meet the
// node-wide key cap; the guest that crosses it traps with it, and users the
// store refused are not remembered.
TEST_F(LimitsTest, StateKeysNodeWide) {
  config_.state.maxKeysPerUser = 8;
  config_.state.maxKeys = 20;
  open();
  for (const char* u : {"u0", "u1", "u2", "u3"})
    add(u);
  for (const char* u : {"u0", "u1"}) {
    auto ok = call(u, "keys 8");
    EXPECT_EQ(ok.returnValue, 0) << u << ": " << ok.error;
  }
  auto over = call("u2", "keys 8");
  EXPECT_NE(over.returnValue, 0);
  EXPECT_TRUE(
      contains(over.error, "__faasm_write_state: state: the node has 20 keys, the node-wide limit"))
      << over.error;
  EXPECT_EQ(node_->state().usage("u2").keys, 4u);
  auto none = call("u3", "keys 1");
  EXPECT_NE(none.returnValue, 0);
  EXPECT_TRUE(contains(none.error, "the node-wide limit")) << none.error;
  EXPECT_EQ(node_->state().nodeUsage().keys, 20u);
  EXPECT_EQ(node_->state().users(), 3u);
  // Existing keys are still written and read; the node serves on.
  auto again = call("u0", "keys 8");
  EXPECT_EQ(again.returnValue, 0) << again.error;
  EXPECT_EQ(text(again.output), "created 8");
  auto read = call("u3", "read 4");
  EXPECT_EQ(read.returnValue, 0) << read.error;
  EXPECT_EQ(text(read.output), "read 4, sizes 0");
}

TEST(StateStoreLimits, NodeWideKeysAndBytes) {
  constexpr uint64_t K = 64 * 1024;  // values grow in 64 KiB steps
  state::StateLimits limits;
  limits.maxKeysPerUser = 2;
  limits.maxKeys = 50;
  limits.maxBytesPerUser = 3 * K;
  limits.maxBytes = 4 * K;
  state::StateStore store(limits);
  // 200 user names, one key each: the first 50 get theirs, and only they
  // are remembered.
  size_t created = 0;
  for (int i = 0; i < 200; ++i) {
    auto v = store.value("user" + std::to_string(i), "k");
    if (v) {
      ++created;
      continue;
    }
    EXPECT_EQ(v.error().kind, state::StateError::NodeLimit);
    EXPECT_EQ(v.error().message,
              "state: the node has 50 keys, the node-wide limit (all users "
              "together)");
  }
  EXPECT_EQ(created, 50u);
  EXPECT_EQ(store.nodeUsage().keys, 50u);
  EXPECT_EQ(store.users(), 50u);
  EXPECT_EQ(store.usage("user60").keys, 0u);
  // Bytes: two users under their own 3 K meet the node's 4 K.
  auto a = store.find("user0", "k");
  auto b = store.find("user1", "k");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->set(Bytes(3 * K, 1)));
  auto over = b->set(Bytes(2 * K, 1));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().kind, state::StateError::NodeLimit);
  EXPECT_TRUE(contains(over.error().message, "beyond the node-wide limit of 262144 bytes"))
      << over.error().message;
  EXPECT_EQ(store.usage("user1").bytes, 0u);  // nothing charged to the user either
  ASSERT_TRUE(b->set(Bytes(K, 1)));
  auto appended = b->append(Bytes(1, 1));
  ASSERT_FALSE(appended);
  EXPECT_EQ(appended.error().kind, state::StateError::NodeLimit);
  EXPECT_EQ(store.nodeUsage().bytes, 4 * K);
  EXPECT_EQ(store.usage("user0").bytes + store.usage("user1").bytes, 4 * K);
}

TEST(StateStoreLimits, BytesPerUser) {
  constexpr uint64_t K = 64 * 1024;  // values grow in 64 KiB steps
  state::StateLimits limits;
  limits.maxBytesPerUser = 3 * K;
  state::StateStore store(limits);
  auto a = store.value("u", "a");
  ASSERT_TRUE(a);
  ASSERT_TRUE((*a)->set(Bytes(K + 100, 1)));  // holds 2 K
  EXPECT_EQ(store.usage("u").bytes, 2 * K);
  // Doubling to 4 K would pass the limit: the value grows to what it needs.
  ASSERT_TRUE((*a)->ensureSize(2 * K + 1));
  EXPECT_EQ(store.usage("u").bytes, 3 * K);
  auto b = store.value("u", "b");
  ASSERT_TRUE(b);  // keys are not bytes
  auto full = (*b)->set(Bytes(1, 1));
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().kind, state::StateError::UserLimit);
  EXPECT_TRUE(contains(full.error().message, "beyond the limit of 196608 bytes per user"))
      << full.error().message;
  auto appended = (*b)->append(Bytes(1, 1));
  ASSERT_FALSE(appended);
  EXPECT_EQ(appended.error().kind, state::StateError::UserLimit);
  EXPECT_EQ(store.usage("u").bytes, 3 * K);
  // Another user has its own budget.
  auto v = store.value("v", "a");
  ASSERT_TRUE(v);
  EXPECT_TRUE((*v)->set(Bytes(3 * K, 1)));
  // Appended bytes count, and clearing them gives them back.
  state::StateLimits small;
  small.maxBytesPerUser = 10;
  state::StateStore s2(small);
  auto w = s2.value("w", "list");
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->append(Bytes(6, 1)));
  EXPECT_FALSE((*w)->append(Bytes(6, 1)));
  (*w)->clearAppended();
  EXPECT_EQ(s2.usage("w").bytes, 0u);
  EXPECT_TRUE((*w)->append(Bytes(6, 1)));
}

TEST(StateStoreLimits, ReadingCreatesNothing) {
  state::StateLimits limits;
  limits.maxKeysPerUser = 1;
  state::StateStore store(limits);
  EXPECT_EQ(store.find("u", "missing"), nullptr);
  EXPECT_EQ(store.usage("u").keys, 0u);
  ASSERT_TRUE(store.value("u", "a"));
  auto b = store.value("u", "b");
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().kind, state::StateError::UserLimit);
  EXPECT_TRUE(store.value("u", "a"));  // an existing key is no new key
}

}  // namespace
}  // namespace nearfaas
