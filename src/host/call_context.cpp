#include "host/call_context.h"

#include "state/state_store.h"

namespace nearfaas::host {

void CallContext::clearCall() {
  callId = 0;
  request = nullptr;
  outputData.clear();
  outputSet = false;
  capturedStdout.clear();
  capturedStderr.clear();
  stateMappings.clear();
  ndpRegions.clear();
  fileView.reset();
  fileView.bindShared(nullptr);
  // A guest that returned (or trapped) holding state locks must not keep
  // other calls waiting.
  for (auto& [value, exclusive] : heldLocks) {
    if (exclusive)
      value->guestLock().unlock();
    else
      value->guestLock().unlock_shared();
  }
  heldLocks.clear();
}

}  // namespace nearfaas::host
