#include "host/host_dirs.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>

#include "base/unique_fd.h"

namespace nearfaas::host {

using namespace wasi_bits;

namespace {

// Retries of a call that EINTR or an openat2 race (EAGAIN) interrupted.
constexpr int kRetries = 16;

// Rights a descriptor of each type can use: preview1 lets an implementation
// drop requested rights that do not apply to the type opened.
constexpr uint64_t kFileRights = kRightFdDatasync | kRightRead | kRightSeek | kRightFdstatSetFlags |
                                 kRightSync | kRightTell | kRightWrite | kRightAdvise |
                                 kRightAllocate | kRightFilestatGet | kRightFilestatSetSize |
                                 kRightFilestatSetTimes | kRightPollFdReadwrite;
constexpr uint64_t kDirRights =
    kRightFdstatSetFlags | kRightSync | kRightAdvise | kRightPathCreateDirectory |
    kRightPathCreateFile | kRightPathLinkSource | kRightPathLinkTarget | kRightPathOpen |
    kRightReaddir | kRightPathReadlink | kRightPathRenameSource | kRightPathRenameTarget |
    kRightPathFilestatGet | kRightPathFilestatSetSize | kRightPathFilestatSetTimes |
    kRightFilestatGet | kRightFilestatSetTimes | kRightPathSymlink | kRightPathRemoveDirectory |
    kRightPathUnlinkFile | kRightPollFdReadwrite;
constexpr uint64_t kDirInheriting = kDirRights | kFileRights;

using Fd = UniqueFd;

// Host errno -> WASI errno; anything else is Io.
constexpr std::pair<int, WasiErrno> kErrnos[] = {
    {EACCES, WasiErrno::Acces},       {EAGAIN, WasiErrno::Again},
    {EBADF, WasiErrno::Badf},         {EBUSY, WasiErrno::Busy},
    {EDQUOT, WasiErrno::Dquot},       {EEXIST, WasiErrno::Exist},
    {EFAULT, WasiErrno::Fault},       {EFBIG, WasiErrno::Fbig},
    {EILSEQ, WasiErrno::Ilseq},       {EINTR, WasiErrno::Intr},
    {EINVAL, WasiErrno::Inval},       {EISDIR, WasiErrno::Isdir},
    {ELOOP, WasiErrno::Loop},         {EMFILE, WasiErrno::Mfile},
    {EMLINK, WasiErrno::Mlink},       {ENAMETOOLONG, WasiErrno::Nametoolong},
    {ENFILE, WasiErrno::Nfile},       {ENODEV, WasiErrno::Nodev},
    {ENOENT, WasiErrno::Noent},       {ENOMEM, WasiErrno::Nomem},
    {ENOSPC, WasiErrno::Nospc},       {ENOSYS, WasiErrno::Nosys},
    {ENOTDIR, WasiErrno::Notdir},     {ENOTEMPTY, WasiErrno::Notempty},
    {ENOTSOCK, WasiErrno::Notsock},   {EOPNOTSUPP, WasiErrno::Notsup},
    {ENOTTY, WasiErrno::Notty},       {ENXIO, WasiErrno::Nxio},
    {EOVERFLOW, WasiErrno::Overflow}, {EPERM, WasiErrno::Perm},
    {EPIPE, WasiErrno::Pipe},         {EROFS, WasiErrno::Rofs},
    {ESPIPE, WasiErrno::Spipe},       {ESTALE, WasiErrno::Stale},
    {ETXTBSY, WasiErrno::Txtbsy},     {EXDEV, WasiErrno::Xdev},
};

WasiErrno fromErrno(int e) {
  for (const auto& [host, wasi] : kErrnos)
    if (host == e) return wasi;
  return WasiErrno::Io;
}

std::unexpected<WasiErrno> lastError() {
  return std::unexpected(fromErrno(errno));
}

// Runs a system call returning -1 on error, again while EINTR interrupts it.
template <typename Call>
auto retrying(Call&& call) {
  auto r = call();
  for (int i = 0; r == -1 && errno == EINTR && i < kRetries; ++i)
    r = call();
  return r;
}

FsResult<void> check(long r) {
  if (r == -1) return lastError();
  return {};
}

FileType typeOf(mode_t mode) {
  if (S_ISREG(mode)) return FileType::RegularFile;
  if (S_ISDIR(mode)) return FileType::Directory;
  if (S_ISLNK(mode)) return FileType::SymbolicLink;
  if (S_ISCHR(mode)) return FileType::CharacterDevice;
  if (S_ISBLK(mode)) return FileType::BlockDevice;
  if (S_ISSOCK(mode)) return FileType::SocketStream;
  return FileType::Unknown;  // FIFOs: preview1 has no type for them
}

// A dirent's d_type (DT_* is the S_IF* type shifted right by 12).
FileType typeOfDirent(unsigned char t) {
  return t == DT_UNKNOWN ? FileType::Unknown : typeOf(DTTOIF(t));
}

uint64_t nanos(const timespec& t) {
  return uint64_t(t.tv_sec) * 1'000'000'000 + uint64_t(t.tv_nsec);
}

FileStat statOf(const struct stat& st) {
  FileStat s;
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.type = typeOf(st.st_mode);
  s.nlink = st.st_nlink;
  s.size = static_cast<uint64_t>(st.st_size);
  s.atim = nanos(st.st_atim);
  s.mtim = nanos(st.st_mtim);
  s.ctim = nanos(st.st_ctim);
  return s;
}

FsResult<FileStat> statFd(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return lastError();
  return statOf(st);
}

// A guest path as the kernel takes it: not empty, shorter than PATH_MAX (the
// kernel's own bound, checked before copying), NUL-free, relative (WASI
// paths are relative to a directory descriptor; an absolute one would name
// something outside it).
FsResult<std::string> guestPath(std::string_view path) {
  if (path.empty()) return std::unexpected(WasiErrno::Noent);
  if (path.size() >= PATH_MAX) return std::unexpected(WasiErrno::Nametoolong);
  if (path.find('\0') != std::string_view::npos) return std::unexpected(WasiErrno::Inval);
  if (path.front() == '/') return std::unexpected(WasiErrno::Notcapable);
  return std::string(path);
}

// Opens `path` beneath directory `dir`, the kernel refusing any step out of
// it (a "..", an absolute symlink, a symlink that leads out): EXDEV, which is
// WASI's ENOTCAPABLE here.
FsResult<Fd> openBeneath(int dir, const std::string& path, uint64_t flags, mode_t mode = 0) {
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0;; ++attempt) {
    long fd = syscall(SYS_openat2, dir, path.c_str(), &how, sizeof how);
    if (fd >= 0) return Fd(static_cast<int>(fd));
    // EAGAIN: a concurrent rename kept the kernel from proving a ".." stays
    // beneath; openat2(2) says to try again.
    if ((errno == EINTR || errno == EAGAIN) && attempt < kRetries) continue;
    if (errno == EXDEV) return std::unexpected(WasiErrno::Notcapable);
    return lastError();
  }
}

uint32_t lookupFollows(uint32_t lookupFlags) {
  return lookupFlags & kLookupSymlinkFollow;
}

timespec timeFor(uint64_t value, bool set, bool now) {
  if (now) return {0, UTIME_NOW};
  if (!set) return {0, UTIME_OMIT};
  return {static_cast<time_t>(value / 1'000'000'000), static_cast<long>(value % 1'000'000'000)};
}

FsResult<std::array<timespec, 2>> timesFor(uint64_t atim, uint64_t mtim, uint16_t flags) {
  if (((flags & kSetAtim) && (flags & kSetAtimNow)) ||
      ((flags & kSetMtim) && (flags & kSetMtimNow)))
    return std::unexpected(WasiErrno::Inval);
  return std::array<timespec, 2>{timeFor(atim, flags & kSetAtim, flags & kSetAtimNow),
                                 timeFor(mtim, flags & kSetMtim, flags & kSetMtimNow)};
}

uint16_t fdflagsOf(int statusFlags) {
  uint16_t f = 0;
  if (statusFlags & O_APPEND) f |= kFdAppend;
  if (statusFlags & O_NONBLOCK) f |= kFdNonblock;
  if ((statusFlags & O_SYNC) == O_SYNC)
    f |= kFdSync;
  else if (statusFlags & O_DSYNC)
    f |= kFdDsync;
  return f;
}

bool fitsOffset(uint64_t v) {
  return v <= static_cast<uint64_t>(INT64_MAX);
}

}  // namespace

