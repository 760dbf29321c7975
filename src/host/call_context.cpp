#include "host/call_context.h"

#include <algorithm>

#include "state/state_store.h"

namespace nearfaas::host {

const std::vector<std::string>& faasmEnvironment() {
  static const std::vector<std::string> env = {
      "MKL_NUM_THREADS=1",   "OPENBLAS_NUM_THREADS=1", "PYTHONHASHSEED=0", "PYTHONHOME=/",
      "PYTHONNOUSERSITE=on", "PYTHONWASM=1",           "PYTHON_PATH=/",
  };
  return env;
}

std::string truncationMarker(uint64_t droppedBytes) {
  return "\n[output truncated: " + std::to_string(droppedBytes) + " bytes dropped]\n";
}

void CapturedStream::append(std::string_view bytes) {
  size_t room = text_.size() < limit_ ? limit_ - text_.size() : 0;
  size_t kept = std::min(room, bytes.size());
  text_.append(bytes.substr(0, kept));
  dropped_ += bytes.size() - kept;
}

std::string CapturedStream::take() {
  std::string out = std::move(text_);
  if (dropped_) out += truncationMarker(dropped_);
  clear();
  return out;
}

void CapturedStream::clear() {
  text_.clear();
  dropped_ = 0;
}

void CallContext::captureStdio(size_t limit) {
  capturedStdout.setLimit(limit);
  capturedStderr.setLimit(limit);
  output = [this](int fd, std::string_view bytes) {
    (fd == 2 ? capturedStderr : capturedStdout).append(bytes);
  };
  input = [](uint8_t*, size_t) -> size_t { return 0; };
}

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
  fileView.bindLocalShared(nullptr);
  // A guest that returned (or trapped) holding state locks must not keep
  // other calls waiting.
  for (auto& [value, exclusive] : heldLocks) {
    if (exclusive)
      value->guestLock().unlock();
    else
      value->guestLock().unlock_shared();
  }
  heldLocks.clear();
  for (auto& g : heldGlobalLocks) {
    if (g.tier)
      (void)g.tier->unlockWrite(g.user, g.key, g.token);  // else its lease expires
    else
      g.local->globalLock().unlock();
  }
  heldGlobalLocks.clear();
}

}  // namespace nearfaas::host
