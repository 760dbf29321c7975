// Who may use the HTTP endpoints: the request's bearer token decides
// (auth/tokens.h). With no TokenStore (auth off) every request is allowed, as
// before tokens existed. Otherwise a request without a valid token gets 401,
// and a valid token used on another user's resource, or a user token on an
// admin-only request, gets 403; the handler then does nothing else.
#pragma once

#include <expected>
#include <optional>
#include <string>

#include "auth/tokens.h"
#include "http/message.h"

namespace nearfaas::http {

// What a handler learned about the caller: nullopt principal = auth is off.
using Caller = std::optional<auth::Principal>;

// The caller of `request`, or the 401 answer. `tokens` nullptr: auth is off.
std::expected<Caller, Response> authenticate(auth::TokenStore* tokens, const Request& request);

// nullopt if `caller` may use `user`'s functions, state, objects and calls
// (that user's token, or the admin token); else the 403 answer.
std::optional<Response> requireUser(const Caller& caller, const std::string& user);
// nullopt if `caller` holds the admin token (or auth is off); else 403.
std::optional<Response> requireAdmin(const Caller& caller, const std::string& what);

}  // namespace nearfaas::http
