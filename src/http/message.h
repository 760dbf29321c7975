// HTTP requests and responses as plain values, so that code above the server
// core (handlers, the client's callers) never includes Boost.Beast.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nearfaas::http {

// Header names compare case-insensitively (RFC 9110); values are kept as sent.
using Headers = std::vector<std::pair<std::string, std::string>>;

// The value of the first header called `name`, or nullptr.
const std::string* findHeader(const Headers& headers, std::string_view name);

struct Request {
  std::string method;  // "GET", "PUT", ...
  std::string target;  // as sent: path and query, still percent-encoded
  Headers headers;
  std::string body;

  const std::string* header(std::string_view name) const { return findHeader(headers, name); }
};

struct Response {
  unsigned status = 200;
  std::string body;
  std::string contentType = "text/plain";
  Headers headers;  // extra headers; the server adds Server, CORS, Content-Length, Connection

  const std::string* header(std::string_view name) const { return findHeader(headers, name); }
};

inline Response textResponse(unsigned status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

}  // namespace nearfaas::http
