#include "storage/directory_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>
#include <random>
#include <utility>

#include "base/unique_fd.h"

namespace nearfaas::storage {

namespace {

using Fd = UniqueFd;

// Directories are opened readable (so they can be fsynced and listed) and
// never through a symlink.
constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
constexpr mode_t kDirMode = 0755;
constexpr mode_t kFileMode = 0644;

// A put whose directory is pruned underneath it (by a concurrent remove of
// that directory's last object) starts over; this bounds how often.
constexpr int kMaxPutAttempts = 16;

std::string errnoText(int err) {
  return std::strerror(err);
}

std::string objectName(std::string_view bucket, std::string_view key) {
  return std::string("object '") + std::string(key) + "' in bucket '" + std::string(bucket) + "'";
}

// The components of a validated key, e.g. "a/b/c" -> {"a", "b", "c"}.
std::vector<std::string> splitKey(std::string_view key) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t end = key.find('/', start);
    parts.emplace_back(key.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

// Unique name for an in-flight write: reserved prefix, pid, a per-process
// random nonce (pids repeat across containers sharing a volume) and a counter.
std::string tempName() {
  static const uint64_t nonce = [] {
    std::random_device rd;
    return (uint64_t{rd()} << 32) ^ rd();
  }();
  static std::atomic<uint64_t> counter{0};
  char buf[80];
  std::snprintf(buf, sizeof buf, "%d-%016llx-%llu", static_cast<int>(::getpid()),
                static_cast<unsigned long long>(nonce),
                static_cast<unsigned long long>(counter.fetch_add(1)));
  return std::string(kReservedComponentPrefix) + buf;
}

// Explains why `name` in `dirFd`, which the caller could not open as a
// directory, is not one. `shown` names it in the message. A regular file in
// the way is NotFound for a reader and Conflict for a writer.
StoreError notADirectory(int dirFd, const std::string& name, const std::string& shown,
                         bool forWrite) {
  struct stat st;
  if (::fstatat(dirFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    int err = errno;
    if (err == ENOENT)
      return StoreError{{"'" + shown + "' does not exist"}, StoreErrorCode::NotFound};
    return StoreError{{"cannot stat '" + shown + "': " + errnoText(err)}, StoreErrorCode::Io};
  }
  if (S_ISLNK(st.st_mode))
    return StoreError{{"'" + shown + "' is a symbolic link; the store never follows links"},
                      StoreErrorCode::Io};
  if (S_ISREG(st.st_mode)) {
    if (forWrite)
      return StoreError{{"'" + shown + "' is an object, so it cannot also hold objects below it"},
                        StoreErrorCode::Conflict};
    return StoreError{{"'" + shown + "' is an object, not a directory"}, StoreErrorCode::NotFound};
  }
  return StoreError{{"'" + shown + "' is not a directory"}, StoreErrorCode::Io};
}

// Opens directory `name` in `dirFd` without following a symlink; with
// `create`, makes it first if missing. NotFound means missing (or, with
// `create`, that `dirFd` itself was removed meanwhile).
StoreResult<Fd> openDir(int dirFd, const std::string& name, const std::string& shown, bool create,
                        bool sync) {
  // More than one round: between a failed open and our mkdir, a concurrent
  // writer may make the directory, or a concurrent remove may prune it again.
  for (int round = 0; round < 3; ++round) {
    int fd = ::openat(dirFd, name.c_str(), kDirFlags);
    if (fd >= 0) return Fd(fd);
    int err = errno;
    if (err == ENOENT) {
      if (!create) return storeFail(StoreErrorCode::NotFound, "'", shown, "' does not exist");
      if (::mkdirat(dirFd, name.c_str(), kDirMode) == 0) {
        if (sync && ::fsync(dirFd) != 0)
          return storeFail(StoreErrorCode::Io, "cannot sync parent of '", shown,
                           "': ", errnoText(errno));
        continue;
      }
      err = errno;
      if (err == EEXIST) continue;
      if (err == ENOENT)
        return storeFail(StoreErrorCode::NotFound, "parent of '", shown, "' was removed");
      return storeFail(StoreErrorCode::Io, "cannot create directory '", shown,
                       "': ", errnoText(err));
    }
    if (err == ENOTDIR || err == ELOOP)
      return std::unexpected(notADirectory(dirFd, name, shown, create));
    return storeFail(StoreErrorCode::Io, "cannot open directory '", shown, "': ", errnoText(err));
  }
  return storeFail(StoreErrorCode::NotFound, "'", shown, "' keeps disappearing");
}

// Opens <root>/<bucket>/<dirs...> one component at a time (see openDir).
// Returns every descriptor on the way, the bucket's first.
StoreResult<std::vector<Fd>> walkDirs(int rootFd, std::string_view bucket,
                                      std::span<const std::string> dirs, bool create, bool sync) {
  std::vector<Fd> chain;
  chain.reserve(dirs.size() + 1);
  std::string shown(bucket);
  auto first = openDir(rootFd, shown, shown, create, sync);
  if (!first) return std::unexpected(first.error());
  chain.push_back(std::move(*first));
  for (const auto& dir : dirs) {
    shown += '/';
    shown += dir;
    auto next = openDir(chain.back().get(), dir, shown, create, sync);
    if (!next) return std::unexpected(next.error());
    chain.push_back(std::move(*next));
  }
  return chain;
}

// An object opened for reading. The file never changes after it was renamed
// into place, so everything read through `fd` is one version.
struct OpenObject {
  Fd fd;
  uint64_t size = 0;
};

StoreResult<OpenObject> openObject(int rootFd, std::string_view bucket, std::string_view key,
                                   const StoreLimits& limits) {
  if (auto ok = validateBucket(bucket, limits); !ok) return std::unexpected(ok.error());
  if (auto ok = validateKey(key, limits); !ok) return std::unexpected(ok.error());
  auto parts = splitKey(key);
  std::string leaf = std::move(parts.back());
  parts.pop_back();
  auto notFound = [&] {
    return storeFail(StoreErrorCode::NotFound, "no ", objectName(bucket, key));
  };
  auto chain = walkDirs(rootFd, bucket, parts, /*create=*/false, /*sync=*/false);
  if (!chain) {
    if (chain.error().code == StoreErrorCode::NotFound) return notFound();
    return std::unexpected(chain.error());
  }
  // O_NONBLOCK: opening a FIFO planted in the store must not hang.
  int fd =
      ::openat(chain->back().get(), leaf.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return notFound();
    if (err == ELOOP)
      return storeFail(StoreErrorCode::Io, objectName(bucket, key),
                       " is a symbolic link; the store never follows links");
    return storeFail(StoreErrorCode::Io, "cannot open ", objectName(bucket, key), ": ",
                     errnoText(err));
  }
  OpenObject obj{Fd(fd), 0};
  struct stat st;
  if (::fstat(fd, &st) != 0)
    return storeFail(StoreErrorCode::Io, "cannot stat ", objectName(bucket, key), ": ",
                     errnoText(errno));
  if (S_ISDIR(st.st_mode)) return notFound();  // only objects below this key
  if (!S_ISREG(st.st_mode))
    return storeFail(StoreErrorCode::Io, objectName(bucket, key), " is not a regular file");
  obj.size = static_cast<uint64_t>(st.st_size);
  return obj;
}

// Reads exactly `len` bytes at `offset`.
StoreResult<Bytes> readExactly(int fd, uint64_t offset, uint64_t len, std::string_view bucket,
                               std::string_view key) {
  Bytes out;
  try {
    out.resize(len);
  } catch (const std::bad_alloc&) {
    return storeFail(StoreErrorCode::Io, "out of memory reading ", std::to_string(len),
                     " bytes of ", objectName(bucket, key));
  }
  uint64_t done = 0;
  while (done < len) {
    ssize_t n = ::pread(fd, out.data() + done, len - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return storeFail(StoreErrorCode::Io, "cannot read ", objectName(bucket, key), ": ",
                       errnoText(errno));
    if (n == 0)
      return storeFail(StoreErrorCode::Io, objectName(bucket, key),
                       " shrank while being read (modified outside the store?)");
    done += static_cast<uint64_t>(n);
  }
  return out;
}

// One attempt at put. NotFound means a directory on the way was removed
// concurrently and the caller should start over.
StoreResult<void> putOnce(int rootFd, std::string_view bucket, std::string_view key,
                          std::span<const std::string> dirs, const std::string& leaf,
                          std::span<const uint8_t> data, bool sync) {
  auto chain = walkDirs(rootFd, bucket, dirs, /*create=*/true, sync);
  if (!chain) return std::unexpected(chain.error());
  int dir = chain->back().get();

  // Only a regular file (the old version) may be replaced. An empty directory
  // left over from removed objects below this key is cleared away.
  struct stat st;
  if (::fstatat(dir, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISLNK(st.st_mode))
      return storeFail(StoreErrorCode::Io, objectName(bucket, key),
                       " is a symbolic link; the store never follows or replaces links");
    if (S_ISDIR(st.st_mode)) {
      if (::unlinkat(dir, leaf.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
        int err = errno;
        if (err == ENOTEMPTY || err == EEXIST)
          return storeFail(StoreErrorCode::Conflict, "cannot put ", objectName(bucket, key),
                           ": objects exist below '", key, "/'");
        return storeFail(StoreErrorCode::Io, "cannot put ", objectName(bucket, key), ": ",
                         errnoText(err));
      }
    } else if (!S_ISREG(st.st_mode)) {
      return storeFail(StoreErrorCode::Io, objectName(bucket, key), " is not a regular file");
    }
  } else if (errno != ENOENT) {
    return storeFail(StoreErrorCode::Io, "cannot stat ", objectName(bucket, key), ": ",
                     errnoText(errno));
  }

  std::string tmp;
  Fd file;
  for (;;) {
    tmp = tempName();
    int fd =
        ::openat(dir, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, kFileMode);
    if (fd >= 0) {
      file = Fd(fd);
      break;
    }
    int err = errno;
    if (err == EEXIST) continue;
    if (err == ENOENT) return storeFail(StoreErrorCode::NotFound, "directory removed during put");
    return storeFail(StoreErrorCode::Io, "cannot create a file for ", objectName(bucket, key), ": ",
                     errnoText(err));
  }
  auto abandon = [&](const char* what, int err) {
    ::unlinkat(dir, tmp.c_str(), 0);
    return storeFail(StoreErrorCode::Io, "cannot ", what, " ", objectName(bucket, key), ": ",
                     errnoText(err));
  };

  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(file.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return abandon("write", errno);
    done += static_cast<size_t>(n);
  }
  if (sync && ::fsync(file.get()) != 0) return abandon("sync", errno);
  if (::close(file.release()) != 0) return abandon("write", errno);

  if (::renameat(dir, tmp.c_str(), dir, leaf.c_str()) != 0) {
    int err = errno;
    ::unlinkat(dir, tmp.c_str(), 0);
    if (err == ENOENT) return storeFail(StoreErrorCode::NotFound, "directory removed during put");
    if (err == EISDIR || err == ENOTEMPTY || err == EEXIST)
      return storeFail(StoreErrorCode::Conflict, "cannot put ", objectName(bucket, key),
                       ": objects were created below '", key, "/' meanwhile");
    return storeFail(StoreErrorCode::Io, "cannot rename into ", objectName(bucket, key), ": ",
                     errnoText(err));
  }
  if (sync && ::fsync(dir) != 0)
    return storeFail(StoreErrorCode::Io, "wrote ", objectName(bucket, key),
                     " but cannot sync its directory: ", errnoText(errno));
  return {};
}

// Adds to `out` every object below the open directory `fd` (consumed) whose
// name starts with `namePrefix`, as `keyPrefix` + relative path. Entries that
// are not regular files or directories (symlinks, leftovers of other tools)
// and in-flight temporary files are not objects and are skipped.
StoreResult<void> collectKeys(Fd fd, const std::string& keyPrefix, std::string_view namePrefix,
                              std::string_view bucket, std::vector<std::string>& out) {
  DIR* dir = ::fdopendir(fd.get());
  if (!dir)
    return storeFail(StoreErrorCode::Io, "cannot list '", bucket, "/", keyPrefix,
                     "': ", errnoText(errno));
  fd.release();  // owned by `dir` now
  struct DirCloser {
    DIR* d;
    ~DirCloser() { ::closedir(d); }
  } closer{dir};

  for (;;) {
    errno = 0;
    dirent* ent = ::readdir(dir);
    if (!ent) {
      if (errno != 0)
        return storeFail(StoreErrorCode::Io, "cannot list '", bucket, "/", keyPrefix,
                         "': ", errnoText(errno));
      return {};
    }
    std::string_view name = ent->d_name;
    if (name == "." || name == "..") continue;
    if (name.starts_with(kReservedComponentPrefix)) continue;
    if (!name.starts_with(namePrefix)) continue;

    unsigned char type = ent->d_type;
    if (type == DT_UNKNOWN) {
      struct stat st;
      if (::fstatat(::dirfd(dir), ent->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      type = S_ISREG(st.st_mode) ? DT_REG : S_ISDIR(st.st_mode) ? DT_DIR : DT_LNK;
    }
    if (type == DT_REG) {
      out.push_back(keyPrefix + std::string(name));
    } else if (type == DT_DIR) {
      int child = ::openat(::dirfd(dir), ent->d_name, kDirFlags);
      if (child < 0) {
        int err = errno;
        if (err == ENOENT || err == ENOTDIR || err == ELOOP) continue;  // changed meanwhile
        return storeFail(StoreErrorCode::Io, "cannot list '", bucket, "/", keyPrefix, name,
                         "': ", errnoText(err));
      }
      auto ok = collectKeys(Fd(child), keyPrefix + std::string(name) + "/", "", bucket, out);
      if (!ok) return ok;
    }
  }
}

}  // namespace

StoreResult<std::unique_ptr<DirectoryStore>> DirectoryStore::open(const std::filesystem::path& root,
                                                                  DirectoryStoreOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  if (ec)
    return storeFail(StoreErrorCode::Io, "cannot create store root ", root.string(), ": ",
                     ec.message());
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return storeFail(StoreErrorCode::Io, "cannot open store root ", root.string(), ": ",
                     errnoText(errno));
  return std::unique_ptr<DirectoryStore>(new DirectoryStore(root, fd, std::move(options)));
}

DirectoryStore::DirectoryStore(std::filesystem::path root, int rootFd,
                               DirectoryStoreOptions options)
    : root_(std::move(root)), rootFd_(rootFd), options_(std::move(options)) {}

DirectoryStore::~DirectoryStore() {
  ::close(rootFd_);
}

StoreResult<void> DirectoryStore::put(std::string_view bucket, std::string_view key,
                                      std::span<const uint8_t> data) {
  const StoreLimits& lim = options_.limits;
  if (auto ok = validateBucket(bucket, lim); !ok) return ok;
  if (auto ok = validateKey(key, lim); !ok) return ok;
  if (data.size() > lim.maxObjectSize)
    return storeFail(StoreErrorCode::TooLarge, "cannot put ", objectName(bucket, key), ": ",
                     std::to_string(data.size()), " bytes is over the limit of ",
                     std::to_string(lim.maxObjectSize));
  auto dirs = splitKey(key);
  std::string leaf = std::move(dirs.back());
  dirs.pop_back();
  for (int attempt = 0; attempt < kMaxPutAttempts; ++attempt) {
    auto done = putOnce(rootFd_, bucket, key, dirs, leaf, data, options_.syncWrites);
    if (done || done.error().code != StoreErrorCode::NotFound) return done;
  }
  return storeFail(StoreErrorCode::Io, "cannot put ", objectName(bucket, key),
                   ": its directory kept being removed by concurrent removes");
}

StoreResult<Bytes> DirectoryStore::get(std::string_view bucket, std::string_view key) {
  auto obj = openObject(rootFd_, bucket, key, options_.limits);
  if (!obj) return std::unexpected(obj.error());
  if (obj->size > options_.limits.maxObjectSize)
    return storeFail(StoreErrorCode::TooLarge, objectName(bucket, key), " is ",
                     std::to_string(obj->size), " bytes, over the limit of ",
                     std::to_string(options_.limits.maxObjectSize));
  return readExactly(obj->fd.get(), 0, obj->size, bucket, key);
}

StoreResult<Bytes> DirectoryStore::getRange(std::string_view bucket, std::string_view key,
                                            uint64_t offset, uint64_t maxLen) {
  auto obj = openObject(rootFd_, bucket, key, options_.limits);
  if (!obj) return std::unexpected(obj.error());
  if (offset >= obj->size) return Bytes{};
  uint64_t len = std::min(obj->size - offset, maxLen);
  if (len > options_.limits.maxObjectSize)
    return storeFail(StoreErrorCode::TooLarge, "range of ", std::to_string(len), " bytes of ",
                     objectName(bucket, key), " is over the limit of ",
                     std::to_string(options_.limits.maxObjectSize));
  return readExactly(obj->fd.get(), offset, len, bucket, key);
}

StoreResult<ObjectInfo> DirectoryStore::stat(std::string_view bucket, std::string_view key) {
  auto obj = openObject(rootFd_, bucket, key, options_.limits);
  if (!obj) return std::unexpected(obj.error());
  return ObjectInfo{obj->size};
}

StoreResult<void> DirectoryStore::remove(std::string_view bucket, std::string_view key) {
  if (auto ok = validateBucket(bucket, options_.limits); !ok) return ok;
  if (auto ok = validateKey(key, options_.limits); !ok) return ok;
  auto dirs = splitKey(key);
  std::string leaf = std::move(dirs.back());
  dirs.pop_back();
  auto notFound = [&] {
    return storeFail(StoreErrorCode::NotFound, "no ", objectName(bucket, key));
  };
  auto chain = walkDirs(rootFd_, bucket, dirs, /*create=*/false, /*sync=*/false);
  if (!chain) {
    if (chain.error().code == StoreErrorCode::NotFound) return notFound();
    return std::unexpected(chain.error());
  }
  int dir = chain->back().get();
  struct stat st;
  if (::fstatat(dir, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return notFound();
    return storeFail(StoreErrorCode::Io, "cannot stat ", objectName(bucket, key), ": ",
                     errnoText(errno));
  }
  if (S_ISDIR(st.st_mode)) return notFound();
  if (S_ISLNK(st.st_mode))
    return storeFail(StoreErrorCode::Io, objectName(bucket, key),
                     " is a symbolic link; the store never follows or removes links");
  if (!S_ISREG(st.st_mode))
    return storeFail(StoreErrorCode::Io, objectName(bucket, key), " is not a regular file");
  if (::unlinkat(dir, leaf.c_str(), 0) != 0) {
    if (errno == ENOENT) return notFound();
    return storeFail(StoreErrorCode::Io, "cannot remove ", objectName(bucket, key), ": ",
                     errnoText(errno));
  }
  if (options_.syncWrites) ::fsync(dir);
  // Prune key directories left empty, deepest first; stop at the first that
  // still holds something. The bucket directory stays. A put racing with
  // this starts over (see putOnce).
  for (size_t i = dirs.size(); i > 0; --i) {
    if (::unlinkat(chain->at(i - 1).get(), dirs[i - 1].c_str(), AT_REMOVEDIR) != 0) break;
  }
  return {};
}

StoreResult<std::vector<std::string>> DirectoryStore::list(std::string_view bucket,
                                                           std::string_view prefix) {
  const StoreLimits& lim = options_.limits;
  if (auto ok = validateBucket(bucket, lim); !ok) return std::unexpected(ok.error());
  if (prefix.size() > lim.maxKeyLength)
    return storeFail(StoreErrorCode::InvalidKey, "list prefix is longer than ",
                     std::to_string(lim.maxKeyLength), " bytes");
  if (prefix.find('\0') != std::string_view::npos)
    return storeFail(StoreErrorCode::InvalidKey, "list prefix contains a NUL byte");

  std::vector<std::string> keys;
  // Descend straight to the directory named by the prefix's whole components;
  // only its last, partial component filters names. A whole component that no
  // valid key can have, or a directory that is missing (or not a directory),
  // means no key matches.
  auto parts = splitKey(prefix);
  std::string partial = std::move(parts.back());
  parts.pop_back();
  std::string name(bucket);
  int rawFd = ::openat(rootFd_, name.c_str(), kDirFlags);
  int err = errno;
  Fd dir(rawFd);
  std::string keyPrefix;
  for (size_t i = 0;; ++i) {
    if (dir.get() < 0) {
      if (err == ENOENT || err == ENOTDIR || err == ELOOP) return keys;
      return storeFail(StoreErrorCode::Io, "cannot list '", bucket, "/", keyPrefix,
                       "': ", errnoText(err));
    }
    if (i == parts.size()) break;
    const std::string& part = parts[i];
    if (!validateKey(part, lim)) return keys;  // "", ".", "..", reserved: never in a key
    keyPrefix += part + "/";
    rawFd = ::openat(dir.get(), part.c_str(), kDirFlags);
    err = errno;
    dir = Fd(rawFd);
  }
  auto ok = collectKeys(std::move(dir), keyPrefix, partial, bucket, keys);
  if (!ok) return std::unexpected(ok.error());
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace nearfaas::storage
