// How the scheduler hands a storage call to the layer that can run it near
// its object (src/ndp implements it; the scheduler only knows this
// interface, so it stays below ndp).
#pragma once

#include <cstdint>
#include <optional>

#include "faaslet/faaslet.h"
#include "host/call_context.h"

namespace nearfaas::sched {

class StorageOffloader {
 public:
  virtual ~StorageOffloader() = default;
  // Runs `call` of `request` elsewhere, continuing `caller` (the Faaslet
  // running the request, on this thread, inside the host function): on
  // success `caller`'s memory, globals, output and stdio are updated as if
  // the storage call had run in it, and fn's return value is returned.
  // nullopt: the caller must run it itself; `caller` is then unchanged.
  // May throw wasm::HostTrap (the call's deadline passed while waiting).
  virtual std::optional<int32_t> offload(faaslet::Faaslet& caller, const host::CallRequest& request,
                                         const host::CallServices::StorageCall& call) = 0;
};

}  // namespace nearfaas::sched
