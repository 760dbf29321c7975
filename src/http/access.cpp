#include "http/access.h"

#include <algorithm>
#include <cctype>

#include "base/bytes.h"

namespace nearfaas::http {

namespace {

Response refuse(unsigned status, std::string message) {
  Response r = textResponse(status, std::move(message));
  if (status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

}  // namespace

std::expected<Caller, Response> authenticate(auth::TokenStore* tokens, const Request& request) {
  if (!tokens) return Caller{};
  const std::string* h = request.header("Authorization");
  if (!h)
    return std::unexpected(
        refuse(401, "Unauthorized: this server needs an API token (Authorization: Bearer TOKEN)"));
  std::string_view v = *h;
  constexpr std::string_view kBearer = "Bearer ";
  if (v.size() < kBearer.size() ||
      !std::equal(kBearer.begin(), kBearer.end(), v.begin(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == std::tolower(b);
      }))
    return std::unexpected(refuse(401, "Unauthorized: expected Authorization: Bearer TOKEN"));
  v.remove_prefix(kBearer.size());
  while (!v.empty() && v.front() == ' ')
    v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ')
    v.remove_suffix(1);
  auto p = tokens->authenticate(v);
  if (!p) return std::unexpected(refuse(401, "Unauthorized: unknown or revoked API token"));
  return Caller{std::move(*p)};
}

std::optional<Response> requireUser(const Caller& caller, const std::string& user) {
  if (!caller || caller->admin || caller->user == user) return std::nullopt;
  return refuse(403, "Forbidden: the token of user " + printable(caller->user) +
                         " does not grant access to user " + printable(user));
}

std::optional<Response> requireAdmin(const Caller& caller, const std::string& what) {
  if (!caller || caller->admin) return std::nullopt;
  return refuse(403, "Forbidden: " + what + " needs the admin token");
}

}  // namespace nearfaas::http
