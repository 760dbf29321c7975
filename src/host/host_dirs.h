// Real host directories given to a WASI command run on this machine
// (`nearfaas run --dir HOST[::GUEST]`), with WASI preview1 semantics. Functions
// run by the node never see this: they keep their in-memory FileView.
//
// The preopens are descriptors 3, 4, ... in the order given, each named by its
// GUEST name (fd_prestat_dir_name), which is how wasi-libc maps the guest's
// paths onto them. Descriptors opened later take the lowest free number >= 3.
//
// Invariants:
//  - A path reaches nothing outside the directory of the descriptor it is
//    relative to. The kernel enforces it: every path is resolved by openat2
//    with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS from that descriptor (Linux
//    >= 5.6), and calls that act on a final name (mkdir, unlink, rename,
//    symlink, link) act on it in a parent directory resolved that way, without
//    following it. ".." above the base, an absolute path, and a symlink that
//    leads out (absolute, or by "..", directly or through a chain) all fail
//    with ENOTCAPABLE. Sources for the errno: preview1 names no errno for an
//    escape; "notcapable" is what its capability model uses, what CloudABI
//    (the model preview1 took its sandbox from), uvwasi (Node.js) and this
//    project's FileView answer. wasmtime answers EPERM since it moved to
//    cap-std (its test-programs' preview1_interesting_paths), following
//    wasi-filesystem's path-resolution.md ("not-permitted").
//  - A symlink may be created with any relative target, even one that leads
//    out (path-resolution.md: sandboxing is done when a path is resolved, not
//    when a link is made); following it fails as above. An absolute target
//    fails with EPERM (path-resolution.md: "Creating a symlink with an
//    absolute path string fails with a 'not permitted' error"; wasmtime's
//    preview1_symlink_create refuses it too).
//  - path_link never follows the source (SYMLINK_FOLLOW is EINVAL, as in
//    wasmtime's preview1_path_link), so a hard link is only ever made to
//    something inside: both paths are resolved beneath their directories.
//  - Rights as preview1 defines them: a descriptor holds base and inheriting
//    rights; an operation needs its right (else ENOTCAPABLE); path_open may
//    ask at most the directory's inheriting rights; a file is opened for
//    reading and/or writing as its rights ask (read-only without write rights,
//    so writing it is ENOTCAPABLE); rights that do not apply to the type
//    opened are dropped; fd_fdstat_set_rights only removes rights.
//  - Files behave as Linux's: fd_pwrite on a descriptor opened with append
//    writes at the end, and fd_fdstat_set_flags changes append and nonblock
//    only (changing a sync flag is ENOTSUP).
//  - fd_readdir cookies are positions in a listing taken when the guest reads
//    from cookie 0 (wasi-libc's opendir and rewinddir), "." and ".." first,
//    then by name; later cookies continue that listing, so one pass sees one
//    consistent snapshot. A listing holds at most maxDirEntries entries.
//
// One thread at a time (the guest's).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "host/file_system.h"

namespace nearfaas::host {

struct HostDirsLimits {
  uint32_t maxOpenFiles = 1024;       // guest descriptors besides stdio, preopens included
  uint32_t maxDirEntries = 1u << 20;  // entries in one fd_readdir listing
};

// One `--dir`: the host directory and the name the guest knows it by.
struct Preopen {
  std::string hostPath;
  std::string guestName;
};

// "HOST::GUEST", or "HOST" (then the guest name is HOST as given).
Preopen parsePreopen(std::string_view spec);

class HostDirs final : public FileSystem {
 public:
  // Opens every directory; fails naming the first that cannot be opened as a
  // directory, or if the kernel lacks openat2.
  static Result<std::unique_ptr<HostDirs>> open(const std::vector<Preopen>& dirs,
                                                HostDirsLimits limits = {});
  ~HostDirs() override;
  HostDirs(const HostDirs&) = delete;
  HostDirs& operator=(const HostDirs&) = delete;

