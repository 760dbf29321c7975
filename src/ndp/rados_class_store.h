// The offloader's ObjectClassStore on RADOS: stat and exec through librados,
// so the object class runs in the OSD that is primary for the object. Built
// with NEARFAAS_WITH_CEPH (target nf_ndp_offload).
#pragma once

#include "ndp/offloader.h"
#include "storage/rados_store.h"

namespace nearfaas::ndp {

class RadosClassStore final : public ObjectClassStore {
 public:
  // `store` outlives this.
  explicit RadosClassStore(storage::RadosStore& store) : store_(store) {}

  storage::StoreResult<storage::ObjectInfo> stat(std::string_view bucket,
                                                 std::string_view key) override {
    return store_.stat(bucket, key);
  }
  storage::StoreResult<Bytes> execClass(std::string_view bucket, std::string_view key,
                                        const char* cls, const char* method,
                                        std::span<const uint8_t> input,
                                        std::chrono::steady_clock::time_point deadline,
                                        const std::function<bool()>& abandon) override {
    return store_.execClass(bucket, key, cls, method, input, deadline, abandon);
  }

 private:
  storage::RadosStore& store_;
};

}  // namespace nearfaas::ndp
