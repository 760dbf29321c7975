// The upload and invoke endpoints end to end: a real Node and NodeServer on
// loopback (ephemeral ports), driven over HTTP. Every function in func/, sync
// and async; chaining; concurrent calls on shared state; every error path;
// traps and timeouts next to healthy calls; slow clients; shutdown; restart.
#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <set>
#include <shared_mutex>

#include "http/invoke_message.h"
#include "http/server.h"
#include "http/url.h"
#include "http_server.h"
#include "wasm_builder.h"

namespace nearfaas {
namespace {

using nlohmann::json;
using test::TestServer;
using test::TestServerOptions;

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

const std::vector<std::pair<std::string, std::string>> kAllFunctions = {
    {"demo", "hello"}, {"demo", "echo"},     {"demo", "chain"},    {"demo", "state"},
    {"ndp", "put"},    {"ndp", "get"},       {"ndp", "wordcount"}, {"ndp", "grep"},
    {"ndp", "substr"}, {"ndp", "sha256sum"}, {"test", "probe"},
};

using test::chainOutput;

// One server for the suite, with every function uploaded over HTTP. Its data
// directory is <parent>/data, in a parent of its own, so a test can see that
// nothing escaped from it.
class HttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    parent_ = new test::TempDir();
    TestServerOptions o;
    o.dataDir = parent_->path() / "data";
    server_ = new TestServer(o);
    if (!server_->ok()) return;
    for (const auto& [user, name] : kAllFunctions)
      server_->addFunction(user, name);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    delete parent_;
    parent_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(server_->ok()); }
  TestServer& s() { return *server_; }
  const std::filesystem::path& parent() { return parent_->path(); }
  static TestServer* server_;
  static test::TempDir* parent_;
};
TestServer* HttpTest::server_ = nullptr;
test::TempDir* HttpTest::parent_ = nullptr;

// Without an allowed origin configured, no answer carries CORS headers;
// clients that send no Origin (curl, Faasm's) are served as always.
TEST_F(HttpTest, PingOnBothPortsWithoutCors) {
  for (auto to : {s().uploadEndpoint(), s().invokeEndpoint()}) {
    auto r = test::fetchOrFail(to, {"GET", "/ping"});
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.body, "PONG");
    EXPECT_FALSE(r.header("Access-Control-Allow-Origin"));
    auto options = test::fetchOrFail(to, {"OPTIONS", "/f/demo/hello"});
    EXPECT_EQ(options.status, 200u);
    EXPECT_FALSE(options.header("Access-Control-Allow-Origin"));
    EXPECT_FALSE(options.header("Access-Control-Allow-Methods"));
  }
}

// Expected outputs as in faaslet_test.cpp.
struct Expected {
  std::string user, function, input, output;
};
std::vector<Expected> ndpCalls() {
  return {
      {"ndp", "get", "key", "v1 v2 v3"},
      {"ndp", "wordcount", "key", "v1\t1\nv2\t1\nv3\t1\n"},
      {"ndp", "grep", "key v[0-9]", "0 3 6 "},
      {"ndp", "substr", "key v", "0 3 6 "},
      {"ndp", "sha256sum", "key",
       "8a5f1b0b4d5e1719a8bf3f4c3933a17287d67696b09cfa06dbdb5db297c95889"},
  };
}

TEST_F(HttpTest, EveryFunctionSynchronously) {
  std::string binary("a\0b c\n\xc3\xa9", 8);
  for (const Expected& e : std::vector<Expected>{{"demo", "hello", "", "Hello Faasm!"},
                                                 {"demo", "echo", binary, binary},
                                                 {"demo", "echo", "", ""},
                                                 {"demo", "chain", "4", chainOutput(4)},
                                                 {"demo", "state", "reset", "0"},
                                                 {"demo", "state", "", "1"},
                                                 {"demo", "state", "get", "1"}}) {
    auto r = s().call(e.user, e.function, e.input);
    EXPECT_EQ(r.status, 200u) << e.function << ": " << r.body;
    EXPECT_EQ(r.body, e.output) << e.function;
    EXPECT_TRUE(r.header("X-Call-Id"));
  }
  // forbid_ndp in the request is accepted; this node's directory store has
  // no offloader, so both rounds run the storage calls locally (offloaded
  // against local: ndp_offloader_test.cpp).
  for (bool forbid : {false, true}) {
    SCOPED_TRACE(forbid ? "forbid_ndp" : "NDP allowed (no offloader)");
    auto put = s().call("ndp", "put", "key v1 v2 v3", forbid);
    EXPECT_EQ(put.status, 200u) << put.body;
    EXPECT_EQ(put.body, "OK");
    for (const Expected& e : ndpCalls()) {
      auto r = s().call(e.user, e.function, e.input, forbid);
      EXPECT_EQ(r.status, 200u) << e.function << ": " << r.body;
      EXPECT_EQ(r.body, e.output) << e.function;
    }
  }
  // ndp/put wrote a user object: the upload endpoint serves it.
  auto obj = s().upload("GET", "/o/ndp/key");
  EXPECT_EQ(obj.status, 200u);
  EXPECT_EQ(obj.body, "v1 v2 v3");
}

TEST_F(HttpTest, EveryFunctionAsynchronously) {
  uint64_t put = s().callAsync("ndp", "put", "key v1 v2 v3");
  auto putDone = s().awaitStatus(put);
  ASSERT_EQ(putDone.status, 200u) << putDone.body;

  std::vector<Expected> calls = {{"demo", "hello", "", "Hello Faasm!"},
                                 {"demo", "echo", "async echo", "async echo"},
                                 {"demo", "chain", "6", chainOutput(6)}};
  for (const Expected& e : ndpCalls())
    calls.push_back(e);
  // forbid_ndp is accepted and kept in the call's status (everything runs
  // locally on this directory store either way).
  std::vector<uint64_t> ids;
  for (bool forbid : {false, true})
    for (const Expected& e : calls)
      ids.push_back(s().callAsync(e.user, e.function, e.input, forbid));
  std::set<uint64_t> distinct(ids.begin(), ids.end());
  EXPECT_EQ(distinct.size(), ids.size());

  for (size_t i = 0; i < ids.size(); ++i) {
    const Expected& e = calls[i % calls.size()];
    SCOPED_TRACE(e.user + "/" + e.function);
    auto r = s().awaitStatus(ids[i]);
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.contentType, "application/json");
    json j = json::parse(r.body);
    EXPECT_EQ(j["id"], ids[i]);
    EXPECT_EQ(j["user"], e.user);
    EXPECT_EQ(j["function"], e.function);
    EXPECT_EQ(j["input_data"], e.input);
    EXPECT_EQ(j["output_data"], e.output);
    EXPECT_EQ(j["return_value"], 0);
    EXPECT_EQ(j["forbid_ndp"], i >= calls.size());
    EXPECT_GE(j["finished"].get<int64_t>(), j["timestamp"].get<int64_t>());
    // A poll does not consume the result.
    auto again = s().status(ids[i]);
    EXPECT_EQ(again.status, 200u);
    EXPECT_EQ(again.body, r.body);
  }
}

