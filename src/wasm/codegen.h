// C code generation for one module: wasm2c's translation plus a glue file
// that gives the runtime a uniform view of every module (nf_module_abi_t in
// glue_abi.h). Pure: no files, no compiler; see code_cache.h for those.
#pragma once

#include <string>

#include "base/result.h"
#include "wasm/decoded_module.h"

namespace nearfaas::wasm {

// Version of the generator's output; part of every code cache key.
inline constexpr int kCodegenVersion = 2;

// Name of the header file the generated source includes.
inline constexpr const char* kGeneratedHeaderName = "module.h";

// Name of the one exported symbol of a generated shared object.
inline constexpr const char* kModuleAbiSymbol = "nf_module_abi";

struct GeneratedC {
  std::string header;  // to be written as kGeneratedHeaderName next to `source`
  std::string source;  // one translation unit: glue ABI, wasm2c output, glue
};

// Renames the module's entities in place (functions $f<i>, globals $g<i>,
// memories $m<i>, tables $t<i>) so generated names are predictable, then
// translates it. The module must come from decodeModule().
Result<GeneratedC> generateC(DecodedModule& module);

// wasm2c's name mangling, exposed for tests: "Z_" + name with every byte that
// is not [A-Za-z0-9_] or is 'Z' written as Z%02X.
std::string mangleName(std::string_view name);

}  // namespace nearfaas::wasm
