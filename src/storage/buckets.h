// How NearFaaS lays out its data in the object store. User objects live in a
// bucket named after the user; everything the system keeps for itself lives in
// buckets whose names start with '.', which no user name may, so the two can
// never collide.
#pragma once

#include <string_view>

#include "storage/object_store.h"

namespace nearfaas::storage {

// Function code: key <user>/<name>/function.wasm.
inline constexpr std::string_view kFunctionsBucket = ".functions";
// Shared files (read-only in every function's file view under /shared): key =
// the file's path without its leading '/'.
inline constexpr std::string_view kSharedFilesBucket = ".shared";

// Generated code shared by the workers of a cluster (NodeConfig::shareGeneratedCode):
// key = the code cache's file name, <wasm sha256>-<compiler settings>.so.
inline constexpr std::string_view kCodeBucket = ".code";

// User names: a valid bucket name that does not start with '.'.
StoreResult<void> validateUser(std::string_view user, const StoreLimits& limits = {});

}  // namespace nearfaas::storage