// A synchronous call's answer is the only copy of its result.
TEST_F(HttpTest, SyncResultsAreNotKept) {
  auto r = s().call("demo", "echo", "once");
  ASSERT_EQ(r.status, 200u);
  ASSERT_TRUE(r.header("X-Call-Id"));
  uint64_t id = std::stoull(*r.header("X-Call-Id"));
  EXPECT_EQ(s().status(id).status, 404u);
  EXPECT_FALSE(s().node().scheduler().find(id));
}

TEST_F(HttpTest, ChainingWiderThanThePool) {
  auto r = s().call("demo", "chain", "16");
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.body, chainOutput(16));
}

TEST_F(HttpTest, ConcurrentCallsShareState) {
  ASSERT_EQ(s().call("demo", "state", "reset").body, "0");
  constexpr int kClients = 8, kCallsEach = 5;
  std::vector<std::future<std::vector<std::string>>> clients;
  for (int c = 0; c < kClients; ++c)
    clients.push_back(std::async(std::launch::async, [&] {
      std::vector<std::string> seen;
      for (int i = 0; i < kCallsEach; ++i) {
        auto r = s().call("demo", "state", "incr");
        seen.push_back(r.status == 200 ? r.body : "error " + r.body);
      }
      return seen;
    }));
  std::set<std::string> values;
  for (auto& c : clients)
    for (const auto& v : c.get())
      values.insert(v);
  // Every increment happened under the state lock: all values distinct, 1..N.
  EXPECT_EQ(values.size(), size_t(kClients * kCallsEach));
  for (int v = 1; v <= kClients * kCallsEach; ++v)
    EXPECT_TRUE(values.count(std::to_string(v))) << v;
  EXPECT_EQ(s().call("demo", "state", "get").body, std::to_string(kClients * kCallsEach));
}

TEST_F(HttpTest, InvokeErrors) {
  struct Case {
    std::string body;
    unsigned status;
    std::string text;
  };
  for (const Case& c : std::vector<Case>{
           {"", 400, "Empty request"},
           {"{\"user\": \"demo\"", 400, "Invalid JSON"},
           {"[1, 2]", 400, "must be a JSON object"},
           {"{}", 400, "Empty user"},
           {R"({"user": "demo"})", 400, "Empty function"},
           {R"({"user": "", "function": "hello"})", 400, "Empty user"},
           {R"({"user": "demo", "function": 7})", 400, "'function' must be a string"},
           {R"({"user": "demo", "function": "hello", "async": "true"})", 400,
            "'async' must be a boolean"},
           {R"({"user": "demo", "function": "echo", "input_data": 5})", 400,
            "'input_data' must be a string"},
           {R"({"status": true, "id": "3"})", 400, "'id' must be an integer"},
           {R"({"user": "demo", "function": "hello", "type": 9})", 400, "Invalid message type 9"},
           {R"({"user": "demo", "function": "nosuch"})", 404, "no function demo/nosuch"},
           {R"({"user": "nobody", "function": "hello"})", 404, "no function nobody/hello"},
           {R"({"user": "../etc", "function": "passwd"})", 400, "invalid user"},
           {R"({"user": ".functions", "function": "x"})", 400, "invalid user"},
           {R"({"user": "demo", "function": "a/b"})", 400, "invalid function name"},
           {R"({"status": true})", 400, "Must provide non-zero message ID"},
           {R"({"status": true, "id": 0})", 400, "Must provide non-zero message ID"},
           {R"({"status": true, "id": 987654})", 404, "No call with id 987654"},
           {R"({"status": true, "id": 99999999999})", 404, "No call with id"},
           {R"({"user": "demo", "function": "hello", "exec_graph": true})", 501, "not supported"},
           {R"({"user": "demo", "function": "hello", "python": true})", 501, "not supported"},
           {R"({"type": 3})", 200, "Flush sent"},
       }) {
    auto r = s().invokeRaw(c.body);
    EXPECT_EQ(r.status, c.status) << c.body << " -> " << r.body;
    EXPECT_TRUE(contains(r.body, c.text)) << c.body << " -> " << r.body;
  }
  // Unknown fields are ignored; KILL and EMPTY messages run as calls, as in Faasm.
  auto extra = s().invoke({{"user", "demo"}, {"function", "hello"}, {"sgx", false}, {"type", 2}});
  EXPECT_EQ(extra.status, 200u) << extra.body;
  EXPECT_EQ(extra.body, "Hello Faasm!");
  // Oversize bodies are refused before they are read, and the client gets the answer.
  auto big = s().invokeRaw(std::string(5 << 20, ' '));
  EXPECT_EQ(big.status, 413u) << big.body;
  EXPECT_TRUE(contains(big.body, "too large")) << big.body;
  // The server is fine afterwards.
  EXPECT_EQ(s().call("demo", "hello").status, 200u);
}

