#include "host/file_view.h"

#include <time.h>

#include <algorithm>
#include <cstring>
#include <functional>

#include "host/local_shared_files.h"
#include "storage/buckets.h"
#include "storage/object_store.h"

namespace nearfaas::host {

using namespace wasi_bits;

namespace {

uint64_t nowNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000 + uint64_t(ts.tv_nsec);
}

constexpr uint64_t kSharedInoBit = 1ull << 63;

uint64_t sharedIno(const std::string& key) {
  return kSharedInoBit | std::hash<std::string>{}(key);
}

// The runtime root's files. Functions have no network, so the resolver
// names no server beyond the loopback; the users are root and the one a
// function runs as (uid 1000, as Faasm's runtime root has it), with the
// fields the SDK's getpwuid answers (sdk/lib/libc_process.c).
constexpr FileView::RuntimeFile kRuntimeRoot[] = {
    {"hosts",
     "127.0.0.1\tlocalhost\n"
     "::1\tlocalhost ip6-localhost ip6-loopback\n"},
    {"passwd",
     "root:x:0:0:root:/root:/usr/sbin/nologin\n"
     "faasm:x:1000:1000::/home/faasm/:/bin/sh\n"},
    {"resolv.conf",
     "# Functions have no network access.\n"
     "nameserver 127.0.0.1\n"},
};

}  // namespace

std::span<const FileView::RuntimeFile> FileView::runtimeRootFiles() {
  return kRuntimeRoot;
}

// What the scratch tree uses; every scratch inode adds itself on creation
// and removes itself (and its bytes) when it is destroyed.
struct FileView::Usage {
  uint64_t bytes = 0;
  uint32_t nodes = 0;
  uint64_t nextIno = 1;
  uint64_t sharedBytes = 0;  // of the live SharedCopy objects
};

// The contents of one shared file, read once and shared by every inode and
// descriptor of the call that uses it; accounted while it lives.
struct FileView::SharedCopy {
  Bytes data;
  std::shared_ptr<Usage> usage;
  ~SharedCopy() { usage->sharedBytes -= data.size(); }
};

struct FileView::Inode {
  FileType type = FileType::Unknown;
  uint64_t ino = 0;
  bool shared = false;           // under /shared, or the /shared mount itself
  bool mount = false;            // the root or /shared: cannot be removed or renamed
  bool readOnly = false;         // /etc and its files: every change fails with Acces
  std::shared_ptr<Usage> usage;  // scratch inodes only

  Bytes data;                                             // scratch file contents
  std::map<std::string, InodePtr, std::less<>> children;  // scratch directory

  // Shared inodes: a file's key, or a directory's key prefix ("" or "a/b/").
  std::string sharedKey;
  uint64_t sharedSize = 0;
  std::shared_ptr<const SharedCopy> sharedData;   // a shared file's contents, once opened
  std::shared_ptr<LocalSharedFiles::File> local;  // its local copy on this node, if any

  uint64_t atim = 0, mtim = 0, ctim = 0;

  ~Inode() {
    if (usage) {
      usage->bytes -= data.size();
      usage->nodes--;
    }
  }
  // Not for local copies, which other threads change (read them through `local`).
  const Bytes& contents() const { return shared ? sharedData->data : data; }
  uint64_t size() const { return local ? local->size() : shared ? sharedSize : data.size(); }
};

// An open descriptor. Directories are held by path and looked up when used;
// files by inode, so an open file outlives its unlinking as in POSIX.
struct FileView::OpenFile {
  Path path;
  InodePtr node;  // files only
  bool isDir = false;
  bool canRead = false, canWrite = false;
  uint16_t flags = 0;
  uint64_t rights = 0;
  uint64_t offset = 0;
};

FileView::FileView(FileViewLimits limits) : limits_(limits), usage_(std::make_shared<Usage>()) {
  reset();
  touched_ = false;
}

FileView::~FileView() = default;

void FileView::reset() {
  if (!touched_ && fds_.count(kRootFd)) return;
  fds_.clear();
  root_.reset();
  auto root = std::make_shared<OpenFile>();
  root->isDir = true;
  root->rights = kAllRights;
  fds_.emplace(kRootFd, std::move(root));
  sharedCopies_.clear();
  touched_ = false;
}

uint64_t FileView::scratchBytes() const {
  return usage_->bytes;
}

uint64_t FileView::sharedBytes() const {
  return usage_->sharedBytes;
}

FileView::InodePtr FileView::newInode(FileType type) const {
  auto n = std::make_shared<Inode>();
  n->type = type;
  n->usage = usage_;
  n->ino = usage_->nextIno++;
  usage_->nodes++;
  n->atim = n->mtim = n->ctim = nowNs();
  return n;
}

