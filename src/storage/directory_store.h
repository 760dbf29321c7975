// DirectoryStore: the embedded ObjectStore, one directory tree on a local
// file system. Object (bucket, "a/b/c") is the regular file
// <root>/<bucket>/a/b/c; key components are subdirectories, created on put and
// pruned again when their last object is removed (the bucket directory stays).
//
// Atomicity: put writes a temporary file named ".nftmp-..." (a reserved key
// component, so never an object and never listed) in the object's directory,
// fsyncs it, renames it over the object and fsyncs the directory. A file is
// never modified after the rename, so a reader holding it open reads one
// complete version. A crash can leave a temporary file behind; it stays
// invisible.
//
// Confinement: every path is resolved one component at a time with openat and
// O_NOFOLLOW, starting from a descriptor of the root taken at open(). A
// symlink (or any other non-regular, non-directory file) planted inside the
// store is never followed; an operation that meets one fails with Io. Symlinks
// in the path *to* the root are the administrator's business and are followed.
//
// Layout conflicts: the file system cannot hold object "a" and object "a/b"
// together. Putting one while the other exists fails with Conflict.
#pragma once

#include <filesystem>
#include <memory>

#include "storage/object_store.h"

namespace nearfaas::storage {

struct DirectoryStoreOptions {
  StoreLimits limits;
  // fsync each object and its directory on put. Off only for scratch stores
  // (tests, caches) where losing writes on power failure is acceptable.
  bool syncWrites = true;
};

class DirectoryStore final : public ObjectStore {
 public:
  // Opens the store rooted at `root`, creating that directory (and its
  // parents) if missing.
  static StoreResult<std::unique_ptr<DirectoryStore>> open(const std::filesystem::path& root,
                                                           DirectoryStoreOptions options = {});
  ~DirectoryStore() override;

  DirectoryStore(const DirectoryStore&) = delete;
  DirectoryStore& operator=(const DirectoryStore&) = delete;

  StoreResult<void> put(std::string_view bucket, std::string_view key,
                        std::span<const uint8_t> data) override;
  StoreResult<Bytes> get(std::string_view bucket, std::string_view key) override;
  StoreResult<Bytes> getRange(std::string_view bucket, std::string_view key, uint64_t offset,
                              uint64_t maxLen) override;
  StoreResult<ObjectInfo> stat(std::string_view bucket, std::string_view key) override;
  StoreResult<void> remove(std::string_view bucket, std::string_view key) override;
  StoreResult<std::vector<std::string>> list(std::string_view bucket,
                                             std::string_view prefix) override;
  const StoreLimits& limits() const override { return options_.limits; }

  const std::filesystem::path& root() const { return root_; }

 private:
  DirectoryStore(std::filesystem::path root, int rootFd, DirectoryStoreOptions options);

  std::filesystem::path root_;
  int rootFd_;  // open for the store's lifetime; every lookup starts here
  DirectoryStoreOptions options_;
};

}  // namespace nearfaas::storage
