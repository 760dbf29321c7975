// URL paths: splitting request targets into decoded segments and encoding
// segments for the client, so that keys with spaces, '%', '?' or '#' travel
// intact.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nearfaas::http {

// "%41b" -> "Ab"; nullopt for a malformed escape. '+' stays '+'.
std::optional<std::string> percentDecode(std::string_view s);

// Escapes every byte except unreserved characters (RFC 3986) and, if
// keepSlash, '/'.
std::string percentEncode(std::string_view s, bool keepSlash = false);

// The path of a request target split at '/', each segment decoded: the query
// is dropped, and so is the leading '/', so "/f/demo/hello?x" gives
// {"f", "demo", "hello"} and "/" gives {}. An empty segment (from "//" or a
// trailing '/') is kept as "". nullopt if a segment has a malformed escape.
std::optional<std::vector<std::string>> splitPath(std::string_view target);

}  // namespace nearfaas::http
