// The object class plugin in a real Ceph OSD: a cluster from scripts/ceph.sh
// (its own temp dir, memstore) loads build/ceph-classes/libcls_nearfaas.so;
// a RADOS exec on an object reaches a storage runtime stand-in listening on
// the unix socket, which reads and writes the object through the class.
// (The stand-in plays the runtime's side of the protocol; the real storage
// runtime runs against the same class in ndp_offloader_ceph and ndp_topology.)
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <rados/librados.hpp>

#include "base/process.h"
#include "ndp/frame.h"
#include "ndp/wire.h"

namespace nearfaas::ndp {
namespace {

namespace fs = std::filesystem;
constexpr auto kIo = std::chrono::seconds(20);
// How long the class waits for the runtime (set in the OSD's environment).
constexpr int kClassTimeoutMs = 2000;

Bytes bytesOf(std::string_view s) {
  return Bytes(s.begin(), s.end());
}
ceph::bufferlist listOf(std::span<const uint8_t> b) {
  ceph::bufferlist bl;
  bl.append(reinterpret_cast<const char*>(b.data()), static_cast<unsigned>(b.size()));
  return bl;
}
Bytes bytesOf(ceph::bufferlist& bl) {
  Bytes b(bl.length());
  bl.begin().copy(bl.length(), reinterpret_cast<char*>(b.data()));
  return b;
}

// One cluster for the whole binary.
class Cluster : public ::testing::Environment {
 public:
  static Cluster* instance;
  void SetUp() override { instance = this; }
  // Starts the cluster on first use; false (and why) if it did not come up.
  bool ensureUp() {
    if (!tried_) {
      tried_ = true;
      start();
    }
    return up_;
  }
  const std::string& whyNot() const { return whyNot_; }

 private:
  void start() {
    char tmpl[] = "/tmp/nearfaas-cls-test-XXXXXX";
    ASSERT_TRUE(mkdtemp(tmpl));
    dir_ = tmpl;
    socket_ = (dir_ / "ndp.sock").string();
    setenv("NEARFAAS_NDP_SOCKET", socket_.c_str(), 1);
    setenv("NEARFAAS_NDP_TIMEOUT_MS", std::to_string(kClassTimeoutMs).c_str(), 1);
    auto up = runProcess({NEARFAAS_SOURCE_DIR "/scripts/ceph.sh", "up", "--dir",
                          (dir_ / "ceph").string(), "--class-dir", NEARFAAS_CEPH_CLASS_DIR,
                          // taken down even if this process dies
                          "--owner-pid", std::to_string(getpid())},
                         std::chrono::minutes(3));
    if (!up || up->exitCode != 0) {
      whyNot_ = up ? up->output : up.error().message;
      return;
    }
    auto at = up->output.rfind("ceph-conf=");
    if (at == std::string::npos) {
      whyNot_ = "no ceph-conf= line in: " + up->output;
      return;
    }
    std::string conf = up->output.substr(at + 10);
    conf.erase(conf.find_last_not_of("\n ") + 1);
    if (rados_.init2("client.admin", "ceph", 0) != 0 || rados_.conf_read_file(conf.c_str()) != 0 ||
        rados_.connect() != 0 || rados_.ioctx_create("nearfaas", io_) != 0) {
      whyNot_ = "cannot connect librados to the cluster with " + conf;
      return;
    }
    io_.set_namespace("ndp");
    up_ = true;
  }

 public:
  void TearDown() override {
    if (dir_.empty()) return;
    if (up_) {
      io_.close();
      rados_.shutdown();
    }
    runProcess({NEARFAAS_SOURCE_DIR "/scripts/ceph.sh", "down", "--dir", (dir_ / "ceph").string()},
               std::chrono::minutes(1));
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  librados::IoCtx& io() { return io_; }
  const std::string& socketPath() const { return socket_; }

 private:
  fs::path dir_;
  std::string socket_;
  librados::Rados rados_;
  librados::IoCtx io_;
  bool up_ = false, tried_ = false;
  std::string whyNot_;
};
Cluster* Cluster::instance = nullptr;

// Every test starts here: a cluster that did not come up fails the test
// (a failure in the environment's SetUp would only make gtest skip them).
class CephClass : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Cluster::instance->ensureUp())
        << "the Ceph cluster did not come up: " << Cluster::instance->whyNot();
  }
};

