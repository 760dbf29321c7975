// Errors cross API boundaries as values. Result<T> is std::expected<T, Error>;
// an Error carries one human-readable message that names what failed and why.
#pragma once

#include <expected>
#include <string>
#include <type_traits>
#include <utility>

namespace nearfaas {

struct Error {
  std::string message;
};

template <typename T>
using Result = std::expected<T, Error>;

namespace detail {
template <typename Part>
void appendPart(std::string& msg, Part&& part) {
  if constexpr (std::is_arithmetic_v<std::remove_cvref_t<Part>>)
    msg.append(std::to_string(part));
  else
    msg.append(std::forward<Part>(part));
}
}  // namespace detail

// Shorthand for returning a failure: `return fail("no such export '", name, "'");`
// Parts are strings or numbers.
template <typename... Parts>
std::unexpected<Error> fail(Parts&&... parts) {
  std::string msg;
  (detail::appendPart(msg, std::forward<Parts>(parts)), ...);
  return std::unexpected(Error{std::move(msg)});
}

}  // namespace nearfaas
