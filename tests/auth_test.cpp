// API tokens (auth/tokens.h, http/access.h): a server on loopback with tokens
// forced on (--auth required). User A's token can touch nothing of user B's
// on any endpoint (upload: /f, /s, /o, /p, /file; invoke: sync, async,
// status; chaining), requests without a valid token get 401, admin-only
// requests refuse user tokens, and the store holds no token in clear.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "auth/tokens.h"
#include "http_server.h"
#include "storage/directory_store.h"

namespace nearfaas {
namespace {

using nlohmann::json;
using test::TestServer;
using test::TestServerOptions;

constexpr const char* kAdmin = "admin-token-for-the-auth-tests-0123456789abcdef";

http::Headers bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

TEST(AuthMode, RequiredUnlessLoopbackByDefault) {
  for (const char* a :
       {"127.0.0.1", "127.0.0.2", "127.255.0.9", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(auth::isLoopbackAddress(a)) << a;
    EXPECT_FALSE(auth::authRequired(auth::AuthMode::Auto, a)) << a;
    EXPECT_TRUE(auth::authRequired(auth::AuthMode::Required, a)) << a;
  }
  for (const char* a : {"0.0.0.0", "::", "10.0.0.1", "192.168.1.2", "128.0.0.1", "fe80::1",
                        "example.org", "localhost.example.org", ""}) {
    EXPECT_FALSE(auth::isLoopbackAddress(a)) << a;
    EXPECT_TRUE(auth::authRequired(auth::AuthMode::Auto, a)) << a;
    EXPECT_FALSE(auth::authRequired(auth::AuthMode::Off, a)) << a;
  }
  EXPECT_EQ(*auth::parseAuthMode("auto"), auth::AuthMode::Auto);
  EXPECT_EQ(*auth::parseAuthMode("required"), auth::AuthMode::Required);
  EXPECT_EQ(*auth::parseAuthMode("off"), auth::AuthMode::Off);
  EXPECT_FALSE(auth::parseAuthMode("on"));
}

// Tokens live hashed in the store; revoking by id or by user removes them.
TEST(TokenStore, CreateAuthenticateRevoke) {
  test::TempDir dir;
  auto store = storage::DirectoryStore::open(dir.path());
  ASSERT_TRUE(store) << store.error().message;
  auth::TokenStore tokens(**store, kAdmin);
  auto a1 = tokens.create("alice"), a2 = tokens.create("alice"), b = tokens.create("bob");
  ASSERT_TRUE(a1 && a2 && b);
  EXPECT_NE(a1->token, a2->token);
  EXPECT_GE(a1->token.size(), 32u + 4u);  // >= 128 random bits in hex
  EXPECT_FALSE(tokens.create(".hidden"));
  auto who = tokens.authenticate(a1->token);
  ASSERT_TRUE(who);
  EXPECT_FALSE(who->admin);
  EXPECT_EQ(who->user, "alice");
  EXPECT_EQ(tokens.authenticate(b->token)->user, "bob");
  EXPECT_TRUE(tokens.authenticate(kAdmin)->admin);
  std::string forged = a1->token;
  forged.back() = forged.back() == '0' ? '1' : '0';
  EXPECT_FALSE(tokens.authenticate(forged));
  EXPECT_FALSE(tokens.authenticate(""));
  EXPECT_FALSE(tokens.authenticate("nft_"));

  auto all = tokens.list();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 3u);
  EXPECT_EQ(tokens.list("alice")->size(), 2u);

  // The records hold neither token nor secret.
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path())) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    for (const auto* t : {&a1->token, &a2->token, &b->token}) {
      EXPECT_EQ(text.find(*t), std::string::npos) << e.path();
      EXPECT_EQ(text.find(t->substr(t->rfind('_') + 1)), std::string::npos) << e.path();
    }
  }

  auto r = tokens.revoke(a1->info.id);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 1u);
  EXPECT_FALSE(tokens.authenticate(a1->token));
  EXPECT_TRUE(tokens.authenticate(a2->token));
  EXPECT_EQ(tokens.revoke("bob")->size(), 1u);
  EXPECT_FALSE(tokens.authenticate(b->token));
  EXPECT_TRUE(tokens.revoke("nobody")->empty());
}