void FileView::ensureTree() const {
  touched_ = true;
  if (root_) return;
  root_ = newInode(FileType::Directory);
  root_->mount = true;
  root_->children.emplace(std::string(kScratchDir), newInode(FileType::Directory));
  auto shared = std::make_shared<Inode>();
  shared->type = FileType::Directory;
  shared->shared = shared->mount = true;
  shared->ino = kSharedInoBit;
  root_->children.emplace(std::string(kSharedDir), std::move(shared));
  // The runtime root: fixed contents, not scratch (no usage to account).
  auto fixed = [this](FileType type) {
    auto n = std::make_shared<Inode>();
    n->type = type;
    n->readOnly = true;
    n->ino = usage_->nextIno++;
    n->atim = n->mtim = n->ctim = root_->ctim;
    return n;
  };
  auto etc = fixed(FileType::Directory);
  for (const RuntimeFile& f : kRuntimeRoot) {
    auto file = fixed(FileType::RegularFile);
    file->data.assign(f.contents.begin(), f.contents.end());
    etc->children.emplace(std::string(f.name), std::move(file));
  }
  root_->children.emplace(std::string(kRuntimeRootDir), std::move(etc));
}

std::optional<std::string_view> FileView::preopenName(uint32_t fd) const {
  if (fd != kRootFd) return std::nullopt;
  auto it = fds_.find(fd);
  if (it == fds_.end() || !it->second->isDir || !it->second->path.empty()) return std::nullopt;
  return kRootName;
}

FsResult<FileView::OpenFile*> FileView::file(uint32_t fd) const {
  auto it = fds_.find(fd);
  if (it == fds_.end()) return std::unexpected(WasiErrno::Badf);
  return it->second.get();
}

// Lexical resolution is exact here: the tree has no symlinks, so "a/.." is
// always the directory that holds a.
FsResult<FileView::Path> FileView::resolve(uint32_t dirFd, std::string_view path) const {
  auto dir = file(dirFd);
  if (!dir) return std::unexpected(dir.error());
  if (!(*dir)->isDir) return std::unexpected(WasiErrno::Notdir);
  return resolveFrom((*dir)->path, path);
}

FsResult<FileView::Path> FileView::resolveFrom(const Path& base, std::string_view path) const {
  if (path.empty()) return std::unexpected(WasiErrno::Noent);
  if (path.size() > limits_.maxPathBytes) return std::unexpected(WasiErrno::Nametoolong);
  if (path.find('\0') != std::string_view::npos) return std::unexpected(WasiErrno::Inval);
  // WASI paths are relative to a directory descriptor; an absolute one would
  // name something outside it.
  if (path.front() == '/') return std::unexpected(WasiErrno::Notcapable);
  Path out = base;
  size_t at = 0;
  while (at <= path.size()) {
    size_t end = std::min(path.find('/', at), path.size());
    std::string_view part = path.substr(at, end - at);
    at = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (out.empty()) return std::unexpected(WasiErrno::Notcapable);
      out.pop_back();
      continue;
    }
    if (part.size() > limits_.maxNameBytes) return std::unexpected(WasiErrno::Nametoolong);
    out.emplace_back(part);
  }
  // Faasm functions name shared files "faasm://<path>".
  if (!out.empty() && out.front() == "faasm:") out.front() = kSharedDir;
  return out;
}

std::optional<std::string> FileView::sharedChildKey(const Inode& dir, std::string_view name) const {
  std::string key = dir.sharedKey + std::string(name);
  if (!storage::validateKey(key, shared_ ? shared_->limits() : storage::StoreLimits{}))
    return std::nullopt;
  return key;
}