// A socket listening where the class connects to its runtime.
int listenOnClassSocket() {
  const std::string& path = Cluster::instance->socketPath();
  ::unlink(path.c_str());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(::listen(fd, 4), 0);
  return fd;
}

// Listens on the class's socket and runs `serve` on the first connection.
class RuntimeStandIn {
 public:
  explicit RuntimeStandIn(std::function<void(int fd)> serve) {
    listener_ = listenOnClassSocket();
    thread_ = std::thread([this, serve] {
      int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      serve(fd);
      ::close(fd);
    });
  }
  ~RuntimeStandIn() {
    ::shutdown(listener_, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
    ::unlink(Cluster::instance->socketPath().c_str());
  }

 private:
  int listener_ = -1;
  std::thread thread_;
};

// The class's socket with nobody serving it: a connection the class made
// waits in the backlog, where connectionMade() sees it.
class NoRuntime {
 public:
  NoRuntime() { listener_ = listenOnClassSocket(); }
  ~NoRuntime() {
    ::close(listener_);
    ::unlink(Cluster::instance->socketPath().c_str());
  }
  bool connectionMade() const {
    pollfd p{listener_, POLLIN, 0};
    return ::poll(&p, 1, 0) == 1;
  }

 private:
  int listener_ = -1;
};

// One object operation from the stand-in's side.
ObjectOpReply ask(int fd, const ObjectOp& op) {
  EXPECT_TRUE(sendFrame(fd, encode(op), deadlineIn(kIo)));
  auto frame = recvFrame(fd, 1ull << 30, deadlineIn(kIo));
  EXPECT_TRUE(frame) << frame.error().message;
  if (!frame) return {};
  auto reply = decodeObjectOpReply(*frame);
  EXPECT_TRUE(reply) << reply.error().message;
  return reply ? *reply : ObjectOpReply{};
}

OffloadRequest requestFor(const std::string& key) {
  OffloadRequest r;
  r.callId = 42;
  r.user = "ndp";
  r.function = "wordcount";
  r.key = key;
  r.funcPtr = 3;
  r.args = {7};
  r.origin = "127.0.0.1:1";
  r.token = "secret";
  return r;
}

// Runs method `method` of the class on `key` with `input`; the decoded verdict.
Result<OffloadReply> exec(const std::string& key, const std::string& method, const Bytes& input) {
  ceph::bufferlist in = listOf(input), out;
  int rc = Cluster::instance->io().exec(key, "nearfaas", method.c_str(), in, out);
  if (rc < 0) return fail("exec failed: ", rc);
  Bytes b = bytesOf(out);
  return decodeReply(b);
}

TEST_F(CephClass, ServesTheObjectToTheRuntime) {
  auto& io = Cluster::instance->io();
  std::string text = "hello hello world my world";
  ceph::bufferlist data = listOf(bytesOf(text));
  ASSERT_EQ(io.write_full("doc", data), 0);
  ClassRequest seen;
  ObjectOpReply stat, read, tail, write;
  {
    RuntimeStandIn runtime([&](int fd) {
      auto frame = recvFrame(fd, 1 << 20, deadlineIn(kIo));
      ASSERT_TRUE(frame);
      auto forwarded = decodeClassRequest(*frame);
      ASSERT_TRUE(forwarded) << forwarded.error().message;
      seen = *forwarded;
      stat = ask(fd, {ObjectOp::Stat});
      read = ask(fd, {ObjectOp::Read, 0, 1 << 20});
      tail = ask(fd, {ObjectOp::Read, 12, 5});
      write = ask(fd, {ObjectOp::WriteFull, 0, 0, bytesOf("no")});
      sendFrame(fd, encode(OffloadReply{Verdict::Done, ""}), deadlineIn(kIo));
    });
    auto reply = exec("doc", "offload_ro", encode(requestFor("doc")));
    ASSERT_TRUE(reply) << reply.error().message;
    EXPECT_EQ(reply->verdict, Verdict::Done) << reply->reason;
  }
  // The request, with what the class found out from the OSD: the object it
  // ran on, and the RADOS client's address.
  EXPECT_EQ(seen.request, requestFor("doc"));
  EXPECT_EQ(seen.objectNamespace, "ndp");
  EXPECT_EQ(seen.objectName, "doc");
  EXPECT_EQ(seen.clientAddress, "127.0.0.1");
  EXPECT_EQ(stat.status, 0);
  EXPECT_EQ(stat.size, text.size());
  EXPECT_EQ(read.data, bytesOf(text));
  EXPECT_EQ(tail.data, bytesOf("world"));
  EXPECT_EQ(write.status, -EPERM);  // offload_ro cannot write
  ceph::bufferlist after;
  ASSERT_EQ(io.read("doc", after, 0, 0), int(text.size()));
}

TEST_F(CephClass, ReadWriteMethodWritesTheObject) {
  auto& io = Cluster::instance->io();
  ceph::bufferlist data = listOf(bytesOf("old"));
  ASSERT_EQ(io.write_full("rw", data), 0);
  ObjectOpReply write;
  {
    RuntimeStandIn runtime([&](int fd) {
      auto request = recvFrame(fd, 1 << 20, deadlineIn(kIo));
      ASSERT_TRUE(request) << request.error().message;
      write = ask(fd, {ObjectOp::WriteFull, 0, 0, bytesOf("new contents")});
      sendFrame(fd, encode(OffloadReply{Verdict::Done, ""}), deadlineIn(kIo));
    });
    ceph::bufferlist in = listOf(encode(requestFor("rw"))), out;
    EXPECT_EQ(io.exec("rw", "nearfaas", "offload_rw", in, out), 0);  // the verdict: done
  }
  EXPECT_EQ(write.status, 0);
  ceph::bufferlist after;
  ASSERT_GT(io.read("rw", after, 0, 0), 0);
  EXPECT_EQ(bytesOf(after), bytesOf("new contents"));
}

// The OSD refuses a read method on a missing object itself (the caller then
// runs the work locally, where the function sees the object missing); for a
// write method the class cannot tell which object it runs on (there is no
// object info yet), so it sends the call back without asking the runtime.
TEST_F(CephClass, MissingObjects) {
  ceph::bufferlist in = listOf(encode(requestFor("nosuch"))), out;
  EXPECT_EQ(Cluster::instance->io().exec("nosuch", "nearfaas", "offload_ro", in, out), -ENOENT);
  NoRuntime runtime;
  ceph::bufferlist in2 = listOf(encode(requestFor("nosuch2"))), out2;
  EXPECT_EQ(Cluster::instance->io().exec("nosuch2", "nearfaas", "offload_wo", in2, out2),
            -EBUSY);  // run locally
  EXPECT_FALSE(runtime.connectionMade());
}

// The class forwards only requests whose user and key are the namespace and
// name of the object the exec runs on, as the OSD knows it: a client cannot
// have the storage side run another user's function, or another object's
// name, with this object's data. Forging the object info in the same
// operation does not help: the class reads what the OSD stored.
TEST_F(CephClass, RefusesRequestsForAnotherObject) {
  auto& io = Cluster::instance->io();
  ceph::bufferlist data = listOf(bytesOf("mine"));
  ASSERT_EQ(io.write_full("mine", data), 0);
  librados::IoCtx victim;
  victim.dup(io);
  victim.set_namespace("victim");
  ceph::bufferlist victimData = listOf(bytesOf("theirs"));
  ASSERT_EQ(victim.write_full("theirs", victimData), 0);
  NoRuntime runtime;
  OffloadRequest otherUser = requestFor("mine"), otherKey = requestFor("mine");
  otherUser.user = "victim";
  otherKey.key = "theirs";
  for (const auto& r : {otherUser, otherKey}) {
    auto reply = exec("mine", "offload_ro", encode(r));
    ASSERT_TRUE(reply) << reply.error().message;
    EXPECT_EQ(reply->verdict, Verdict::ProcessLocally);
    EXPECT_NE(reply->reason.find("but was sent to 'mine' in namespace 'ndp'"), std::string::npos)
        << reply->reason;
  }
  // The victim's object info, planted on "mine" in the operation that runs
  // the class (its output is dropped: a write operation).
  ceph::bufferlist victimInfo;
  ASSERT_GT(victim.getxattr("theirs", "", victimInfo), 0);
  OffloadRequest forged = requestFor("theirs");
  forged.user = "victim";
  librados::ObjectWriteOperation op;
  op.setxattr("", victimInfo);
  ceph::bufferlist forgedIn = listOf(encode(forged));
  op.exec("nearfaas", "offload_ro", forgedIn);
  EXPECT_EQ(io.operate("mine", &op), 0);
  EXPECT_FALSE(runtime.connectionMade());
  // The object info the OSD keeps is its own again.
  ceph::bufferlist after;
  ASSERT_GT(io.getxattr("mine", "", after), 0);
  EXPECT_NE(bytesOf(after), bytesOf(victimInfo));
}

// Every failure ends in a verdict that sends the work back to the caller.
TEST_F(CephClass, FailuresBecomeRunLocallyVerdicts) {
  auto& io = Cluster::instance->io();
  ceph::bufferlist data = listOf(bytesOf("x"));
  ASSERT_EQ(io.write_full("f", data), 0);
  // No runtime listening.
  auto none = exec("f", "offload_ro", encode(requestFor("f")));
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_EQ(none->verdict, Verdict::ProcessLocally);
  EXPECT_NE(none->reason.find("no storage runtime"), std::string::npos) << none->reason;
  // A corrupt request never reaches the runtime.
  auto corrupt = exec("f", "offload_ro", bytesOf("garbage"));
  ASSERT_TRUE(corrupt);
  EXPECT_EQ(corrupt->verdict, Verdict::ProcessLocally);
  EXPECT_NE(corrupt->reason.find("corrupt request"), std::string::npos) << corrupt->reason;
  {
    // The runtime goes away in the middle of the call.
    RuntimeStandIn runtime([&](int fd) { (void)recvFrame(fd, 1 << 20, deadlineIn(kIo)); });
    auto gone = exec("f", "offload_ro", encode(requestFor("f")));
    ASSERT_TRUE(gone);
    EXPECT_EQ(gone->verdict, Verdict::Failed);
    EXPECT_NE(gone->reason.find("closed"), std::string::npos) << gone->reason;
  }
  {
    // The runtime says nothing: the class gives up after its timeout.
    RuntimeStandIn runtime([&](int fd) {
      (void)recvFrame(fd, 1 << 20, deadlineIn(kIo));
      std::this_thread::sleep_for(std::chrono::milliseconds(kClassTimeoutMs + 1500));
    });
    auto silent = exec("f", "offload_ro", encode(requestFor("f")));
    ASSERT_TRUE(silent);
    EXPECT_EQ(silent->verdict, Verdict::Failed);
    EXPECT_NE(silent->reason.find("timed out"), std::string::npos) << silent->reason;
  }
  {
    // A message the class does not expect.
    RuntimeStandIn runtime([&](int fd) {
      (void)recvFrame(fd, 1 << 20, deadlineIn(kIo));
      sendFrame(fd, bytesOf("not a message"), deadlineIn(kIo));
    });
    auto odd = exec("f", "offload_ro", encode(requestFor("f")));
    ASSERT_TRUE(odd);
    EXPECT_EQ(odd->verdict, Verdict::Failed);
  }
  // The OSD still serves afterwards.
  ceph::bufferlist after;
  EXPECT_EQ(io.read("f", after, 0, 0), 1);
}

}  // namespace
}  // namespace nearfaas::ndp

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new nearfaas::ndp::Cluster);
  return RUN_ALL_TESTS();
}
