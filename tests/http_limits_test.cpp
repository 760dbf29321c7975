// The upload endpoint's state values against the per-user state limits: a
// client creating keys or bytes past its user's limit gets 507, and other
// users and existing keys are not affected.
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

}  // namespace
}  // namespace nearfaas