FsResult<FileView::InodePtr> FileView::child(const Inode& dir, const std::string& name) const {
  if (!dir.shared) {
    auto it = dir.children.find(name);
    if (it == dir.children.end()) return std::unexpected(WasiErrno::Noent);
    return it->second;
  }
  if (!shared_ && !local_) return std::unexpected(WasiErrno::Noent);
  auto key = sharedChildKey(dir, name);
  if (!key) return std::unexpected(WasiErrno::Noent);
  auto node = std::make_shared<Inode>();
  node->shared = true;
  node->ino = sharedIno(*key);
  // A local change on this node wins over the original.
  if (local_) {
    if (auto e = local_->find(*key)) {
      switch (e->kind) {
        case LocalSharedFiles::Kind::File:
          node->type = FileType::RegularFile;
          node->sharedKey = std::move(*key);
          node->local = std::move(e->file);
          return node;
        case LocalSharedFiles::Kind::Directory:
          node->type = FileType::Directory;
          node->sharedKey = std::move(*key) + '/';
          return node;
        case LocalSharedFiles::Kind::Removed:
          return std::unexpected(WasiErrno::Noent);
      }
    }
  }
  if (shared_) {
    auto info = shared_->stat(storage::kSharedFilesBucket, *key);
    if (info) {
      node->type = FileType::RegularFile;
      node->sharedKey = std::move(*key);
      node->sharedSize = info->size;
      return node;
    }
    if (info.error().code == storage::StoreErrorCode::Io) return std::unexpected(WasiErrno::Io);
  }
  // A directory: anything below it that is not hidden.
  node->type = FileType::Directory;
  node->sharedKey = std::move(*key) + '/';
  auto entries = listDir(*node);
  if (!entries) return std::unexpected(entries.error());
  if (entries->size() <= 2) return std::unexpected(WasiErrno::Noent);  // "." and ".." only
  return node;
}

FsResult<FileView::InodePtr> FileView::lookup(const Path& path) const {
  ensureTree();
  InodePtr cur = root_;
  for (const auto& name : path) {
    if (cur->type != FileType::Directory) return std::unexpected(WasiErrno::Notdir);
    auto next = child(*cur, name);
    if (!next) return std::unexpected(next.error());
    cur = std::move(*next);
  }
  return cur;
}

FsResult<FileView::InodePtr> FileView::parentDir(const Path& path, bool forCreate) const {
  Path parentPath(path.begin(), path.end() - 1);
  auto parent = lookup(parentPath);
  if (!parent) return parent;
  if ((*parent)->type != FileType::Directory) return std::unexpected(WasiErrno::Notdir);
  if ((*parent)->readOnly) return std::unexpected(WasiErrno::Acces);
  if ((*parent)->shared) {
    if (!local_) return std::unexpected(WasiErrno::Rofs);
    return parent;
  }
  if (forCreate && usage_->nodes >= limits_.maxScratchNodes)
    return std::unexpected(WasiErrno::Nospc);
  return parent;
}

FsResult<void> FileView::localCopy(Inode& node, bool empty) {
  if (node.local) return {};
  if (!local_) return std::unexpected(WasiErrno::Rofs);
  Bytes initial;
  if (!empty) {
    if (auto r = loadShared(node); !r) return r;
    initial = node.sharedData->data;
  }
  auto copy = local_->adopt(node.sharedKey, std::move(initial));
  if (!copy) return std::unexpected(copy.error());
  node.local = std::move(*copy);
  node.sharedData.reset();  // reads go to the copy now
  return {};
}

FsResult<void> FileView::loadShared(Inode& node) {
  if (node.sharedData) return {};
  // The copy this call already holds, if any: a file is read once per call
  // (later changes to it in the store are not seen by that call).
  if (auto it = sharedCopies_.find(node.sharedKey); it != sharedCopies_.end()) {
    if (auto copy = it->second.lock()) {
      node.sharedSize = copy->data.size();
      node.sharedData = std::move(copy);
      return {};
    }
    sharedCopies_.erase(it);
  }
  auto fits = [&](uint64_t size) -> FsResult<void> {
    if (size > limits_.maxSharedFileBytes) return std::unexpected(WasiErrno::Fbig);
    if (size > limits_.maxSharedBytes || usage_->sharedBytes > limits_.maxSharedBytes - size)
      return std::unexpected(WasiErrno::Nomem);
    return {};
  };
  if (auto r = fits(node.sharedSize); !r) return r;
  if (!shared_) return std::unexpected(WasiErrno::Noent);
  auto bytes = shared_->get(storage::kSharedFilesBucket, node.sharedKey);
  if (!bytes)
    return std::unexpected(
        bytes.error().code == storage::StoreErrorCode::NotFound ? WasiErrno::Noent : WasiErrno::Io);
  if (auto r = fits(bytes->size()); !r) return r;  // it may have changed since stat
  auto copy = std::make_shared<SharedCopy>();
  copy->data = std::move(*bytes);
  copy->usage = usage_;
  usage_->sharedBytes += copy->data.size();
  std::erase_if(sharedCopies_, [](const auto& entry) { return entry.second.expired(); });
  sharedCopies_.emplace(node.sharedKey, copy);
  node.sharedSize = copy->data.size();
  node.sharedData = std::move(copy);
  return {};
}