TEST_F(HttpTest, UploadRoundTrips) {
  // Functions can be downloaded as uploaded.
  auto wasm = s().upload("GET", "/f/demo/echo");
  EXPECT_EQ(wasm.status, 200u);
  EXPECT_EQ(wasm.contentType, "application/wasm");
  EXPECT_EQ(wasm.body, test::fileText(test::functionWasm("demo", "echo")));

  // State values: set, read back, used by functions; an empty PUT changes nothing.
  std::string counter("\x07\0\0\0", 4);
  auto set = s().upload("PUT", "/s/demo/demo_counter", counter);
  EXPECT_EQ(set.status, 200u);
  EXPECT_EQ(set.body, "State upload complete\n");
  EXPECT_EQ(s().upload("GET", "/s/demo/demo_counter").body, counter);
  EXPECT_EQ(s().call("demo", "state", "get").body, "7");
  EXPECT_EQ(s().upload("PUT", "/s/demo/demo_counter", "").status, 200u);
  EXPECT_EQ(s().upload("GET", "/s/demo/demo_counter").body, counter);

  // Shared files, keyed by their path without the leading '/'.
  auto putFile = s().upload("PUT", "/file", "shared bytes", {{"FilePath", "/data/in.txt"}});
  EXPECT_EQ(putFile.status, 200u);
  EXPECT_EQ(putFile.body, "Shared file uploaded\n");
  auto getFile = s().upload("GET", "/file", "", {{"filepath", "/data/in.txt"}});
  EXPECT_EQ(getFile.status, 200u);
  EXPECT_EQ(getFile.body, "shared bytes");
  auto stored = s().node().objects().get(".shared", "data/in.txt");
  ASSERT_TRUE(stored);
  EXPECT_EQ(std::string(stored->begin(), stored->end()), "shared bytes");

  // User objects: keys with '/', spaces and '%' (percent-encoded), read by functions.
  std::string key = "dir/a b%c.txt";
  auto putObj = s().upload("PUT", "/o/ndp/" + http::percentEncode(key, true), "w1 w2 w1");
  EXPECT_EQ(putObj.status, 200u) << putObj.body;
  EXPECT_EQ(s().upload("GET", "/o/ndp/" + http::percentEncode(key, true)).body, "w1 w2 w1");
  auto count = s().call("ndp", "wordcount", key);
  EXPECT_EQ(count.status, 200u) << count.body;
  EXPECT_EQ(count.body, "w1\t2\nw2\t1\n");
  auto empty = s().upload("PUT", "/o/ndp/empty", "");
  EXPECT_EQ(empty.status, 200u);
  auto gotEmpty = s().upload("GET", "/o/ndp/empty");
  EXPECT_EQ(gotEmpty.status, 200u);
  EXPECT_EQ(gotEmpty.body, "");
}

// Upload compiles the module in the server: a module whose export name is C
// that would run at load time must only ever be a name.
TEST_F(HttpTest, UploadOfTheExportNameExploitRunsNothing) {
  test::TempDir dir;
  auto proof = dir.path() / "exploited";
  Bytes wasm = test::constructorExploitModule(proof.string());
  auto put = s().upload("PUT", "/f/demo/exploit", std::string(wasm.begin(), wasm.end()));
  EXPECT_EQ(put.status, 200u) << put.body;
  EXPECT_FALSE(std::filesystem::exists(proof));
}

TEST_F(HttpTest, UploadErrors) {
  struct Case {
    std::string method, target;
    http::Headers headers;
    std::string body;
    unsigned status;
    std::string text;
  };
  for (const Case& c : std::vector<Case>{
           {"GET", "/file", {}, "", 400, "Bad request, expected file path header FilePath"},
           {"PUT", "/file", {}, "x", 400, "Bad request, expected file path header FilePath"},
           {"PUT", "/file", {{"FilePath", "/../etc/passwd"}}, "x", 400, "Invalid file path"},
           {"GET",
            "/file",
            {{"FilePath", "/no/such/file"}},
            "",
            404,
            "No shared file /no/such/file"},
           {"GET", "/f/demo", {}, "", 400, "Bad URL, expected single path part /f/demo"},
           {"PUT", "/s/demo", {}, "x", 400, "Bad URL, expected single path part /s/demo"},
           {"GET", "/s/demo/a/b", {}, "", 400, "Bad URL, expected single path part"},
           {"GET", "/o/demo", {}, "", 400, "Bad URL, expected single path part"},
           {"GET", "/nothing/here", {}, "", 400, "Unrecognised GET request to /nothing/here"},
           {"PUT", "/", {}, "x", 400, "Unrecognised PUT request to /"},
           {"GET", "/f/demo/%zz", {}, "", 400, "Bad URL"},
           {"DELETE", "/f/demo/hello", {}, "", 405, "Method not allowed"},
           {"PUT", "/f/demo/junk", {}, "not wasm", 400, "invalid module: bad magic value"},
           {"PUT", "/f/demo/empty", {}, "", 400, "module"},
           {"PUT", "/f/.functions/x", {}, "x", 400, "invalid user"},
           {"PUT", "/f/demo/..", {}, "x", 400, "invalid function name"},
           {"GET", "/f/demo/nosuch", {}, "", 404, "no function demo/nosuch"},
           {"GET", "/s/demo/nokey", {}, "", 404, "No state value demo/nokey"},
           {"GET", "/o/demo/nothing", {}, "", 404, "No object demo/nothing"},
           {"PUT", "/o/demo/..%2F..%2Fescape", {}, "x", 400, "'..' component"},
           {"PUT", "/o/demo/..%2F..%2F..%2Fescape", {}, "x", 400, "'..' component"},
           {"PUT", "/o/demo/a/..%2F..%2F..%2F..%2Fescape", {}, "x", 400, "'..' component"},
           {"PUT", "/file", {{"FilePath", "/../../../escape"}}, "x", 400, "Invalid file path"},
           {"PUT", "/o/.shared/x", {}, "x", 400, "Invalid user"},
           {"PUT", "/p/demo/py", {}, "print(1)", 501, "Python functions are not supported"},
       }) {
    auto r = s().upload(c.method, c.target, c.body, c.headers);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << " -> " << r.body;
    EXPECT_TRUE(contains(r.body, c.text)) << c.method << " " << c.target << " -> " << r.body;
  }
  // A module importing what the host lacks is refused with the import's name.
  auto missingImport =
      s().upload("PUT", "/f/demo/imports", test::fileText(test::guestPath("host_calls")));
  EXPECT_EQ(missingImport.status, 400u);
  EXPECT_TRUE(contains(missingImport.body, "double")) << missingImport.body;
  // Nothing escaped: the data directory is all its parent holds, and no file
  // the requests above named is anywhere in it.
  std::vector<std::filesystem::path> inParent;
  for (const auto& e : std::filesystem::directory_iterator(parent()))
    inParent.push_back(e.path().filename());
  EXPECT_EQ(inParent, std::vector<std::filesystem::path>{"data"});
  for (const auto& e : std::filesystem::recursive_directory_iterator(parent())) {
    for (const char* name : {"escape", "passwd"})
      EXPECT_NE(e.path().filename(), name) << e.path();
  }
  // A body past the server's limit is refused before it is read.
  auto big = s().upload("PUT", "/o/demo/big", std::string(5 << 20, 'x'));
  EXPECT_EQ(big.status, 413u) << big.body;
  EXPECT_TRUE(contains(big.body, "Request body too large")) << big.body;
}

