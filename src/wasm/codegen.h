// C code generation for one module: wasm2c's translation plus a glue file
// that gives the runtime a uniform view of every module (nf_module_abi_t in
// glue_abi.h). Pure: no files, no compiler; see code_cache.h for those.
#pragma once

#include <string>

#include "base/result.h"
#include "wasm/decoded_module.h"

namespace nearfaas::wasm {

// Version of the generator's output; part of every code cache key.
// Version 3 (names): no name from the module reaches generated C; code cached
// by earlier versions is never loaded again.
inline constexpr int kCodegenVersion = 3;

// Name of the header file the generated source includes.
inline constexpr const char* kGeneratedHeaderName = "module.h";

// Name of the one exported symbol of a generated shared object.
inline constexpr const char* kModuleAbiSymbol = "nf_module_abi";

struct GeneratedC {
  std::string header;  // to be written as kGeneratedHeaderName next to `source`
  std::string source;  // one translation unit: glue ABI, wasm2c output, glue
};

// Renames every entity, export and import of the module in place to a name
// made from its index (functions $f<i>, globals $g<i>, memories $m<i>, tables
// $t<i>, exports e<i>, import modules i<k>, import fields f<j>), so generated
// names are predictable and no byte of the module's own names, which are
// untrusted, reaches the generated C; then translates it. The result is
// printable ASCII or an error. The module must come from decodeModule(); its
// ModuleInfo keeps the original names.
Result<GeneratedC> generateC(DecodedModule& module);

// wasm2c's name mangling, exposed for tests: "Z_" + name with every byte that
// is not [A-Za-z0-9_] or is 'Z' written as Z%02X.
std::string mangleName(std::string_view name);

}  // namespace nearfaas::wasm