// A valid token is remembered for cacheTtl (no store read); a record removed
// by another worker (here: straight from the store) is noticed after it, at
// once with no cache.
TEST(TokenStore, CacheRemembersValidTokensForItsTtl) {
  test::TempDir dir;
  auto store = storage::DirectoryStore::open(dir.path());
  ASSERT_TRUE(store) << store.error().message;
  auth::TokenStore cached(**store, kAdmin, {std::chrono::hours(1)});
  auth::TokenStore uncached(**store, kAdmin, {std::chrono::milliseconds(0)});
  auto t = cached.create("alice");
  ASSERT_TRUE(t);
  ASSERT_TRUE(cached.authenticate(t->token));
  ASSERT_TRUE(uncached.authenticate(t->token));
  ASSERT_TRUE((*store)->remove(auth::kTokensBucket, t->info.id));
  EXPECT_TRUE(cached.authenticate(t->token));
  EXPECT_FALSE(uncached.authenticate(t->token));
  std::string forged = t->token;
  forged.back() = forged.back() == '0' ? '1' : '0';
  EXPECT_FALSE(cached.authenticate(forged));  // the cache compares the hash too
}

// One server with tokens forced on, users alice and bob each with hello and
// chain; only bob has echo (which chain calls by name).
class AuthHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    TestServerOptions o;
    o.http.authMode = auth::AuthMode::Required;
    o.http.adminToken = kAdmin;
    server_ = new TestServer(o);
    if (!server_->ok()) return;
    auto& s = *server_;
    for (const char* user : {"alice", "bob"}) {
      for (const char* fn : {"hello", "chain"})
        EXPECT_EQ(s.upload("PUT", std::string("/f/") + user + "/" + fn,
                           test::fileText(test::functionWasm("demo", fn)), bearer(kAdmin))
                      .status,
                  200u);
    }
    EXPECT_EQ(s.upload("PUT", "/f/bob/echo", test::fileText(test::functionWasm("demo", "echo")),
                       bearer(kAdmin))
                  .status,
              200u);
    alice_ = new std::string(createToken("alice"));
    bob_ = new std::string(createToken("bob"));
  }
  static void TearDownTestSuite() {
    delete server_;
    delete alice_;
    delete bob_;
    server_ = nullptr;
  }
  static std::string createToken(const std::string& user) {
    auto r = server_->upload("PUT", "/token/" + user, {}, bearer(kAdmin));
    EXPECT_EQ(r.status, 200u) << r.body;
    auto j = json::parse(r.body, nullptr, false);
    EXPECT_TRUE(j.is_object() && j.contains("token")) << r.body;
    return j.is_object() ? j.value("token", std::string()) : std::string();
  }
  void SetUp() override { ASSERT_TRUE(server_ && server_->ok()); }

  TestServer& s() { return *server_; }
  http::Response up(const std::string& method, const std::string& target, const std::string& token,
                    std::string body = {}, http::Headers extra = {}) {
    http::Headers h = token.empty() ? http::Headers{} : bearer(token);
    h.insert(h.end(), extra.begin(), extra.end());
    return s().upload(method, target, std::move(body), std::move(h));
  }
  http::Response inv(const json& m, const std::string& token) {
    return test::fetchOrFail(
        s().invokeEndpoint(),
        {"POST", "/", token.empty() ? http::Headers{} : bearer(token), m.dump()});
  }
  static json call(const std::string& user, const std::string& fn, const std::string& input = {},
                   bool async = false) {
    json m = {{"user", user}, {"function", fn}, {"input_data", input}};
    if (async) m["async"] = true;
    return m;
  }

  static TestServer* server_;
  static std::string* alice_;
  static std::string* bob_;
};
TestServer* AuthHttpTest::server_ = nullptr;
std::string* AuthHttpTest::alice_ = nullptr;
std::string* AuthHttpTest::bob_ = nullptr;

TEST_F(AuthHttpTest, OwnResourcesWork) {
  const std::string& a = *alice_;
  EXPECT_EQ(up("PUT", "/s/alice/k", a, "va").status, 200u);
  EXPECT_EQ(up("GET", "/s/alice/k", a).body, "va");
  EXPECT_EQ(up("PUT", "/o/alice/dir/obj", a, "oa").status, 200u);
  EXPECT_EQ(up("GET", "/o/alice/dir/obj", a).body, "oa");
  EXPECT_EQ(up("GET", "/f/alice/hello", a).status, 200u);
  EXPECT_EQ(
      up("PUT", "/f/alice/hello2", a, test::fileText(test::functionWasm("demo", "hello"))).status,
      200u);
  auto r = inv(call("alice", "hello2"), a);
  EXPECT_EQ(r.status, 200u) << r.body;
  auto id = inv(call("alice", "hello", {}, true), a);
  ASSERT_EQ(id.status, 200u) << id.body;
  http::Response st;
  EXPECT_TRUE(test::pollUntil([&] {
    st = inv({{"status", true}, {"id", std::stoull(id.body)}}, a);
    return st.body != "RUNNING";
  }));
  EXPECT_EQ(st.status, 200u) << st.body;
  EXPECT_EQ(up("GET", "/ping", "").status, 200u);  // ping needs no token
}