TEST_F(HttpTest, TrapInOneCallWhileOthersSucceed) {
  auto trap = std::async(std::launch::async, [&] { return s().call("test", "probe", "trap"); });
  std::vector<std::future<http::Response>> echoes;
  for (int i = 0; i < 10; ++i)
    echoes.push_back(std::async(std::launch::async, [&, i] {
      return s().call("demo", "echo", "call " + std::to_string(i));
    }));
  auto t = trap.get();
  EXPECT_EQ(t.status, 500u);
  EXPECT_TRUE(contains(t.body, "Call failed (return value=1)")) << t.body;
  EXPECT_TRUE(contains(t.body, "error: unreachable executed")) << t.body;
  for (int i = 0; i < 10; ++i) {
    auto r = echoes[i].get();
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.body, "call " + std::to_string(i));
  }
  // Asynchronously: the status says FAILED with the same text.
  uint64_t id = s().callAsync("test", "probe", "trap");
  auto st = s().awaitStatus(id);
  EXPECT_EQ(st.status, 500u);
  EXPECT_TRUE(st.body.starts_with("FAILED: Call failed (return value=1)")) << st.body;
  EXPECT_TRUE(contains(st.body, "unreachable")) << st.body;
  // A trap in a chained call reaches its caller as a return value.
  auto chained = s().call("test", "probe", "chain_trap");
  EXPECT_EQ(chained.status, 200u);
  EXPECT_EQ(chained.body, "1");
  // A function returning non-zero: Faasm's text, and the guest's usage message is lost.
  auto usage = s().call("demo", "chain", "not a number");
  EXPECT_EQ(usage.status, 500u);
  EXPECT_TRUE(usage.body.starts_with("Call failed (return value=1)")) << usage.body;
}

// Holds test/probe's state lock "probe_lock" while it lives: a probe "lock"
// call blocks on it (up to its deadline), so a test decides when it ends.
class ProbeLock {
 public:
  explicit ProbeLock(TestServer& s) {
    auto v = s.node().state().value("test", "probe_lock");
    EXPECT_TRUE(v);
    if (!v) return;
    value_ = *v;
    held_ = std::unique_lock(value_->guestLock());
  }
  void release() {
    if (held_.owns_lock()) held_.unlock();
  }

 private:
  std::shared_ptr<state::StateValue> value_;
  std::unique_lock<std::shared_mutex> held_;
};

// With one I/O thread and the only executor busy with a call that cannot end
// before the test lets it, the server still answers: pings on both
// endpoints, a queued call and its status.
TEST(HttpServer, IoThreadStaysFreeWhileTheExecutorIsBusy) {
  TestServerOptions o;
  o.slots = 1;
  TestServer s(o);
  ASSERT_TRUE(s.ok());
  s.addFunction("test", "probe");
  s.addFunction("demo", "echo");
  ProbeLock lock(s);
  auto busy = std::async(std::launch::async, [&] { return s.call("test", "probe", "lock"); });
  ASSERT_TRUE(test::pollUntil([&] { return s.node().scheduler().load().running == 1; }));
  auto ping = test::fetchOrFail(s.invokeEndpoint(), {"GET", "/ping"});
  EXPECT_EQ(ping.status, 200u);
  auto queued = s.callAsync("demo", "echo", "after the busy call");
  EXPECT_EQ(s.status(queued).body, "RUNNING");
  EXPECT_EQ(s.upload("GET", "/ping").body, "PONG");
  // All of that was answered while the busy call still waited for the lock.
  EXPECT_EQ(busy.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  EXPECT_EQ(s.node().scheduler().load().running, 1u);
  lock.release();
  auto r = busy.get();
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.body, "locked");
  auto after = s.awaitStatus(queued);
  EXPECT_EQ(after.status, 200u) << after.body;
  EXPECT_EQ(json::parse(after.body)["output_data"], "after the busy call");
}

// A call that spins until its deadline fails with "timeout", and the
// executor then serves the call queued behind it.
TEST(HttpServer, TimeoutFailsTheCallAndTheExecutorGoesOn) {
  TestServerOptions o;
  o.slots = 1;
  o.callTimeout = std::chrono::milliseconds(500);
  TestServer s(o);
  ASSERT_TRUE(s.ok());
  s.addFunction("test", "probe");
  s.addFunction("demo", "echo");
  auto spin = std::async(std::launch::async, [&] { return s.call("test", "probe", "spin"); });
  ASSERT_TRUE(test::pollUntil([&] { return s.node().scheduler().load().running == 1; }));
  auto queued = s.callAsync("demo", "echo", "after the spin");
  auto r = spin.get();
  EXPECT_EQ(r.status, 500u);
  EXPECT_TRUE(contains(r.body, "error: timeout")) << r.body;
  auto after = s.awaitStatus(queued);
  EXPECT_EQ(after.status, 200u) << after.body;
  EXPECT_EQ(json::parse(after.body)["output_data"], "after the spin");
}

// A client that sends half a request, and one that sends nothing, hold only
// their own connections: others are served meanwhile, and the server closes
// theirs when the read deadline passes.
TEST(HttpServer, SlowClientsDoNotBlockOthers) {
  TestServerOptions o;
  o.http.readTimeout = std::chrono::seconds(4);
  TestServer s(o);
  ASSERT_TRUE(s.ok());
  s.addFunction("demo", "echo");
  auto t0 = test::Clock::now();
  test::RawConnection half(s.server().invokePort()), silent(s.server().invokePort());
  ASSERT_TRUE(half.ok() && silent.ok());
  ASSERT_TRUE(
      half.send("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{\"user\""));
  for (int i = 0; i < 20; ++i) {
    auto r = s.call("demo", "echo", std::to_string(i));
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.body, std::to_string(i));
  }
  // Had the half request held the only I/O thread, nothing would have been
  // served before the read deadline cut it off.
  EXPECT_TRUE(half.open());
  EXPECT_TRUE(silent.open());
  EXPECT_TRUE(half.awaitClosed(std::chrono::seconds(20)));
  EXPECT_TRUE(silent.awaitClosed(std::chrono::seconds(20)));
  EXPECT_GE(test::Clock::now() - t0, o.http.readTimeout);
  EXPECT_EQ(half.received(), "");  // nothing answered to half a request
  EXPECT_EQ(s.call("demo", "echo", "still fine").body, "still fine");
}

