#include "wasm/reference_validator.h"

#include <wabt/binary-reader.h>
#include <wabt/feature.h>
#include <wabt/interp/binary-reader-interp.h>

#include <cstdio>

namespace nearfaas::wasm {

bool validateWithReferenceReader(const uint8_t* wasm, size_t size, std::string* error) {
  wabt::Features features;
  features.disable_simd();  // wasm2c 1.0.32 cannot translate SIMD
  wabt::Errors errors;
  wabt::ReadBinaryOptions options(features, nullptr, /*read_debug_names=*/true,
                                  /*stop_on_first_error=*/true,
                                  /*fail_on_custom_section_error=*/true);
  wabt::interp::ModuleDesc desc;
  if (wabt::Succeeded(
          wabt::interp::ReadBinaryInterp("module", wasm, size, options, &errors, &desc)))
    return true;
  error->clear();
  for (const auto& e : errors) {
    if (!error->empty()) *error += "; ";
    *error += e.message;
    if (e.loc.offset != wabt::kInvalidOffset) {
      char buf[48];
      std::snprintf(buf, sizeof buf, " (at byte offset 0x%zx)", static_cast<size_t>(e.loc.offset));
      *error += buf;
    }
  }
  if (error->empty()) *error = "unknown error";
  return false;
}

}  // namespace nearfaas::wasm