// Every endpoint that names a user refuses another user's token with 403,
// and nothing happens: no value, object or function appears, no call runs.
TEST_F(AuthHttpTest, OtherUsersResourcesAreForbidden) {
  const std::string& a = *alice_;
  const std::string& b = *bob_;
  ASSERT_EQ(up("PUT", "/s/bob/secret", b, "bob's").status, 200u);
  ASSERT_EQ(up("PUT", "/o/bob/data", b, "bob's").status, 200u);
  std::string wasm = test::fileText(test::functionWasm("demo", "hello"));
  struct Case {
    std::string method, target, body;
  };
  for (const Case& c : std::vector<Case>{{"GET", "/s/bob/secret", ""},
                                         {"PUT", "/s/bob/secret", "alice's"},
                                         {"PUT", "/s/bob/fresh", "alice's"},
                                         {"GET", "/o/bob/data", ""},
                                         {"PUT", "/o/bob/data", "alice's"},
                                         {"PUT", "/o/bob/fresh", "alice's"},
                                         {"GET", "/f/bob/hello", ""},
                                         {"PUT", "/f/bob/hello", wasm},
                                         {"PUT", "/f/bob/planted", wasm},
                                         {"PUT", "/p/bob/py", "x"}}) {
    auto r = up(c.method, c.target, a, c.body);
    EXPECT_EQ(r.status, 403u) << c.method << " " << c.target << ": " << r.body;
    EXPECT_NE(r.body.find("Forbidden"), std::string::npos) << r.body;
  }
  EXPECT_EQ(up("GET", "/s/bob/secret", b).body, "bob's");
  EXPECT_EQ(up("GET", "/s/bob/fresh", b).status, 404u);
  EXPECT_EQ(up("GET", "/o/bob/data", b).body, "bob's");
  EXPECT_EQ(up("GET", "/o/bob/fresh", b).status, 404u);
  EXPECT_EQ(up("GET", "/f/bob/planted", b).status, 404u);

  // Invoke, sync and async: refused, and no call was made.
  auto before = s().node().scheduler().load();
  EXPECT_EQ(inv(call("bob", "hello"), a).status, 403u);
  EXPECT_EQ(inv(call("bob", "hello", {}, true), a).status, 403u);
  auto after = s().node().scheduler().load();
  EXPECT_EQ(after.records, before.records);

  // Status of bob's async call.
  auto id = inv(call("bob", "hello", {}, true), b);
  ASSERT_EQ(id.status, 200u) << id.body;
  json st = {{"status", true}, {"id", std::stoull(id.body)}};
  auto r = inv(st, a);
  EXPECT_EQ(r.status, 403u) << r.body;
  http::Response own;
  EXPECT_TRUE(test::pollUntil([&] {
    own = inv(st, b);
    return own.body != "RUNNING";
  }));
  EXPECT_EQ(own.status, 200u) << own.body;
  EXPECT_EQ(inv(st, a).status, 403u);
}

// A chained call runs as its caller's user: alice's chain calls "echo",
// which only bob has, so alice's call cannot reach it.
TEST_F(AuthHttpTest, ChainedCallsStayWithTheCallersUser) {
  auto r = inv(call("alice", "chain", "2"), *alice_);
  EXPECT_EQ(r.status, 500u) << r.body;
  EXPECT_NE(r.body, test::chainOutput(2));
  auto own = inv(call("bob", "chain", "2"), *bob_);
  EXPECT_EQ(own.status, 200u) << own.body;
  EXPECT_EQ(own.body, test::chainOutput(2));
}