TEST(HttpServer, KeepAliveAndExpectContinue) {
  TestServer s;
  ASSERT_TRUE(s.ok());
  s.addFunction("demo", "hello");
  test::RawConnection c(s.server().invokePort());
  ASSERT_TRUE(c.ok());
  std::string body = R"({"user": "demo", "function": "hello"})";
  std::string request =
      "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n";
  ASSERT_TRUE(c.send(request + "\r\n" + body));
  ASSERT_TRUE(c.receiveUntil("Hello Faasm!")) << c.received();
  EXPECT_TRUE(c.received().starts_with("HTTP/1.1 200 OK\r\n")) << c.received();
  // Same connection, and the client waits for 100 Continue before the body.
  c.clearReceived();
  ASSERT_TRUE(c.send(request + "Expect: 100-continue\r\n\r\n"));
  ASSERT_TRUE(c.receiveUntil("HTTP/1.1 100 Continue\r\n\r\n")) << c.received();
  c.clearReceived();
  ASSERT_TRUE(c.send(body));
  ASSERT_TRUE(c.receiveUntil("Hello Faasm!")) << c.received();
  EXPECT_TRUE(c.received().starts_with("HTTP/1.1 200 OK\r\n")) << c.received();
  // Malformed requests get 400 and the connection closes.
  test::RawConnection bad(s.server().uploadPort());
  ASSERT_TRUE(bad.send("NOT HTTP AT ALL\r\n\r\n"));
  EXPECT_TRUE(bad.awaitClosed(std::chrono::seconds(20)));
  EXPECT_TRUE(bad.received().starts_with("HTTP/1.1 400")) << bad.received();
}

// Shutdown: sync calls still waiting after the grace period get 503 "server
// shutting down"; nothing is accepted afterwards; a call already running is
// not waited for (it goes on until it ends: here, until the test lets it).
TEST(HttpServer, ShutdownFailsCallsStillWaiting) {
  TestServerOptions o;
  o.slots = 1;
  o.http.shutdownGrace = std::chrono::milliseconds(300);
  TestServer s(o);
  ASSERT_TRUE(s.ok());
  s.addFunction("test", "probe");
  s.addFunction("demo", "echo");
  ProbeLock lock(s);
  uint64_t busy = s.callAsync("test", "probe", "lock");  // holds the only slot
  ASSERT_TRUE(test::pollUntil(
      [&] { return s.node().scheduler().state(busy) == sched::CallState::Running; }));
  auto waiting = std::async(std::launch::async, [&] { return s.call("demo", "echo", "late"); });
  ASSERT_TRUE(test::pollUntil([&] { return s.node().scheduler().load().queued == 1; }));
  auto invoke = s.invokeEndpoint();
  s.server().shutdown();
  EXPECT_EQ(s.node().scheduler().state(busy), sched::CallState::Running);
  auto r = waiting.get();
  EXPECT_EQ(r.status, 503u) << r.body;
  EXPECT_EQ(r.body, "server shutting down");
  EXPECT_FALSE(http::fetch(invoke, {"GET", "/ping"}, std::chrono::seconds(5)));
  lock.release();
}

// A sync call running when shutdown starts is answered within the grace
// period: the call cannot end before the endpoints have stopped accepting.
TEST(HttpServer, ShutdownLetsCallsFinishWithinTheGracePeriod) {
  TestServerOptions o;
  o.http.shutdownGrace = std::chrono::seconds(20);
  TestServer s(o);
  ASSERT_TRUE(s.ok());
  s.addFunction("test", "probe");
  ProbeLock lock(s);
  auto call = std::async(std::launch::async, [&] { return s.call("test", "probe", "lock"); });
  ASSERT_TRUE(test::pollUntil([&] { return s.node().scheduler().load().running == 1; }));
  auto invoke = s.invokeEndpoint();
  auto shutdown = std::async(std::launch::async, [&] { s.server().shutdown(); });
  ASSERT_TRUE(test::pollUntil([&] {
    return !http::fetch(invoke, {"GET", "/ping"}, std::chrono::seconds(5));
  }));
  EXPECT_EQ(shutdown.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  lock.release();
  auto r = call.get();
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.body, "locked");
  shutdown.get();
}

TEST(HttpServer, RestartKeepsFunctionsObjectsAndFiles) {
  test::TempDir dir;
  TestServerOptions o;
  o.dataDir = dir.path();
  {
    TestServer first(o);
    ASSERT_TRUE(first.ok());
    first.addFunction("demo", "hello");
    first.addFunction("ndp", "get");
    EXPECT_EQ(first.upload("PUT", "/o/ndp/kept", "kept object").status, 200u);
    EXPECT_EQ(first.upload("PUT", "/file", "kept file", {{"FilePath", "/kept.txt"}}).status, 200u);
  }
  TestServer second(o);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second.call("demo", "hello").body, "Hello Faasm!");
  EXPECT_EQ(second.call("ndp", "get", "kept").body, "kept object");
  EXPECT_EQ(second.upload("GET", "/o/ndp/kept").body, "kept object");
  EXPECT_EQ(second.upload("GET", "/file", "", {{"FilePath", "/kept.txt"}}).body, "kept file");
  EXPECT_EQ(second.upload("GET", "/f/demo/hello").body,
            test::fileText(test::functionWasm("demo", "hello")));
}

// A finished result is kept for its TTL and then answered 404. Nothing here
// needs to be seen within the TTL (a loaded machine may be slower): the 404
// must come, and not before the TTL has passed since the call was made.
TEST(HttpServer, ResultsExpireAfterTheirTtl) {
  TestServerOptions o;
  o.resultTtl = std::chrono::seconds(1);
  TestServer s(o);
  ASSERT_TRUE(s.ok());
  s.addFunction("demo", "echo");
  auto submitted = test::Clock::now();
  uint64_t id = s.callAsync("demo", "echo", "short-lived");
  ASSERT_NE(id, 0u);
  http::Response r;
  EXPECT_TRUE(test::pollUntil([&] {
    r = s.status(id);
    if (r.status == 200 && r.body != "RUNNING")
      EXPECT_EQ(json::parse(r.body)["output_data"], "short-lived");
    return r.status != 200;
  }));
  auto gone = test::Clock::now();
  EXPECT_EQ(r.status, 404u);
  EXPECT_TRUE(contains(r.body, "expired")) << r.body;
  EXPECT_GE(gone - submitted, o.resultTtl);
}

