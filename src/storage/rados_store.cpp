#include "storage/rados_store.h"

#include <rados/librados.hpp>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <exception>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

namespace nearfaas::storage {

namespace {

// The first read of get/getRange asks for at most this many bytes, together
// with the object's size, in one op. Most objects fit, and the rest take one
// more op of exactly the size needed. librados budgets in-flight ops by the
// bytes they ask for (objecter_inflight_op_bytes, default 100 MiB), so asking
// for maxObjectSize every time would let only one read run at once.
constexpr uint64_t kFirstReadBytes = 1ull << 20;

// A read whose object is replaced by a larger version between its first and
// second op starts over; this bounds how often.
constexpr int kMaxReadAttempts = 8;

// librados buffers count bytes in `unsigned`; an object is written and read
// in one op, so this bounds StoreLimits::maxObjectSize.
constexpr uint64_t kRadosMaxOpBytes = UINT32_MAX;

// Objects per listing request.
constexpr size_t kListPageSize = 1024;

std::string objectName(std::string_view bucket, std::string_view key) {
  return std::string("object '") + std::string(key) + "' in bucket '" + std::string(bucket) + "'";
}

}  // namespace

struct RadosStore::Impl {
  RadosConfig config;
  // Declared before `pool`, so destroyed after it: the handle must close
  // before the cluster connection shuts down.
  librados::Rados rados;
  // Opened once; never used directly and never changed after open, only
  // duplicated per operation (see bucketIo).
  librados::IoCtx pool;

  // The failure of a RADOS call that returned `r` < 0, for `what` (e.g.
  // "cannot put object 'k' in bucket 'b'"). ENOENT is NotFound.
  StoreError fail(int r, const std::string& what) const {
    int err = -r;
    StoreErrorCode code = err == ENOENT ? StoreErrorCode::NotFound : StoreErrorCode::Io;
    std::string msg = what + ": " + std::strerror(err) + " (RADOS error " + std::to_string(r) + ")";
    if (err == ETIMEDOUT)
      msg += "; the cluster did not answer within the timeout (object ops " +
             std::to_string(config.timeouts.osdOp.count()) + " s, monitor ops " +
             std::to_string(config.timeouts.monOp.count()) + " s)";
    return StoreError{{std::move(msg)}, code};
  }

  // A private handle on the pool with the bucket's namespace set. A copy
  // made with the copy constructor would share the namespace with every
  // other copy; dup() does not.
  librados::IoCtx bucketIo(std::string_view bucket) const {
    librados::IoCtx io;
    io.dup(pool);
    io.set_namespace(std::string(bucket));
    return io;
  }

  // Class calls given up on (deadline, abandon) whose op has not completed:
  // their completion and buffers must live until it does. Reaped by later
  // calls; the destructor waits for the rest (bounded by the op timeout).
  struct PendingExec {
    // The op refers to its IoCtx until it completes: it lives here too.
    librados::IoCtx io;
    librados::AioCompletion* completion = nullptr;
    librados::bufferlist in, out;
    std::mutex mutex;
    std::condition_variable completed;
    bool done = false;
    // librados calls this on its finisher thread when the op completes.
    static void onComplete(librados::completion_t, void* arg) {
      auto* self = static_cast<PendingExec*>(arg);
      std::lock_guard l(self->mutex);
      self->done = true;
      self->completed.notify_all();
    }
    ~PendingExec() {
      if (completion) completion->release();
    }
  };
  std::mutex abandonedMutex;
  std::vector<std::unique_ptr<PendingExec>> abandoned;

  void reapAbandoned(bool wait) {
    std::lock_guard l(abandonedMutex);
    // `done` (set by the callback) rather than is_complete(): librados marks
    // the op complete before its callback has run.
    std::erase_if(abandoned, [&](const auto& p) {
      std::unique_lock pl(p->mutex);
      if (wait) p->completed.wait(pl, [&] { return p->done; });
      return p->done;
    });
  }
  ~Impl() { reapAbandoned(true); }

