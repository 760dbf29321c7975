// Internal to src/wasm: full decoding and validation of a binary module by
// the reader WABT's spectest-interp uses. Kept in its own translation unit,
// compiled as C++17, because WABT 1.0.32's interpreter headers are not valid
// C++20. Plain types only, so this header is usable from both standards.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace nearfaas::wasm {

// True if `wasm` is a valid module for the engine's feature set; otherwise
// false with *error = "message (at byte offset 0x...)".
bool validateWithReferenceReader(const uint8_t* wasm, size_t size, std::string* error);

}  // namespace nearfaas::wasm
