// WASI descriptors and paths: stdio (fds 0-2, through WasiContext::output and
// ::input) and a file system (fd 3 and up, WasiContext::files: a Faaslet's
// file view or `run --dir`'s host directories). An instance without one has
// stdio only: no preopened directory, so no path reaches anything.
// Also Faasm's descriptor duplication, env.dup and env.__wasi_fd_dup, which
// works on the same descriptors.
#include <algorithm>

#include "host/wasi_abi.h"

namespace nearfaas::host {

using namespace wasi_abi;
using wasm::Instance;

namespace {

// Upper bound on iovecs per call, as POSIX IOV_MAX.
constexpr uint32_t kMaxIovecs = 1024;
constexpr uint32_t kOk = 0;
// Faasm's libc-level imports live in module "env" (host/faasm.h's kFaasmModule).
constexpr const char* kFaasmEnvModule = "env";

bool isStdio(uint32_t fd) {
  return fd <= 2;
}

template <typename T>
uint32_t status(const FsResult<T>& r) {
  return r ? kOk : code(r.error());
}

// Runs `op` on the instance's file system, or answers BADF without one.
template <typename Op>
uint32_t withFiles(Instance& inst, Op&& op) {
  FileSystem* files = context(inst).files;
  if (!files) return code(WasiErrno::Badf);
  return guarded([&] { return op(*files); });
}

// Moves bytes through the guest's iovecs: `step(span, done)` transfers up to
// span.size() bytes and returns how many; a short step ends the walk. An error
// after some bytes moved reports the bytes, as POSIX does.
template <typename Step>
uint32_t transfer(Instance& inst, uint32_t iovs, uint32_t count, uint32_t donePtr, Step&& step) {
  if (count > kMaxIovecs) return code(WasiErrno::Inval);
  return guarded([&] {
    uint64_t done = 0;
    for (uint32_t i = 0; i < count; ++i) {
      uint32_t base = load<uint32_t>(inst, iovs + 8 * i);
      uint32_t len = load<uint32_t>(inst, iovs + 8 * i + 4);
      FsResult<size_t> n = step(std::span<uint8_t>(range(inst, base, len), len), done);
      if (!n) {
        if (done == 0) return code(n.error());
        break;
      }
      done += *n;
      if (*n < len) break;
    }
    store<uint32_t>(inst, donePtr, static_cast<uint32_t>(done));
    return kOk;
  });
}

uint32_t fdWrite(Instance& inst, uint32_t fd, uint32_t iovs, uint32_t count, uint32_t donePtr) {
  WasiContext& ctx = context(inst);
  if (fd == 1 || fd == 2)
    return transfer(inst, iovs, count, donePtr, [&](std::span<uint8_t> s, uint64_t) {
      if (!s.empty() && ctx.output)
        ctx.output(static_cast<int>(fd), {reinterpret_cast<const char*>(s.data()), s.size()});
      return FsResult<size_t>(s.size());
    });
  if (isStdio(fd) || !ctx.files) return code(WasiErrno::Badf);
  return transfer(inst, iovs, count, donePtr,
                  [&](std::span<uint8_t> s, uint64_t) { return ctx.files->write(fd, s); });
}

uint32_t fdRead(Instance& inst, uint32_t fd, uint32_t iovs, uint32_t count, uint32_t donePtr) {
  WasiContext& ctx = context(inst);
  if (fd == 0)
    return transfer(inst, iovs, count, donePtr, [&](std::span<uint8_t> s, uint64_t) {
      return FsResult<size_t>(ctx.input && !s.empty() ? ctx.input(s.data(), s.size()) : 0);
    });
  if (isStdio(fd) || !ctx.files) return code(WasiErrno::Badf);
  return transfer(inst, iovs, count, donePtr,
                  [&](std::span<uint8_t> s, uint64_t) { return ctx.files->read(fd, s); });
}

uint32_t fdPwrite(Instance& inst, uint32_t fd, uint32_t iovs, uint32_t count, uint64_t offset,
                  uint32_t donePtr) {
  if (isStdio(fd)) return code(WasiErrno::Spipe);
  FileSystem* files = context(inst).files;
  if (!files) return code(WasiErrno::Badf);
  return transfer(inst, iovs, count, donePtr, [&](std::span<uint8_t> s, uint64_t done) {
    return files->pwrite(fd, s, offset + done);
  });
}

uint32_t fdPread(Instance& inst, uint32_t fd, uint32_t iovs, uint32_t count, uint64_t offset,
                 uint32_t donePtr) {
  if (isStdio(fd)) return code(WasiErrno::Spipe);
  FileSystem* files = context(inst).files;
  if (!files) return code(WasiErrno::Badf);
  return transfer(inst, iovs, count, donePtr, [&](std::span<uint8_t> s, uint64_t done) {
    return files->pread(fd, s, offset + done);
  });
}

uint32_t fdSeek(Instance& inst, uint32_t fd, uint64_t delta, uint32_t whence, uint32_t outPtr) {
  if (isStdio(fd)) return code(WasiErrno::Spipe);
  return withFiles(inst, [&](FileSystem& files) {
    auto pos = files.seek(fd, static_cast<int64_t>(delta), static_cast<uint8_t>(whence));
    if (pos) store<uint64_t>(inst, outPtr, *pos);
    return status(pos);
  });
}

uint32_t fdTell(Instance& inst, uint32_t fd, uint32_t outPtr) {
  return fdSeek(inst, fd, 0, /*cur*/ 1, outPtr);
}

uint32_t fdClose(Instance& inst, uint32_t fd) {
  if (isStdio(fd)) return kOk;
  return withFiles(inst, [&](FileSystem& files) { return status(files.close(fd)); });
}

uint32_t fdRenumber(Instance& inst, uint32_t from, uint32_t to) {
  if (isStdio(from) || isStdio(to)) return code(WasiErrno::Notsup);
  return withFiles(inst, [&](FileSystem& files) { return status(files.renumber(from, to)); });
}

// Faasm's descriptor duplication (env module): POSIX dup over the file view.
// __wasi_fd_dup answers a WASI errno and stores the new descriptor; dup
// answers the new descriptor, or -1.
uint32_t fdDup(Instance& inst, uint32_t fd, uint32_t resultPtr) {
  return withFiles(inst, [&](FileSystem& files) {
    auto to = files.dup(fd, 0);
    if (!to) return code(to.error());
    try {
      store<uint32_t>(inst, resultPtr, *to);
    } catch (const BadPointer&) {
      (void)files.close(*to);
      throw;
    }
    return kOk;
  });
}

uint32_t dup(Instance& inst, uint32_t fd) {
  FileSystem* files = context(inst).files;
  if (!files) return UINT32_MAX;
  auto to = files->dup(fd, 0);
  return to ? *to : UINT32_MAX;
}

// fdstat: u8 filetype @0, u16 flags @2, u64 rights_base @8, u64 rights_inheriting @16.
void storeFdstat(Instance& inst, uint32_t ptr, const FdStat& s) {
  uint8_t* p = range(inst, ptr, 24);
  std::memset(p, 0, 24);
  p[0] = static_cast<uint8_t>(s.type);
  std::memcpy(p + 2, &s.flags, 2);
  std::memcpy(p + 8, &s.rightsBase, 8);
  std::memcpy(p + 16, &s.rightsInheriting, 8);
}

// A stdio descriptor is a character device when it is a terminal (wasi-libc's
// isatty asks for that type and no seek or tell right), else of unknown type.
FileType stdioType(Instance& inst, uint32_t fd) {
  return context(inst).stdioIsTerminal[fd] ? FileType::CharacterDevice : FileType::Unknown;
}

uint32_t fdFdstatGet(Instance& inst, uint32_t fd, uint32_t ptr) {
  if (isStdio(fd)) {
    FdStat s{stdioType(inst, fd), 0, fd == 0 ? wasi_bits::kRightRead : wasi_bits::kRightWrite, 0};
    return guarded([&] {
      storeFdstat(inst, ptr, s);
      return kOk;
    });
  }
  return withFiles(inst, [&](FileSystem& files) {
    auto s = files.fdstat(fd);
    if (s) storeFdstat(inst, ptr, *s);
    return status(s);
  });
}

uint32_t fdFdstatSetFlags(Instance& inst, uint32_t fd, uint32_t flags) {
  if (isStdio(fd)) return kOk;
  return withFiles(inst, [&](FileSystem& files) {
    return status(files.setFdFlags(fd, static_cast<uint16_t>(flags)));
  });
}

uint32_t fdFdstatSetRights(Instance& inst, uint32_t fd, uint64_t base, uint64_t inheriting) {
  if (isStdio(fd)) return kOk;
  return withFiles(
      inst, [&](FileSystem& files) { return status(files.setFdRights(fd, base, inheriting)); });
}

// filestat: u64 dev @0, ino @8, u8 filetype @16, u64 nlink @24, size @32,
// atim @40, mtim @48, ctim @56.
void storeFilestat(Instance& inst, uint32_t ptr, const FileStat& s) {
  uint8_t* p = range(inst, ptr, 64);
  std::memset(p, 0, 64);
  std::memcpy(p, &s.dev, 8);
  std::memcpy(p + 8, &s.ino, 8);
  p[16] = static_cast<uint8_t>(s.type);
  std::memcpy(p + 24, &s.nlink, 8);
  std::memcpy(p + 32, &s.size, 8);
  std::memcpy(p + 40, &s.atim, 8);
  std::memcpy(p + 48, &s.mtim, 8);
  std::memcpy(p + 56, &s.ctim, 8);
}

uint32_t fdFilestatGet(Instance& inst, uint32_t fd, uint32_t ptr) {
  if (isStdio(fd))
    return guarded([&] {
      storeFilestat(inst, ptr, FileStat{fd + 1, stdioType(inst, fd)});
      return kOk;
    });
  return withFiles(inst, [&](FileSystem& files) {
    auto s = files.stat(fd);
    if (s) storeFilestat(inst, ptr, *s);
    return status(s);
  });
}

uint32_t fdFilestatSetSize(Instance& inst, uint32_t fd, uint64_t size) {
  if (isStdio(fd)) return code(WasiErrno::Inval);
  return withFiles(inst, [&](FileSystem& files) { return status(files.setSize(fd, size)); });
}

uint32_t fdFilestatSetTimes(Instance& inst, uint32_t fd, uint64_t atim, uint64_t mtim,
                            uint32_t flags) {
  if (isStdio(fd)) return kOk;
  return withFiles(inst, [&](FileSystem& files) {
    return status(files.setTimes(fd, atim, mtim, static_cast<uint16_t>(flags)));
  });
}

uint32_t fdAdvise(Instance& inst, uint32_t fd, uint64_t offset, uint64_t len, uint32_t advice) {
  if (advice > 5) return code(WasiErrno::Inval);
  if (isStdio(fd)) return code(WasiErrno::Spipe);
  return withFiles(inst, [&](FileSystem& files) {
    return status(files.advise(fd, offset, len, static_cast<uint8_t>(advice)));
  });
}

uint32_t fdAllocate(Instance& inst, uint32_t fd, uint64_t offset, uint64_t len) {
  if (isStdio(fd)) return code(WasiErrno::Spipe);
  return withFiles(inst,
                   [&](FileSystem& files) { return status(files.allocate(fd, offset, len)); });
}

uint32_t fdSync(Instance& inst, uint32_t fd) {
  if (isStdio(fd)) return kOk;
  return withFiles(inst, [&](FileSystem& files) { return status(files.sync(fd, false)); });
}

uint32_t fdDatasync(Instance& inst, uint32_t fd) {
  if (isStdio(fd)) return kOk;
  return withFiles(inst, [&](FileSystem& files) { return status(files.sync(fd, true)); });
}

uint32_t fdPrestatGet(Instance& inst, uint32_t fd, uint32_t ptr) {
  return withFiles(inst, [&](FileSystem& files) {
    auto name = files.preopenName(fd);
    if (!name) return code(WasiErrno::Badf);
    store<uint32_t>(inst, ptr, 0);  // tag: directory
    store<uint32_t>(inst, ptr + 4, static_cast<uint32_t>(name->size()));
    return kOk;
  });
}

uint32_t fdPrestatDirName(Instance& inst, uint32_t fd, uint32_t ptr, uint32_t len) {
  return withFiles(inst, [&](FileSystem& files) {
    auto name = files.preopenName(fd);
    if (!name) return code(WasiErrno::Badf);
    if (len < name->size()) return code(WasiErrno::Nametoolong);
    std::memcpy(range(inst, ptr, name->size()), name->data(), name->size());
    return kOk;
  });
}

// dirent: u64 d_next @0, u64 d_ino @8, u32 d_namlen @16, u8 d_type @20, then
// the name. Entries that do not fit are cut; a full buffer tells the guest to
// call again from the last cookie (wasi-libc's readdir does, with the d_next
// of the last whole entry it read).
uint32_t fdReaddir(Instance& inst, uint32_t fd, uint32_t buf, uint32_t bufLen, uint64_t cookie,
                   uint32_t usedPtr) {
  constexpr uint32_t kHeader = 24;
  return withFiles(inst, [&](FileSystem& files) {
    uint8_t* out = range(inst, buf, bufLen);
    // Each entry takes at least a header, so no more than this many fit.
    auto entries = files.readDir(fd, cookie, bufLen / kHeader + 1);
    if (!entries) return code(entries.error());
    uint32_t used = 0;
    for (size_t i = 0; i < entries->size() && used < bufLen; ++i) {
      const DirEntry& e = (*entries)[i];
      uint8_t header[kHeader] = {};
      uint64_t next = cookie + i + 1;
      uint32_t nameLen = static_cast<uint32_t>(e.name.size());
      std::memcpy(header, &next, 8);
      std::memcpy(header + 8, &e.ino, 8);
      std::memcpy(header + 16, &nameLen, 4);
      header[20] = static_cast<uint8_t>(e.type);
      uint32_t n = std::min<uint32_t>(sizeof header, bufLen - used);
      std::memcpy(out + used, header, n);
      used += n;
      n = std::min<uint32_t>(nameLen, bufLen - used);
      std::memcpy(out + used, e.name.data(), n);
      used += n;
    }
    store<uint32_t>(inst, usedPtr, used);
    return kOk;
  });
}

uint32_t pathOpen(Instance& inst, uint32_t dirFd, uint32_t lookupFlags, uint32_t path,
                  uint32_t pathLen, uint32_t oflags, uint64_t rightsBase, uint64_t inheriting,
                  uint32_t fdflags, uint32_t fdPtr) {
  return withFiles(inst, [&](FileSystem& files) {
    auto fd =
        files.open(dirFd, lookupFlags, text(inst, path, pathLen), static_cast<uint16_t>(oflags),
                   rightsBase, inheriting, static_cast<uint16_t>(fdflags));
    if (!fd) return code(fd.error());
    try {
      store<uint32_t>(inst, fdPtr, *fd);
    } catch (const BadPointer&) {
      (void)files.close(*fd);
      throw;
    }
    return kOk;
  });
}

uint32_t pathFilestatGet(Instance& inst, uint32_t dirFd, uint32_t lookupFlags, uint32_t path,
                         uint32_t pathLen, uint32_t ptr) {
  return withFiles(inst, [&](FileSystem& files) {
    auto s = files.stat(dirFd, lookupFlags, text(inst, path, pathLen));
    if (s) storeFilestat(inst, ptr, *s);
    return status(s);
  });
}

uint32_t pathFilestatSetTimes(Instance& inst, uint32_t dirFd, uint32_t lookupFlags, uint32_t path,
                              uint32_t pathLen, uint64_t atim, uint64_t mtim, uint32_t fstflags) {
  return withFiles(inst, [&](FileSystem& files) {
    return status(files.setTimes(dirFd, lookupFlags, text(inst, path, pathLen), atim, mtim,
                                 static_cast<uint16_t>(fstflags)));
  });
}

uint32_t pathCreateDirectory(Instance& inst, uint32_t dirFd, uint32_t path, uint32_t pathLen) {
  return withFiles(inst, [&](FileSystem& files) {
    return status(files.createDirectory(dirFd, text(inst, path, pathLen)));
  });
}

uint32_t pathRemoveDirectory(Instance& inst, uint32_t dirFd, uint32_t path, uint32_t pathLen) {
  return withFiles(inst, [&](FileSystem& files) {
    return status(files.removeDirectory(dirFd, text(inst, path, pathLen)));
  });
}

uint32_t pathUnlinkFile(Instance& inst, uint32_t dirFd, uint32_t path, uint32_t pathLen) {
  return withFiles(inst, [&](FileSystem& files) {
    return status(files.unlinkFile(dirFd, text(inst, path, pathLen)));
  });
}

uint32_t pathRename(Instance& inst, uint32_t oldFd, uint32_t oldPath, uint32_t oldLen,
                    uint32_t newFd, uint32_t newPath, uint32_t newLen) {
  return withFiles(inst, [&](FileSystem& files) {
    return status(
        files.rename(oldFd, text(inst, oldPath, oldLen), newFd, text(inst, newPath, newLen)));
  });
}

// A target longer than the buffer is cut to it, as POSIX readlink does.
uint32_t pathReadlink(Instance& inst, uint32_t dirFd, uint32_t path, uint32_t pathLen, uint32_t buf,
                      uint32_t bufLen, uint32_t usedPtr) {
  return withFiles(inst, [&](FileSystem& files) {
    auto target = files.readlink(dirFd, text(inst, path, pathLen));
    if (!target) return code(target.error());
    uint32_t n = static_cast<uint32_t>(std::min<size_t>(target->size(), bufLen));
    std::memcpy(range(inst, buf, n), target->data(), n);
    store<uint32_t>(inst, usedPtr, n);
    return kOk;
  });
}

uint32_t pathSymlink(Instance& inst, uint32_t target, uint32_t targetLen, uint32_t dirFd,
                     uint32_t path, uint32_t pathLen) {
  return withFiles(inst, [&](FileSystem& files) {
    return status(files.symlink(text(inst, target, targetLen), dirFd, text(inst, path, pathLen)));
  });
}

uint32_t pathLink(Instance& inst, uint32_t oldFd, uint32_t lookupFlags, uint32_t oldPath,
                  uint32_t oldLen, uint32_t newFd, uint32_t newPath, uint32_t newLen) {
  return withFiles(inst, [&](FileSystem& files) {
    return status(files.link(oldFd, lookupFlags, text(inst, oldPath, oldLen), newFd,
                             text(inst, newPath, newLen)));
  });
}

// No descriptor is a socket.
uint32_t notSocket(Instance& inst, uint32_t fd) {
  if (isStdio(fd)) return code(WasiErrno::Notsock);
  return withFiles(inst, [&](FileSystem& files) {
    return code(files.fdstat(fd) ? WasiErrno::Notsock : WasiErrno::Badf);
  });
}

uint32_t sockAccept(Instance& inst, uint32_t fd, uint32_t, uint32_t) {
  return notSocket(inst, fd);
}
uint32_t sockRecv(Instance& inst, uint32_t fd, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t) {
  return notSocket(inst, fd);
}
uint32_t sockSend(Instance& inst, uint32_t fd, uint32_t, uint32_t, uint32_t, uint32_t) {
  return notSocket(inst, fd);
}
uint32_t sockShutdown(Instance& inst, uint32_t fd, uint32_t) {
  return notSocket(inst, fd);
}

}  // namespace

void wasi_abi::registerWasiFiles(wasm::HostRegistry& r) {
  const std::string m = kWasiModule;
  r.add<&fdWrite>(m, "fd_write");
  r.add<&fdRead>(m, "fd_read");
  r.add<&fdPwrite>(m, "fd_pwrite");
  r.add<&fdPread>(m, "fd_pread");
  r.add<&fdSeek>(m, "fd_seek");
  r.add<&fdTell>(m, "fd_tell");
  r.add<&fdClose>(m, "fd_close");
  r.add<&fdRenumber>(m, "fd_renumber");
  r.add<&fdFdstatGet>(m, "fd_fdstat_get");
  r.add<&fdFdstatSetFlags>(m, "fd_fdstat_set_flags");
  r.add<&fdFdstatSetRights>(m, "fd_fdstat_set_rights");
  r.add<&fdFilestatGet>(m, "fd_filestat_get");
  r.add<&fdFilestatSetSize>(m, "fd_filestat_set_size");
  r.add<&fdFilestatSetTimes>(m, "fd_filestat_set_times");
  r.add<&fdAdvise>(m, "fd_advise");
  r.add<&fdAllocate>(m, "fd_allocate");
  r.add<&fdSync>(m, "fd_sync");
  r.add<&fdDatasync>(m, "fd_datasync");
  r.add<&fdPrestatGet>(m, "fd_prestat_get");
  r.add<&fdPrestatDirName>(m, "fd_prestat_dir_name");
  r.add<&fdReaddir>(m, "fd_readdir");
  r.add<&pathOpen>(m, "path_open");
  r.add<&pathFilestatGet>(m, "path_filestat_get");
  r.add<&pathFilestatSetTimes>(m, "path_filestat_set_times");
  r.add<&pathCreateDirectory>(m, "path_create_directory");
  r.add<&pathRemoveDirectory>(m, "path_remove_directory");
  r.add<&pathUnlinkFile>(m, "path_unlink_file");
  r.add<&pathRename>(m, "path_rename");
  r.add<&pathReadlink>(m, "path_readlink");
  r.add<&pathSymlink>(m, "path_symlink");
  r.add<&pathLink>(m, "path_link");
  r.add<&sockAccept>(m, "sock_accept");
  r.add<&sockRecv>(m, "sock_recv");
  r.add<&sockSend>(m, "sock_send");
  r.add<&sockShutdown>(m, "sock_shutdown");
  r.add<&fdDup>(kFaasmEnvModule, "__wasi_fd_dup");
  r.add<&dup>(kFaasmEnvModule, "dup");
}

}  // namespace nearfaas::host
