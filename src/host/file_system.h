// What the WASI descriptor and path functions (wasi_files.cpp) see: a table
// of descriptors from 3 up and the paths below its directories, with WASI
// preview1's vocabulary (errno values, file types, flags, rights). Two file
// systems implement it:
//
//   FileView  (file_view.h)  a Faaslet's private in-memory tree: what every
//                            function run by the node sees
//   HostDirs  (host_dirs.h)  real host directories preopened for
//                            `nearfaas run --dir`
//
// Every call answers a WASI errno as a value and never throws. Paths are
// relative to a directory descriptor; what a path may reach (and what ".."
// and symlinks do) is each implementation's business, stated in its header.
// Stdio (fds 0-2) is not part of a file system: the WASI layer answers it.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace nearfaas::host {

// The WASI (preview1) errno values the file systems and the WASI functions use.
enum class WasiErrno : uint16_t {
  Success = 0,
  Acces = 2,
  Again = 6,
  Badf = 8,
  Busy = 10,
  Dquot = 19,
  Exist = 20,
  Fault = 21,
  Fbig = 22,
  Ilseq = 25,
  Intr = 27,
  Inval = 28,
  Io = 29,
  Isdir = 31,
  Loop = 32,
  Mfile = 33,
  Mlink = 34,
  Nametoolong = 37,
  Nfile = 41,
  Nodev = 43,
  Noent = 44,
  Nomem = 48,
  Nospc = 51,
  Nosys = 52,
  Notdir = 54,
  Notempty = 55,
  Notsock = 57,
  Notsup = 58,
  Notty = 59,
  Nxio = 60,
  Overflow = 61,
  Perm = 63,
  Pipe = 64,
  Rofs = 69,
  Spipe = 70,
  Stale = 72,
  Txtbsy = 74,
  Xdev = 75,
  Notcapable = 76,
};

template <typename T>
using FsResult = std::expected<T, WasiErrno>;

// WASI's filetype (preview1 has no FIFO type: a FIFO is Unknown).
enum class FileType : uint8_t {
  Unknown = 0,
  BlockDevice = 1,
  CharacterDevice = 2,
  Directory = 3,
  RegularFile = 4,
  SocketDgram = 5,
  SocketStream = 6,
  SymbolicLink = 7,
};

// WASI flag and rights bits.
namespace wasi_bits {
inline constexpr uint32_t kLookupSymlinkFollow = 1 << 0;
inline constexpr uint16_t kOpenCreate = 1 << 0, kOpenDirectory = 1 << 1, kOpenExclusive = 1 << 2,
                          kOpenTruncate = 1 << 3;
inline constexpr uint16_t kFdAppend = 1 << 0, kFdDsync = 1 << 1, kFdNonblock = 1 << 2,
                          kFdRsync = 1 << 3, kFdSync = 1 << 4;
inline constexpr uint16_t kSetAtim = 1 << 0, kSetAtimNow = 1 << 1, kSetMtim = 1 << 2,
                          kSetMtimNow = 1 << 3;

// Rights, one bit each in preview1's order.
inline constexpr uint64_t kRightFdDatasync = 1ull << 0, kRightRead = 1ull << 1,
                          kRightSeek = 1ull << 2, kRightFdstatSetFlags = 1ull << 3,
                          kRightSync = 1ull << 4, kRightTell = 1ull << 5, kRightWrite = 1ull << 6,
                          kRightAdvise = 1ull << 7, kRightAllocate = 1ull << 8,
                          kRightPathCreateDirectory = 1ull << 9, kRightPathCreateFile = 1ull << 10,
                          kRightPathLinkSource = 1ull << 11, kRightPathLinkTarget = 1ull << 12,
                          kRightPathOpen = 1ull << 13, kRightReaddir = 1ull << 14,
                          kRightPathReadlink = 1ull << 15, kRightPathRenameSource = 1ull << 16,
                          kRightPathRenameTarget = 1ull << 17, kRightPathFilestatGet = 1ull << 18,
                          kRightPathFilestatSetSize = 1ull << 19,
                          kRightPathFilestatSetTimes = 1ull << 20, kRightFilestatGet = 1ull << 21,
                          kRightFilestatSetSize = 1ull << 22, kRightFilestatSetTimes = 1ull << 23,
                          kRightPathSymlink = 1ull << 24, kRightPathRemoveDirectory = 1ull << 25,
                          kRightPathUnlinkFile = 1ull << 26, kRightPollFdReadwrite = 1ull << 27,
                          kRightSockShutdown = 1ull << 28, kRightSockAccept = 1ull << 29;
inline constexpr uint64_t kAllRights = (1ull << 30) - 1;
}  // namespace wasi_bits

struct FileStat {
  uint64_t ino = 0;
  FileType type = FileType::Unknown;
  uint64_t nlink = 1;
  uint64_t size = 0;
  uint64_t atim = 0, mtim = 0, ctim = 0;  // ns since the epoch
  uint64_t dev = 1;
};

struct FdStat {
  FileType type = FileType::Unknown;
  uint16_t flags = 0;
  uint64_t rightsBase = 0, rightsInheriting = 0;
};

struct DirEntry {
  std::string name;
  uint64_t ino = 0;
  FileType type = FileType::Unknown;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // The preopened directory's name if `fd` is one.
  virtual std::optional<std::string_view> preopenName(uint32_t fd) const = 0;