// A web page of another site (its browser sends Origin) can neither upload
// nor call anything, preflight or not; nothing is stored or run.
TEST(HttpCors, OriginsNotAllowedAreRefused) {
  TestServer s;
  ASSERT_TRUE(s.ok());
  s.addFunction("demo", "state");
  ASSERT_EQ(s.call("demo", "state", "reset").body, "0");
  const http::Headers evil = {{"Origin", "http://evil.example"}};
  auto wasm = test::fileText(test::functionWasm("demo", "hello"));
  auto up = s.upload("PUT", "/f/demo/hello", wasm, evil);
  EXPECT_EQ(up.status, 403u) << up.body;
  EXPECT_TRUE(contains(up.body, "Origin 'http://evil.example' is not allowed")) << up.body;
  EXPECT_FALSE(up.header("Access-Control-Allow-Origin"));
  EXPECT_EQ(s.upload("GET", "/f/demo/hello").status, 404u);  // nothing stored
  EXPECT_EQ(s.upload("PUT", "/o/demo/obj", "x", evil).status, 403u);
  EXPECT_EQ(s.upload("GET", "/o/demo/obj").status, 404u);
  EXPECT_EQ(s.upload("GET", "/s/demo/count", "", evil).status, 403u);
  for (auto to : {s.uploadEndpoint(), s.invokeEndpoint()}) {
    auto pre = test::fetchOrFail(
        to, {"OPTIONS",
             "/f/demo/hello",
             {{"Origin", "http://evil.example"}, {"Access-Control-Request-Method", "PUT"}}});
    EXPECT_EQ(pre.status, 403u) << pre.body;
    EXPECT_FALSE(pre.header("Access-Control-Allow-Origin"));
    EXPECT_FALSE(pre.header("Access-Control-Allow-Methods"));
  }
  // A cross-site "simple" POST (no preflight) to the invoke endpoint.
  std::string body = R"({"user": "demo", "function": "state"})";
  for (const char* origin : {"http://evil.example", "null", "http://127.0.0.1:8080"}) {
    auto r = test::fetchOrFail(
        s.invokeEndpoint(),
        {"POST", "/", {{"Origin", origin}, {"Content-Type", "text/plain"}}, body});
    EXPECT_EQ(r.status, 403u) << origin << ": " << r.body;
  }
  EXPECT_EQ(s.call("demo", "state", "get").body, "0");  // it never ran
}

TEST(HttpCors, AllowedOriginsGetCorsHeaders) {
  TestServerOptions o;
  o.http.allowedOrigins = {"http://localhost:3000", "https://dash.example.com"};
  TestServer s(o);
  ASSERT_TRUE(s.ok());
  const http::Headers ok = {{"Origin", "http://localhost:3000"}};
  auto wasm = test::fileText(test::functionWasm("demo", "hello"));
  auto up = s.upload("PUT", "/f/demo/hello", wasm, ok);
  EXPECT_EQ(up.status, 200u) << up.body;
  ASSERT_TRUE(up.header("Access-Control-Allow-Origin"));
  EXPECT_EQ(*up.header("Access-Control-Allow-Origin"), "http://localhost:3000");
  ASSERT_TRUE(up.header("Vary"));
  EXPECT_EQ(*up.header("Vary"), "Origin");
  auto r = test::fetchOrFail(s.invokeEndpoint(), {"POST",
                                                  "/",
                                                  {{"Origin", "https://dash.example.com"}},
                                                  R"({"user": "demo", "function": "hello"})"});
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.body, "Hello Faasm!");
  ASSERT_TRUE(r.header("Access-Control-Allow-Origin"));
  EXPECT_EQ(*r.header("Access-Control-Allow-Origin"), "https://dash.example.com");
  for (auto to : {s.uploadEndpoint(), s.invokeEndpoint()}) {
    auto pre = test::fetchOrFail(
        to, {"OPTIONS",
             "/f/demo/hello",
             {{"Origin", "http://localhost:3000"}, {"Access-Control-Request-Method", "PUT"}}});
    EXPECT_EQ(pre.status, 200u) << pre.body;
    ASSERT_TRUE(pre.header("Access-Control-Allow-Origin"));
    EXPECT_EQ(*pre.header("Access-Control-Allow-Origin"), "http://localhost:3000");
    ASSERT_TRUE(pre.header("Access-Control-Allow-Methods"));
    EXPECT_TRUE(contains(*pre.header("Access-Control-Allow-Methods"), "PUT"));
    // Other origins are still refused; no Origin is served without CORS headers.
    EXPECT_EQ(test::fetchOrFail(to, {"OPTIONS", "/", {{"Origin", "http://localhost:3001"}}}).status,
              403u);
    auto plain = test::fetchOrFail(to, {"GET", "/ping"});
    EXPECT_EQ(plain.status, 200u);
    EXPECT_FALSE(plain.header("Access-Control-Allow-Origin"));
  }
  EXPECT_EQ(s.call("demo", "hello").body, "Hello Faasm!");
}

TEST(HttpCors, InvalidAllowedOriginsAreRefusedAtStart) {
  for (const char* bad : {"localhost:3000", "http://localhost:3000/", "http://x/path", "null",
                          "http://", "http://a:port", "http://a b"}) {
    EXPECT_FALSE(http::validateAllowedOrigin(bad)) << bad;
    http::ServerSettings settings;
    settings.allowedOrigins = {bad};
    auto server = http::Server::start(
        settings, [](http::Request, http::Responder r) { r(http::textResponse(200, "")); });
    ASSERT_FALSE(server) << bad;
    EXPECT_TRUE(contains(server.error().message, "invalid allowed origin")) << bad;
  }
  for (const char* good : {"*", "http://localhost:3000", "https://a.example.com", "http://[::1]:80",
                           "chrome-extension://abcdef"})
    EXPECT_TRUE(http::validateAllowedOrigin(good)) << good;
}