struct HostDirs::Entry {
  Fd fd;
  FileType type = FileType::Unknown;
  uint64_t base = 0, inheriting = 0;
  bool isPreopen = false;
  std::string preopenName;
  // fd_readdir's listing, taken when the guest reads from cookie 0.
  std::vector<DirEntry> listing;
  bool listed = false;
};

struct HostDirs::Parent {
  Fd owned;     // the parent, when it is not the base directory itself
  int fd = -1;  // the parent to act in
  std::string name;
};

Preopen parsePreopen(std::string_view spec) {
  size_t sep = spec.find("::");
  if (sep == std::string_view::npos) return {std::string(spec), std::string(spec)};
  return {std::string(spec.substr(0, sep)), std::string(spec.substr(sep + 2))};
}

HostDirs::HostDirs(HostDirsLimits limits) : limits_(limits) {}
HostDirs::~HostDirs() = default;

Result<std::unique_ptr<HostDirs>> HostDirs::open(const std::vector<Preopen>& dirs,
                                                 HostDirsLimits limits) {
  if (dirs.size() > limits.maxOpenFiles)
    return fail(dirs.size(), " directories are more than the ", limits.maxOpenFiles,
                " descriptors allowed");
  std::unique_ptr<HostDirs> fs(new HostDirs(limits));
  uint32_t next = 3;
  for (const Preopen& p : dirs) {
    if (p.hostPath.empty()) return fail("an empty host directory name");
    if (p.guestName.empty()) return fail("'", p.hostPath, "': an empty guest name");
    int fd = ::open(p.hostPath.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return fail("cannot open directory '", p.hostPath, "': ", std::strerror(errno));
    auto e = std::make_unique<Entry>();
    e->fd = Fd(fd);
    e->type = FileType::Directory;
    e->base = kDirRights;
    e->inheriting = kDirInheriting;
    e->isPreopen = true;
    e->preopenName = p.guestName;
    auto probe = openBeneath(fd, ".", O_PATH);
    if (!probe && probe.error() == WasiErrno::Nosys)
      return fail(
          "this kernel lacks openat2 (Linux 5.6 or later), which confines a guest's "
          "paths to its directories");
    fs->fds_.emplace(next++, std::move(e));
  }
  return fs;
}

FsResult<HostDirs::Entry*> HostDirs::need(uint32_t fd, uint64_t rights) const {
  auto it = fds_.find(fd);
  if (it == fds_.end()) return std::unexpected(WasiErrno::Badf);
  if ((it->second->base & rights) != rights) return std::unexpected(WasiErrno::Notcapable);
  return it->second.get();
}

FsResult<HostDirs::Entry*> HostDirs::needDir(uint32_t fd, uint64_t rights) const {
  auto it = fds_.find(fd);
  if (it == fds_.end()) return std::unexpected(WasiErrno::Badf);
  if (it->second->type != FileType::Directory) return std::unexpected(WasiErrno::Notdir);
  return need(fd, rights);
}

uint32_t HostDirs::lowestFree(uint32_t from) const {
  uint32_t fd = std::max<uint32_t>(from, 3);
  while (fds_.count(fd))
    ++fd;
  return fd;
}

FsResult<HostDirs::Parent> HostDirs::parentOf(const Entry& dir, std::string_view pathText) const {
  auto path = guestPath(pathText);
  if (!path) return std::unexpected(path.error());
  std::string_view p = *path;
  size_t end = p.find_last_not_of('/');  // p does not start with '/', so there is one
  size_t slash = p.rfind('/', end);
  size_t start = slash == std::string_view::npos ? 0 : slash + 1;
  Parent out;
  out.name = std::string(p.substr(start));
  if (slash == std::string_view::npos) {
    out.fd = dir.fd.get();
  } else {
    auto parent = openBeneath(dir.fd.get(), std::string(p.substr(0, slash)), O_PATH | O_DIRECTORY);
    if (!parent) return std::unexpected(parent.error());
    out.owned = std::move(*parent);
    out.fd = out.owned.get();
  }
  std::string_view last = p.substr(start, end + 1 - start);
  if (last == "." || last == "..") {
    // The call would act on the parent's "." or "..": it must not leave the
    // base. If it does not, the kernel's answer for the call stands (EEXIST,
    // EBUSY, EINVAL, ENOTEMPTY: nothing acts on "." or "..").
    auto whole = openBeneath(dir.fd.get(), *path, O_PATH);
    if (!whole) return std::unexpected(whole.error());
  }
  return out;
}

std::optional<std::string_view> HostDirs::preopenName(uint32_t fd) const {
  auto it = fds_.find(fd);
  if (it == fds_.end() || !it->second->isPreopen) return std::nullopt;
  return it->second->preopenName;
}

FsResult<uint32_t> HostDirs::open(uint32_t dirFd, uint32_t lookupFlags, std::string_view pathText,
                                  uint16_t oflags, uint64_t rightsBase, uint64_t rightsInheriting,
                                  uint16_t fdflags) {
  uint64_t needed = kRightPathOpen;
  if (oflags & kOpenCreate) needed |= kRightPathCreateFile;
  if (oflags & kOpenTruncate) needed |= kRightPathFilestatSetSize;
  auto dir = needDir(dirFd, needed);
  if (!dir) return std::unexpected(dir.error());
  // What the new descriptor asks for must be among what the directory passes on.
  uint64_t wanted = rightsBase | rightsInheriting;
  if (fdflags & kFdDsync) wanted |= kRightFdDatasync;
  if (fdflags & (kFdRsync | kFdSync)) wanted |= kRightSync;
  if (wanted & ~(*dir)->inheriting) return std::unexpected(WasiErrno::Notcapable);
  if (fds_.size() >= limits_.maxOpenFiles) return std::unexpected(WasiErrno::Mfile);
  auto path = guestPath(pathText);
  if (!path) return std::unexpected(path.error());

  // Access mode from the rights, as CloudABI's reference implementation of
  // path_open chooses it.
  const bool read = rightsBase & (kRightRead | kRightReaddir);
  const bool write =
      rightsBase & (kRightFdDatasync | kRightWrite | kRightAllocate | kRightFilestatSetSize);
  // Non-blocking while opening, so a FIFO without a writer cannot hang the open.
  uint64_t flags = O_NOCTTY | O_NONBLOCK | (write ? (read ? O_RDWR : O_WRONLY) : O_RDONLY);
  if (oflags & kOpenCreate) flags |= O_CREAT;
  if (oflags & kOpenExclusive) flags |= O_EXCL;
  if (oflags & kOpenTruncate) flags |= O_TRUNC;
  if (oflags & kOpenDirectory) flags |= O_DIRECTORY;
  if (!lookupFollows(lookupFlags)) flags |= O_NOFOLLOW;
  if (fdflags & kFdAppend) flags |= O_APPEND;
  if (fdflags & kFdDsync) flags |= O_DSYNC;
  if (fdflags & (kFdRsync | kFdSync)) flags |= O_SYNC;
  auto fd = openBeneath((*dir)->fd.get(), *path, flags, 0666);
  if (!fd) return std::unexpected(fd.error());
  if (!(fdflags & kFdNonblock)) {
    int status = fcntl(fd->get(), F_GETFL);
    if (status == -1 || fcntl(fd->get(), F_SETFL, status & ~O_NONBLOCK) == -1) return lastError();
  }
  struct stat st;
  if (::fstat(fd->get(), &st) != 0) return lastError();

  auto e = std::make_unique<Entry>();
  e->fd = std::move(*fd);
  e->type = typeOf(st.st_mode);
  if (e->type == FileType::Directory) {
    e->base = rightsBase & kDirRights;
    e->inheriting = rightsInheriting & kDirInheriting;
  } else {
    e->base = rightsBase & kFileRights;
    e->inheriting = 0;
  }
  uint32_t n = lowestFree(3);
  fds_.emplace(n, std::move(e));
  return n;
}

FsResult<void> HostDirs::close(uint32_t fd) {
  if (!fds_.erase(fd)) return std::unexpected(WasiErrno::Badf);
  return {};
}

FsResult<void> HostDirs::renumber(uint32_t from, uint32_t to) {
  auto it = fds_.find(from);
  if (it == fds_.end() || !fds_.count(to)) return std::unexpected(WasiErrno::Badf);
  if (from == to) return {};
  auto moved = std::move(it->second);
  fds_.erase(it);
  fds_[to] = std::move(moved);
  return {};
}

FsResult<uint32_t> HostDirs::dup(uint32_t fd, uint32_t minFd) {
  auto e = need(fd, 0);
  if (!e) return std::unexpected(e.error());
  if (minFd > static_cast<uint32_t>(INT32_MAX)) return std::unexpected(WasiErrno::Inval);
  if (fds_.size() >= limits_.maxOpenFiles) return std::unexpected(WasiErrno::Mfile);
  int copy = fcntl((*e)->fd.get(), F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return lastError();
  // The same open file (offset and status flags shared, as POSIX dup), with
  // the same rights; a copy of a preopen is not itself a preopen.
  auto d = std::make_unique<Entry>();
  d->fd = Fd(copy);
  d->type = (*e)->type;
  d->base = (*e)->base;
  d->inheriting = (*e)->inheriting;
  uint32_t n = lowestFree(minFd);
  fds_.emplace(n, std::move(d));
  return n;
}

FsResult<size_t> HostDirs::read(uint32_t fd, std::span<uint8_t> buf) {
  auto e = need(fd, kRightRead);
  if (!e) return std::unexpected(e.error());
  ssize_t n = retrying([&] { return ::read((*e)->fd.get(), buf.data(), buf.size()); });
  if (n < 0) return lastError();
  return static_cast<size_t>(n);
}

FsResult<size_t> HostDirs::write(uint32_t fd, std::span<const uint8_t> data) {
  auto e = need(fd, kRightWrite);
  if (!e) return std::unexpected(e.error());
  ssize_t n = retrying([&] { return ::write((*e)->fd.get(), data.data(), data.size()); });
  if (n < 0) return lastError();
  return static_cast<size_t>(n);
}

FsResult<size_t> HostDirs::pread(uint32_t fd, std::span<uint8_t> buf, uint64_t offset) {
  auto e = need(fd, kRightRead | kRightSeek);
  if (!e) return std::unexpected(e.error());
  if (!fitsOffset(offset)) return std::unexpected(WasiErrno::Inval);
  ssize_t n = retrying(
      [&] { return ::pread((*e)->fd.get(), buf.data(), buf.size(), static_cast<off_t>(offset)); });
  if (n < 0) return lastError();
  return static_cast<size_t>(n);
}

FsResult<size_t> HostDirs::pwrite(uint32_t fd, std::span<const uint8_t> data, uint64_t offset) {
  auto e = need(fd, kRightWrite | kRightSeek);
  if (!e) return std::unexpected(e.error());
  if (!fitsOffset(offset)) return std::unexpected(WasiErrno::Inval);
  ssize_t n = retrying([&] {
    return ::pwrite((*e)->fd.get(), data.data(), data.size(), static_cast<off_t>(offset));
  });
  if (n < 0) return lastError();
  return static_cast<size_t>(n);
}

FsResult<uint64_t> HostDirs::seek(uint32_t fd, int64_t delta, uint8_t whence) {
  auto e = need(fd, 0);
  if (!e) return std::unexpected(e.error());
  // Asking where the offset is (fd_tell) needs fd_tell or fd_seek (preview1:
  // fd_seek "implies rights::fd_tell"); moving it needs fd_seek.
  const bool tell = delta == 0 && whence == 1;
  if (!((*e)->base & kRightSeek) && !(tell && ((*e)->base & kRightTell)))
    return std::unexpected(WasiErrno::Notcapable);
  static_assert(SEEK_SET == 0 && SEEK_CUR == 1 && SEEK_END == 2, "WASI whence values");
  if (whence > 2) return std::unexpected(WasiErrno::Inval);
  off_t pos = ::lseek((*e)->fd.get(), delta, whence);
  if (pos < 0) return lastError();
  return static_cast<uint64_t>(pos);
}

FsResult<FdStat> HostDirs::fdstat(uint32_t fd) const {
  auto e = need(fd, 0);
  if (!e) return std::unexpected(e.error());
  int status = fcntl((*e)->fd.get(), F_GETFL);
  if (status == -1) return lastError();
  return FdStat{(*e)->type, fdflagsOf(status), (*e)->base, (*e)->inheriting};
}

FsResult<void> HostDirs::setFdFlags(uint32_t fd, uint16_t flags) {
  auto e = need(fd, kRightFdstatSetFlags);
  if (!e) return std::unexpected(e.error());
  int status = fcntl((*e)->fd.get(), F_GETFL);
  if (status == -1) return lastError();
  // Linux cannot change the sync flags of an open file.
  constexpr uint16_t kSyncFlags = kFdDsync | kFdRsync | kFdSync;
  if ((flags & kSyncFlags) != (fdflagsOf(status) & kSyncFlags))
    return std::unexpected(WasiErrno::Notsup);
  status &= ~(O_APPEND | O_NONBLOCK);
  if (flags & kFdAppend) status |= O_APPEND;
  if (flags & kFdNonblock) status |= O_NONBLOCK;
  return check(fcntl((*e)->fd.get(), F_SETFL, status));
}

FsResult<void> HostDirs::setFdRights(uint32_t fd, uint64_t base, uint64_t inheriting) {
  auto e = need(fd, 0);
  if (!e) return std::unexpected(e.error());
  if ((base & ~(*e)->base) || (inheriting & ~(*e)->inheriting))
    return std::unexpected(WasiErrno::Notcapable);
  (*e)->base = base;
  (*e)->inheriting = inheriting;
  return {};
}

FsResult<FileStat> HostDirs::stat(uint32_t fd) const {
  auto e = need(fd, kRightFilestatGet);
  if (!e) return std::unexpected(e.error());
  return statFd((*e)->fd.get());
}

FsResult<FileStat> HostDirs::stat(uint32_t dirFd, uint32_t lookupFlags,
                                  std::string_view pathText) const {
  auto dir = needDir(dirFd, kRightPathFilestatGet);
  if (!dir) return std::unexpected(dir.error());
  auto path = guestPath(pathText);
  if (!path) return std::unexpected(path.error());
  // O_PATH | O_NOFOLLOW opens a final symlink itself: lstat.
  auto fd =
      openBeneath((*dir)->fd.get(), *path, O_PATH | (lookupFollows(lookupFlags) ? 0 : O_NOFOLLOW));
  if (!fd) return std::unexpected(fd.error());
  return statFd(fd->get());
}

FsResult<void> HostDirs::setSize(uint32_t fd, uint64_t size) {
  auto e = need(fd, kRightFilestatSetSize);
  if (!e) return std::unexpected(e.error());
  if (!fitsOffset(size)) return std::unexpected(WasiErrno::Fbig);
  return check(retrying([&] { return ::ftruncate((*e)->fd.get(), static_cast<off_t>(size)); }));
}

FsResult<void> HostDirs::setTimes(uint32_t fd, uint64_t atim, uint64_t mtim, uint16_t flags) {
  auto e = need(fd, kRightFilestatSetTimes);
  if (!e) return std::unexpected(e.error());
  auto times = timesFor(atim, mtim, flags);
  if (!times) return std::unexpected(times.error());
  return check(::futimens((*e)->fd.get(), times->data()));
}

FsResult<void> HostDirs::setTimes(uint32_t dirFd, uint32_t lookupFlags, std::string_view pathText,
                                  uint64_t atim, uint64_t mtim, uint16_t flags) {
  auto dir = needDir(dirFd, kRightPathFilestatSetTimes);
  if (!dir) return std::unexpected(dir.error());
  auto times = timesFor(atim, mtim, flags);
  if (!times) return std::unexpected(times.error());
  auto path = guestPath(pathText);
  if (!path) return std::unexpected(path.error());
  auto fd =
      openBeneath((*dir)->fd.get(), *path, O_PATH | (lookupFollows(lookupFlags) ? 0 : O_NOFOLLOW));
  if (!fd) return std::unexpected(fd.error());
  return check(::utimensat(fd->get(), "", times->data(), AT_EMPTY_PATH));
}

FsResult<void> HostDirs::advise(uint32_t fd, uint64_t offset, uint64_t len, uint8_t advice) {
  auto e = need(fd, kRightAdvise);
  if (!e) return std::unexpected(e.error());
  if (!fitsOffset(offset) || !fitsOffset(len)) return std::unexpected(WasiErrno::Inval);
  // WASI's advice numbers (normal, sequential, random, willneed, dontneed,
  // noreuse) in POSIX's terms.
  static constexpr int kAdvice[] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                                    POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED,   POSIX_FADV_NOREUSE};
  if (advice >= std::size(kAdvice)) return std::unexpected(WasiErrno::Inval);
  int err = ::posix_fadvise((*e)->fd.get(), static_cast<off_t>(offset), static_cast<off_t>(len),
                            kAdvice[advice]);
  if (err) return std::unexpected(fromErrno(err));
  return {};
}

FsResult<void> HostDirs::allocate(uint32_t fd, uint64_t offset, uint64_t len) {
  auto e = need(fd, kRightAllocate);
  if (!e) return std::unexpected(e.error());
  uint64_t end;
  if (__builtin_add_overflow(offset, len, &end) || !fitsOffset(end))
    return std::unexpected(WasiErrno::Fbig);
  int err = ::posix_fallocate((*e)->fd.get(), static_cast<off_t>(offset), static_cast<off_t>(len));
  if (err) return std::unexpected(fromErrno(err));
  return {};
}

FsResult<void> HostDirs::sync(uint32_t fd, bool dataOnly) {
  auto e = need(fd, dataOnly ? kRightFdDatasync : kRightSync);
  if (!e) return std::unexpected(e.error());
  int hostFd = (*e)->fd.get();
  return check(retrying([&] { return dataOnly ? ::fdatasync(hostFd) : ::fsync(hostFd); }));
}

FsResult<std::vector<DirEntry>> HostDirs::readDir(uint32_t fd, uint64_t cookie, size_t maxEntries) {
  auto found = needDir(fd, kRightReaddir);
  if (!found) return std::unexpected(found.error());
  Entry& e = **found;
  if (cookie == 0 || !e.listed) {
    // A descriptor of its own, so that listing neither uses nor moves the
    // guest's directory offset.
    int copy = ::openat(e.fd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (copy < 0) return lastError();
    DIR* d = ::fdopendir(copy);
    if (!d) {
      int err = errno;
      ::close(copy);
      return std::unexpected(fromErrno(err));
    }
    std::vector<DirEntry> entries;
    WasiErrno failed = WasiErrno::Success;
    for (;;) {
      errno = 0;
      const dirent* de = ::readdir(d);
      if (!de) {
        if (errno) failed = fromErrno(errno);
        break;
      }
      if (entries.size() >= limits_.maxDirEntries) {
        failed = WasiErrno::Nomem;
        break;
      }
      DirEntry entry{de->d_name, de->d_ino, typeOfDirent(de->d_type)};
      struct stat st;
      if (de->d_type == DT_UNKNOWN &&
          ::fstatat(::dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        entry.type = typeOf(st.st_mode);
      entries.push_back(std::move(entry));
    }
    ::closedir(d);
    if (failed != WasiErrno::Success) return std::unexpected(failed);
    auto rank = [](const std::string& n) { return n == "." ? 0 : n == ".." ? 1 : 2; };
    std::sort(entries.begin(), entries.end(), [&](const DirEntry& a, const DirEntry& b) {
      int ra = rank(a.name), rb = rank(b.name);
      return ra != rb ? ra < rb : a.name < b.name;
    });
    e.listing = std::move(entries);
    e.listed = true;
  }
  if (cookie >= e.listing.size()) return std::vector<DirEntry>{};
  size_t from = static_cast<size_t>(cookie);
  size_t n = std::min(maxEntries, e.listing.size() - from);
  return std::vector<DirEntry>(e.listing.begin() + from, e.listing.begin() + from + n);
}

FsResult<void> HostDirs::createDirectory(uint32_t dirFd, std::string_view path) {
  auto dir = needDir(dirFd, kRightPathCreateDirectory);
  if (!dir) return std::unexpected(dir.error());
  auto p = parentOf(**dir, path);
  if (!p) return std::unexpected(p.error());
  return check(::mkdirat(p->fd, p->name.c_str(), 0777));
}

FsResult<void> HostDirs::removeDirectory(uint32_t dirFd, std::string_view path) {
  auto dir = needDir(dirFd, kRightPathRemoveDirectory);
  if (!dir) return std::unexpected(dir.error());
  auto p = parentOf(**dir, path);
  if (!p) return std::unexpected(p.error());
  return check(::unlinkat(p->fd, p->name.c_str(), AT_REMOVEDIR));
}

FsResult<void> HostDirs::unlinkFile(uint32_t dirFd, std::string_view path) {
  auto dir = needDir(dirFd, kRightPathUnlinkFile);
  if (!dir) return std::unexpected(dir.error());
  auto p = parentOf(**dir, path);
  if (!p) return std::unexpected(p.error());
  return check(::unlinkat(p->fd, p->name.c_str(), 0));
}

FsResult<void> HostDirs::rename(uint32_t oldDirFd, std::string_view oldPath, uint32_t newDirFd,
                                std::string_view newPath) {
  auto oldDir = needDir(oldDirFd, kRightPathRenameSource);
  if (!oldDir) return std::unexpected(oldDir.error());
  auto newDir = needDir(newDirFd, kRightPathRenameTarget);
  if (!newDir) return std::unexpected(newDir.error());
  auto from = parentOf(**oldDir, oldPath);
  if (!from) return std::unexpected(from.error());
  auto to = parentOf(**newDir, newPath);
  if (!to) return std::unexpected(to.error());
  return check(::renameat(from->fd, from->name.c_str(), to->fd, to->name.c_str()));
}

FsResult<std::string> HostDirs::readlink(uint32_t dirFd, std::string_view pathText) const {
  auto dir = needDir(dirFd, kRightPathReadlink);
  if (!dir) return std::unexpected(dir.error());
  auto path = guestPath(pathText);
  if (!path) return std::unexpected(path.error());
  auto fd = openBeneath((*dir)->fd.get(), *path, O_PATH | O_NOFOLLOW);
  if (!fd) return std::unexpected(fd.error());
  struct stat st;
  if (::fstat(fd->get(), &st) != 0) return lastError();
  if (!S_ISLNK(st.st_mode)) return std::unexpected(WasiErrno::Inval);
  std::string target(PATH_MAX, '\0');  // Linux keeps targets shorter than PATH_MAX
  ssize_t n = ::readlinkat(fd->get(), "", target.data(), target.size());
  if (n < 0) return lastError();
  target.resize(static_cast<size_t>(n));
  return target;
}

FsResult<void> HostDirs::symlink(std::string_view target, uint32_t dirFd, std::string_view path) {
  auto dir = needDir(dirFd, kRightPathSymlink);
  if (!dir) return std::unexpected(dir.error());
  if (target.empty()) return std::unexpected(WasiErrno::Noent);
  if (target.size() >= PATH_MAX) return std::unexpected(WasiErrno::Nametoolong);
  if (target.find('\0') != std::string_view::npos) return std::unexpected(WasiErrno::Inval);
  if (target.front() == '/') return std::unexpected(WasiErrno::Perm);
  auto p = parentOf(**dir, path);
  if (!p) return std::unexpected(p.error());
  return check(::symlinkat(std::string(target).c_str(), p->fd, p->name.c_str()));
}

FsResult<void> HostDirs::link(uint32_t oldDirFd, uint32_t lookupFlags, std::string_view oldPath,
                              uint32_t newDirFd, std::string_view newPath) {
  auto oldDir = needDir(oldDirFd, kRightPathLinkSource);
  if (!oldDir) return std::unexpected(oldDir.error());
  auto newDir = needDir(newDirFd, kRightPathLinkTarget);
  if (!newDir) return std::unexpected(newDir.error());
  // Following the source would let the kernel follow a symlink out of the
  // directory unchecked.
  if (lookupFollows(lookupFlags)) return std::unexpected(WasiErrno::Inval);
  auto from = parentOf(**oldDir, oldPath);
  if (!from) return std::unexpected(from.error());
  auto to = parentOf(**newDir, newPath);
  if (!to) return std::unexpected(to.error());
  return check(::linkat(from->fd, from->name.c_str(), to->fd, to->name.c_str(), 0));
}

}  // namespace nearfaas::host
