// A small synchronous HTTP/1.1 client for the CLI and the tests: one request
// per connection, with one deadline for the whole exchange.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "base/result.h"
#include "http/message.h"

namespace nearfaas::http {

struct Endpoint {
  std::string host = "127.0.0.1";  // IP address or host name
  uint16_t port = 0;
};

inline constexpr std::chrono::milliseconds kDefaultClientTimeout = std::chrono::minutes(5);

// Sends `request` (method, target, headers, body) and returns the response,
// whatever its status. Fails only if no complete response arrived: cannot
// resolve or connect, connection closed early, or `timeout` passed.
Result<Response> fetch(const Endpoint& to, const Request& request,
                       std::chrono::milliseconds timeout = kDefaultClientTimeout);

}  // namespace nearfaas::http
