// The object store: a flat namespace of (bucket, key) -> bytes. It holds
// everything NearFaaS keeps durably: function code (<user>/<func>/function.wasm),
// codegen artifacts, shared files, user objects (NDP objects, bucket = user)
// and state snapshots.
//
// ObjectStore is the interface; DirectoryStore (directory_store.h) is the
// embedded implementation, RadosStore (rados_store.h, library
// nf_storage_rados) keeps objects in Ceph. Every implementation follows the
// same contract (tests/store_contract_test.cpp checks it for each):
//  - Objects are whole: put replaces an object atomically, so a reader sees
//    either the old or the new contents, never a mix or a prefix.
//  - Buckets are implicit: a bucket exists once something was put into it; a
//    missing bucket behaves as an empty one (get -> NotFound, list -> empty).
//  - Errors are values (StoreResult) with a StoreErrorCode, so callers can
//    tell "not found" from "invalid name" from an I/O failure. Nothing throws.
//  - Every operation is safe to call from many threads at once.
//  - Names follow validateBucket/validateKey below, the same rules for every
//    backend, so an object can move between them unchanged.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace nearfaas::storage {

enum class StoreErrorCode {
  NotFound,       // no such object (or its bucket does not exist)
  InvalidBucket,  // bucket name breaks validateBucket
  InvalidKey,     // key (or list prefix) breaks validateKey
  TooLarge,       // object exceeds StoreLimits::maxObjectSize
  Conflict,       // key collides with the store's layout, e.g. "a/b" while object "a" exists
  Io,             // the backend failed, or found something it did not create (e.g. a symlink)
};

// An Error that also says which kind of failure it is. Being an Error, it
// converts implicitly to Result<T> for callers that only need the message.
struct StoreError : Error {
  StoreErrorCode code = StoreErrorCode::Io;
};

template <typename T>
using StoreResult = std::expected<T, StoreError>;

// Shorthand like fail(): `return storeFail(StoreErrorCode::NotFound, "no object '", key, "'");`
template <typename... Parts>
std::unexpected<StoreError> storeFail(StoreErrorCode code, Parts&&... parts) {
  std::string msg;
  (msg.append(std::forward<Parts>(parts)), ...);
  return std::unexpected(StoreError{{std::move(msg)}, code});
}

// Hard limits of the store; every backend enforces them.
struct StoreLimits {
  size_t maxBucketLength = 255;         // bytes
  size_t maxKeyLength = 1024;           // bytes, the whole key
  size_t maxKeyComponentLength = 255;   // bytes between two '/' (a file name, NAME_MAX)
  uint64_t maxObjectSize = 4ull << 30;  // 4 GiB
};

// Key components starting with this prefix are reserved: DirectoryStore names
// its in-flight writes with it, so they can never collide with or be listed
// as objects.
inline constexpr std::string_view kReservedComponentPrefix = ".nftmp-";

// Bucket names: 1..maxBucketLength bytes of [A-Za-z0-9._-], and not "." or
// "..". Valid as a directory name and as a RADOS pool or namespace name.
StoreResult<void> validateBucket(std::string_view bucket, const StoreLimits& limits = {});

// Keys: 1..maxKeyLength bytes, no NUL. '/' separates components, and every
// component must be 1..maxKeyComponentLength bytes, not "." or "..", and not
// start with kReservedComponentPrefix. So a key never starts or ends with '/'
// and has no "//", and cannot name anything outside its bucket. Every other
// byte is a plain character, including '\\' (not a separator on any backend),
// spaces and non-ASCII bytes.
StoreResult<void> validateKey(std::string_view key, const StoreLimits& limits = {});

struct ObjectInfo {
  uint64_t size = 0;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // Creates or wholly replaces the object; atomic as described above. Fails
  // with TooLarge if data exceeds limits().maxObjectSize.
  virtual StoreResult<void> put(std::string_view bucket, std::string_view key,
                                std::span<const uint8_t> data) = 0;

  virtual StoreResult<Bytes> get(std::string_view bucket, std::string_view key) = 0;

  // Bytes [offset, offset + min(size - offset, maxLen)) of one version of the
  // object; empty if offset >= size or maxLen == 0.
  virtual StoreResult<Bytes> getRange(std::string_view bucket, std::string_view key,
                                      uint64_t offset, uint64_t maxLen) = 0;

  // getRange into memory the caller provides: once the length n (> 0) is
  // known, place(n) returns where to put the bytes (n writable bytes; it may
  // throw, which ends the read). Returns n (0: nothing read, place() not
  // called). Stores that can read into place save a copy; the default reads
  // with getRange and copies.
  virtual StoreResult<uint64_t> getRangeInto(std::string_view bucket, std::string_view key,
                                             uint64_t offset, uint64_t maxLen,
                                             const std::function<uint8_t*(uint64_t)>& place);

  // NotFound if there is no such object.
  virtual StoreResult<ObjectInfo> stat(std::string_view bucket, std::string_view key) = 0;

  // NotFound if there is no such object.
  virtual StoreResult<void> remove(std::string_view bucket, std::string_view key) = 0;

  // Keys in `bucket` that start with `prefix` (a plain string prefix, not
  // necessarily whole components; "" lists everything), sorted bytewise.
  // A missing bucket lists as empty.
  virtual StoreResult<std::vector<std::string>> list(std::string_view bucket,
                                                     std::string_view prefix) = 0;

  virtual const StoreLimits& limits() const = 0;
};

}  // namespace nearfaas::storage