  // Bytes [offset, offset + min(size - offset, maxLen)) of one version of the
  // object (the contract of getRange). With `whole`, errors speak of the
  // object's size rather than of a range.
  StoreResult<Bytes> readRange(std::string_view bucket, std::string_view key, uint64_t offset,
                               uint64_t maxLen, bool whole) const;
};

StoreResult<Bytes> RadosStore::Impl::readRange(std::string_view bucket, std::string_view key,
                                               uint64_t offset, uint64_t maxLen, bool whole) const {
  const StoreLimits& lim = config.limits;
  if (auto ok = validateBucket(bucket, lim); !ok) return std::unexpected(ok.error());
  if (auto ok = validateKey(key, lim); !ok) return std::unexpected(ok.error());
  librados::IoCtx io = bucketIo(bucket);
  const std::string oid(key);

  // Never ask for 0 bytes: a RADOS read of length 0 means "to the end".
  uint64_t want = std::min({maxLen, kFirstReadBytes, lim.maxObjectSize, UINT64_MAX - offset});
  for (int attempt = 0; attempt < kMaxReadAttempts; ++attempt) {
    // Size and bytes in one op, so both come from one version.
    librados::ObjectReadOperation op;
    uint64_t size = 0;
    time_t mtime = 0;
    int statRv = 0, readRv = 0;
    librados::bufferlist bl;
    op.stat(&size, &mtime, &statRv);
    if (want > 0) op.read(offset, want, &bl, &readRv);
    int r = io.operate(oid, &op, nullptr);
    if (r < 0) return std::unexpected(fail(r, "cannot read " + objectName(bucket, key)));

    uint64_t total = offset >= size ? 0 : std::min(size - offset, maxLen);
    if (total > lim.maxObjectSize) {
      if (whole)
        return storeFail(StoreErrorCode::TooLarge, objectName(bucket, key), " is ",
                         std::to_string(size), " bytes, over the limit of ",
                         std::to_string(lim.maxObjectSize));
      return storeFail(StoreErrorCode::TooLarge, "range of ", std::to_string(total), " bytes of ",
                       objectName(bucket, key), " is over the limit of ",
                       std::to_string(lim.maxObjectSize));
    }
    if (bl.length() > total)
      return storeFail(StoreErrorCode::Io, "RADOS returned ", std::to_string(bl.length()),
                       " bytes of ", objectName(bucket, key), " where ", std::to_string(total),
                       " were due");
    if (bl.length() == total) {
      Bytes out;
      try {
        out.resize(total);
      } catch (const std::bad_alloc&) {
        return storeFail(StoreErrorCode::Io, "out of memory reading ", std::to_string(total),
                         " bytes of ", objectName(bucket, key));
      }
      if (total > 0)
        bl.begin().copy(static_cast<unsigned>(total), reinterpret_cast<char*>(out.data()));
      return out;
    }
    // This version holds more than the first read asked for: ask for all of it.
    want = total;
  }
  return storeFail(StoreErrorCode::Io, "cannot read ", objectName(bucket, key),
                   ": it kept being replaced by larger versions while being read");
}

StoreResult<std::unique_ptr<RadosStore>> RadosStore::open(RadosConfig config) {
  if (config.confPath.empty())
    return storeFail(StoreErrorCode::Io, "no ceph.conf given for the RADOS store");
  if (config.limits.maxObjectSize > kRadosMaxOpBytes)
    return storeFail(
        StoreErrorCode::TooLarge, "maxObjectSize ", std::to_string(config.limits.maxObjectSize),
        " is more than one RADOS op can carry (", std::to_string(kRadosMaxOpBytes), " bytes)");
  auto impl = std::make_unique<Impl>();
  impl->config = std::move(config);
  const RadosConfig& cfg = impl->config;
  auto where = [&] { return "Ceph cluster of " + cfg.confPath.string(); };

  int r = impl->rados.init2(cfg.clientName.c_str(), "ceph", 0);
  if (r < 0)
    return std::unexpected(impl->fail(r, "cannot create a RADOS client '" + cfg.clientName + "'"));
  r = impl->rados.conf_read_file(cfg.confPath.c_str());
  if (r < 0)
    return storeFail(StoreErrorCode::Io, "cannot read ceph.conf ", cfg.confPath.string(), ": ",
                     std::strerror(-r));
  const std::pair<const char*, std::chrono::seconds> timeouts[] = {
      {"client_mount_timeout", cfg.timeouts.connect},
      {"rados_mon_op_timeout", cfg.timeouts.monOp},
      {"rados_osd_op_timeout", cfg.timeouts.osdOp},
  };
  for (const auto& [name, value] : timeouts) {
    r = impl->rados.conf_set(name, std::to_string(value.count()).c_str());
    if (r < 0) return std::unexpected(impl->fail(r, std::string("cannot set ") + name));
  }
  r = impl->rados.connect();
  if (r < 0) {
    StoreError e = impl->fail(r, "cannot connect to the " + where());
    e.code = StoreErrorCode::Io;  // ENOENT here is a missing setting, not a missing object
    return std::unexpected(std::move(e));
  }
  r = impl->rados.ioctx_create(cfg.pool.c_str(), impl->pool);
  if (r < 0) {
    StoreError e = impl->fail(r, "cannot open pool '" + cfg.pool + "' of the " + where());
    e.code = StoreErrorCode::Io;
    return std::unexpected(std::move(e));
  }
  return std::unique_ptr<RadosStore>(new RadosStore(std::move(impl)));
}

RadosStore::RadosStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RadosStore::~RadosStore() = default;

StoreResult<Bytes> RadosStore::execClass(std::string_view bucket, std::string_view key,
                                         const char* cls, const char* method,
                                         std::span<const uint8_t> input,
                                         std::chrono::steady_clock::time_point deadline,
                                         const std::function<bool()>& abandon, int* methodErrno) {
  // How often a waiting call looks at its deadline and abandon().
  constexpr auto kPollInterval = std::chrono::milliseconds(5);
  impl_->reapAbandoned(false);
  auto what = [&] {
    return std::string("class call ") + cls + "." + method + " on " + objectName(bucket, key);
  };
  auto pending = std::make_unique<Impl::PendingExec>();
  pending->in.append(reinterpret_cast<const char*>(input.data()), input.size());
  pending->completion =
      librados::Rados::aio_create_completion(pending.get(), &Impl::PendingExec::onComplete);
  pending->io = impl_->bucketIo(bucket);
  int r = pending->io.aio_exec(std::string(key), pending->completion, cls, method, pending->in,
                               &pending->out);
  if (r < 0) return std::unexpected(impl_->fail(r, what()));
  for (;;) {
    {
      std::unique_lock l(pending->mutex);
      auto until = std::min(deadline, std::chrono::steady_clock::now() + kPollInterval);
      if (pending->completed.wait_until(l, until, [&] { return pending->done; })) break;
    }
    const char* gaveUp = nullptr;
    if (std::chrono::steady_clock::now() >= deadline) gaveUp = "timed out";
    if (!gaveUp && abandon && abandon()) gaveUp = "abandoned";
    if (gaveUp) {
      std::lock_guard l(impl_->abandonedMutex);
      impl_->abandoned.push_back(std::move(pending));
      return storeFail(StoreErrorCode::Io, what(), ": ", gaveUp);
    }
  }
  // The callback may still hold the mutex after setting done; take it once so
  // `pending` is not destroyed under it.
  { std::lock_guard l(pending->mutex); }
  r = pending->completion->get_return_value();
  if (r < 0) {
    if (methodErrno) *methodErrno = -r;
    return std::unexpected(impl_->fail(r, what()));
  }
  Bytes out(pending->out.length());
  if (!out.empty())
    pending->out.begin().copy(static_cast<unsigned>(out.size()),
                              reinterpret_cast<char*>(out.data()));
  return out;
}

const StoreLimits& RadosStore::limits() const {
  return impl_->config.limits;
}

const RadosConfig& RadosStore::config() const {
  return impl_->config;
}

StoreResult<void> RadosStore::put(std::string_view bucket, std::string_view key,
                                  std::span<const uint8_t> data) {
  const StoreLimits& lim = impl_->config.limits;
  if (auto ok = validateBucket(bucket, lim); !ok) return ok;
  if (auto ok = validateKey(key, lim); !ok) return ok;
  if (data.size() > lim.maxObjectSize)
    return storeFail(StoreErrorCode::TooLarge, "cannot put ", objectName(bucket, key), ": ",
                     std::to_string(data.size()), " bytes is over the limit of ",
                     std::to_string(lim.maxObjectSize));
  librados::IoCtx io = impl_->bucketIo(bucket);
  // librados gets its own copy of the data: after an op times out, its
  // message may still be queued for sending, so it must not point into
  // memory the caller frees when put returns.
  librados::bufferlist bl;
  try {
    bl.append(reinterpret_cast<const char*>(data.data()), static_cast<unsigned>(data.size()));
  } catch (const std::bad_alloc&) {
    return storeFail(StoreErrorCode::Io, "out of memory putting ", objectName(bucket, key));
  }
  // One op, one transaction on the OSD: create (for an empty object) and
  // replace the whole contents.
  librados::ObjectWriteOperation op;
  op.create(false);
  op.write_full(bl);
  int r = io.operate(std::string(key), &op);
  if (r == -EMSGSIZE || r == -EFBIG)
    return storeFail(StoreErrorCode::TooLarge, "cannot put ", objectName(bucket, key),
                     ": the cluster refuses ", std::to_string(data.size()),
                     " bytes in one write (osd_max_write_size or osd_max_object_size is below"
                     " this store's maxObjectSize of ",
                     std::to_string(lim.maxObjectSize), ")");
  if (r < 0) {
    StoreError e = impl_->fail(r, "cannot put " + objectName(bucket, key));
    e.code = StoreErrorCode::Io;
    return std::unexpected(std::move(e));
  }
  return {};
}

StoreResult<Bytes> RadosStore::get(std::string_view bucket, std::string_view key) {
  return impl_->readRange(bucket, key, 0, UINT64_MAX, /*whole=*/true);
}

StoreResult<Bytes> RadosStore::getRange(std::string_view bucket, std::string_view key,
                                        uint64_t offset, uint64_t maxLen) {
  return impl_->readRange(bucket, key, offset, maxLen, /*whole=*/false);
}

StoreResult<ObjectInfo> RadosStore::stat(std::string_view bucket, std::string_view key) {
  const StoreLimits& lim = impl_->config.limits;
  if (auto ok = validateBucket(bucket, lim); !ok) return std::unexpected(ok.error());
  if (auto ok = validateKey(key, lim); !ok) return std::unexpected(ok.error());
  librados::IoCtx io = impl_->bucketIo(bucket);
  uint64_t size = 0;
  time_t mtime = 0;
  int r = io.stat(std::string(key), &size, &mtime);
  if (r < 0) return std::unexpected(impl_->fail(r, "cannot stat " + objectName(bucket, key)));
  return ObjectInfo{size};
}

StoreResult<void> RadosStore::remove(std::string_view bucket, std::string_view key) {
  const StoreLimits& lim = impl_->config.limits;
  if (auto ok = validateBucket(bucket, lim); !ok) return ok;
  if (auto ok = validateKey(key, lim); !ok) return ok;
  librados::IoCtx io = impl_->bucketIo(bucket);
  int r = io.remove(std::string(key));
  if (r < 0) return std::unexpected(impl_->fail(r, "cannot remove " + objectName(bucket, key)));
  return {};
}

StoreResult<std::vector<std::string>> RadosStore::list(std::string_view bucket,
                                                       std::string_view prefix) {
  const StoreLimits& lim = impl_->config.limits;
  if (auto ok = validateBucket(bucket, lim); !ok) return std::unexpected(ok.error());
  if (prefix.size() > lim.maxKeyLength)
    return storeFail(StoreErrorCode::InvalidKey, "list prefix is longer than ",
                     std::to_string(lim.maxKeyLength), " bytes");
  if (prefix.find('\0') != std::string_view::npos)
    return storeFail(StoreErrorCode::InvalidKey, "list prefix contains a NUL byte");

  librados::IoCtx io = impl_->bucketIo(bucket);
  std::vector<std::string> keys;
  // The cursor API reports errors as return values (the iterator API throws).
  // A page may hold fewer objects than asked for, even none, before the end;
  // only the cursor says when the listing is complete.
  librados::ObjectCursor cursor = io.object_list_begin();
  const librados::ObjectCursor end = io.object_list_end();
  while (!io.object_list_is_end(cursor)) {
    std::vector<librados::ObjectItem> page;
    librados::ObjectCursor next;
    int r = io.object_list(cursor, end, kListPageSize, {}, &page, &next);
    if (r < 0) {
      StoreError e = impl_->fail(r, "cannot list bucket '" + std::string(bucket) + "'");
      e.code = StoreErrorCode::Io;  // a missing bucket lists as empty, never as NotFound
      return std::unexpected(std::move(e));
    }
    for (auto& item : page) {
      // Objects other tools put into the namespace under names this store
      // cannot address are not listed: every listed key can be read.
      if (item.nspace != bucket || !item.oid.starts_with(prefix)) continue;
      if (!validateKey(item.oid, lim)) continue;
      keys.push_back(std::move(item.oid));
    }
    cursor = next;
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace nearfaas::storage
