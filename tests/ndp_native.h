// The ndp/ functions' own sources built for the host (tests/CMakeLists.txt:
// nearfaas_ndp_function_tests), over a native stand-in for the Faasm and NDP
// host interface: objects in a map, storage calls run in place. The tests
// compare a wasm function's outputs with its native build's.
#pragma once

#include <map>
#include <string>

namespace nearfaas::test::ndpnative {

// A function's main, renamed (-Dmain=ndp_<name>_main).
using MainFn = int (*)(int, char**);

struct Outcome {
  int returnValue = 0;
  std::string output;  // what the function set last (not replaced on failure)
};

// The objects the functions see and write (key -> bytes).
std::map<std::string, std::string>& objects();

// Runs `mainFn` once with `input`.
Outcome run(MainFn mainFn, const std::string& input);

}  // namespace nearfaas::test::ndpnative

int ndp_thumbnailer_main(int, char**);
int ndp_json_query_main(int, char**);
int ndp_pcakmm_main(int, char**);
int ndp_substrrepl_main(int, char**);
