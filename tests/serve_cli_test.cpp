// `nearfaas serve` and the client commands end to end, through the binary:
// a server process on ephemeral ports, driven by `nearfaas func upload /
// invoke / status`, `state`, `obj --host`; SIGTERM; a port in use.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <regex>

#include "base/process.h"
#include "http_server.h"

namespace nearfaas {
namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// A `nearfaas serve` child process with its log in a file.
class ServeProcess {
 public:
  explicit ServeProcess(std::vector<std::string> extra = {"--slots", "2"}) {
    log_ = dir_.path() / "serve.log";
    std::vector<std::string> args = {
        NEARFAAS_BINARY, "serve",
        "--upload-port", "0",
        "--invoke-port", "0",
        "--data-dir",    (dir_.path() / "data").string(),
        "--cache-dir",   test::testCacheDir().string(),
    };
    args.insert(args.end(), extra.begin(), extra.end());
    // Everything the child needs is prepared before fork(): a multithreaded
    // parent's child may only make async-signal-safe calls.
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    int fd = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(fd);
    // The log names the bound ports once both endpoints listen.
    std::regex ports("upload endpoint on [0-9.]+:([0-9]+), invoke endpoint on [0-9.]+:([0-9]+)");
    bool up = test::pollUntil([&] {
      std::smatch m;
      std::string text = log();
      if (!std::regex_search(text, m, ports)) return exited();
      upload_ = static_cast<uint16_t>(std::stoi(m[1]));
      invoke_ = static_cast<uint16_t>(std::stoi(m[2]));
      return true;
    });
    if (!up || !upload_) ADD_FAILURE() << "serve did not start:\n" << log();
  }
  ~ServeProcess() {
    if (pid_ > 0 && status_ < 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  bool ok() const { return upload_ != 0; }
  uint16_t uploadPort() const { return upload_; }
  uint16_t invokePort() const { return invoke_; }
  std::string log() const {
    std::ifstream f(log_);
    return std::string(std::istreambuf_iterator<char>(f), {});
  }
  // Sends `sig` and waits (bounded) for the exit status; -1 if it did not exit.
  int stop(int sig) {
    signal(sig);
    return waitForExit();
  }
  void signal(int sig) const { kill(pid_, sig); }
  // The exit status, once the process exits (bounded wait); -1 if it did not.
  int waitForExit() {
    test::pollUntil([&] { return exited(); });
    return status_;
  }
  // Whether the process has exited (looks without waiting).
  bool exited() {
    if (status_ >= 0) return true;
    int st = 0;
    if (waitpid(pid_, &st, WNOHANG) != pid_) return false;
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return true;
  }

  // Runs `nearfaas <args> --host 127.0.0.1 --upload-port U --invoke-port I`.
  ProcessResult client(std::vector<std::string> args) const {
    args.insert(args.begin(), NEARFAAS_BINARY);
    for (const std::string& a :
         {std::string("--host"), std::string("127.0.0.1"), std::string("--upload-port"),
          std::to_string(upload_), std::string("--invoke-port"), std::to_string(invoke_)})
      args.push_back(a);
    auto r = runProcess(args, std::chrono::minutes(2));
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : ProcessResult{};
  }
  const std::filesystem::path& dir() const { return dir_.path(); }

 private:
  test::TempDir dir_;
  std::filesystem::path log_;
  pid_t pid_ = -1;
  int status_ = -1;
  uint16_t upload_ = 0, invoke_ = 0;
};

TEST(ServeCli, HelpListsTheOptions) {
  auto r = runProcess({NEARFAAS_BINARY, "serve", "--help"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exitCode, 0);
  for (const char* opt :
       {"--listen", "--host", "--invoke-port", "--upload-port", "--data-dir", "--slots",
        "--http-threads", "--max-body", "--timeout", "--grace", "--auth", "--admin-token-file"})
    EXPECT_TRUE(contains(r->output, opt)) << opt;
  auto top = runProcess({NEARFAAS_BINARY, "--help"});
  ASSERT_TRUE(top);
  for (const char* cmd : {"serve", "state", "obj", "token"})
    EXPECT_TRUE(contains(top->output, cmd)) << cmd;
  auto func = runProcess({NEARFAAS_BINARY, "func", "--help"});
  ASSERT_TRUE(func);
  for (const char* cmd : {"upload", "invoke", "status"})
    EXPECT_TRUE(contains(func->output, cmd)) << cmd;
}

TEST(ServeCli, ClientCommandsAgainstTheServer) {
  ServeProcess serve;
  ASSERT_TRUE(serve.ok());
  auto up =
      serve.client({"func", "upload", "demo", "echo", test::functionWasm("demo", "echo").string()});
  ASSERT_EQ(up.exitCode, 0) << up.output;
  EXPECT_TRUE(contains(up.output, "Function upload complete")) << up.output;

  auto sync = serve.client({"func", "invoke", "demo", "echo", "--input", "hi there"});
  EXPECT_EQ(sync.exitCode, 0) << sync.output;
  EXPECT_EQ(sync.output, "hi there");

  auto async = serve.client({"func", "invoke", "demo", "echo", "--input", "later", "--async"});
  ASSERT_EQ(async.exitCode, 0) << async.output;
  std::string id = async.output.substr(0, async.output.find('\n'));
  auto status = serve.client({"func", "status", id, "--wait"});
  EXPECT_EQ(status.exitCode, 0) << status.output;
  EXPECT_TRUE(contains(status.output, "\"output_data\":\"later\"")) << status.output;

  // Failures: non-zero exit and the server's message.
  auto unknown = serve.client({"func", "invoke", "demo", "nosuch"});
  EXPECT_EQ(unknown.exitCode, 1);
  EXPECT_TRUE(contains(unknown.output, "404: no function demo/nosuch")) << unknown.output;
  auto badStatus = serve.client({"func", "status", "424242"});
  EXPECT_EQ(badStatus.exitCode, 1);
  EXPECT_TRUE(contains(badStatus.output, "No call with id 424242")) << badStatus.output;
  auto probe = serve.client(
      {"func", "upload", "test", "probe", test::functionWasm("test", "probe").string()});
  ASSERT_EQ(probe.exitCode, 0) << probe.output;
  auto trap = serve.client({"func", "invoke", "test", "probe", "--input", "trap"});
  EXPECT_EQ(trap.exitCode, 1);
  EXPECT_TRUE(contains(trap.output, "unreachable executed")) << trap.output;
  // State.
  EXPECT_EQ(serve.client({"state", "set", "demo", "greeting", "hello state"}).exitCode, 0);
  auto state = serve.client({"state", "get", "demo", "greeting"});
  EXPECT_EQ(state.exitCode, 0);
  EXPECT_EQ(state.output, "hello state");
  auto file = serve.dir() / "value.bin";
  std::ofstream(file) << "from a file";
  EXPECT_EQ(serve.client({"state", "set", "demo", "f", "--file", file.string()}).exitCode, 0);
  EXPECT_EQ(serve.client({"state", "get", "demo", "f"}).output, "from a file");
  EXPECT_EQ(serve.client({"state", "get", "demo", "missing"}).exitCode, 1);
  auto junk = serve.client({"func", "upload", "demo", "junk", file.string()});
  EXPECT_EQ(junk.exitCode, 1);
  EXPECT_TRUE(contains(junk.output, "400: invalid module")) << junk.output;

  // Objects: --host sends them to the server; they are the ones functions read.
  EXPECT_EQ(serve.client({"obj", "put", "demo", "dir/one two", file.string()}).exitCode, 0);
  auto obj = serve.client({"obj", "get", "demo", "dir/one two"});
  EXPECT_EQ(obj.exitCode, 0) << obj.output;
  EXPECT_EQ(obj.output, "from a file");
  auto missing = serve.client({"obj", "get", "demo", "nothing"});
  EXPECT_EQ(missing.exitCode, 1);
  EXPECT_TRUE(contains(missing.output, "No object demo/nothing")) << missing.output;

  // One log line per call.
  EXPECT_TRUE(contains(serve.log(), "demo/echo sync 200")) << serve.log();
  EXPECT_TRUE(contains(serve.log(), "demo/echo async")) << serve.log();
  EXPECT_EQ(serve.stop(SIGTERM), 0) << serve.log();
}

TEST(ServeCli, SigtermAndSigintExitZero) {
  for (int sig : {SIGTERM, SIGINT}) {
    ServeProcess serve;
    ASSERT_TRUE(serve.ok());
    auto ping = test::fetchOrFail({"127.0.0.1", serve.invokePort()}, {"GET", "/ping"});
    EXPECT_EQ(ping.body, "PONG");
    EXPECT_EQ(serve.stop(sig), 0) << serve.log();
    EXPECT_TRUE(contains(serve.log(), "stopped")) << serve.log();
  }
}

// A second SIGINT (Ctrl-C twice) during a shutdown that waits for a slow
// call exits at once with status 130. The call sets state test/probe_flag
// when it runs, then sleeps for longer than this test may take.
TEST(ServeCli, SecondSignalExitsAt130WithoutWaiting) {
  ServeProcess serve({"--slots", "1", "--timeout", "100000"});
  ASSERT_TRUE(serve.ok());
  ASSERT_EQ(
      serve
          .client({"func", "upload", "test", "probe", test::functionWasm("test", "probe").string()})
          .exitCode,
      0);
  auto slow = serve.client({"func", "invoke", "test", "probe", "--input", "flag_sleep", "--async"});
  ASSERT_EQ(slow.exitCode, 0) << slow.output;
  http::Endpoint upload{"127.0.0.1", serve.uploadPort()};
  ASSERT_TRUE(test::pollUntil([&] {
    auto flag = test::fetchOrFail(upload, {"GET", "/s/test/probe_flag"});
    return flag.status == 200 && !flag.body.empty() && flag.body[0] == 1;
  }));
  serve.signal(SIGINT);
  // Only once the first is taken (two pending SIGINTs would be one).
  ASSERT_TRUE(test::pollUntil([&] { return contains(serve.log(), "shutting down"); }))
      << serve.log();
  serve.signal(SIGINT);
  EXPECT_EQ(serve.waitForExit(), 130) << serve.log();
  EXPECT_TRUE(contains(serve.log(), "again: exiting without waiting for calls")) << serve.log();
}

// SIGTERM with a synchronous call waiting behind a busy executor: after the
// grace period the caller gets "server shutting down", and serve exits 0 once
// the running call ends. That call runs until the test creates an object in
// the store's directory (the endpoints are closed by then), so it surely
// still runs when the grace period is over.
TEST(ServeCli, SigtermFailsCallsStillWaiting) {
  ServeProcess serve({"--slots", "1", "--grace", "300", "--log-level", "debug"});
  ASSERT_TRUE(serve.ok());
  auto up = serve.client(
      {"func", "upload", "test", "imports", test::guestPath("faasm_imports").string()});
  ASSERT_EQ(up.exitCode, 0) << up.output;
  auto busy = serve.client({"func", "invoke", "test", "imports", "--input", "w", "--async"});
  ASSERT_EQ(busy.exitCode, 0) << busy.output;
  const auto objects = serve.dir() / "data" / "store" / "test";
  ASSERT_TRUE(test::pollUntil([&] { return std::filesystem::exists(objects / "waiting"); }));
  auto waiting = std::async(std::launch::async, [&] {
    return serve.client({"func", "invoke", "test", "imports", "--input", "x"});
  });
  // The waiting call is queued once the (debug) log says so.
  ASSERT_TRUE(test::pollUntil([&] { return contains(serve.log(), "test/imports queued, sync"); }))
      << serve.log();
  serve.signal(SIGTERM);
  auto r = waiting.get();
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_TRUE(contains(r.output, "503: server shutting down")) << r.output;
  // The endpoints are gone; serve now waits for the running call, which can
  // end only once "go" exists.
  ASSERT_TRUE(test::pollUntil([&] { return contains(serve.log(), "HTTP endpoints stopped"); }))
      << serve.log();
  ASSERT_TRUE(writeFileAtomic(objects / "go", std::string("go")));
  EXPECT_EQ(serve.waitForExit(), 0) << serve.log();
  // It waited for the running call.
  std::string id = busy.output.substr(0, busy.output.find('\n'));
  EXPECT_TRUE(std::regex_search(serve.log(),
                                std::regex("call " + id + " test/imports async [0-9.]+ ms ok\n")))
      << serve.log();
}

// --allow-origin (repeatable) lets those web origins in, and no other; an
// origin that is not scheme://host[:port] stops serve at start. --allow-host
// adds a name the server answers to.
TEST(ServeCli, AllowOrigin) {
  ServeProcess serve({"--slots", "1", "--allow-origin", "http://localhost:3000", "--allow-origin",
                      "https://b.example", "--allow-host", "faas.internal"});
  ASSERT_TRUE(serve.ok());
  http::Endpoint upload{"127.0.0.1", serve.uploadPort()};
  for (const char* origin : {"http://localhost:3000", "https://b.example"}) {
    auto r = test::fetchOrFail(upload, {"GET", "/ping", {{"Origin", origin}}});
    EXPECT_EQ(r.status, 200u) << r.body;
    ASSERT_TRUE(r.header("Access-Control-Allow-Origin")) << origin;
    EXPECT_EQ(*r.header("Access-Control-Allow-Origin"), origin);
  }
  EXPECT_EQ(test::fetchOrFail(upload, {"GET", "/ping", {{"Origin", "http://c.example"}}}).status,
            403u);
  // --allow-host: that name works, other names (DNS rebinding) do not.
  EXPECT_EQ(test::fetchOrFail(upload, {"GET", "/ping", {{"Host", "faas.internal"}}}).status, 200u);
  EXPECT_EQ(test::fetchOrFail(upload, {"GET", "/ping", {{"Host", "evil.example"}}}).status, 403u);
  test::TempDir dir;
  auto bad = runProcess({NEARFAAS_BINARY, "serve", "--upload-port", "0", "--invoke-port", "0",
                         "--data-dir", dir.path().string(), "--allow-origin", "http://x/"},
                        std::chrono::minutes(1));
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->exitCode, 1) << bad->output;
  EXPECT_TRUE(contains(bad->output, "invalid allowed origin 'http://x/'")) << bad->output;
}

// A process that may open fewer files than state may hold keys is told so
// (each key holds a descriptor); a soft limit is first raised to the hard
// one. Here the server then stops on a port in use.
TEST(ServeCli, WarnsWhenStateKeysExceedTheOpenFileLimit) {
  ServeProcess first;
  ASSERT_TRUE(first.ok());
  test::TempDir dir;
  auto serveWith = [&](const std::string& ulimit) {
    std::string command = ulimit + " && exec " + std::string(NEARFAAS_BINARY) +
                          " serve --upload-port 0 --invoke-port " +
                          std::to_string(first.invokePort()) + " --data-dir " + dir.path().string();
    auto r = runProcess({"sh", "-c", command}, std::chrono::minutes(1));
    EXPECT_TRUE(r);
    EXPECT_EQ(r ? r->exitCode : 0, 1) << (r ? r->output : "");
    return r ? r->output : "";
  };
  std::string hard = serveWith("ulimit -n 512");
  EXPECT_TRUE(contains(hard, "this process may open 512 files, but state may hold 10000 keys"))
      << hard;
  // A soft limit is raised to the hard one, which decides.
  rlimit files{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &files), 0);
  std::string soft = serveWith("ulimit -S -n 512");
  EXPECT_FALSE(contains(soft, "may open 512 files")) << soft;
  EXPECT_EQ(contains(soft, "may open"), files.rlim_max < 10000 + 4096) << soft;
  EXPECT_EQ(first.stop(SIGTERM), 0);
}

TEST(ServeCli, PortInUseFails) {
  ServeProcess first;
  ASSERT_TRUE(first.ok());
  test::TempDir dir;
  auto r = runProcess({NEARFAAS_BINARY, "serve", "--upload-port", "0", "--invoke-port",
                       std::to_string(first.invokePort()), "--data-dir", dir.path().string()},
                      std::chrono::minutes(1));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exitCode, 1) << r->output;
  EXPECT_TRUE(contains(r->output, "Address already in use")) << r->output;
  EXPECT_EQ(first.stop(SIGTERM), 0);
}

// Without HOME (and no directory given) nothing falls back to a shared
// directory such as /tmp: the commands refuse, saying what to set.
TEST(ServeCli, RefusesToStartWithoutHome) {
  auto serve = runProcess({"env", "-i", "PATH=/usr/bin:/bin", NEARFAAS_BINARY, "serve",
                           "--upload-port", "0", "--invoke-port", "0"},
                          std::chrono::minutes(1));
  ASSERT_TRUE(serve);
  EXPECT_EQ(serve->exitCode, 1) << serve->output;
  EXPECT_TRUE(contains(serve->output, "no data directory")) << serve->output;
  auto run = runProcess({"env", "-i", "PATH=/usr/bin:/bin", NEARFAAS_BINARY, "run",
                         test::functionWasm("demo", "hello").string()},
                        std::chrono::minutes(1));
  ASSERT_TRUE(run);
  EXPECT_EQ(run->exitCode, 1) << run->output;
  EXPECT_TRUE(contains(run->output, "no directory for generated code")) << run->output;
}

// The code sharing secret must be private and long enough; a server refuses
// to start otherwise, saying why.
TEST(ServeCli, CodeSecretFileMustBePrivateAndLong) {
  test::TempDir dir;
  auto secret = dir.path() / "secret";
  struct Case {
    std::string text;
    std::filesystem::perms perms;
    std::string error;
  };
  for (const Case& c : std::vector<Case>{
           {"a-secret-of-enough-bytes\n", std::filesystem::perms(0644), "chmod 600"},
           {"short\n", std::filesystem::perms(0600), "at least 16"},
       }) {
    ASSERT_TRUE(writeFileAtomic(secret, c.text));
    std::filesystem::permissions(secret, c.perms);
    auto r = runProcess({NEARFAAS_BINARY, "serve", "--upload-port", "0", "--invoke-port", "0",
                         "--data-dir", dir.path().string(), "--code-secret-file", secret.string()},
                        std::chrono::minutes(1));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->exitCode, 1) << r->output;
    EXPECT_TRUE(contains(r->output, c.error)) << r->output;
  }
}

