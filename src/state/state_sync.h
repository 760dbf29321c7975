// Moving state between a host's local tier (StateValue) and the cluster's
// global tier (GlobalStateTier), with Faasm's push/pull semantics: whole
// values, only the ranges flagged dirty, only the bytes a mask value sets, or
// only the chunk a read covers. Failures (the global tier unreachable, a
// local limit) are Result values naming the key.
#pragma once

#include <string_view>

#include "state/global_tier.h"
#include "state/state_store.h"

namespace nearfaas::state {

// The whole local value becomes the global value (dirty flags are cleared).
Result<void> pushAll(GlobalStateTier& tier, std::string_view user, std::string_view key,
                     StateValue& value);
// Only the ranges flagged dirty since the last push; nothing if none. Ranges
// past the local value's end are clipped to it.
Result<void> pushDirty(GlobalStateTier& tier, std::string_view user, std::string_view key,
                       StateValue& value);
// Only the bytes whose byte in `mask` is non-zero (within both values).
Result<void> pushMasked(GlobalStateTier& tier, std::string_view user, std::string_view key,
                        StateValue& value, const StateValue& mask);
// The global value replaces the local one (not flagged dirty).
Result<void> pullAll(GlobalStateTier& tier, std::string_view user, std::string_view key,
                     StateValue& value);
// Global bytes [offset, offset + len) replace the local ones that were
// neither pulled nor written here before (zeros where the global value ends
// before); each byte is pulled once, until the next pullAll.
Result<void> pullRange(GlobalStateTier& tier, std::string_view user, std::string_view key,
                       StateValue& value, uint64_t offset, uint64_t len);

}  // namespace nearfaas::state
