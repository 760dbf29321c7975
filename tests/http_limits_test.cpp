// The upload endpoint against the node's limits: a client creating state keys
// or bytes past its user's limits, or the node's, gets 507, and existing keys
// (and, for the per-user limits, other users) are not affected; an object
// past the store's size limit, or a state value past the largest allowed,
// gets 413, well below the request body limit.
#include <gtest/gtest.h>

#include <string>

#include "http_server.h"

namespace nearfaas {
namespace {

using test::TestServer;
using test::TestServerOptions;

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(HttpStateLimits, KeysAndBytesPerUser) {
  constexpr size_t K = 64 * 1024;  // values grow in 64 KiB steps
  TestServerOptions o;
  o.state.maxKeysPerUser = 3;
  o.state.maxBytesPerUser = 4 * K;
  TestServer s(o);
  ASSERT_TRUE(s.ok());
  for (const char* key : {"k0", "k1", "k2"}) {
    auto r = s.upload("PUT", std::string("/s/alice/") + key, "v");
    EXPECT_EQ(r.status, 200u) << key << ": " << r.body;
  }
  auto fourth = s.upload("PUT", "/s/alice/k3", "v");
  EXPECT_EQ(fourth.status, 507u) << fourth.body;
  EXPECT_TRUE(contains(fourth.body, "user alice has 3 keys, the limit per user")) << fourth.body;
  EXPECT_EQ(s.upload("GET", "/s/alice/k3").status, 404u);
  // Bytes: three keys hold 3 * 64 KiB; one more 64 KiB step fits, two do not.
  EXPECT_EQ(s.upload("PUT", "/s/alice/k0", std::string(2 * K, 'x')).status, 200u);
  auto bigger = s.upload("PUT", "/s/alice/k1", std::string(2 * K, 'y'));
  EXPECT_EQ(bigger.status, 507u) << bigger.body;
  EXPECT_TRUE(contains(bigger.body, "bytes per user")) << bigger.body;
  EXPECT_EQ(s.upload("GET", "/s/alice/k1").body, "v");
  // Another user, and the server, carry on.
  EXPECT_EQ(s.upload("PUT", "/s/bob/k3", std::string(4 * K, 'b')).status, 200u);
  EXPECT_EQ(s.upload("GET", "/s/bob/k3").body.size(), 4 * K);
  EXPECT_EQ(s.upload("GET", "/ping").body, "PONG");
}

// Users under their own caps meet the node-wide ones: 507 naming them.
TEST(HttpStateLimits, NodeWideKeysAndBytes) {
  constexpr size_t K = 64 * 1024;
  TestServerOptions o;
  o.state.maxKeysPerUser = 3;
  o.state.maxKeys = 4;
  o.state.maxBytesPerUser = 4 * K;
  o.state.maxBytes = 6 * K;
  TestServer s(o);
  ASSERT_TRUE(s.ok());
  for (const char* path : {"/s/alice/k0", "/s/alice/k1", "/s/bob/k0", "/s/bob/k1"}) {
    auto r = s.upload("PUT", path, "v");
    EXPECT_EQ(r.status, 200u) << path << ": " << r.body;
  }
  auto keys = s.upload("PUT", "/s/carol/k0", "v");
  EXPECT_EQ(keys.status, 507u) << keys.body;
  EXPECT_TRUE(contains(keys.body, "the node has 4 keys, the node-wide limit")) << keys.body;
  EXPECT_EQ(s.upload("GET", "/s/carol/k0").status, 404u);
  // Four keys hold 4 * 64 KiB; alice grows by two steps, bob then cannot.
  EXPECT_EQ(s.upload("PUT", "/s/alice/k0", std::string(3 * K, 'a')).status, 200u);
  auto bytes = s.upload("PUT", "/s/bob/k0", std::string(2 * K, 'b'));
  EXPECT_EQ(bytes.status, 507u) << bytes.body;
  EXPECT_TRUE(contains(bytes.body, "beyond the node-wide limit of 393216 bytes")) << bytes.body;
  EXPECT_EQ(s.upload("GET", "/s/bob/k0").body, "v");
  EXPECT_EQ(s.upload("PUT", "/s/bob/k1", "w").status, 200u);
  EXPECT_EQ(s.upload("GET", "/s/bob/k1").body, "w");
  EXPECT_EQ(s.upload("GET", "/ping").body, "PONG");
}

// Limits far below the body limit (4 MiB here), so that the store and the
// state store answer, not the server's body check.
TEST(HttpSizeLimits, ObjectsAndStateValuesPastTheirLimitsGet413) {
  constexpr size_t kObjectLimit = 1000, kValueLimit = 2000;
  TestServerOptions o;
  o.store.maxObjectSize = kObjectLimit;
  o.state.maxValueSize = kValueLimit;
  TestServer s(o);
  ASSERT_TRUE(s.ok());
  ASSERT_LT(kValueLimit + 1, o.http.maxBodyBytes);
  EXPECT_EQ(s.upload("PUT", "/o/demo/fits", std::string(kObjectLimit, 'o')).status, 200u);
  auto object = s.upload("PUT", "/o/demo/big", std::string(kObjectLimit + 1, 'o'));
  EXPECT_EQ(object.status, 413u) << object.body;
  EXPECT_TRUE(contains(object.body, "1001 bytes is over the limit of 1000")) << object.body;
  EXPECT_EQ(s.upload("GET", "/o/demo/big").status, 404u);
  EXPECT_EQ(s.upload("GET", "/o/demo/fits").body.size(), kObjectLimit);

  EXPECT_EQ(s.upload("PUT", "/s/demo/fits", std::string(kValueLimit, 's')).status, 200u);
  auto value = s.upload("PUT", "/s/demo/big", std::string(kValueLimit + 1, 's'));
  EXPECT_EQ(value.status, 413u) << value.body;
  EXPECT_TRUE(contains(value.body, "State value too large (limit 2000 bytes)")) << value.body;
  EXPECT_EQ(s.upload("GET", "/s/demo/big").status, 404u);
  EXPECT_EQ(s.upload("GET", "/s/demo/fits").body.size(), kValueLimit);
  EXPECT_EQ(s.upload("GET", "/ping").body, "PONG");
}

}  // namespace
}  // namespace nearfaas