  std::optional<std::string_view> preopenName(uint32_t fd) const override;
  FsResult<uint32_t> open(uint32_t dirFd, uint32_t lookupFlags, std::string_view path,
                          uint16_t oflags, uint64_t rightsBase, uint64_t rightsInheriting,
                          uint16_t fdflags) override;
  FsResult<void> close(uint32_t fd) override;
  FsResult<void> renumber(uint32_t from, uint32_t to) override;
  FsResult<uint32_t> dup(uint32_t fd, uint32_t minFd) override;

  FsResult<size_t> read(uint32_t fd, std::span<uint8_t> buf) override;
  FsResult<size_t> write(uint32_t fd, std::span<const uint8_t> data) override;
  FsResult<size_t> pread(uint32_t fd, std::span<uint8_t> buf, uint64_t offset) override;
  FsResult<size_t> pwrite(uint32_t fd, std::span<const uint8_t> data, uint64_t offset) override;
  FsResult<uint64_t> seek(uint32_t fd, int64_t delta, uint8_t whence) override;

  FsResult<FdStat> fdstat(uint32_t fd) const override;
  FsResult<void> setFdFlags(uint32_t fd, uint16_t flags) override;
  FsResult<void> setFdRights(uint32_t fd, uint64_t base, uint64_t inheriting) override;
  FsResult<FileStat> stat(uint32_t fd) const override;
  FsResult<FileStat> stat(uint32_t dirFd, uint32_t lookupFlags,
                          std::string_view path) const override;
  FsResult<void> setSize(uint32_t fd, uint64_t size) override;
  FsResult<void> setTimes(uint32_t fd, uint64_t atim, uint64_t mtim, uint16_t fstflags) override;
  FsResult<void> setTimes(uint32_t dirFd, uint32_t lookupFlags, std::string_view path,
                          uint64_t atim, uint64_t mtim, uint16_t fstflags) override;
  FsResult<void> advise(uint32_t fd, uint64_t offset, uint64_t len, uint8_t advice) override;
  FsResult<void> allocate(uint32_t fd, uint64_t offset, uint64_t len) override;
  FsResult<void> sync(uint32_t fd, bool dataOnly) override;

  FsResult<std::vector<DirEntry>> readDir(uint32_t fd, uint64_t cookie, size_t maxEntries) override;
  FsResult<void> createDirectory(uint32_t dirFd, std::string_view path) override;
  FsResult<void> removeDirectory(uint32_t dirFd, std::string_view path) override;
  FsResult<void> unlinkFile(uint32_t dirFd, std::string_view path) override;
  FsResult<void> rename(uint32_t oldDirFd, std::string_view oldPath, uint32_t newDirFd,
                        std::string_view newPath) override;
  FsResult<std::string> readlink(uint32_t dirFd, std::string_view path) const override;
  FsResult<void> symlink(std::string_view target, uint32_t dirFd, std::string_view path) override;
  FsResult<void> link(uint32_t oldDirFd, uint32_t lookupFlags, std::string_view oldPath,
                      uint32_t newDirFd, std::string_view newPath) override;

 private:
  struct Entry;
  struct Parent;
  explicit HostDirs(HostDirsLimits limits);

  // The open descriptor `fd` if it holds every right in `rights`.
  FsResult<Entry*> need(uint32_t fd, uint64_t rights) const;
  // The same for a directory (Notdir if `fd` is not one).
  FsResult<Entry*> needDir(uint32_t fd, uint64_t rights) const;
  // The directory holding `path`'s last component, resolved beneath `dir`,
  // and that component (trailing slashes kept, for the kernel to judge).
  FsResult<Parent> parentOf(const Entry& dir, std::string_view path) const;
  uint32_t lowestFree(uint32_t from) const;

  HostDirsLimits limits_;
  std::map<uint32_t, std::unique_ptr<Entry>> fds_;
};

}  // namespace nearfaas::host
