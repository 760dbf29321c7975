# Building guest WebAssembly modules at build time with Debian's toolchain:
# clang-19 + wasm-ld (lld-19) for wasm32-wasi against wasi-libc and libc++,
# and wat2wasm (wabt) for text modules.

find_program(NEARFAAS_WASM_CC NAMES clang-19 REQUIRED)
find_program(NEARFAAS_WASM_CXX NAMES clang++-19 REQUIRED)
find_program(NEARFAAS_WAT2WASM NAMES wat2wasm REQUIRED)

# Flags every guest gets: Debian installs wasi-libc under /usr (sysroot /usr);
# no exceptions (this toolchain has no exception support); no SIMD or atomics
# (wasm2c 1.0.32 supports neither).
set(NEARFAAS_WASM_FLAGS --target=wasm32-wasi --sysroot=/usr -O2 -mbulk-memory -mno-simd128 -mno-atomics)

# nearfaas_wasm_module(<name> SOURCES <files...> [FLAGS <flags...>] [LINK_FLAGS <flags...>])
# Builds ${CMAKE_CURRENT_BINARY_DIR}/<name>.wasm from C or C++ sources (the
# driver is chosen by the first source's extension) and adds target
# wasm_<name>. The path is in the variable <name>_WASM in the caller's scope.
function(nearfaas_wasm_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;FLAGS;LINK_FLAGS" ${ARGN})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${name}.wasm)
  list(GET ARG_SOURCES 0 first)
  get_filename_component(ext ${first} EXT)
  if(ext STREQUAL ".c")
    set(driver ${NEARFAAS_WASM_CC})
  else()
    set(driver ${NEARFAAS_WASM_CXX} -fno-exceptions)
  endif()
  set(srcs)
  foreach(s ${ARG_SOURCES})
    list(APPEND srcs ${CMAKE_CURRENT_SOURCE_DIR}/${s})
  endforeach()
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${driver} ${NEARFAAS_WASM_FLAGS} ${ARG_FLAGS} ${srcs} ${ARG_LINK_FLAGS} -o ${out}
    DEPENDS ${srcs}
    COMMENT "Building wasm32-wasi module ${name}.wasm"
    VERBATIM)
  add_custom_target(wasm_${name} DEPENDS ${out})
  set(${name}_WASM ${out} PARENT_SCOPE)
endfunction()

# nearfaas_wat_module(<name> <file.wat>): ${CMAKE_CURRENT_BINARY_DIR}/<name>.wasm
# and target wasm_<name>; path in <name>_WASM.
function(nearfaas_wat_module name wat)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${name}.wasm)
  set(src ${CMAKE_CURRENT_SOURCE_DIR}/${wat})
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${NEARFAAS_WAT2WASM} ${src} -o ${out}
    DEPENDS ${src}
    COMMENT "Assembling ${name}.wasm"
    VERBATIM)
  add_custom_target(wasm_${name} DEPENDS ${out})
  set(${name}_WASM ${out} PARENT_SCOPE)
endfunction()