// DNS rebinding: a page on rebind.example, whose name now resolves to
// 127.0.0.1, reads the server with same-origin GETs (no Origin), but its
// Host header names the attacker's domain: refused, and nothing is read or
// run. IP literals and localhost work; listed names work.
TEST(HttpHosts, NamesOfOtherSitesAreRefusedOnLoopback) {
  TestServerOptions o;
  o.http.allowedHosts = {"faas.internal"};
  TestServer s(o);
  ASSERT_TRUE(s.ok());
  s.addFunction("demo", "state");
  ASSERT_EQ(s.call("demo", "state", "reset").body, "0");
  ASSERT_EQ(s.upload("PUT", "/s/demo/secret", "top secret").status, 200u);
  for (const char* host : {"rebind.example", "rebind.example:8002", "127.0.0.1.rebind.example",
                           "localhost.rebind.example", "faas.internal.evil"}) {
    auto get = s.upload("GET", "/s/demo/secret", "", {{"Host", host}});
    EXPECT_EQ(get.status, 403u) << host << ": " << get.body;
    EXPECT_FALSE(contains(get.body, "top secret")) << host;
    EXPECT_TRUE(contains(get.body, "is not allowed")) << get.body;
    auto call = test::fetchOrFail(
        s.invokeEndpoint(),
        {"POST", "/", {{"Host", host}}, R"({"user": "demo", "function": "state"})"});
    EXPECT_EQ(call.status, 403u) << host;
  }
  EXPECT_EQ(s.call("demo", "state", "get").body, "0");  // it never ran
  for (const char* host : {"127.0.0.1:1", "localhost", "LOCALHOST:8002", "app.localhost", "[::1]:9",
                           "faas.internal", "FAAS.internal:8002", "10.1.2.3"}) {
    auto get = s.upload("GET", "/s/demo/secret", "", {{"Host", host}});
    EXPECT_EQ(get.status, 200u) << host << ": " << get.body;
    EXPECT_EQ(get.body, "top secret") << host;
  }
}

// Listening on all addresses, a server answers any name unless names are
// listed (it cannot know its own names).
TEST(HttpHosts, AnyNameOffLoopbackUnlessNamesAreListed) {
  auto handler = [](http::Request, http::Responder r) { r(http::textResponse(200, "ok")); };
  for (bool listed : {false, true}) {
    http::ServerSettings settings;
    settings.address = "0.0.0.0";
    if (listed) settings.allowedHosts = {"faas.example.com"};
    auto server = http::Server::start(settings, handler);
    ASSERT_TRUE(server) << server.error().message;
    http::Endpoint to{"127.0.0.1", (*server)->port()};
    EXPECT_EQ(test::fetchOrFail(to, {"GET", "/", {{"Host", "other.example.com"}}}).status,
              listed ? 403u : 200u);
    EXPECT_EQ(test::fetchOrFail(to, {"GET", "/", {{"Host", "faas.example.com"}}}).status, 200u);
  }
  http::ServerSettings bad;
  bad.allowedHosts = {"faas.example.com:8080"};
  auto server = http::Server::start(bad, [](http::Request, http::Responder) {});
  ASSERT_FALSE(server);
  EXPECT_TRUE(contains(server.error().message, "invalid allowed host")) << server.error().message;
}

// ---- Call ids and the queue bound over HTTP -------------------------------------

TEST_F(HttpTest, AsyncIdsAreRandomAndTheirStatusWorks) {
  std::vector<uint64_t> ids;
  for (int i = 0; i < 20; ++i)
    ids.push_back(s().callAsync("demo", "echo", "id " + std::to_string(i)));
  bool anyAbove32Bits = false;
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_GT(ids[i], 0u);
    EXPECT_LT(ids[i], uint64_t{1} << 53);
    anyAbove32Bits |= ids[i] > 0xffffffffull;
    if (i) {
      EXPECT_NE(ids[i] - ids[i - 1], 1u);
    }
    auto r = s().awaitStatus(ids[i]);
    ASSERT_EQ(r.status, 200u) << r.body;
    auto j = json::parse(r.body);
    EXPECT_EQ(j["id"].get<uint64_t>(), ids[i]);  // exact, as a JSON number
    EXPECT_EQ(j["output_data"], "id " + std::to_string(i));
  }
  EXPECT_TRUE(anyAbove32Bits);
  // Made-up ids, near and far, are unknown.
  for (uint64_t made : {ids[0] + 1, ids[0] - 1, uint64_t{1}, uint64_t{1} << 53, uint64_t{424242}}) {
    auto r = s().status(made);
    EXPECT_EQ(r.status, 404u) << made << ": " << r.body;
    EXPECT_TRUE(contains(r.body, "No call with id " + std::to_string(made))) << r.body;
  }
}

// A guest cannot await a call it did not chain: another tenant's output stays
// hidden (the guest can only name 32 bits; ids once fitted).
TEST_F(HttpTest, GuestsCannotAwaitForeignCalls) {
  uint64_t secret = s().callAsync("demo", "echo", "secret");
  ASSERT_EQ(s().awaitStatus(secret).status, 200u);
  auto r = s().call("test", "probe", "await " + std::to_string(static_cast<uint32_t>(secret)));
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.body, "rc=1 out=");
  EXPECT_EQ(json::parse(s().status(secret).body)["output_data"], "secret");  // still there
}

TEST(HttpServer, FullQueueAnswers503AndTheNodeKeepsServing) {
  TestServerOptions o;
  o.slots = 1;
  o.maxQueuedCalls = 1;
  TestServer s(o);
  ASSERT_TRUE(s.ok());
  s.addFunction("test", "probe");
  s.addFunction("demo", "echo");
  uint64_t blocked = 0, queued = 0;
  {
    // probe "lock" waits for the state lock the test holds: the only slot stays busy.
    auto v = s.node().state().value("test", "probe_lock");
    ASSERT_TRUE(v);
    std::unique_lock held((*v)->guestLock());
    blocked = s.callAsync("test", "probe", "lock");
    ASSERT_TRUE(test::pollUntil([&] { return s.node().scheduler().load().running == 1; }));
    queued = s.callAsync("demo", "echo", "queued");
    for (bool async : {true, false}) {
      auto r = s.invoke({{"user", "demo"}, {"function", "echo"}, {"async", async}});
      EXPECT_EQ(r.status, 503u) << r.body;
      EXPECT_EQ(r.body,
                "Call refused, the node is busy: too many calls waiting: 1 queued (limit 1)");
    }
  }
  EXPECT_EQ(s.awaitStatus(blocked).body.find("FAILED"), std::string::npos);
  EXPECT_EQ(json::parse(s.awaitStatus(queued).body)["output_data"], "queued");
  EXPECT_EQ(s.call("demo", "echo", "after").body, "after");
}

