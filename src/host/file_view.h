// The file system a Faaslet sees through WASI: one directory tree that lives
// in host memory and belongs to that Faaslet alone, laid out as Faasm's
// runtime root is.
//
//   /            private scratch space, read-write (with /tmp made up front);
//                the working directory (wasi-libc starts at "/", as Faasm's)
//   /etc/...     the runtime root's files (hosts, passwd, resolv.conf;
//                runtimeRootFiles()), read-only: every change fails with
//                Acces, as for a process that is not root
//   /shared/...  the shared files (object store bucket kSharedFilesBucket,
//                key = path below /shared); "faasm://x" names /shared/x as
//                Faasm functions spell it. Global read, local write: with a
//                LocalSharedFiles bound (the node's), a change makes a copy
//                on this node that every later call here sees, and the
//                original in the store never changes; without one, shared
//                files are read-only (Rofs)
//
// Guests reach it through the preopened directory fd 3, named "/".
//
// Invariants:
//  - No operation touches the host file system: scratch files are bytes in
//    host memory, shared files are read through the ObjectStore interface with
//    validated keys. There are no symlinks and none can be made; ".." never
//    leaves the tree (NotCapable), and neither does an absolute path.
//  - Scratch use is bounded by FileViewLimits (bytes, nodes, open files);
//    past maxScratchBytes a write fails with Nospc. Local copies of shared
//    files are bounded node-wide by LocalSharedLimits (Nospc).
//  - A shared file that has no local copy is read whole into memory when
//    opened, once per call: every descriptor of it (and readFile) shares that
//    one read-only copy, which lives while anything uses it. What the call
//    holds of them is bounded by maxSharedBytes (an open past it fails with
//    Nomem). A descriptor opened before the file's first local change keeps
//    reading what it read.
//  - A descriptor is an open file description shared by its dup()s: offset
//    and flags are common to all of them, as in POSIX.
//  - reset() forgets every scratch file and open descriptor, so nothing a call
//    wrote is visible to the next call of the Faaslet (local copies of shared
//    files belong to the node, not to the call, and stay).
//
// A FileView is used by one thread at a time (its Faaslet's). The tree is
// built on first use, so a Faaslet that never touches files pays nothing.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "host/file_system.h"

namespace nearfaas::storage {
class ObjectStore;
}

namespace nearfaas::host {

class LocalSharedFiles;

struct FileViewLimits {
  uint64_t maxScratchBytes = 64ull << 20;      // file contents in the scratch tree
  uint32_t maxScratchNodes = 4096;             // scratch files and directories
  uint32_t maxOpenFiles = 256;                 // descriptors besides stdio and the root
  uint64_t maxSharedFileBytes = 256ull << 20;  // a shared file is read whole when opened
  uint64_t maxSharedBytes = 512ull << 20;      // shared files held at once (one copy each)
  size_t maxPathBytes = 4096;
  size_t maxNameBytes = 255;
};

class FileView final : public FileSystem {
 public:
  static constexpr uint32_t kRootFd = 3;
  static constexpr std::string_view kRootName = "/";
  static constexpr std::string_view kSharedDir = "shared";
  static constexpr std::string_view kScratchDir = "tmp";
  static constexpr std::string_view kRuntimeRootDir = "etc";

  // The runtime root's files, below /etc: name and contents.
  struct RuntimeFile {
    std::string_view name;
    std::string_view contents;
  };
  static std::span<const RuntimeFile> runtimeRootFiles();

  explicit FileView(FileViewLimits limits = {});
  ~FileView() override;
  FileView(const FileView&) = delete;
  FileView& operator=(const FileView&) = delete;

  // Takes effect for later operations; lowering a limit does not shrink what
  // exists.
  void setLimits(const FileViewLimits& limits) { limits_ = limits; }
  // Where /shared reads from (not owned; must outlive its use); null = empty.
  void bindShared(storage::ObjectStore* store) { shared_ = store; }
  // Where changes to shared files go (not owned; the node's, used by every
  // Faaslet at once); null = shared files are read-only.
  void bindLocalShared(LocalSharedFiles* local) { local_ = local; }
  // Back to the initial state: an empty scratch tree and only fd 3 open.
  void reset();

  // The preopened directory's name if `fd` is one.
  std::optional<std::string_view> preopenName(uint32_t fd) const override;

  // `path` is relative to directory fd `dirFd`. Flags and rights as WASI's
  // path_open; read access needs kRightRead, write access kRightWrite.
  FsResult<uint32_t> open(uint32_t dirFd, std::string_view path, uint16_t oflags, uint64_t rights,
                          uint16_t fdflags);
  FsResult<void> close(uint32_t fd) override;
  // Replaces `to` (closing it if open) with `from`.
  FsResult<void> renumber(uint32_t from, uint32_t to) override;
  // A new descriptor, the lowest free one >= minFd (and >= 3: 0-2 are stdio,
  // which the view does not hold, so they cannot be duplicated here: Badf),
  // for the same open file description as `fd` (POSIX dup, F_DUPFD).
  FsResult<uint32_t> dup(uint32_t fd, uint32_t minFd) override;

  FsResult<size_t> read(uint32_t fd, std::span<uint8_t> buf) override;
  FsResult<size_t> write(uint32_t fd, std::span<const uint8_t> data) override;
  FsResult<size_t> pread(uint32_t fd, std::span<uint8_t> buf, uint64_t offset) override;
  FsResult<size_t> pwrite(uint32_t fd, std::span<const uint8_t> data, uint64_t offset) override;
  FsResult<uint64_t> seek(uint32_t fd, int64_t delta, uint8_t whence) override;