  // WASI's path_open: `path` relative to directory `dirFd`; lookupFlags,
  // oflags, rights and fdflags as preview1 defines them.
  virtual FsResult<uint32_t> open(uint32_t dirFd, uint32_t lookupFlags, std::string_view path,
                                  uint16_t oflags, uint64_t rightsBase, uint64_t rightsInheriting,
                                  uint16_t fdflags) = 0;
  virtual FsResult<void> close(uint32_t fd) = 0;
  // Replaces `to` (closing it) with `from`; both must be open.
  virtual FsResult<void> renumber(uint32_t from, uint32_t to) = 0;
  // POSIX dup / F_DUPFD: a new descriptor, the lowest free one >= minFd (and
  // >= 3), for the same open file (offset and append flag shared).
  virtual FsResult<uint32_t> dup(uint32_t fd, uint32_t minFd) {
    (void)fd, (void)minFd;
    return std::unexpected(WasiErrno::Nosys);
  }

  virtual FsResult<size_t> read(uint32_t fd, std::span<uint8_t> buf) = 0;
  virtual FsResult<size_t> write(uint32_t fd, std::span<const uint8_t> data) = 0;
  virtual FsResult<size_t> pread(uint32_t fd, std::span<uint8_t> buf, uint64_t offset) = 0;
  virtual FsResult<size_t> pwrite(uint32_t fd, std::span<const uint8_t> data, uint64_t offset) = 0;
  virtual FsResult<uint64_t> seek(uint32_t fd, int64_t delta, uint8_t whence) = 0;

  virtual FsResult<FdStat> fdstat(uint32_t fd) const = 0;
  virtual FsResult<void> setFdFlags(uint32_t fd, uint16_t flags) = 0;
  // Rights can only shrink. By default nothing is enforced beyond the fd
  // being open.
  virtual FsResult<void> setFdRights(uint32_t fd, uint64_t base, uint64_t inheriting) {
    (void)base, (void)inheriting;
    return validFd(fd);
  }
  virtual FsResult<FileStat> stat(uint32_t fd) const = 0;
  virtual FsResult<FileStat> stat(uint32_t dirFd, uint32_t lookupFlags,
                                  std::string_view path) const = 0;
  virtual FsResult<void> setSize(uint32_t fd, uint64_t size) = 0;
  // fstflags as WASI's fd_filestat_set_times.
  virtual FsResult<void> setTimes(uint32_t fd, uint64_t atim, uint64_t mtim, uint16_t fstflags) = 0;
  virtual FsResult<void> setTimes(uint32_t dirFd, uint32_t lookupFlags, std::string_view path,
                                  uint64_t atim, uint64_t mtim, uint16_t fstflags) = 0;
  // fd_advise, fd_allocate, fd_sync/fd_datasync. The defaults suit a file
  // system in memory: advice and syncing do nothing, allocating grows the file.
  virtual FsResult<void> advise(uint32_t fd, uint64_t offset, uint64_t len, uint8_t advice) {
    (void)offset, (void)len, (void)advice;
    return validFd(fd);
  }
  virtual FsResult<void> allocate(uint32_t fd, uint64_t offset, uint64_t len);
  virtual FsResult<void> sync(uint32_t fd, bool dataOnly) {
    (void)dataOnly;
    return validFd(fd);
  }

  // Up to `maxEntries` entries of directory `fd` from position `cookie` on
  // (0 = the start, "." and ".." included); the entry at position i has
  // cookie i + 1 as its d_next.
  virtual FsResult<std::vector<DirEntry>> readDir(uint32_t fd, uint64_t cookie,
                                                  size_t maxEntries) = 0;
  virtual FsResult<void> createDirectory(uint32_t dirFd, std::string_view path) = 0;
  virtual FsResult<void> removeDirectory(uint32_t dirFd, std::string_view path) = 0;
  virtual FsResult<void> unlinkFile(uint32_t dirFd, std::string_view path) = 0;
  virtual FsResult<void> rename(uint32_t oldDirFd, std::string_view oldPath, uint32_t newDirFd,
                                std::string_view newPath) = 0;
  // The target of the symlink at `path` (Inval if it is not one).
  virtual FsResult<std::string> readlink(uint32_t dirFd, std::string_view path) const = 0;
  // By default there are no links and none can be made.
  virtual FsResult<void> symlink(std::string_view target, uint32_t dirFd, std::string_view path) {
    (void)target, (void)dirFd, (void)path;
    return std::unexpected(WasiErrno::Perm);
  }
  virtual FsResult<void> link(uint32_t oldDirFd, uint32_t lookupFlags, std::string_view oldPath,
                              uint32_t newDirFd, std::string_view newPath) {
    (void)oldDirFd, (void)lookupFlags, (void)oldPath, (void)newDirFd, (void)newPath;
    return std::unexpected(WasiErrno::Perm);
  }

 private:
  FsResult<void> validFd(uint32_t fd) const {
    auto s = fdstat(fd);
    if (!s) return std::unexpected(s.error());
    return {};
  }
};

inline FsResult<void> FileSystem::allocate(uint32_t fd, uint64_t offset, uint64_t len) {
  auto s = stat(fd);
  if (!s) return std::unexpected(s.error());
  uint64_t end;
  if (__builtin_add_overflow(offset, len, &end)) return std::unexpected(WasiErrno::Fbig);
  return end > s->size ? setSize(fd, end) : FsResult<void>{};
}

}  // namespace nearfaas::host