FsResult<uint32_t> FileView::open(uint32_t dirFd, std::string_view pathText, uint16_t oflags,
                                  uint64_t rights, uint16_t fdflags) {
  auto path = resolve(dirFd, pathText);
  if (!path) return std::unexpected(path.error());
  if (fds_.size() > limits_.maxOpenFiles) return std::unexpected(WasiErrno::Mfile);
  const bool wantRead = rights & kRightRead;
  const bool wantWrite = (rights & kRightWrite) || (oflags & kOpenTruncate);

  auto node = lookup(*path);
  if (node) {
    if ((oflags & kOpenCreate) && (oflags & kOpenExclusive))
      return std::unexpected(WasiErrno::Exist);
  } else {
    if (node.error() != WasiErrno::Noent || !(oflags & kOpenCreate) || (oflags & kOpenDirectory))
      return std::unexpected(node.error());
    auto parent = parentDir(*path, true);
    if (!parent) return std::unexpected(parent.error());
    if ((*parent)->shared) {
      auto key = sharedChildKey(**parent, path->back());
      if (!key) return std::unexpected(WasiErrno::Inval);
      auto copy = local_->adopt(*key, {});
      if (!copy) return std::unexpected(copy.error());
      auto n = std::make_shared<Inode>();
      n->type = FileType::RegularFile;
      n->shared = true;
      n->ino = sharedIno(*key);
      n->sharedKey = std::move(*key);
      n->local = std::move(*copy);
      node = std::move(n);
    } else {
      node = newInode(FileType::RegularFile);
      (*parent)->children.emplace(path->back(), *node);
      (*parent)->mtim = nowNs();
    }
  }
  InodePtr n = std::move(*node);
  if ((oflags & kOpenDirectory) && n->type != FileType::Directory)
    return std::unexpected(WasiErrno::Notdir);

  auto f = std::make_shared<OpenFile>();
  f->path = std::move(*path);
  f->flags = fdflags & kFdAppend;
  if (n->type == FileType::Directory) {
    if (wantWrite) return std::unexpected(WasiErrno::Isdir);
    f->isDir = true;
    f->rights = kAllRights;
  } else {
    if (n->readOnly && wantWrite) return std::unexpected(WasiErrno::Acces);
    if (n->shared) {
      const bool truncate = oflags & kOpenTruncate;
      if (wantWrite) {
        if (auto r = localCopy(*n, truncate); !r) return std::unexpected(r.error());
        if (truncate)
          if (auto r = n->local->resize(0); !r) return std::unexpected(r.error());
      } else if (!n->local) {
        if (auto r = loadShared(*n); !r) return std::unexpected(r.error());
      }
    } else if ((oflags & kOpenTruncate) && n->data.size()) {
      if (auto r = resize(*n, 0); !r) return std::unexpected(r.error());
    }
    f->node = std::move(n);
    f->canRead = wantRead;
    f->canWrite = rights & kRightWrite;
    f->rights = rights & kAllRights;
  }
  touched_ = true;
  uint32_t fd = kRootFd;
  while (fds_.count(fd))
    ++fd;
  fds_.emplace(fd, std::move(f));
  return fd;
}

FsResult<void> FileView::close(uint32_t fd) {
  if (!fds_.erase(fd)) return std::unexpected(WasiErrno::Badf);
  touched_ = true;
  return {};
}

FsResult<void> FileView::renumber(uint32_t from, uint32_t to) {
  auto it = fds_.find(from);
  if (it == fds_.end() || !fds_.count(to)) return std::unexpected(WasiErrno::Badf);
  if (from == to) return {};
  auto moved = std::move(it->second);
  fds_.erase(it);
  fds_[to] = std::move(moved);
  touched_ = true;
  return {};
}

FsResult<uint32_t> FileView::dup(uint32_t fd, uint32_t minFd) {
  auto it = fds_.find(fd);
  if (it == fds_.end()) return std::unexpected(WasiErrno::Badf);
  if (fds_.size() > limits_.maxOpenFiles) return std::unexpected(WasiErrno::Mfile);
  uint32_t to = std::max(minFd, kRootFd);
  while (fds_.count(to)) {
    if (to == UINT32_MAX) return std::unexpected(WasiErrno::Mfile);
    ++to;
  }
  fds_.emplace(to, it->second);
  touched_ = true;
  return to;
}

FsResult<void> FileView::resize(Inode& node, uint64_t size) {
  uint64_t others = usage_->bytes - node.data.size();
  if (size > limits_.maxScratchBytes || others + size > limits_.maxScratchBytes)
    return std::unexpected(WasiErrno::Nospc);
  usage_->bytes = others + size;
  node.data.resize(size);
  node.mtim = nowNs();
  return {};
}

