// Byte buffers, hashing and file helpers shared by every layer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace nearfaas {

using Bytes = std::vector<uint8_t>;

// Lowercase hex SHA-256 of `data`.
std::string sha256Hex(std::span<const uint8_t> data);
std::string sha256Hex(std::string_view data);

// Untrusted text (a module's names, a client's header) made safe for a
// message or a log line: every byte outside printable ASCII, and the
// backslash, becomes \xNN or \\, and text longer than `maxBytes` is cut,
// saying how many bytes were left out.
std::string printable(std::string_view text, size_t maxBytes = 200);

// HMAC-SHA256 under `key` of the concatenation of `parts`, as lowercase hex.
Result<std::string> hmacSha256Hex(std::string_view key,
                                  std::initializer_list<std::string_view> parts);

// a == b in time that depends only on the sizes (for MACs and tokens).
bool constantTimeEqual(std::string_view a, std::string_view b);

// Whether `file` is safe to load as code of this process: a regular file
// (not a symbolic link) owned by this process's user and writable by no one
// else, in directories no other user can change: each one up to the root is
// owned by this user or root and is not writable by group or others unless
// it is sticky (as /tmp is). The error says which part fails.
Result<void> checkPrivateFile(const std::filesystem::path& file);

Result<Bytes> readFile(const std::filesystem::path& path);

// Writes through a temporary file in the same directory and renames it into
// place, so readers never observe a partly written file.
Result<void> writeFileAtomic(const std::filesystem::path& path, std::span<const uint8_t> data);
Result<void> writeFileAtomic(const std::filesystem::path& path, std::string_view data);

}  // namespace nearfaas
