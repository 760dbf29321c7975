// The node's local copies of shared files: what Faasm's "global read, local
// write" gives functions. A shared file (object store bucket
// kSharedFilesBucket, seen as /shared/... and faasm://... in every file view)
// is read from the store until a function on this node changes it; the first
// change (open for writing, truncate, create, mkdir, unlink, rename, setting
// times) makes a local copy here, and from then on every Faaslet of the node
// sees the copy instead of the original. The original in the store is never
// changed.
//
// One object per node, bound into each Faaslet's FileView
// (FileView::bindLocalShared); FileViews on different threads use it at once.
//
// Invariants:
//  - Entries are keyed by the shared file's key ("a/b.txt"); an entry is a
//    file (a local copy), a directory made here, or a removal mark that hides
//    the original of that key and of everything below it.
//  - Every operation takes one mutex, so a write is seen whole by later reads
//    on any thread. Open descriptors hold their File: unlinking a copy that is
//    open keeps its bytes (and their accounting) until the last one closes.
//  - The contents of all copies together never exceed maxBytes (a write past
//    it fails with Nospc), and entries never exceed maxEntries (Nospc).
//    Nothing here is ever dropped on its own: copies live as long as the node.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "host/file_view.h"

namespace nearfaas::host {

struct LocalSharedLimits {
  uint64_t maxBytes = 256ull << 20;  // contents of every local copy on the node together
  uint32_t maxEntries = 16384;       // local files, directories and removal marks
};

class LocalSharedFiles {
 public:
  struct State;
  // One local copy, shared by every descriptor of it on the node.
  class File {
   public:
    ~File();
    uint64_t size() const;
    size_t read(std::span<uint8_t> buf, uint64_t offset) const;
    FsResult<size_t> write(std::span<const uint8_t> data, uint64_t offset);
    // Writes at the end, found and written in one step; the new end.
    FsResult<uint64_t> append(std::span<const uint8_t> data);
    FsResult<void> resize(uint64_t size);
    Bytes contents() const;
    // ns since the epoch.
    struct Times {
      uint64_t atim = 0, mtim = 0, ctim = 0;
    };
    Times times() const;
    void setTimes(const Times& t);

   private:
    friend class LocalSharedFiles;
    File() = default;
    FsResult<void> resizeLocked(uint64_t size);
    std::shared_ptr<State> state_;
    Bytes data_;
    Times times_;
  };

  enum class Kind : uint8_t { File, Directory, Removed };
  struct Entry {
    Kind kind = Kind::Removed;
    std::shared_ptr<File> file;  // Kind::File only
  };

  explicit LocalSharedFiles(LocalSharedLimits limits = {});
  ~LocalSharedFiles();
  LocalSharedFiles(const LocalSharedFiles&) = delete;
  LocalSharedFiles& operator=(const LocalSharedFiles&) = delete;

  // The entry of exactly `key`, if any.
  std::optional<Entry> find(std::string_view key) const;
  // Whether `key` or a directory above it is marked removed.
  bool hidden(std::string_view key) const;
  // The entries directly below the directory whose key prefix is `prefix`
  // ("" for the top, else "a/b/"), by name.
  std::map<std::string, Kind> children(std::string_view prefix) const;

  // The local copy of `key`: the one that exists, or a new one holding
  // `initial` (the original's bytes, or nothing for a new file). Isdir if a
  // directory was made under that key here; Nospc past a limit.
  FsResult<std::shared_ptr<File>> adopt(std::string_view key, Bytes initial);
  // Exist if a file or directory entry is there already.
  FsResult<void> makeDirectory(std::string_view key);
  // Hides `key` (and everything below it) from now on.
  FsResult<void> markRemoved(std::string_view key);
  // Moves the local copy `from` to `to` (replacing what is there) and hides
  // `from`; `from` must be a file entry (Noent otherwise).
  FsResult<void> renameFile(std::string_view from, std::string_view to);

  const LocalSharedLimits& limits() const;
  uint64_t bytes() const;
  size_t entries() const;

 private:
  // Room for one more entry under `key` (replacing one is free).
  FsResult<void> roomFor(std::string_view key) const;
  std::shared_ptr<State> state_;
  std::map<std::string, Entry, std::less<>> entries_;  // guarded by state_->mutex
};

}  // namespace nearfaas::host
