#include "host/local_shared_files.h"

#include <time.h>

#include <cstring>

namespace nearfaas::host {

namespace {

uint64_t nowNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000 + uint64_t(ts.tv_nsec);
}

}  // namespace

// What every File and the map share. `bytes` changes only under `mutex`
// except in ~File, which only lowers it (so a concurrent check is at worst
// conservative) and must not take the mutex: the last reference to a File
// can drop while the mutex is held.
struct LocalSharedFiles::State {
  mutable std::mutex mutex;
  std::atomic<uint64_t> bytes{0};
  LocalSharedLimits limits;
};

LocalSharedFiles::File::~File() {
  if (state_) state_->bytes -= data_.size();
}

uint64_t LocalSharedFiles::File::size() const {
  std::lock_guard l(state_->mutex);
  return data_.size();
}

size_t LocalSharedFiles::File::read(std::span<uint8_t> buf, uint64_t offset) const {
  std::lock_guard l(state_->mutex);
  if (offset >= data_.size()) return 0;
  size_t n = std::min<uint64_t>(buf.size(), data_.size() - offset);
  std::memcpy(buf.data(), data_.data() + offset, n);
  return n;
}

FsResult<void> LocalSharedFiles::File::resizeLocked(uint64_t size) {
  const uint64_t max = state_->limits.maxBytes;
  const uint64_t others = state_->bytes - data_.size();
  if (size > max || others + size > max) return std::unexpected(WasiErrno::Nospc);
  state_->bytes = others + size;
  data_.resize(size);
  times_.mtim = nowNs();
  return {};
}

FsResult<size_t> LocalSharedFiles::File::write(std::span<const uint8_t> data, uint64_t offset) {
  if (data.empty()) return 0;
  std::lock_guard l(state_->mutex);
  if (offset > state_->limits.maxBytes) return std::unexpected(WasiErrno::Nospc);
  const uint64_t end = offset + data.size();
  if (end > data_.size())
    if (auto r = resizeLocked(end); !r) return std::unexpected(r.error());
  std::memcpy(data_.data() + offset, data.data(), data.size());
  times_.mtim = nowNs();
  return data.size();
}

FsResult<uint64_t> LocalSharedFiles::File::append(std::span<const uint8_t> data) {
  std::lock_guard l(state_->mutex);
  const uint64_t at = data_.size();
  if (data.empty()) return at;
  if (auto r = resizeLocked(at + data.size()); !r) return std::unexpected(r.error());
  std::memcpy(data_.data() + at, data.data(), data.size());
  return data_.size();
}

FsResult<void> LocalSharedFiles::File::resize(uint64_t size) {
  std::lock_guard l(state_->mutex);
  return resizeLocked(size);
}

Bytes LocalSharedFiles::File::contents() const {
  std::lock_guard l(state_->mutex);
  return data_;
}

LocalSharedFiles::File::Times LocalSharedFiles::File::times() const {
  std::lock_guard l(state_->mutex);
  return times_;
}

void LocalSharedFiles::File::setTimes(const Times& t) {
  std::lock_guard l(state_->mutex);
  times_ = t;
}

LocalSharedFiles::LocalSharedFiles(LocalSharedLimits limits) : state_(std::make_shared<State>()) {
  state_->limits = limits;
}

LocalSharedFiles::~LocalSharedFiles() = default;

const LocalSharedLimits& LocalSharedFiles::limits() const {
  return state_->limits;
}

uint64_t LocalSharedFiles::bytes() const {
  return state_->bytes;
}

size_t LocalSharedFiles::entries() const {
  std::lock_guard l(state_->mutex);
  return entries_.size();
}

