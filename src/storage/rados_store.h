// RadosStore: the ObjectStore on Ceph RADOS, through librados. Workers on
// several hosts share it, and near-data processing runs functions on the OSD
// that holds an object (design.md, "NDP on Ceph").
//
// Layout: one pool (RadosConfig::pool, made by the administrator) holds every
// bucket. Bucket = RADOS namespace in that pool, key = object name. Namespaces
// need neither creation nor admin rights, so buckets are implicit as the
// contract requires. Object names are flat: "a" and "a/b" can both exist, so
// this store never fails with Conflict (DirectoryStore does).
//
// Atomicity: put is one RADOS write op (create + write_full), which the OSD
// applies as one transaction, so readers see the old or the new object, never
// a mix. What get and getRange return comes from one compound read op (stat
// + read), so from one version; an object over 1 MiB takes a second such op
// once the first has told its size. One op must therefore carry a whole
// object: the cluster has to accept writes of limits.maxObjectSize bytes
// (osd_max_write_size, in MiB, Ceph default 90; osd_max_object_size, default
// 128 MiB). maxObjectSize defaults to kRadosMaxObjectSize (128 MiB) instead of
// the 4 GiB of StoreLimits; scripts/ceph.sh configures 256 MiB for both
// cluster settings. A cluster that refuses a write as too large gives TooLarge.
// Larger objects would need several ops (not atomic) or an indirection (and
// the object class reads an object in place under its own name), so the
// limit is lowered rather than atomicity given up.
//
// Timeouts: every RADOS call is bounded by RadosTimeouts, so a dead or
// unreachable cluster gives an Io error instead of a hang.
//
// Thread safety: librados::Rados is thread-safe; every operation works on its
// own copy of the pool handle with the bucket's namespace set, so calls share
// no mutable state.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "storage/object_store.h"

namespace nearfaas::storage {

// Objects up to this size fit in one RADOS write op on a cluster configured
// as scripts/ceph.sh does (and under Ceph's default osd_max_object_size).
inline constexpr uint64_t kRadosMaxObjectSize = 128ull << 20;

// Bounds of the blocking RADOS calls (whole seconds: Ceph's settings are).
struct RadosTimeouts {
  // Connecting to the monitors at open (client_mount_timeout).
  std::chrono::seconds connect{10};
  // Each request to a monitor, e.g. a map lookup (rados_mon_op_timeout).
  std::chrono::seconds monOp{10};
  // Each object operation (rados_osd_op_timeout). Must cover the slowest
  // legitimate op: a maxObjectSize write over the network.
  std::chrono::seconds osdOp{30};
};

struct RadosConfig {
  // The cluster's ceph.conf (mon addresses, auth). Required.
  std::filesystem::path confPath;
  std::string pool = "nearfaas";
  // The Ceph entity this client authenticates as ("client.<id>").
  std::string clientName = "client.admin";
  StoreLimits limits = {.maxObjectSize = kRadosMaxObjectSize};
  RadosTimeouts timeouts;
};

class RadosStore final : public ObjectStore {
 public:
  // Connects to the cluster and opens the pool; fails with Io if the cluster
  // cannot be reached within the timeouts or the pool does not exist.
  static StoreResult<std::unique_ptr<RadosStore>> open(RadosConfig config);
  // Disconnects; operations still running on other threads must have ended.
  ~RadosStore() override;

  RadosStore(const RadosStore&) = delete;
  RadosStore& operator=(const RadosStore&) = delete;

  StoreResult<void> put(std::string_view bucket, std::string_view key,
                        std::span<const uint8_t> data) override;
  StoreResult<Bytes> get(std::string_view bucket, std::string_view key) override;
  StoreResult<Bytes> getRange(std::string_view bucket, std::string_view key, uint64_t offset,
                              uint64_t maxLen) override;
  StoreResult<ObjectInfo> stat(std::string_view bucket, std::string_view key) override;
  StoreResult<void> remove(std::string_view bucket, std::string_view key) override;
  // RADOS lists a namespace in hash order, in pages; this collects every
  // page, keeps the keys with the prefix, and sorts them. The cost is one
  // pass over the whole namespace, whatever the prefix.
  StoreResult<std::vector<std::string>> list(std::string_view bucket,
                                             std::string_view prefix) override;
  const StoreLimits& limits() const override;

  // Runs method `method` of object class `cls` on the object (in the OSD that
  // is primary for it) with `input`; the method's output. Waits until
  // `deadline` (and at most the object op timeout), polling `abandon` every
  // few milliseconds; a passed deadline or abandon() == true gives Io ("timed
  // out"/"abandoned") while the op may still finish in the cluster. A
  // missing object is NotFound; a method's negative return is Io with its
  // errno in the message and in `*methodErrno` if given.
  StoreResult<Bytes> execClass(std::string_view bucket, std::string_view key, const char* cls,
                               const char* method, std::span<const uint8_t> input,
                               std::chrono::steady_clock::time_point deadline,
                               const std::function<bool()>& abandon = {},
                               int* methodErrno = nullptr);

  const RadosConfig& config() const;

 private:
  struct Impl;  // librados handles; keeps librados headers out of this one
  explicit RadosStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace nearfaas::storage