FsResult<size_t> FileView::readAt(OpenFile& f, std::span<uint8_t> buf, uint64_t offset) {
  if (f.isDir) return std::unexpected(WasiErrno::Isdir);
  if (!f.canRead) return std::unexpected(WasiErrno::Badf);
  if (f.node->local) return f.node->local->read(buf, offset);
  const Bytes& data = f.node->contents();
  if (offset >= data.size()) return 0;
  size_t n = std::min<uint64_t>(buf.size(), data.size() - offset);
  std::memcpy(buf.data(), data.data() + offset, n);
  return n;
}

FsResult<size_t> FileView::writeAt(OpenFile& f, std::span<const uint8_t> data, uint64_t offset) {
  if (f.isDir) return std::unexpected(WasiErrno::Isdir);
  if (!f.canWrite) return std::unexpected(WasiErrno::Badf);
  if (data.empty()) return 0;
  Inode& node = *f.node;
  if (node.local) return node.local->write(data, offset);
  if (offset > limits_.maxScratchBytes) return std::unexpected(WasiErrno::Nospc);
  uint64_t end = offset + data.size();
  if (end > node.data.size())
    if (auto r = resize(node, end); !r) return std::unexpected(r.error());
  std::memcpy(node.data.data() + offset, data.data(), data.size());
  node.mtim = nowNs();
  return data.size();
}

FsResult<size_t> FileView::read(uint32_t fd, std::span<uint8_t> buf) {
  auto f = file(fd);
  if (!f) return std::unexpected(f.error());
  auto n = readAt(**f, buf, (*f)->offset);
  if (n) (*f)->offset += *n;
  return n;
}

FsResult<size_t> FileView::write(uint32_t fd, std::span<const uint8_t> data) {
  auto f = file(fd);
  if (!f) return std::unexpected(f.error());
  OpenFile& of = **f;
  if ((of.flags & kFdAppend) && of.node && of.node->local && of.canWrite) {
    // Other Faaslets may append to the same copy: find the end and write
    // there in one step.
    auto end = of.node->local->append(data);
    if (end) of.offset = *end;
    if (!end) return std::unexpected(end.error());
    return data.size();
  }
  uint64_t offset = (of.flags & kFdAppend) && of.node ? of.node->size() : of.offset;
  auto n = writeAt(of, data, offset);
  if (n) of.offset = offset + *n;
  return n;
}

FsResult<size_t> FileView::pread(uint32_t fd, std::span<uint8_t> buf, uint64_t offset) {
  auto f = file(fd);
  if (!f) return std::unexpected(f.error());
  return readAt(**f, buf, offset);
}

FsResult<size_t> FileView::pwrite(uint32_t fd, std::span<const uint8_t> data, uint64_t offset) {
  auto f = file(fd);
  if (!f) return std::unexpected(f.error());
  return writeAt(**f, data, offset);
}

FsResult<uint64_t> FileView::seek(uint32_t fd, int64_t delta, uint8_t whence) {
  auto f = file(fd);
  if (!f) return std::unexpected(f.error());
  OpenFile& of = **f;
  if (of.isDir) return std::unexpected(WasiErrno::Isdir);
  int64_t base;
  switch (whence) {
    case 0:
      base = 0;
      break;
    case 1:
      base = static_cast<int64_t>(of.offset);
      break;
    case 2:
      base = static_cast<int64_t>(of.node->size());
      break;
    default:
      return std::unexpected(WasiErrno::Inval);
  }
  int64_t pos;
  if (__builtin_add_overflow(base, delta, &pos) || pos < 0)
    return std::unexpected(WasiErrno::Inval);
  of.offset = static_cast<uint64_t>(pos);
  return of.offset;
}

FsResult<FdStat> FileView::fdstat(uint32_t fd) const {
  auto f = file(fd);
  if (!f) return std::unexpected(f.error());
  const OpenFile& of = **f;
  FdStat s;
  s.type = of.isDir ? FileType::Directory : FileType::RegularFile;
  s.flags = of.flags;
  s.rightsBase = of.rights;
  s.rightsInheriting = of.isDir ? kAllRights : 0;
  return s;
}

FsResult<void> FileView::setFdFlags(uint32_t fd, uint16_t flags) {
  auto f = file(fd);
  if (!f) return std::unexpected(f.error());
  // Sync and non-blocking flags mean nothing for files in memory.
  (*f)->flags = flags & kFdAppend;
  touched_ = true;
  return {};
}