// `serve --auth required` on loopback: the admin token file is created
// private, never logged; `token create/list/revoke` manage user tokens and
// every client command sends --token (or $NEARFAAS_TOKEN).
TEST(ServeCli, TokensThroughTheCli) {
  ServeProcess serve({"--slots", "1", "--auth", "required"});
  ASSERT_TRUE(serve.ok()) << serve.log();
  auto file = serve.dir() / "data" / "admin-token";
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string admin = test::fileText(file);
  while (!admin.empty() && admin.back() == '\n')
    admin.pop_back();
  ASSERT_GE(admin.size(), 32u);
  EXPECT_FALSE(contains(serve.log(), admin));

  std::string hello = test::functionWasm("demo", "hello").string();
  auto anon = serve.client({"func", "upload", "alice", "hello", hello});
  EXPECT_EQ(anon.exitCode, 1);
  EXPECT_TRUE(contains(anon.output, "401")) << anon.output;
  EXPECT_EQ(serve.client({"token", "create", "alice", "--token", "not-the-admin"}).exitCode, 1);

  auto created = serve.client({"token", "create", "alice", "--token", admin});
  ASSERT_EQ(created.exitCode, 0) << created.output;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(created.output, m, std::regex("(nft_[0-9a-f]+_[0-9a-f]+)")))
      << created.output;
  std::string alice = m[1];
  auto up = serve.client({"func", "upload", "alice", "hello", hello, "--token", alice});
  EXPECT_EQ(up.exitCode, 0) << up.output;
  auto call = serve.client({"func", "invoke", "alice", "hello", "--token", alice});
  EXPECT_EQ(call.exitCode, 0) << call.output;
  // The token can come from the environment instead (the child inherits it).
  ::setenv("NEARFAAS_TOKEN", alice.c_str(), 1);
  auto fromEnv = serve.client({"func", "invoke", "alice", "hello"});
  ::unsetenv("NEARFAAS_TOKEN");
  EXPECT_EQ(fromEnv.exitCode, 0) << fromEnv.output;
  EXPECT_EQ(fromEnv.output, "Hello Faasm!");
  auto other = serve.client({"state", "set", "bob", "k", "v", "--token", alice});
  EXPECT_EQ(other.exitCode, 1);
  EXPECT_TRUE(contains(other.output, "403")) << other.output;
  EXPECT_EQ(serve.client({"token", "list", "--token", alice}).exitCode, 1);  // admin only

  auto list = serve.client({"token", "list", "alice", "--token", admin});
  ASSERT_EQ(list.exitCode, 0) << list.output;
  EXPECT_TRUE(contains(list.output, " alice ")) << list.output;
  EXPECT_FALSE(contains(list.output, alice));
  EXPECT_EQ(serve.client({"token", "revoke", "alice", "--token", admin}).exitCode, 0);
  auto revoked = serve.client({"func", "invoke", "alice", "hello", "--token", alice});
  EXPECT_EQ(revoked.exitCode, 1);
  EXPECT_TRUE(contains(revoked.output, "401")) << revoked.output;
  EXPECT_EQ(serve.stop(SIGTERM), 0);
}

