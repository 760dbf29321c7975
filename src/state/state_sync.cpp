#include "state/state_sync.h"

#include <algorithm>

namespace nearfaas::state {

namespace {
template <typename T>
Result<T> named(Result<T> r, std::string_view what, std::string_view key) {
  if (!r) return fail(what, " of state '", std::string(key), "': ", r.error().message);
  return r;
}
}  // namespace

Result<void> pushAll(GlobalStateTier& tier, std::string_view user, std::string_view key,
                     StateValue& value) {
  value.takeDirty();
  Bytes all = value.readAll();
  return named(tier.set(user, key, all), "push", key);
}

Result<void> pushDirty(GlobalStateTier& tier, std::string_view user, std::string_view key,
                       StateValue& value) {
  auto dirty = value.takeDirty();
  uint64_t size = value.size();
  std::vector<Bytes> buffers;
  std::vector<RangeWrite> writes;
  buffers.reserve(dirty.size());
  for (auto [offset, len] : dirty) {
    if (offset >= size) continue;
    len = std::min(len, size - offset);
    Bytes& b = buffers.emplace_back(len);
    value.read(offset, b);
  }
  size_t i = 0;
  for (auto [offset, len] : dirty)
    if (offset < size) writes.push_back({offset, buffers[i++]});
  auto r = named(tier.setRanges(user, key, writes), "partial push", key);
  if (!r)  // pushed nothing for sure: keep them dirty for the next push
    for (auto [offset, len] : dirty)
      value.flagDirty(offset, len);
  return r;
}

Result<void> pushMasked(GlobalStateTier& tier, std::string_view user, std::string_view key,
                        StateValue& value, const StateValue& mask) {
  Bytes data = value.readAll();
  Bytes m = mask.readAll();
  size_t n = std::min(data.size(), m.size());
  std::vector<RangeWrite> writes;
  for (size_t i = 0; i < n;) {
    if (!m[i]) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < n && m[j])
      ++j;
    writes.push_back({i, std::span<const uint8_t>(data).subspan(i, j - i)});
    i = j;
  }
  return named(tier.setRanges(user, key, writes), "masked push", key);
}

Result<void> pullAll(GlobalStateTier& tier, std::string_view user, std::string_view key,
                     StateValue& value) {
  auto bytes = named(tier.get(user, key), "pull", key);
  if (!bytes) return std::unexpected(bytes.error());
  if (auto r = value.set(*bytes, false); !r) return fail(r.error().message);
  value.markPulled();
  return {};
}

Result<void> pullRange(GlobalStateTier& tier, std::string_view user, std::string_view key,
                       StateValue& value, uint64_t offset, uint64_t len) {
  auto missing = value.unpulled(offset, len);
  if (missing.empty()) return {};
  if (value.pulledRanges() + missing.size() > value.limits().maxDirtyRanges) {
    // Too fragmented to track: the whole value, into every part not pulled
    // or written here yet.
    auto all = named(tier.get(user, key), "pull", key);
    if (!all) return std::unexpected(all.error());
    for (auto [from, n] : value.unpulled(0, std::max<uint64_t>(all->size(), value.size()))) {
      Bytes b(n);
      if (from < all->size())
        std::copy_n(all->begin() + from, std::min<uint64_t>(n, all->size() - from), b.begin());
      if (auto r = value.write(from, b, false); !r) return fail(r.error().message);
    }
    value.markPulled();
    return {};
  }
  for (auto [from, n] : missing) {
    auto bytes = named(tier.getRange(user, key, from, n), "pull", key);
    if (!bytes) return std::unexpected(bytes.error());
    bytes->resize(n);  // zeros past the global value's end
    if (auto r = value.write(from, *bytes, false); !r) return fail(r.error().message);
    value.markPulled(from, n);
  }
  return {};
}

}  // namespace nearfaas::state