FileStat FileView::statOf(const Inode& node) const {
  FileStat s;
  s.ino = node.ino;
  s.type = node.type;
  s.size = node.type == FileType::RegularFile ? node.size() : 0;
  s.atim = node.atim;
  s.mtim = node.mtim;
  s.ctim = node.ctim;
  if (node.local) {
    auto t = node.local->times();
    s.atim = t.atim;
    s.mtim = t.mtim;
    s.ctim = t.ctim;
  }
  return s;
}

FsResult<FileStat> FileView::stat(uint32_t fd) const {
  auto f = file(fd);
  if (!f) return std::unexpected(f.error());
  if (!(*f)->isDir) return statOf(*(*f)->node);
  auto node = lookup((*f)->path);
  if (!node) return std::unexpected(node.error());
  return statOf(**node);
}

FsResult<FileStat> FileView::stat(uint32_t dirFd, std::string_view pathText) const {
  auto path = resolve(dirFd, pathText);
  if (!path) return std::unexpected(path.error());
  auto node = lookup(*path);
  if (!node) return std::unexpected(node.error());
  return statOf(**node);
}

FsResult<void> FileView::setSize(uint32_t fd, uint64_t size) {
  auto f = file(fd);
  if (!f) return std::unexpected(f.error());
  if ((*f)->isDir) return std::unexpected(WasiErrno::Isdir);
  if (!(*f)->canWrite) return std::unexpected(WasiErrno::Badf);
  if ((*f)->node->local) return (*f)->node->local->resize(size);
  return resize(*(*f)->node, size);
}

namespace {

FsResult<void> applyTimes(uint64_t& atimOut, uint64_t& mtimOut, uint64_t atim, uint64_t mtim,
                          uint16_t flags) {
  if (((flags & kSetAtim) && (flags & kSetAtimNow)) ||
      ((flags & kSetMtim) && (flags & kSetMtimNow)))
    return std::unexpected(WasiErrno::Inval);
  uint64_t now = nowNs();
  if (flags & kSetAtim) atimOut = atim;
  if (flags & kSetAtimNow) atimOut = now;
  if (flags & kSetMtim) mtimOut = mtim;
  if (flags & kSetMtimNow) mtimOut = now;
  return {};
}

}  // namespace

// Changes the times of `node`: a shared file gets its local copy first.
FsResult<void> FileView::changeTimes(Inode& node, uint64_t atim, uint64_t mtim, uint16_t flags) {
  if (node.readOnly) return std::unexpected(WasiErrno::Acces);
  if (!node.shared) return applyTimes(node.atim, node.mtim, atim, mtim, flags);
  if (node.type == FileType::Directory) return std::unexpected(WasiErrno::Rofs);
  if (auto r = localCopy(node); !r) return r;
  auto t = node.local->times();
  if (auto r = applyTimes(t.atim, t.mtim, atim, mtim, flags); !r) return r;
  node.local->setTimes(t);
  return {};
}

FsResult<void> FileView::setTimes(uint32_t fd, uint64_t atim, uint64_t mtim, uint16_t flags) {
  auto f = file(fd);
  if (!f) return std::unexpected(f.error());
  InodePtr node = (*f)->node;
  if ((*f)->isDir) {
    auto found = lookup((*f)->path);
    if (!found) return std::unexpected(found.error());
    node = std::move(*found);
  }
  return changeTimes(*node, atim, mtim, flags);
}

FsResult<void> FileView::setTimes(uint32_t dirFd, std::string_view pathText, uint64_t atim,
                                  uint64_t mtim, uint16_t flags) {
  auto path = resolve(dirFd, pathText);
  if (!path) return std::unexpected(path.error());
  auto node = lookup(*path);
  if (!node) return std::unexpected(node.error());
  return changeTimes(**node, atim, mtim, flags);
}

FsResult<std::vector<DirEntry>> FileView::list(uint32_t fd) const {
  auto f = file(fd);
  if (!f) return std::unexpected(f.error());
  if (!(*f)->isDir) return std::unexpected(WasiErrno::Notdir);
  auto dir = lookup((*f)->path);
  if (!dir) return std::unexpected(dir.error());
  return listDir(**dir);
}