TEST_F(AuthHttpTest, MissingBadAndRevokedTokensGet401) {
  std::string doomed = createToken("alice");
  ASSERT_EQ(up("GET", "/f/alice/hello", doomed).status, 200u);
  ASSERT_EQ(up("DELETE", "/token/" + doomed.substr(4, 16), kAdmin).status, 200u);
  std::string forged = *alice_;
  forged.back() = forged.back() == '0' ? '1' : '0';
  for (const std::string& t : {std::string(), std::string("nonsense"), forged, doomed}) {
    for (const auto& [m, target] :
         std::vector<std::pair<std::string, std::string>>{{"GET", "/f/alice/hello"},
                                                          {"PUT", "/s/alice/k401"},
                                                          {"GET", "/s/alice/k"},
                                                          {"PUT", "/o/alice/o401"},
                                                          {"GET", "/file"},
                                                          {"PUT", "/file"},
                                                          {"GET", "/token"}}) {
      auto r = up(m, target, t, "x", {{"FilePath", "/f401"}});
      EXPECT_EQ(r.status, 401u) << m << " " << target << " with '" << t << "': " << r.body;
      EXPECT_TRUE(r.header("WWW-Authenticate"));
    }
    EXPECT_EQ(inv(call("alice", "hello"), t).status, 401u);
    EXPECT_EQ(inv(call("alice", "hello", {}, true), t).status, 401u);
    EXPECT_EQ(inv({{"status", true}, {"id", 1}}, t).status, 401u);
  }
  auto bad = test::fetchOrFail(s().uploadEndpoint(),
                               {"GET", "/f/alice/hello", {{"Authorization", "Basic abc"}}, ""});
  EXPECT_EQ(bad.status, 401u);
  EXPECT_EQ(up("GET", "/s/alice/k401", *alice_).status, 404u);  // nothing was stored
  EXPECT_EQ(up("GET", "/o/alice/o401", *alice_).status, 404u);
}

// Token management, flush and writing shared files need the admin token;
// any valid token reads shared files (one namespace for every function).
TEST_F(AuthHttpTest, AdminOnlyRequestsRefuseUserTokens) {
  const std::string& a = *alice_;
  for (const auto& [m, target] :
       std::vector<std::pair<std::string, std::string>>{{"PUT", "/token/alice"},
                                                        {"PUT", "/token/bob"},
                                                        {"GET", "/token"},
                                                        {"GET", "/token/alice"},
                                                        {"DELETE", "/token/bob"}}) {
    auto r = up(m, target, a);
    EXPECT_EQ(r.status, 403u) << m << " " << target << ": " << r.body;
  }
  EXPECT_EQ(inv({{"type", 3}}, a).status, 403u);  // flush
  auto put = up("PUT", "/file", a, "by alice", {{"FilePath", "/shared-by-alice"}});
  EXPECT_EQ(put.status, 403u) << put.body;
  EXPECT_EQ(up("GET", "/file", a, {}, {{"FilePath", "/shared-by-alice"}}).status, 404u);
  ASSERT_EQ(up("PUT", "/file", kAdmin, "shared", {{"FilePath", "/sf"}}).status, 200u);
  EXPECT_EQ(up("GET", "/file", a, {}, {{"FilePath", "/sf"}}).body, "shared");
  // bob's tokens survived alice's attempt.
  EXPECT_EQ(up("GET", "/s/bob/secret", *bob_).status == 401u, false);
  auto list = up("GET", "/token/bob", kAdmin);
  ASSERT_EQ(list.status, 200u) << list.body;
  EXPECT_EQ(json::parse(list.body).size(), 1u);
  EXPECT_EQ(list.body.find(*bob_), std::string::npos);  // list shows ids, never tokens
}

// Auth auto on loopback: the quick start needs no token.
TEST(AuthAuto, OffOnLoopback) {
  TestServer s;  // authMode Auto, 127.0.0.1
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s.server().authRequired());
  EXPECT_EQ(s.upload("PUT", "/s/anyone/k", "v").status, 200u);
  EXPECT_EQ(s.upload("GET", "/token").status, 404u);  // no tokens without auth
}

// Required without an admin token is a configuration error, not an open server.
TEST(AuthAuto, RequiredNeedsAnAdminToken) {
  test::TempDir dir;
  sched::NodeConfig c;
  c.dataDir = dir.path();
  c.codeCacheDir = test::testCacheDir();
  auto node = sched::Node::open(c);
  ASSERT_TRUE(node) << node.error().message;
  http::NodeServerSettings h;
  h.uploadPort = h.invokePort = 0;
  h.authMode = auth::AuthMode::Required;
  EXPECT_FALSE(http::NodeServer::start(**node, h));
}

}  // namespace
}  // namespace nearfaas
