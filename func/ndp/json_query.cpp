/*
 * ndp/json_query: counts the lines of a JSON-lines object that pass a field
 * filter, next to the data if the runtime offloads it.
 *
 * Input:  "<key> <query>": key = the bytes before the first space, query =
 *         everything after it, one of
 *           <path>               lines where the field exists
 *           <path><op><value>    lines where the field compares so
 *         <path> is one or more names joined by '.', each name of the bytes
 *         [A-Za-z0-9_-]; a name selects an object's member, or an array's
 *         element if it is a decimal index ("tags.0"). <op> is one of
 *         == != < <= > >=; <value> is one JSON value ("42", "\"red\"",
 *         "true", "null", "[1,2]"), spaces around it allowed.
 *         == and != compare JSON values as nlohmann::json's operator==
 *         (numbers by value whatever their type: 1 == 1.0; objects and arrays
 *         element by element). < <= > >= hold only between two numbers (as
 *         doubles) or two strings (bytewise); otherwise a line does not pass.
 *         A line without the field passes only "!=".
 * Lines:  separated by '\n'; a line of only whitespace (' ', '\t', '\r') is
 *         skipped and not counted; every other line must be one JSON value
 *         (usually an object).
 * Output: "matched <M> of <N> lines": M lines pass out of N counted. Returns 0.
 * Errors: no space, empty key, or a query that is not as above -> output
 *           "FAILED - bad query. Usage: json_query with input
 *           'key path[op value]'" (one line), returns 0;
 *         missing or empty object -> output
 *           "FAILED - no object found with the given key", returns 1;
 *         a line that is not JSON -> output
 *           "FAILED - line <L> is not JSON" (L counts every line from 1),
 *           returns 3.
 *
 * nlohmann-json (Debian nlohmann-json3-dev) is built without exceptions
 * (JSON_NOEXCEPTION): lines and the query's value are parsed with
 * allow_exceptions = false and checked with is_discarded(); nothing that
 * would throw (at(), get() of another type) is called.
 *
 * NDP: countMatches runs through __faasmndp_storageCallAndAwait (no
 * arguments; the parsed query in globals, the counts back in globals). It
 * maps the whole object (offset 0, at most 1 GiB).
 */
#include "faasm/faasm.h"

#include "ndp_common.h"

#include <stdint.h>

#include <string>
#include <string_view>
#include <vector>

#define JSON_NOEXCEPTION 1
#include <nlohmann/json.hpp>

namespace {

using ndp::setOutput;
using json = nlohmann::json;

enum class Op { Exists, Eq, Ne, Lt, Le, Gt, Ge };

// The query (set by main) and the answer (set by countMatches).
std::string_view objectKey;
std::vector<std::string> path;
Op op = Op::Exists;
json value;
uint64_t matched = 0, counted = 0;

bool isNameByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool isBlank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

// Parses `query` into path, op and value; false if it is not a query.
bool parseQuery(std::string_view query) {
  size_t i = 0;
  path.clear();
  for (;;) {
    size_t start = i;
    while (i < query.size() && isNameByte(query[i]))
      ++i;
    if (i == start) return false;
    path.emplace_back(query.substr(start, i - start));
    if (i < query.size() && query[i] == '.') {
      ++i;
      continue;
    }
    break;
  }
  while (i < query.size() && query[i] == ' ')
    ++i;
  if (i == query.size()) {
    op = Op::Exists;
    return true;
  }
  std::string_view rest = query.substr(i);
  static constexpr std::pair<std::string_view, Op> kOps[] = {
      {"==", Op::Eq}, {"!=", Op::Ne}, {"<=", Op::Le}, {">=", Op::Ge}, {"<", Op::Lt}, {">", Op::Gt}};
  bool found = false;
  for (const auto& [text, o] : kOps) {
    if (rest.substr(0, text.size()) == text) {
      op = o;
      rest.remove_prefix(text.size());
      found = true;
      break;
    }
  }
  if (!found) return false;
  value = json::parse(rest.begin(), rest.end(), nullptr, /*allow_exceptions=*/false);
  return !value.is_discarded();
}

// The field `path` selects in `doc`, or nullptr.
const json* select(const json& doc) {
  const json* at = &doc;
  for (const std::string& name : path) {
    if (at->is_object()) {
      auto it = at->find(name);
      if (it == at->end()) return nullptr;
      at = &*it;
    } else if (at->is_array()) {
      long index = ndp::parseNumber(name, 0, 999999999);
      if (index < 0 || static_cast<size_t>(index) >= at->size()) return nullptr;
      at = &(*at)[static_cast<size_t>(index)];
    } else {
      return nullptr;
    }
  }
  return at;
}

// Whether `field` (the selected field, or nullptr) passes the filter.
bool passes(const json* field) {
  if (field == nullptr) return op == Op::Ne;
  switch (op) {
    case Op::Exists:
      return true;
    case Op::Eq:
      return *field == value;
    case Op::Ne:
      return *field != value;
    default:
      break;
  }
  int order;
  if (field->is_number() && value.is_number()) {
    double a = field->get<double>(), b = value.get<double>();
    if (a != a || b != b) return false;
    order = a < b ? -1 : a > b ? 1 : 0;
  } else if (field->is_string() && value.is_string()) {
    order = field->get_ref<const std::string&>().compare(value.get_ref<const std::string&>());
  } else {
    return false;
  }
  switch (op) {
    case Op::Lt:
      return order < 0;
    case Op::Le:
      return order <= 0;
    case Op::Gt:
      return order > 0;
    default:
      return order >= 0;
  }
}

}  // namespace

// Runs near the object: counts the lines and those that pass.
int countMatches() {
  uint32_t len = 0;
  uint8_t* data = ndp::mapObject(objectKey, &len);
  if (data == nullptr) return 1;
  std::string_view text(reinterpret_cast<const char*>(data), len);
  int rc = 0;
  uint64_t lineNumber = 0;
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    at = end + 1;
    ++lineNumber;
    size_t blank = 0;
    while (blank < line.size() && isBlank(line[blank]))
      ++blank;
    if (blank == line.size()) continue;
    json doc = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
      setOutput("FAILED - line " + std::to_string(lineNumber) + " is not JSON");
      rc = 3;
      break;
    }
    ++counted;
    if (passes(select(doc))) ++matched;
  }
  __faasmndp_unmap(data, static_cast<int32_t>(len));
  return rc;
}

int main(int, char*[]) {
  std::string input = ndp::readInput();
  std::string_view key, query;
  if (!ndp::splitKeyArg(input, &key, &query) || !parseQuery(query)) {
    setOutput("FAILED - bad query. Usage: json_query with input 'key path[op value]'");
    return 0;
  }
  objectKey = key;
  matched = counted = 0;
  int rc =
      __faasmndp_storageCallAndAwait(key.data(), static_cast<uint32_t>(key.size()), countMatches);
  if (rc != 0) return rc;
  setOutput("matched " + std::to_string(matched) + " of " + std::to_string(counted) + " lines");
  return 0;
}