// A shared directory lists the originals below it that no local change hid,
// and the local copies and directories made on this node.
FsResult<std::vector<DirEntry>> FileView::listDir(const Inode& d) const {
  std::vector<DirEntry> out = {{".", d.ino, FileType::Directory},
                               {"..", d.ino, FileType::Directory}};
  if (!d.shared) {
    for (const auto& [name, node] : d.children)
      out.push_back({name, node->ino, node->type});
    return out;
  }
  std::map<std::string, FileType> names;  // sorted, one entry per name
  if (shared_) {
    auto keys = shared_->list(storage::kSharedFilesBucket, d.sharedKey);
    if (!keys) return std::unexpected(WasiErrno::Io);
    for (const auto& key : *keys) {
      if (local_ && local_->hidden(key)) continue;
      std::string_view rest = std::string_view(key).substr(d.sharedKey.size());
      size_t slash = rest.find('/');
      names.emplace(std::string(rest.substr(0, slash)),
                    slash == std::string_view::npos ? FileType::RegularFile : FileType::Directory);
    }
  }
  if (local_) {
    for (const auto& [name, kind] : local_->children(d.sharedKey)) {
      if (kind == LocalSharedFiles::Kind::File) names[name] = FileType::RegularFile;
      if (kind == LocalSharedFiles::Kind::Directory) names[name] = FileType::Directory;
    }
  }
  for (auto& [name, type] : names)
    out.push_back({name, sharedIno(d.sharedKey + name), type});
  return out;
}

FsResult<void> FileView::createDirectory(uint32_t dirFd, std::string_view pathText) {
  auto path = resolve(dirFd, pathText);
  if (!path) return std::unexpected(path.error());
  if (path->empty()) return std::unexpected(WasiErrno::Exist);
  auto existing = lookup(*path);
  if (existing) return std::unexpected(WasiErrno::Exist);
  if (existing.error() != WasiErrno::Noent) return std::unexpected(existing.error());
  auto parent = parentDir(*path, true);
  if (!parent) return std::unexpected(parent.error());
  if ((*parent)->shared) {
    auto key = sharedChildKey(**parent, path->back());
    if (!key) return std::unexpected(WasiErrno::Inval);
    return local_->makeDirectory(*key);
  }
  (*parent)->children.emplace(path->back(), newInode(FileType::Directory));
  (*parent)->mtim = nowNs();
  return {};
}

namespace {

// The key of a shared file, or of a shared directory without its '/'.
std::string_view entryKey(std::string_view sharedKey) {
  if (sharedKey.ends_with('/')) sharedKey.remove_suffix(1);
  return sharedKey;
}

}  // namespace

FsResult<void> FileView::removeDirectory(uint32_t dirFd, std::string_view pathText) {
  auto path = resolve(dirFd, pathText);
  if (!path) return std::unexpected(path.error());
  if (path->empty()) return std::unexpected(WasiErrno::Busy);
  auto node = lookup(*path);
  if (!node) return std::unexpected(node.error());
  if ((*node)->type != FileType::Directory) return std::unexpected(WasiErrno::Notdir);
  if ((*node)->mount) return std::unexpected(WasiErrno::Busy);
  auto parent = parentDir(*path, false);
  if (!parent) return std::unexpected(parent.error());
  if ((*node)->readOnly) return std::unexpected(WasiErrno::Acces);
  if ((*node)->shared) {
    auto entries = listDir(**node);
    if (!entries) return std::unexpected(entries.error());
    if (entries->size() > 2) return std::unexpected(WasiErrno::Notempty);
    return local_->markRemoved(entryKey((*node)->sharedKey));
  }
  if (!(*node)->children.empty()) return std::unexpected(WasiErrno::Notempty);
  (*parent)->children.erase(path->back());
  return {};
}

FsResult<void> FileView::unlinkFile(uint32_t dirFd, std::string_view pathText) {
  auto path = resolve(dirFd, pathText);
  if (!path) return std::unexpected(path.error());
  if (path->empty()) return std::unexpected(WasiErrno::Isdir);
  auto node = lookup(*path);
  if (!node) return std::unexpected(node.error());
  if ((*node)->type == FileType::Directory) return std::unexpected(WasiErrno::Isdir);
  auto parent = parentDir(*path, false);
  if (!parent) return std::unexpected(parent.error());
  if ((*node)->shared) return local_->markRemoved((*node)->sharedKey);
  (*parent)->children.erase(path->back());
  return {};
}

