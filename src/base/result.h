// Errors cross API boundaries as values. Result<T> is std::expected<T, Error>;
// an Error carries one human-readable message that names what failed and why.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace nearfaas {

struct Error {
  std::string message;
};

template <typename T>
using Result = std::expected<T, Error>;

// Shorthand for returning a failure: `return fail("no such export '", name, "'");`
template <typename... Parts>
std::unexpected<Error> fail(Parts&&... parts) {
  std::string msg;
  (msg.append(std::forward<Parts>(parts)), ...);
  return std::unexpected(Error{std::move(msg)});
}

}  // namespace nearfaas