  FsResult<FdStat> fdstat(uint32_t fd) const override;
  FsResult<void> setFdFlags(uint32_t fd, uint16_t flags) override;
  FsResult<FileStat> stat(uint32_t fd) const override;
  FsResult<FileStat> stat(uint32_t dirFd, std::string_view path) const;
  FsResult<void> setSize(uint32_t fd, uint64_t size) override;
  // fstflags as WASI's fd_filestat_set_times.
  FsResult<void> setTimes(uint32_t fd, uint64_t atim, uint64_t mtim, uint16_t fstflags) override;
  FsResult<void> setTimes(uint32_t dirFd, std::string_view path, uint64_t atim, uint64_t mtim,
                          uint16_t fstflags);

  // Entries of directory `fd`, "." and ".." first, then by name.
  FsResult<std::vector<DirEntry>> list(uint32_t fd) const;
  FsResult<void> createDirectory(uint32_t dirFd, std::string_view path) override;
  FsResult<void> removeDirectory(uint32_t dirFd, std::string_view path) override;
  FsResult<void> unlinkFile(uint32_t dirFd, std::string_view path) override;
  FsResult<void> rename(uint32_t oldDirFd, std::string_view oldPath, uint32_t newDirFd,
                        std::string_view newPath) override;
  // Whether `path` (relative to `dirFd`) exists: for calls that must say
  // "not a symlink" (Inval) or "no such file" (Noent).
  FsResult<void> exists(uint32_t dirFd, std::string_view path) const;

  // The FileSystem interface where it says more than the calls above: the
  // tree has no symlinks, so lookup flags change nothing, and of the rights
  // only reading and writing mean something (inheriting rights are ignored).
  FsResult<uint32_t> open(uint32_t dirFd, uint32_t lookupFlags, std::string_view path,
                          uint16_t oflags, uint64_t rightsBase, uint64_t rightsInheriting,
                          uint16_t fdflags) override;
  FsResult<FileStat> stat(uint32_t dirFd, uint32_t lookupFlags,
                          std::string_view path) const override;
  FsResult<void> setTimes(uint32_t dirFd, uint32_t lookupFlags, std::string_view path,
                          uint64_t atim, uint64_t mtim, uint16_t fstflags) override;
  FsResult<std::vector<DirEntry>> readDir(uint32_t fd, uint64_t cookie, size_t maxEntries) override;
  FsResult<std::string> readlink(uint32_t dirFd, std::string_view path) const override;

  // The whole contents of the file at `path`, relative to the root ("/x" and
  // "x" alike), for host functions that read files by name.
  FsResult<Bytes> readFile(std::string_view path);

  const FileViewLimits& limits() const { return limits_; }
  // Bytes of scratch file contents.
  uint64_t scratchBytes() const;
  // Bytes of shared files held in memory now (each file counted once however
  // many descriptors have it open).
  uint64_t sharedBytes() const;

 private:
  struct Inode;
  struct Usage;
  struct OpenFile;
  struct SharedCopy;
  using Path = std::vector<std::string>;
  using InodePtr = std::shared_ptr<Inode>;

  void ensureTree() const;
  // The absolute, normalised path of `path` relative to directory fd `dirFd`
  // (or to the directory `base`).
  FsResult<Path> resolve(uint32_t dirFd, std::string_view path) const;
  FsResult<Path> resolveFrom(const Path& base, std::string_view path) const;
  FsResult<InodePtr> lookup(const Path& path) const;
  FsResult<InodePtr> child(const Inode& dir, const std::string& name) const;
  // The directory that holds `path`'s last component, if its entries may
  // change (Acces under /etc, Rofs in /shared without local copies).
  FsResult<InodePtr> parentDir(const Path& path, bool forCreate) const;
  // The shared file's local copy, made now if it has none (holding the
  // original's contents unless `empty`).
  FsResult<void> localCopy(Inode& node, bool empty = false);
  // The shared key of `name` in shared directory `dir`, if valid.
  std::optional<std::string> sharedChildKey(const Inode& dir, std::string_view name) const;
  FsResult<std::vector<DirEntry>> listDir(const Inode& dir) const;
  FsResult<void> changeTimes(Inode& node, uint64_t atim, uint64_t mtim, uint16_t flags);
  FsResult<OpenFile*> file(uint32_t fd) const;
  FsResult<void> resize(Inode& node, uint64_t size);
  FsResult<size_t> readAt(OpenFile& f, std::span<uint8_t> buf, uint64_t offset);
  FsResult<size_t> writeAt(OpenFile& f, std::span<const uint8_t> data, uint64_t offset);
  FileStat statOf(const Inode& node) const;
  FsResult<void> loadShared(Inode& node);
  InodePtr newInode(FileType type) const;

  FileViewLimits limits_;
  storage::ObjectStore* shared_ = nullptr;
  LocalSharedFiles* local_ = nullptr;
  std::shared_ptr<Usage> usage_;  // shared with every inode, which accounts itself
  mutable InodePtr root_;         // null until first use
  mutable bool touched_ = false;  // anything beyond the initial state exists
  // Descriptors; dup()s share the OpenFile (the open file description).
  std::map<uint32_t, std::shared_ptr<OpenFile>> fds_;
  // The shared files this call has in memory, by key; entries expire when
  // nothing uses the copy any more.
  std::map<std::string, std::weak_ptr<const SharedCopy>, std::less<>> sharedCopies_;
};

}  // namespace nearfaas::host
