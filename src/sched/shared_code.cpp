#include "sched/shared_code.h"

#include <spdlog/spdlog.h>

#include "base/bytes.h"
#include "storage/buckets.h"

namespace nearfaas::sched {

namespace fs = std::filesystem;

namespace {
// "NFCODE1 <64 hex digits of MAC>\n<code>"
constexpr std::string_view kMagic = "NFCODE1 ";
constexpr size_t kMacHexChars = 64;
constexpr size_t kHeaderBytes = kMagic.size() + kMacHexChars + 1;
// What the MAC covers besides the code: the format, and through the object
// name the module hash and compiler configuration, so a valid copy cannot
// be replayed under another module's or configuration's name.
constexpr std::string_view kMacDomain = "nearfaas generated code v1\n";

std::string_view textOf(const Bytes& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
}  // namespace

Result<void> SharedCode::checkSecret(std::string_view secret) {
  if (secret.size() < kMinSecretBytes)
    return fail("the code sharing secret has ", std::to_string(secret.size()),
                " bytes; it needs at least ", std::to_string(kMinSecretBytes));
  return {};
}

Result<std::string> SharedCode::mac(std::string_view objectName, std::string_view code) const {
  return hmacSha256Hex(secret_, {kMacDomain, objectName, "\n", code});
}

std::string SharedCode::encode(std::string_view mac, std::string_view code) {
  std::string out;
  out.reserve(kHeaderBytes + code.size());
  out.append(kMagic).append(mac).append("\n").append(code);
  return out;
}

bool SharedCode::fetch(const fs::path& cached) {
  std::error_code ec;
  std::string name = cached.filename().string();
  if (fs::exists(cached, ec)) {
    // Present here; whether the store has it is only asked once per build.
    auto info = objects_.stat(storage::kCodeBucket, name);
    return info || info.error().code != storage::StoreErrorCode::NotFound;
  }
  auto stored = objects_.get(storage::kCodeBucket, name);
  if (!stored) return stored.error().code != storage::StoreErrorCode::NotFound;
  std::string_view object = textOf(*stored);
  std::string_view code =
      object.size() >= kHeaderBytes ? object.substr(kHeaderBytes) : std::string_view();
  auto expected = mac(name, code);
  bool valid = object.size() >= kHeaderBytes && object.starts_with(kMagic) &&
               object[kHeaderBytes - 1] == '\n' && expected &&
               constantTimeEqual(object.substr(kMagic.size(), kMacHexChars), *expected);
  if (!valid) {
    stats_.refused++;
    spdlog::warn("shared generated code {} does not carry a valid MAC; generating it here", name);
    return false;  // generated here and published over the bad copy
  }
  // Atomic: another process may look. On failure the engine generates it.
  fs::create_directories(cached.parent_path(), ec);
  if (writeFileAtomic(cached, code)) stats_.fetched++;
  return true;
}

void SharedCode::publish(const fs::path& cached) {
  auto code = readFile(cached);
  if (!code) return;  // nothing to share; every worker generates its own
  std::string name = cached.filename().string();
  auto m = mac(name, textOf(*code));
  if (!m) return;
  std::string object = encode(*m, textOf(*code));
  auto bytes = std::span(reinterpret_cast<const uint8_t*>(object.data()), object.size());
  if (objects_.put(storage::kCodeBucket, name, bytes)) stats_.published++;
}

}  // namespace nearfaas::sched
