// Faaslets, the Faasm host interface and the executor pool, through a real
// Node (directory store in a temp dir): every function in func/, isolation
// between calls, shared state, chaining wider than the pool, memory deltas,
// error paths, and 1000 calls without memory growth.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "base/bytes.h"
#include "faaslet/faaslet.h"
#include "host/faasm.h"
#include "sched/node.h"
#include "storage/buckets.h"
#include "test_env.h"
#include "wasm/trap.h"

namespace nearfaas {
namespace {

using host::CallOutcome;
using host::CallRequest;

std::string text(const Bytes& b) {
  return std::string(b.begin(), b.end());
}

class NodeTest : public ::testing::Test {
 protected:
  static constexpr unsigned kSlots = 2;
  static constexpr uint64_t kSharedWriteLimit = 1 << 20;  // the node's local shared copies
  void SetUp() override {
    sched::NodeConfig c;
    c.dataDir = dir_.path();
    c.codeCacheDir = test::testCacheDir();
    c.faaslet.files.maxScratchBytes = 4 << 20;
    c.localShared.maxBytes = kSharedWriteLimit;
    c.scheduler.slots = kSlots;
    c.scheduler.callTimeout = std::chrono::seconds(20);
    c.faaslet.maxMemoryPages = 4096;  // 256 MiB
    auto n = sched::Node::open(c);
    ASSERT_TRUE(n) << n.error().message;
    node_ = std::move(*n);
  }
  void add(const std::string& user, const std::string& name) {
    auto wasm = readFile(std::filesystem::path(NEARFAAS_FUNC_DIR) / user / (name + ".wasm"));
    ASSERT_TRUE(wasm) << wasm.error().message;
    auto r = node_->functions().add(user, name, *wasm);
    ASSERT_TRUE(r) << user << "/" << name << ": " << r.error().message;
  }
  // A test guest (tests/guest) as function user/name.
  void addGuest(const std::string& user, const std::string& name, const std::string& guest) {
    auto r = node_->functions().add(user, name, test::guestBytes(guest));
    ASSERT_TRUE(r) << guest << ": " << r.error().message;
  }
  CallOutcome call(const std::string& user, const std::string& name, const std::string& input,
                   bool forbidNdp = false) {
    CallRequest r;
    r.user = user;
    r.function = name;
    r.input.assign(input.begin(), input.end());
    r.forbidNdp = forbidNdp;
    return node_->scheduler().call(std::move(r));
  }
  test::TempDir dir_;
  std::unique_ptr<sched::Node> node_;
};

TEST_F(NodeTest, DemoFunctions) {
  add("demo", "hello");
  add("demo", "echo");
  auto h = call("demo", "hello", "");
  EXPECT_EQ(h.returnValue, 0) << h.error;
  EXPECT_EQ(text(h.output), "Hello Faasm!");
  std::string binary("a\0b c\n", 6);
  auto e = call("demo", "echo", binary);
  EXPECT_EQ(text(e.output), binary);
  EXPECT_EQ(text(call("demo", "echo", "").output), "");
}

// The NDP functions' outputs on the directory store. It has no offloader:
// every storage call runs in the calling Faaslet, with forbid_ndp or without
// (which must change nothing there). Offloaded against local runs:
// ndp_offloader_test.cpp.
TEST_F(NodeTest, NdpFunctionsRunLocallyOnTheDirectoryStore) {
  for (const char* f : {"put", "get", "wordcount", "grep", "substr", "sha256sum"})
    add("ndp", f);
  for (bool forbid : {false, true}) {
    SCOPED_TRACE(forbid ? "forbid_ndp" : "NDP allowed (no offloader)");
    EXPECT_EQ(text(call("ndp", "put", "key v1 v2 v3", forbid).output), "OK");
    EXPECT_EQ(text(call("ndp", "get", "key", forbid).output), "v1 v2 v3");
    EXPECT_EQ(text(call("ndp", "wordcount", "key", forbid).output), "v1\t1\nv2\t1\nv3\t1\n");
    EXPECT_EQ(text(call("ndp", "grep", "key v[0-9]", forbid).output), "0 3 6 ");
    EXPECT_EQ(text(call("ndp", "substr", "key v", forbid).output), "0 3 6 ");
    EXPECT_EQ(text(call("ndp", "sha256sum", "key", forbid).output),
              "8a5f1b0b4d5e1719a8bf3f4c3933a17287d67696b09cfa06dbdb5db297c95889");
  }
  // The object is really in the store, under the user's bucket.
  auto stored = node_->objects().get("ndp", "key");
  ASSERT_TRUE(stored);
  EXPECT_EQ(text(*stored), "v1 v2 v3");
  // Words sorted bytewise; bytes >= 0x80 separate words.
  ASSERT_TRUE(
      node_->objects().put("ndp", "words", Bytes{'b', ' ', 'a', 0xc3, 0xa9, 'b', '\n', 'a'}));
  EXPECT_EQ(text(call("ndp", "wordcount", "words").output), "a\t2\nb\t2\n");
}

TEST_F(NodeTest, MissingObjectFailsCleanly) {
  add("ndp", "get");
  add("ndp", "wordcount");
  auto g = call("ndp", "get", "nothing-here");
  EXPECT_NE(g.returnValue, 0);
  EXPECT_EQ(text(g.output), "Call failed (return value=1)");
  EXPECT_NE(call("ndp", "wordcount", "nothing-here").returnValue, 0);
  // __faasmndp_getMmap answers NULL for a missing object, and for a store
  // error too, which it also writes to the call's stderr
  // (docs/faasm-differences.md).
  EXPECT_EQ(g.stderrText, "");
  auto invalid = call("ndp", "get", "../escape");
  EXPECT_EQ(invalid.returnValue, 1);
  EXPECT_TRUE(invalid.stderrText.starts_with("__faasmndp_getMmap: key ")) << invalid.stderrText;
  EXPECT_NE(invalid.stderrText.find("has a '..' component\n"), std::string::npos)
      << invalid.stderrText;
  // The process keeps serving.
  add("demo", "hello");
  EXPECT_EQ(text(call("demo", "hello", "").output), "Hello Faasm!");
}

TEST_F(NodeTest, CallsDoNotSeeEarlierCalls) {
  add("test", "probe");
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(text(call("test", "probe", "isolation").output), "clean");
}

TEST_F(NodeTest, ChainFanOutWiderThanThePool) {
  add("demo", "chain");
  add("demo", "echo");
  const int n = 16;  // eight times the pool
  auto r = call("demo", "chain", std::to_string(n));
  ASSERT_EQ(r.returnValue, 0) << r.error << text(r.output);
  EXPECT_EQ(text(r.output), test::chainOutput(n));
  // Several fan-outs at once, all slots busy with callers.
  std::vector<sched::CallId> ids;
  for (int i = 0; i < 4; ++i) {
    CallRequest req{"demo", "chain", Bytes{'8'}};
    ids.push_back(node_->scheduler().submit(req).value());
  }
  for (sched::CallId id : ids) {
    auto o = node_->scheduler().await(id);
    ASSERT_TRUE(o);
    EXPECT_EQ(o->returnValue, 0) << o->error;
  }
}

TEST_F(NodeTest, StateSharedByConcurrentCalls) {
  add("demo", "state");
  EXPECT_EQ(text(call("demo", "state", "reset").output), "0");
  const int calls = 40;
  std::vector<sched::CallId> ids;
  for (int i = 0; i < calls; ++i)
    ids.push_back(node_->scheduler().submit({"demo", "state", {}}).value());
  std::set<std::string> seen;
  for (sched::CallId id : ids) {
    auto o = node_->scheduler().await(id);
    ASSERT_TRUE(o);
    ASSERT_EQ(o->returnValue, 0) << o->error;
    seen.insert(text(o->output));
  }
  // Every increment happened under the lock: all values distinct.
  EXPECT_EQ(seen.size(), size_t(calls));
  EXPECT_EQ(text(call("demo", "state", "get").output), std::to_string(calls));
}

TEST_F(NodeTest, MappedStateIsSharedAcrossFaaslets) {
  add("test", "probe");
  EXPECT_EQ(text(call("test", "probe", "state_ptr").output), "1");
  EXPECT_EQ(text(call("test", "probe", "state_ptr").output), "2");
  auto v = node_->state().find("test", "probe_mapped");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->readAll().at(0), 2);
}

TEST_F(NodeTest, ErrorPaths) {
  add("test", "probe");
  auto bad = call("test", "probe", "bad_state_key");
  EXPECT_NE(bad.returnValue, 0);
  EXPECT_NE(bad.error.find("invalid state key"), std::string::npos) << bad.error;
  // A trap in a chained call reaches the caller as return value 1.
  auto chained = call("test", "probe", "chain_trap");
  EXPECT_EQ(chained.returnValue, 0) << chained.error;
  EXPECT_EQ(text(chained.output), "1");
  auto trap = call("test", "probe", "trap");
  EXPECT_EQ(trap.returnValue, 1);
  EXPECT_NE(trap.error.find("unreachable"), std::string::npos) << trap.error;
  // A lock held when the call ends is released.
  EXPECT_EQ(text(call("test", "probe", "lock_and_exit").output), "holding");
  EXPECT_EQ(text(call("test", "probe", "lock").output), "locked");
  auto unknown = call("test", "nosuch", "");
  EXPECT_NE(unknown.returnValue, 0);
  EXPECT_NE(unknown.error.find("no function test/nosuch"), std::string::npos) << unknown.error;
  auto badName = call("../etc", "passwd", "");
  EXPECT_NE(badName.returnValue, 0);
  EXPECT_NE(badName.error.find("invalid user"), std::string::npos) << badName.error;
  // Malformed wasm is refused at add.
  EXPECT_FALSE(node_->functions().add("test", "junk", Bytes{0, 'a', 's', 'm', 9, 9}));
  // Path escapes in object keys are refused by the store.
  EXPECT_FALSE(node_->objects().put("ndp", "../../escape", Bytes{'x'}));
  EXPECT_FALSE(node_->objects().put("..", "x", Bytes{'x'}));
}

// A heap that grows through the host (Faasm's libc: __sbrk, anonymous mmap)
// past the Faaslet's memory limit, or a call's own, traps with the
// MemoryLimit kind and says what failed; the slots serve the next calls.
TEST_F(NodeTest, GrowingPastTheMemoryLimitTraps) {
  addGuest("test", "imports", "faasm_imports");
  const std::string kind = wasm::trapKindName(wasm::TrapKind::MemoryLimit);
  for (const char* probe : {"s", "m"}) {
    SCOPED_TRACE(probe);
    const std::string what = kind + ": " + (probe[0] == 's' ? "__sbrk" : "mmap") +
                             ": cannot grow memory by 16384 pages";  // 1 GiB
    auto r = call("test", "imports", probe);
    EXPECT_EQ(r.returnValue, 1);
    EXPECT_EQ(r.error, what + " (limit 4096 pages)");  // the node's limit
    CallRequest limited{"test", "imports", Bytes{static_cast<uint8_t>(probe[0])}};
    limited.maxMemoryPages = 512;
    auto own = node_->scheduler().call(std::move(limited));
    EXPECT_EQ(own.returnValue, 1);
    EXPECT_EQ(own.error, what + " (limit 512 pages)");
  }
  for (unsigned i = 0; i < kSlots; ++i)
    EXPECT_EQ(text(call("test", "imports", "").output), "returned");
}

// A state lock held when the call traps is released with the call: another
// call takes it at once (a call that found it still held would time out).
TEST_F(NodeTest, StateLockIsReleasedWhenTheCallTraps) {
  add("test", "probe");
  addGuest("test", "imports", "faasm_imports");
  auto trapped = call("test", "imports", "l");
  EXPECT_EQ(trapped.returnValue, 1);
  EXPECT_EQ(trapped.error, "unreachable executed");
  auto lock = node_->state().find("test", "probe_lock");
  ASSERT_TRUE(lock);
  bool free = lock->guestLock().try_lock();
  if (free) lock->guestLock().unlock();
  EXPECT_TRUE(free) << "the lock of the call that trapped is still held";
  CallRequest next{"test", "probe", Bytes{'l', 'o', 'c', 'k'}};
  next.timeout = std::chrono::seconds(10);
  auto taken = node_->scheduler().call(std::move(next));
  EXPECT_EQ(taken.returnValue, 0) << taken.error;
  EXPECT_EQ(text(taken.output), "locked");
}

// Faasm's Python imports: a module may import them (Faasm's toolchain links
// them), but a call of any traps and says why.
TEST_F(NodeTest, PythonImportsTrap) {
  addGuest("test", "imports", "faasm_imports");
  for (const char* probe : {"c", "u", "f", "e", "n"}) {
    auto r = call("test", "imports", probe);
    EXPECT_EQ(r.returnValue, 1) << probe;
    EXPECT_EQ(r.error, "host error: Python functions are not supported by NearFaaS") << probe;
  }
  EXPECT_EQ(text(call("test", "imports", "").output), "returned");
}

// The WASI file view through wasi-libc: scratch files, shared files, and no
// way out to the host's file system.
class FileViewTest : public NodeTest {
 protected:
  void SetUp() override {
    NodeTest::SetUp();
    add("test", "files");
    ASSERT_TRUE(node_->objects().put(storage::kSharedFilesBucket, "data/greeting.txt",
                                     Bytes{'h', 'e', 'l', 'l', 'o'}));
    ASSERT_TRUE(node_->objects().put(storage::kSharedFilesBucket, "data/other", Bytes{'x'}));
  }
  std::string run(const std::string& scenario) {
    auto out = call("test", "files", scenario);
    EXPECT_EQ(out.returnValue, 0) << out.error << out.stderrText;
    return text(out.output);
  }
};

TEST_F(FileViewTest, ScratchFilesWorkAndDoNotOutliveTheCall) {
  EXPECT_EQ(run("scratch"),
            "write /tmp/a.txt: ok\n"
            "read /tmp/a.txt: alpha\n"
            "write relative b.txt: ok\n"
            "read /b.txt: beta\n"
            "append: alpha+more\n"
            "mkdir /tmp/d: ok\n"
            "rename: ok\n"
            "stat old name: errno 44\n"
            "size: 10\n"
            "write /tmp/d/c.txt: ok\n"
            "list /tmp/d: a.txt,c.txt\n"
            "rmdir non-empty: errno 55\n"
            "unlink a: ok\n"
            "unlink c: ok\n"
            "rmdir: ok\n"
            "seek+read: 34\n"
            "write /tmp/keep: ok\n"
            "list /: b.txt,etc,shared,tmp\n");
  // The next calls (on either Faaslet of the pool) find an empty scratch tree.
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(run("leftover"), "leftover: clean\nlist /tmp: \n");
}

TEST_F(FileViewTest, SharedFilesAreReadAndChangedLocally) {
  EXPECT_EQ(run("state"), "state: hello\n");
  EXPECT_EQ(run("shared"),
            "read /shared: hello\n"
            "read faasm://: hello\n"
            "list /shared/data: greeting.txt,other\n"
            "write shared: ok\n"
            "unlink shared: ok\n"
            "mkdir in shared: ok\n"
            "create in shared: ok\n"
            "rmdir /shared: errno 10\n"     // EBUSY
            "missing shared: errno 44\n");  // ENOENT
  EXPECT_EQ(text(*node_->objects().get(storage::kSharedFilesBucket, "data/greeting.txt")), "hello");
}

// Faasm's runtime root: /etc files, read-only; working directory "/";
// Faasm's environment.
TEST_F(FileViewTest, RuntimeRootWorkingDirectoryAndEnvironment) {
  auto file = [](std::string_view name) {
    for (const auto& f : host::FileView::runtimeRootFiles()) {
      if (f.name != name) continue;
      std::string flat(f.contents);
      std::replace(flat.begin(), flat.end(), '\n', '|');
      return std::to_string(f.contents.size()) + " " + flat;
    }
    ADD_FAILURE() << name;
    return std::string();
  };
  std::string expected = "hosts: " + file("hosts") + "\n" + "passwd: " + file("passwd") + "\n" +
                         "resolv.conf: " + file("resolv.conf") + "\n" +
                         "write /etc/hosts: errno 2\n"  // EACCES
                         "append /etc/passwd: errno 2\n"
                         "create /etc/new: errno 2\n"
                         "unlink /etc/resolv.conf: errno 2\n"
                         "rmdir /etc: errno 2\n"
                         "rename /etc/hosts: errno 2\n"
                         "getcwd: /\n"
                         "relative etc/hosts: " +
                         file("hosts") + "\n" +
                         "chdir /etc: ok\n"
                         "getcwd after chdir: /etc\n"
                         "relative passwd: " +
                         file("passwd") + "\n";
  for (const auto& kv : host::faasmEnvironment()) {
    size_t eq = kv.find('=');
    expected += kv.substr(0, eq) + ": " + kv.substr(eq + 1) + "\n";
  }
  expected += "HOME: (unset)\n";
  EXPECT_EQ(run("root"), expected);
}

TEST_F(FileViewTest, DupSharesTheOffset) {
  EXPECT_EQ(run("dup"),
            "fds: 4 5 6 rc 0\n"  // the lowest free descriptors
            "read fd: 012\n"
            "read dup: 345\n"
            "read fd_dup: 678\n"
            "offset of fd: 9\n"
            "after close, seek dup, read fd_dup: 123\n"
            "dup closed fd: -1\n"
            "fd_dup bad fd: 8\n"  // EBADF
            "dup stdout: -1\n");
}

TEST_F(FileViewTest, MmapOfFiles) {
  EXPECT_EQ(run("mmap"),
            "map whole: mapped file contents\n"
            "map from 7: file contents, zero past the end: 1\n"
            "file after writing the region: m\n"  // private: the file is unchanged
            "page aligned: 0 0\n"
            "closed fd: -1\n"
            "write-only fd: -1\n"
            "directory: -1\n"
            "map shared file: hello\n");
}

// Faasm's demo: a shared-file write, then reads in later calls on this node
// (through the pool, and in another Faaslet on another thread); the store's
// originals never change.
TEST_F(FileViewTest, SharedWritesAreLocalToTheNode) {
  EXPECT_EQ(run("sharedwrite"),
            "stat faasm://some_dir: errno 44\n"
            "mkdir faasm://some_dir: ok\n"
            "write faasm://some_dir/test_file.txt: ok\n"
            "read it back: This is some dummy content\n"
            "overwrite original: ok\n"
            "read original: changed+appended\n"
            "rename original: ok\n"
            "unlink moved: ok\n"
            "list faasm://data: greeting.txt\n"
            "mkdir again: errno 20\n");  // EEXIST
  const std::string later =
      "read faasm://some_dir/test_file.txt: This is some dummy content\n"
      "read faasm://data/greeting.txt: changed+appended\n"
      "read faasm://data/other: errno 44\n"
      "list /shared: data,some_dir\n"
      "list /shared/data: greeting.txt\n";
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(run("sharedread"), later);

  // A Faaslet of its own, on a thread of its own.
  struct Services : host::CallServices {
    explicit Services(sched::Node& n) : node(n) {}
    Result<uint32_t> chain(CallRequest) override { return fail("no chaining here"); }
    Result<CallOutcome> await(uint32_t) override { return fail("no chaining here"); }
    state::StateStore& state() override { return node.state(); }
    storage::ObjectStore& objects() override { return node.objects(); }
    host::LocalSharedFiles* localSharedFiles() override { return &node.localSharedFiles(); }
    sched::Node& node;
  } services(*node_);
  auto proto = node_->functions().proto("test", "files");
  ASSERT_TRUE(proto) << proto.error().message;
  auto faaslet = (*proto)->newFaaslet();
  ASSERT_TRUE(faaslet) << faaslet.error().message;
  CallRequest req;
  req.user = "test";
  req.function = "files";
  req.input = Bytes{'s', 'h', 'a', 'r', 'e', 'd', 'r', 'e', 'a', 'd'};
  Result<CallOutcome> other = fail("not run");
  std::thread t(
      [&] { other = (*faaslet)->run(1, req, &services, std::chrono::milliseconds(20'000)); });
  t.join();
  ASSERT_TRUE(other) << other.error().message;
  EXPECT_EQ(text(other->output), later);

  EXPECT_EQ(text(*node_->objects().get(storage::kSharedFilesBucket, "data/greeting.txt")), "hello");
  EXPECT_EQ(text(*node_->objects().get(storage::kSharedFilesBucket, "data/other")), "x");
  EXPECT_EQ(node_->objects().list(storage::kSharedFilesBucket, "")->size(), 2u);
}

TEST_F(FileViewTest, SharedWritesAreBounded) {
  // The node keeps kSharedWriteLimit bytes of local copies: the write of the
  // block that would pass it fails with ENOSPC.
  const uint64_t blocks = kSharedWriteLimit / (64 * 1024);
  EXPECT_EQ(run("sharedfill"),
            "fill: " + std::to_string(blocks * 64 * 1024) + " bytes, errno 51\n");
  EXPECT_EQ(node_->localSharedFiles().bytes(), blocks * 64 * 1024);
  EXPECT_FALSE(node_->objects().stat(storage::kSharedFilesBucket, "big"));
}

TEST_F(FileViewTest, NoPathLeavesTheView) {
  // A symlink planted in the store's own directory, pointing at a host file.
  std::filesystem::create_symlink(
      "/etc/hostname", dir_.path() / "store" / storage::kSharedFilesBucket / "data" / "link");
  std::string passwdStart;
  for (const auto& f : host::FileView::runtimeRootFiles())
    if (f.name == "passwd") passwdStart = f.contents.substr(0, 15);
  EXPECT_EQ(run("escape"),
            "../etc/passwd: errno 76\n"  // ENOTCAPABLE
            "/../../etc/passwd: errno 76\n"
            "/etc/passwd: OPENED " +
                passwdStart +
                "\n"  // the runtime root's own
                "/shared/../../etc/passwd: errno 76\n"
                "/tmp/../../../proc/self/environ: errno 76\n"
                "faasm://../../../etc/passwd: errno 76\n"
                "/shared/../../../../../../etc/hostname: errno 76\n"
                "/shared/data/link: errno 29\n"  // EIO: the store refuses to follow it
                "symlink: errno 63\n"            // EPERM
                "/tmp/link: errno 44\n"
                "write /tmp/t: ok\n"
                "link: errno 63\n"
                "list /..: errno 76\n");
}

TEST_F(FileViewTest, ScratchSpaceIsBounded) {
  // SetUp limits scratch files to 4 MiB: the 65th 64 KiB block fails with
  // ENOSPC, and removing the file frees the space.
  EXPECT_EQ(run("fill"),
            "fill: 4194304 bytes, errno 51\n"
            "unlink big: ok\n"
            "write after unlink: ok\n");
}

// Completion callbacks run once per call, after the outcome is visible to
// find(), which reports without consuming.
TEST_F(NodeTest, CompletionCallbacksAndFind) {
  add("demo", "echo");
  constexpr int kCalls = 20;
  std::mutex m;
  std::condition_variable cv;
  std::map<sched::CallId, std::string> outputs;
  int callbacks = 0;
  std::vector<sched::CallId> ids;
  for (int i = 0; i < kCalls; ++i) {
    std::string in = "call " + std::to_string(i);
    ids.push_back(node_->scheduler()
                      .submit({"demo", "echo", Bytes(in.begin(), in.end())},
                              [&](sched::CallId id, const CallOutcome& out) {
                                auto s = node_->scheduler().find(id);
                                std::lock_guard l(m);
                                EXPECT_TRUE(s && s->state == sched::CallState::Done);
                                outputs[id] = text(out.output);
                                ++callbacks;
                                cv.notify_all();
                              })
                      .value());
  }
  {
    std::unique_lock l(m);
    ASSERT_TRUE(cv.wait_for(l, std::chrono::seconds(30), [&] { return callbacks == kCalls; }));
  }
  for (int i = 0; i < kCalls; ++i) {
    EXPECT_EQ(outputs[ids[i]], "call " + std::to_string(i));
    for (int poll = 0; poll < 2; ++poll) {
      auto s = node_->scheduler().find(ids[i]);
      ASSERT_TRUE(s);
      EXPECT_EQ(s->state, sched::CallState::Done);
      EXPECT_EQ(text(s->outcome.output), "call " + std::to_string(i));
      EXPECT_EQ(s->request.function, "echo");
      EXPECT_GE(s->finished, s->submitted);
    }
  }
  EXPECT_FALSE(node_->scheduler().find(999999));
  std::lock_guard l(m);
  EXPECT_EQ(callbacks, kCalls);
}

// Calls still queued when the scheduler stops fail, and their callbacks run.
// The only slot is held by a call blocked on a state lock the test holds, so
// the stop surely finds the second call queued; the lock is let go only once
// that call has failed.
TEST(SchedulerShutdown, QueuedCallsFailThroughTheirCallbacks) {
  test::TempDir d;
  sched::NodeConfig c;
  c.dataDir = d.path();
  c.codeCacheDir = test::testCacheDir();
  c.scheduler.slots = 1;
  c.scheduler.callTimeout = std::chrono::seconds(30);  // a bound; the test ends it sooner
  auto n = sched::Node::open(c);
  ASSERT_TRUE(n);
  auto wasm = readFile(std::filesystem::path(NEARFAAS_FUNC_DIR) / "test/probe.wasm");
  ASSERT_TRUE(wasm);
  ASSERT_TRUE((*n)->functions().add("test", "probe", *wasm));
  auto lockValue = (*n)->state().value("test", "probe_lock");
  ASSERT_TRUE(lockValue);
  std::unique_lock held((*lockValue)->guestLock());
  const Bytes lockProbe{'l', 'o', 'c', 'k'};
  sched::CallId blocked = (*n)->scheduler().submit({"test", "probe", lockProbe}).value();
  ASSERT_TRUE(test::pollUntil(
      [&] { return (*n)->scheduler().state(blocked) == sched::CallState::Running; }));
  std::mutex m;
  std::condition_variable cv;
  int calls = 0;
  std::string error;
  ASSERT_TRUE((*n)->scheduler().submit({"test", "probe", lockProbe},
                                       [&](sched::CallId, const CallOutcome& out) {
                                         std::lock_guard l(m);
                                         ++calls;
                                         error = out.error;
                                         cv.notify_all();
                                       }));
  auto stopped = std::async(std::launch::async, [&] { n->reset(); });
  {
    std::unique_lock l(m);
    ASSERT_TRUE(cv.wait_for(l, test::kWaitBound, [&] { return calls > 0; }));
  }
  held.unlock();  // the running call takes the lock, finishes, and the stop completes
  stopped.get();
  EXPECT_EQ(calls, 1);
  EXPECT_NE(error.find("shutting down"), std::string::npos) << error;
}

TEST_F(NodeTest, TimeoutAndMemoryLimit) {
  sched::NodeConfig c;
  test::TempDir d;
  c.dataDir = d.path();
  c.scheduler.slots = 1;
  c.scheduler.callTimeout = std::chrono::milliseconds(300);
  c.faaslet.maxMemoryPages = 512;  // 32 MiB: the functions start with 16
  auto n = sched::Node::open(c);
  ASSERT_TRUE(n);
  auto wasm = readFile(std::filesystem::path(NEARFAAS_FUNC_DIR) / "test/probe.wasm");
  ASSERT_TRUE(wasm);
  ASSERT_TRUE((*n)->functions().add("test", "probe", *wasm));
  auto spin = (*n)->scheduler().call({"test", "probe", Bytes{'s', 'p', 'i', 'n'}});
  EXPECT_EQ(spin.returnValue, 1);
  EXPECT_NE(spin.error.find("time"), std::string::npos) << spin.error;
  auto grow = (*n)->scheduler().call({"test", "probe", Bytes{'g', 'r', 'o', 'w'}});
  EXPECT_EQ(grow.returnValue, 0) << grow.error << grow.stderrText;
  EXPECT_EQ(text(grow.output), "malloc failed");
  // The same slot serves the next call.
  auto ok = (*n)->scheduler().call({"test", "probe", Bytes{'l', 'o', 'c', 'k'}});
  EXPECT_EQ(text(ok.output), "locked");
}

// A call's own deadline and memory limit apply to that call only (the node
// allows 20 s and 256 MiB here); sleeping guests wake for their deadline.
TEST_F(NodeTest, PerCallLimits) {
  add("test", "probe");
  auto limited = [&](const char* probe, std::chrono::milliseconds timeout, uint32_t pages) {
    CallRequest r;
    r.user = "test";
    r.function = "probe";
    r.input.assign(probe, probe + std::strlen(probe));
    r.timeout = timeout;
    r.maxMemoryPages = pages;
    return node_->scheduler().call(std::move(r));
  };
  EXPECT_EQ(text(call("test", "probe", "sleep").output), "slept");
  auto start = std::chrono::steady_clock::now();
  auto sleepy = limited("sleep_long", std::chrono::milliseconds(200), 0);
  EXPECT_EQ(sleepy.returnValue, 1);
  EXPECT_NE(sleepy.error.find("time"), std::string::npos) << sleepy.error;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  auto spin = limited("spin", std::chrono::milliseconds(200), 0);
  EXPECT_EQ(spin.returnValue, 1);
  EXPECT_NE(spin.error.find("time"), std::string::npos) << spin.error;
  for (int i = 0; i < 2; ++i) {  // both Faaslets of the pool, limit then none
    EXPECT_EQ(text(limited("alloc64", {}, 512).output), "failed");
    EXPECT_EQ(text(call("test", "probe", "alloc64").output), "ok");
  }
}

size_t residentBytes() {
  std::ifstream f("/proc/self/statm");
  size_t pages = 0, resident = 0;
  f >> pages >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// Bound on process memory growth over 1000 calls after warm-up.
constexpr size_t kThousandCallsGrowthBound = 16 << 20;

TEST_F(NodeTest, ThousandCallsWithoutMemoryGrowth) {
  add("demo", "echo");
  for (int i = 0; i < 50; ++i)
    call("demo", "echo", "warm-up");
  size_t before = residentBytes();
  for (int i = 0; i < 1000; ++i) {
    std::string in = "call " + std::to_string(i);
    auto r = call("demo", "echo", in);
    ASSERT_EQ(text(r.output), in);
  }
  size_t after = residentBytes();
  EXPECT_LT(after, before + kThousandCallsGrowthBound)
      << "grew by " << (after - before) / 1024 << " KiB";
}

// Memory deltas: what one Faaslet wrote, applied to another.
uint32_t hostDouble(wasm::Instance&, uint32_t x) {
  return 2 * x;
}

TEST(MemoryDelta, CarriesWrittenPagesAndGlobals) {
  wasm::HostRegistry reg;
  reg.add<&hostDouble>("test", "double");
  auto module = test::loadGuest("snapshot", &reg);
  ASSERT_TRUE(module);
  auto proto = faaslet::ProtoFaaslet::create(module, reg);
  ASSERT_TRUE(proto) << proto.error().message;
  auto a = (*proto)->newFaaslet();
  auto b = (*proto)->newFaaslet();
  ASSERT_TRUE(a && b);
  auto& ia = (*a)->instance();
  using wasm::Value;
  ASSERT_TRUE(ia.call("init"));
  ASSERT_TRUE(ia.call("store", std::vector<Value>{Value::makeI32(64), Value::makeI32(99)}));
  ASSERT_TRUE(ia.call("grow", std::vector<Value>{Value::makeI32(1)}));
  ASSERT_TRUE(ia.call("store", std::vector<Value>{Value::makeI32(65536 + 8), Value::makeI32(5)}));
  ASSERT_TRUE(ia.call("bump"));
  auto delta = (*a)->takeDelta();
  ASSERT_TRUE(delta) << delta.error().message;
  EXPECT_EQ(delta->memoryBytes, 2u * 65536);
  EXPECT_LE(delta->pages.size(), 3u);  // only what was written, not the whole memory
  ASSERT_TRUE((*b)->applyDelta(*delta));
  auto& ib = (*b)->instance();
  EXPECT_EQ(ib.call("load", std::vector<Value>{Value::makeI32(64)})->at(0).i32, 99u);
  EXPECT_EQ(ib.call("load", std::vector<Value>{Value::makeI32(65536 + 8)})->at(0).i32, 5u);
  EXPECT_EQ(ib.call("counter_via_table")->at(0).i32, 8u);
  // What b changes after applying a's delta: only that page comes back.
  ASSERT_TRUE(ib.call("store", std::vector<Value>{Value::makeI32(65536 + 8), Value::makeI32(6)}));
  auto back = (*b)->takeDelta(&*delta);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->pages, std::vector<uint32_t>{16});  // 4 KiB page of address 65544
  EXPECT_EQ(back->memoryBytes, 2u * 65536);
  ASSERT_TRUE((*a)->applyDelta(*back));
  EXPECT_EQ(ia.call("load", std::vector<Value>{Value::makeI32(65536 + 8)})->at(0).i32, 6u);
  EXPECT_EQ(ia.call("load", std::vector<Value>{Value::makeI32(64)})->at(0).i32, 99u);
  EXPECT_EQ(ia.call("counter_via_table")->at(0).i32, 8u);
  // Without `since`, every page written since the reset comes back.
  EXPECT_GT((*b)->takeDelta()->pages.size(), back->pages.size());
  // A delta of another shape is refused.
  faaslet::MemoryDelta broken = *delta;
  broken.data.pop_back();
  EXPECT_FALSE((*b)->applyDelta(broken));
}

}  // namespace
}  // namespace nearfaas