FsResult<void> FileView::rename(uint32_t oldDirFd, std::string_view oldText, uint32_t newDirFd,
                                std::string_view newText) {
  auto from = resolve(oldDirFd, oldText);
  if (!from) return std::unexpected(from.error());
  auto to = resolve(newDirFd, newText);
  if (!to) return std::unexpected(to.error());
  if (from->empty() || to->empty()) return std::unexpected(WasiErrno::Busy);
  auto src = lookup(*from);
  if (!src) return std::unexpected(src.error());
  if ((*src)->mount) return std::unexpected(WasiErrno::Busy);
  if ((*src)->readOnly) return std::unexpected(WasiErrno::Acces);
  auto oldParent = parentDir(*from, false);
  if (!oldParent) return std::unexpected(oldParent.error());
  auto newParent = parentDir(*to, false);
  if (!newParent) return std::unexpected(newParent.error());
  if ((*oldParent)->shared != (*newParent)->shared) return std::unexpected(WasiErrno::Xdev);
  if (*from == *to) return {};
  bool isDir = (*src)->type == FileType::Directory;
  if ((*src)->shared) {
    // A shared file moves as its local copy; a directory would move every
    // original below it, which is left to a copy (EXDEV tells the caller).
    if (isDir) return std::unexpected(WasiErrno::Xdev);
    if (auto dst = lookup(*to); dst && (*dst)->type == FileType::Directory)
      return std::unexpected(WasiErrno::Isdir);
    auto key = sharedChildKey(**newParent, to->back());
    if (!key) return std::unexpected(WasiErrno::Inval);
    if (auto r = localCopy(**src); !r) return r;
    return local_->renameFile((*src)->sharedKey, *key);
  }
  // A directory cannot move below itself.
  if (isDir && to->size() > from->size() && std::equal(from->begin(), from->end(), to->begin()))
    return std::unexpected(WasiErrno::Inval);
  auto& siblings = (*newParent)->children;
  if (auto dst = siblings.find(to->back()); dst != siblings.end()) {
    const Inode& d = *dst->second;
    if (d.mount) return std::unexpected(WasiErrno::Busy);
    if (d.readOnly) return std::unexpected(WasiErrno::Acces);
    if (isDir && d.type != FileType::Directory) return std::unexpected(WasiErrno::Notdir);
    if (!isDir && d.type == FileType::Directory) return std::unexpected(WasiErrno::Isdir);
    if (isDir && !d.children.empty()) return std::unexpected(WasiErrno::Notempty);
  }
  InodePtr moved = *src;
  (*oldParent)->children.erase(from->back());
  siblings[to->back()] = std::move(moved);
  (*oldParent)->mtim = (*newParent)->mtim = nowNs();
  return {};
}

FsResult<void> FileView::exists(uint32_t dirFd, std::string_view pathText) const {
  auto path = resolve(dirFd, pathText);
  if (!path) return std::unexpected(path.error());
  auto node = lookup(*path);
  if (!node) return std::unexpected(node.error());
  return {};
}

FsResult<Bytes> FileView::readFile(std::string_view pathText) {
  while (!pathText.empty() && pathText.front() == '/')
    pathText.remove_prefix(1);
  // From the root itself, whatever the guest did with fd 3.
  auto path = resolveFrom({}, pathText.empty() ? "." : pathText);
  if (!path) return std::unexpected(path.error());
  auto node = lookup(*path);
  if (!node) return std::unexpected(node.error());
  if ((*node)->type == FileType::Directory) return std::unexpected(WasiErrno::Isdir);
  if ((*node)->local) return (*node)->local->contents();
  if ((*node)->shared)
    if (auto r = loadShared(**node); !r) return std::unexpected(r.error());
  return (*node)->contents();
}

// The FileSystem interface over the calls above.

FsResult<uint32_t> FileView::open(uint32_t dirFd, uint32_t, std::string_view path, uint16_t oflags,
                                  uint64_t rightsBase, uint64_t, uint16_t fdflags) {
  return open(dirFd, path, oflags, rightsBase, fdflags);
}

FsResult<FileStat> FileView::stat(uint32_t dirFd, uint32_t, std::string_view path) const {
  return stat(dirFd, path);
}

FsResult<void> FileView::setTimes(uint32_t dirFd, uint32_t, std::string_view path, uint64_t atim,
                                  uint64_t mtim, uint16_t fstflags) {
  return setTimes(dirFd, path, atim, mtim, fstflags);
}

FsResult<std::vector<DirEntry>> FileView::readDir(uint32_t fd, uint64_t cookie, size_t maxEntries) {
  auto entries = list(fd);
  if (!entries) return entries;
  if (cookie >= entries->size()) return std::vector<DirEntry>{};
  entries->erase(entries->begin(), entries->begin() + static_cast<ptrdiff_t>(cookie));
  if (entries->size() > maxEntries) entries->resize(maxEntries);
  return entries;
}

// The view has no symlinks: every existing path "is not a symlink".
FsResult<std::string> FileView::readlink(uint32_t dirFd, std::string_view path) const {
  auto found = exists(dirFd, path);
  return std::unexpected(found ? WasiErrno::Inval : found.error());
}

}  // namespace nearfaas::host
