#include "storage/object_store.h"

#include "storage/buckets.h"

#include <cstring>

namespace nearfaas::storage {

namespace {

bool isBucketChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// Names in messages are quoted and cut short: they may be huge or hold bytes
// that do not print.
std::string quoted(std::string_view name) {
  constexpr size_t kShown = 64;
  std::string out = "'";
  for (char c : name.substr(0, kShown))
    out += (c == '\0') ? std::string("\\0") : std::string(1, c);
  out += name.size() > kShown ? "...'" : "'";
  return out;
}

}  // namespace

StoreResult<void> validateBucket(std::string_view bucket, const StoreLimits& limits) {
  if (bucket.empty()) return storeFail(StoreErrorCode::InvalidBucket, "empty bucket name");
  if (bucket.size() > limits.maxBucketLength)
    return storeFail(StoreErrorCode::InvalidBucket, "bucket name ", quoted(bucket),
                     " is longer than ", std::to_string(limits.maxBucketLength), " bytes");
  if (bucket == "." || bucket == "..")
    return storeFail(StoreErrorCode::InvalidBucket, "bucket name ", quoted(bucket),
                     " is not allowed");
  for (char c : bucket) {
    if (!isBucketChar(c))
      return storeFail(StoreErrorCode::InvalidBucket, "bucket name ", quoted(bucket),
                       " may only contain A-Z a-z 0-9 . _ -");
  }
  return {};
}

StoreResult<void> validateUser(std::string_view user, const StoreLimits& limits) {
  if (auto r = validateBucket(user, limits); !r) return r;
  if (user.front() == '.')
    return storeFail(StoreErrorCode::InvalidBucket, "user name ", quoted(user),
                     " may not start with '.' (reserved for the system's buckets)");
  return {};
}

StoreResult<void> validateKey(std::string_view key, const StoreLimits& limits) {
  if (key.empty()) return storeFail(StoreErrorCode::InvalidKey, "empty key");
  if (key.size() > limits.maxKeyLength)
    return storeFail(StoreErrorCode::InvalidKey, "key ", quoted(key), " is longer than ",
                     std::to_string(limits.maxKeyLength), " bytes");
  if (key.find('\0') != std::string_view::npos)
    return storeFail(StoreErrorCode::InvalidKey, "key ", quoted(key), " contains a NUL byte");
  size_t start = 0;
  for (;;) {
    size_t end = key.find('/', start);
    std::string_view part = key.substr(start, end == std::string_view::npos ? end : end - start);
    if (part.empty())
      return storeFail(StoreErrorCode::InvalidKey, "key ", quoted(key),
                       " has an empty component (leading, trailing or double '/')");
    if (part == "." || part == "..")
      return storeFail(StoreErrorCode::InvalidKey, "key ", quoted(key), " has a '", part,
                       "' component");
    if (part.size() > limits.maxKeyComponentLength)
      return storeFail(StoreErrorCode::InvalidKey, "key ", quoted(key),
                       " has a component longer than ",
                       std::to_string(limits.maxKeyComponentLength), " bytes");
    if (part.starts_with(kReservedComponentPrefix))
      return storeFail(StoreErrorCode::InvalidKey, "key ", quoted(key),
                       " has a component starting with the reserved prefix '",
                       kReservedComponentPrefix, "'");
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return {};
}

StoreResult<uint64_t> ObjectStore::getRangeInto(std::string_view bucket, std::string_view key,
                                                uint64_t offset, uint64_t maxLen,
                                                const std::function<uint8_t*(uint64_t)>& place) {
  auto data = getRange(bucket, key, offset, maxLen);
  if (!data) return std::unexpected(data.error());
  if (data->empty()) return uint64_t{0};
  std::memcpy(place(data->size()), data->data(), data->size());
  return data->size();
}

}  // namespace nearfaas::storage
