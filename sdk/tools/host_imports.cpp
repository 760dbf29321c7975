// nearfaas-host-imports OUT: writes the `env` function names the runtime
// provides to functions (everything registerFaasmHost registers), one per
// line, sorted: the SDK's libfaasm.imports, read by wasm-ld through
// --allow-undefined-file. Undefined symbols with these names become imports
// of module `env`; any other undefined symbol still fails the link. Built
// and run by sdk/CMakeLists.txt, so the list is always the registry's.
#include <cstdio>
#include <fstream>

#include "host/faasm.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT.imports\n", argv[0]);
    return 2;
  }
  nearfaas::wasm::HostRegistry registry;
  nearfaas::host::registerFaasmHost(registry);
  std::ofstream out(argv[1], std::ios::trunc);
  for (const auto& name : registry.fields(nearfaas::host::kFaasmModule))
    out << name << '\n';
  out.close();
  if (!out) {
    std::fprintf(stderr, "%s: cannot write %s\n", argv[0], argv[1]);
    return 1;
  }
  return 0;
}