// An admin token file others can read is refused, as --code-secret-file.
TEST(ServeCli, AdminTokenFileMustBePrivate) {
  test::TempDir dir;
  auto file = dir.path() / "admin";
  {
    std::ofstream f(file);
    f << "an-admin-token-that-is-long-enough-0123456789\n";
  }
  ::chmod(file.c_str(), 0644);
  auto r = runProcess(
      {NEARFAAS_BINARY, "serve", "--auth", "required", "--upload-port", "0", "--invoke-port", "0",
       "--data-dir", (dir.path() / "data").string(), "--admin-token-file", file.string()},
      std::chrono::minutes(1));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->exitCode, 1);
  EXPECT_TRUE(contains(r->output, "chmod 600")) << r->output;
}

// A cluster whose Redis cannot be reached, or a malformed --cluster URL,
// stops serve at startup with the reason, before it listens.
TEST(ServeCli, ClusterWithoutItsRedisRefusesToStart) {
  test::TempDir dir;
  for (const char* url : {"redis://127.0.0.1:1", "http://127.0.0.1:6379"}) {
    auto r = runProcess({NEARFAAS_BINARY, "serve", "--upload-port", "0", "--invoke-port", "0",
                         "--data-dir", (dir.path() / "data").string(), "--cluster", url},
                        std::chrono::minutes(1));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_NE(r->exitCode, 0) << url << ": " << r->output;
    EXPECT_TRUE(contains(r->output, "redis")) << url << ": " << r->output;
    EXPECT_FALSE(contains(r->output, "upload endpoint on")) << url << ": " << r->output;
  }
}

}  // namespace
}  // namespace nearfaas