TEST(HttpServer, PortInUseIsAClearError) {
  TestServer first;
  ASSERT_TRUE(first.ok());
  test::TempDir dir;
  sched::NodeConfig c;
  c.dataDir = dir.path();
  c.codeCacheDir = test::testCacheDir();
  c.scheduler.slots = 1;
  auto node = sched::Node::open(c);
  ASSERT_TRUE(node);
  http::NodeServerSettings settings;
  settings.uploadPort = 0;
  settings.invokePort = first.server().invokePort();
  auto second = http::NodeServer::start(**node, settings);
  ASSERT_FALSE(second);
  EXPECT_TRUE(contains(second.error().message, "Address already in use")) << second.error().message;
  EXPECT_TRUE(contains(second.error().message, std::to_string(settings.invokePort)))
      << second.error().message;
}

// ---- Pieces on their own ------------------------------------------------------

TEST(InvokeMessage, ParsesFaasmFields) {
  auto m = http::parseInvokeMessage(
      R"({"user": "u", "function": "f", "input_data": "a\u0000b", "async": true,
          "forbid_ndp": true, "cmdline": "x  y z", "id": 5, "type": 1, "mpi": false,
          "sgx": false})");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->user, "u");
  EXPECT_EQ(m->function, "f");
  EXPECT_EQ(m->inputData, std::string("a\0b", 3));
  EXPECT_TRUE(m->async);
  EXPECT_TRUE(m->forbidNdp);
  EXPECT_EQ(m->id, 5);
  EXPECT_EQ(m->type, http::MessageType::Kill);
  EXPECT_EQ(m->cmdline, (std::vector<std::string>{"x", "y", "z"}));
  auto req = http::toCallRequest(*m);
  EXPECT_EQ(req.input.size(), 3u);
  EXPECT_TRUE(req.forbidNdp);

  EXPECT_FALSE(http::parseInvokeMessage(R"({"async": 1})"));
  EXPECT_FALSE(http::parseInvokeMessage(R"({"id": 1.5})"));
  EXPECT_FALSE(http::parseInvokeMessage(R"({"user": null})"));
  EXPECT_FALSE(http::parseInvokeMessage(R"({"type": -1})"));
  EXPECT_FALSE(http::parseInvokeMessage("\"just a string\""));
  EXPECT_TRUE(http::parseInvokeMessage("{}"));
}

TEST(InvokeMessage, FailureText) {
  host::CallOutcome out;
  out.returnValue = 1;
  std::string failed = "Call failed (return value=1)";
  out.output.assign(failed.begin(), failed.end());
  EXPECT_EQ(http::failureText(out), failed);
  out.error = "out of bounds memory access";
  out.stderrText = "guest said no\n";
  EXPECT_EQ(http::failureText(out),
            failed + "\nerror: out of bounds memory access\nstderr:\nguest said no\n");
}

TEST(Url, SplitsAndDecodes) {
  EXPECT_EQ(http::splitPath("/f/demo/hello?x=1"), (std::vector<std::string>{"f", "demo", "hello"}));
  EXPECT_EQ(http::splitPath("/"), std::vector<std::string>{});
  EXPECT_EQ(http::splitPath("/o/u/a%20b%2Fc/"), (std::vector<std::string>{"o", "u", "a b/c", ""}));
  EXPECT_FALSE(http::splitPath("/bad%2"));
  EXPECT_FALSE(http::splitPath("/bad%g0"));
  EXPECT_EQ(http::percentEncode("a b/c%~", true), "a%20b/c%25~");
  EXPECT_EQ(http::percentEncode("a/b"), "a%2Fb");
  EXPECT_EQ(http::percentDecode(http::percentEncode(std::string("\0\xff x", 4))),
            std::string("\0\xff x", 4));
}

// The server core with a handler of its own: answers from another thread,
// answers never given, handlers that throw, answers after the server is gone.
TEST(ServerCore, AnswersFromAnyThreadAndNeverTwice) {
  std::vector<std::jthread> later;  // joined on any exit
  std::mutex laterMutex;
  std::vector<http::Responder> kept;
  http::ServerSettings settings;
  settings.threads = 1;
  auto server = http::Server::start(settings, [&](http::Request req, http::Responder respond) {
    if (req.target == "/later") {
      std::lock_guard l(laterMutex);
      later.emplace_back([respond] {
        respond(http::textResponse(201, "later"));
        respond(http::textResponse(202, "twice"));  // ignored
      });
    } else if (req.target == "/drop") {
      // Dropped without an answer: the server answers 500.
    } else if (req.target == "/throw") {
      throw std::runtime_error("handler failed");
    } else if (req.target == "/keep") {
      std::lock_guard l(laterMutex);
      kept.push_back(respond);  // answered after the server is gone
    } else {
      respond(http::textResponse(200, req.method + " " + req.target + " " + req.body));
    }
  });
  ASSERT_TRUE(server) << server.error().message;
  http::Endpoint to{"127.0.0.1", (*server)->port()};
  EXPECT_EQ(test::fetchOrFail(to, {"PUT", "/x?y", {}, "body"}).body, "PUT /x?y body");
  auto l = test::fetchOrFail(to, {"GET", "/later"});
  EXPECT_EQ(l.status, 201u);
  EXPECT_EQ(l.body, "later");
  EXPECT_EQ(test::fetchOrFail(to, {"GET", "/drop"}).status, 500u);
  auto t = test::fetchOrFail(to, {"GET", "/throw"});
  EXPECT_EQ(t.status, 500u);
  EXPECT_TRUE(contains(t.body, "handler failed")) << t.body;
  auto kept1 = std::async(std::launch::async, [&] { return http::fetch(to, {"GET", "/keep"}); });
  ASSERT_TRUE(test::pollUntil([&] {
    std::lock_guard l(laterMutex);
    return !kept.empty();
  }));
  (*server)->beginShutdown();
  EXPECT_FALSE((*server)->waitIdle(std::chrono::milliseconds(50)));  // /keep is owed
  server->reset();
  for (auto& r : kept)
    r(http::textResponse(200, "too late"));  // does nothing
  EXPECT_FALSE(kept1.get());                 // the connection was dropped
}

}  // namespace
}  // namespace nearfaas