std::optional<LocalSharedFiles::Entry> LocalSharedFiles::find(std::string_view key) const {
  std::lock_guard l(state_->mutex);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

bool LocalSharedFiles::hidden(std::string_view key) const {
  std::lock_guard l(state_->mutex);
  for (size_t end = 0; end != std::string_view::npos;) {
    end = key.find('/', end + 1);
    auto it = entries_.find(key.substr(0, end));
    if (it != entries_.end() && it->second.kind == Kind::Removed) return true;
  }
  return false;
}

std::map<std::string, LocalSharedFiles::Kind> LocalSharedFiles::children(
    std::string_view prefix) const {
  std::map<std::string, Kind> out;
  std::lock_guard l(state_->mutex);
  for (auto it = entries_.lower_bound(prefix);
       it != entries_.end() && std::string_view(it->first).starts_with(prefix); ++it) {
    std::string_view rest = std::string_view(it->first).substr(prefix.size());
    if (rest.empty() || rest.find('/') != std::string_view::npos) continue;
    out.emplace(std::string(rest), it->second.kind);
  }
  return out;
}

FsResult<void> LocalSharedFiles::roomFor(std::string_view key) const {
  if (entries_.find(key) == entries_.end() && entries_.size() >= state_->limits.maxEntries)
    return std::unexpected(WasiErrno::Nospc);
  return {};
}

FsResult<std::shared_ptr<LocalSharedFiles::File>> LocalSharedFiles::adopt(std::string_view key,
                                                                          Bytes initial) {
  std::lock_guard l(state_->mutex);
  auto it = entries_.find(key);
  if (it != entries_.end() && it->second.kind == Kind::File) return it->second.file;
  if (it != entries_.end() && it->second.kind == Kind::Directory)
    return std::unexpected(WasiErrno::Isdir);
  if (auto r = roomFor(key); !r) return std::unexpected(r.error());
  const uint64_t max = state_->limits.maxBytes;
  if (initial.size() > max || state_->bytes > max - initial.size())
    return std::unexpected(WasiErrno::Nospc);
  std::shared_ptr<File> f(new File());
  f->state_ = state_;
  state_->bytes += initial.size();
  f->data_ = std::move(initial);
  f->times_.atim = f->times_.mtim = f->times_.ctim = nowNs();
  if (it != entries_.end()) {
    it->second = Entry{Kind::File, f};
  } else {
    entries_.emplace(std::string(key), Entry{Kind::File, f});
  }
  return f;
}

FsResult<void> LocalSharedFiles::makeDirectory(std::string_view key) {
  std::lock_guard l(state_->mutex);
  auto it = entries_.find(key);
  if (it != entries_.end() && it->second.kind != Kind::Removed)
    return std::unexpected(WasiErrno::Exist);
  if (auto r = roomFor(key); !r) return r;
  if (it != entries_.end()) {
    it->second = Entry{Kind::Directory, nullptr};
  } else {
    entries_.emplace(std::string(key), Entry{Kind::Directory, nullptr});
  }
  return {};
}

FsResult<void> LocalSharedFiles::markRemoved(std::string_view key) {
  std::shared_ptr<File> removed;  // an open copy keeps its bytes; dropped unlocked
  std::lock_guard l(state_->mutex);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (auto r = roomFor(key); !r) return r;
    entries_.emplace(std::string(key), Entry{Kind::Removed, nullptr});
    return {};
  }
  removed = std::move(it->second.file);
  it->second = Entry{Kind::Removed, nullptr};
  return {};
}

FsResult<void> LocalSharedFiles::renameFile(std::string_view from, std::string_view to) {
  std::shared_ptr<File> replaced;
  std::lock_guard l(state_->mutex);
  auto src = entries_.find(from);
  if (src == entries_.end() || src->second.kind != Kind::File)
    return std::unexpected(WasiErrno::Noent);
  if (from == to) return {};
  auto dst = entries_.find(to);
  if (dst != entries_.end() && dst->second.kind == Kind::Directory)
    return std::unexpected(WasiErrno::Isdir);
  if (auto r = roomFor(to); !r) return r;
  std::shared_ptr<File> moved = std::move(src->second.file);
  src->second = Entry{Kind::Removed, nullptr};
  if (dst != entries_.end()) {
    replaced = std::move(dst->second.file);
    dst->second = Entry{Kind::File, std::move(moved)};
  } else {
    entries_.emplace(std::string(to), Entry{Kind::File, std::move(moved)});
  }
  return {};
}

}  // namespace nearfaas::host
