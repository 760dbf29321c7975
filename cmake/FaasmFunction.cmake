# Building NearFaaS functions (Faasm-compatible wasm32-wasi modules) inside
# this project with the guest SDK in sdk/. The flags live in
# sdk/cmake/WasiFlags.cmake; sdk/CMakeLists.txt builds the SDK's sysroot,
# libfaasm.a and libfaasm.imports.

set(NEARFAAS_SDK_SYSROOT ${CMAKE_BINARY_DIR}/sdk/sysroot)
set(NEARFAAS_SDK_IMPORTS ${CMAKE_BINARY_DIR}/sdk/lib/libfaasm.imports)
include(${CMAKE_SOURCE_DIR}/sdk/cmake/WasiFlags.cmake)

find_program(NEARFAAS_WASM_CC NAMES clang-19 REQUIRED)
find_program(NEARFAAS_WASM_CXX NAMES clang++-19 REQUIRED)
find_program(NEARFAAS_WASM_AR NAMES llvm-ar-19 llvm-ar REQUIRED)

set(NEARFAAS_SDK_INCLUDE_DIR ${CMAKE_SOURCE_DIR}/sdk/include)
set(NEARFAAS_SDK_LIBFAASM ${CMAKE_BINARY_DIR}/sdk/lib/libfaasm.a)
set(NEARFAAS_FUNC_DIR ${CMAKE_BINARY_DIR}/func)
# Warnings for the code of this project only (not part of the SDK flags).
set(NEARFAAS_GUEST_WARNINGS -Wall -Wextra)
file(GLOB_RECURSE NEARFAAS_SDK_HEADERS CONFIGURE_DEPENDS ${NEARFAAS_SDK_INCLUDE_DIR}/*.h)
# The stamp of the sysroot's last build (sdk/CMakeLists.txt).
set(NEARFAAS_SDK_SYSROOT_STAMP ${NEARFAAS_SDK_SYSROOT}/.stamp)

# Header-only libraries functions may use, each added per function with
# -I<dir> (never -I/usr/include, which would bring the host's libc headers
# back). nlohmann's headers include each other as <nlohmann/...>, so its
# directory is one holding only a link to Debian's.
set(NEARFAAS_EIGEN_INCLUDE_DIR /usr/include/eigen3)
set(NEARFAAS_STB_INCLUDE_DIR /usr/include/stb)
set(NEARFAAS_NLOHMANN_INCLUDE_DIR ${CMAKE_BINARY_DIR}/sdk/third_party/nlohmann-include)
file(MAKE_DIRECTORY ${NEARFAAS_NLOHMANN_INCLUDE_DIR})
file(CREATE_LINK /usr/include/nlohmann ${NEARFAAS_NLOHMANN_INCLUDE_DIR}/nlohmann SYMBOLIC)

# nearfaas_function(<user> <name> SOURCES <files...> [FLAGS <flags...>]
#                   [INCLUDES <dirs...>] [LINK_FLAGS <flags...>] [DEPENDS <files...>])
# Builds ${CMAKE_BINARY_DIR}/func/<user>/<name>.wasm from C or C++ sources
# (clang++ if any source is not .c) against the SDK and libfaasm, and adds
# target func_<user>_<name> (also appended to the global property
# NEARFAAS_FUNCTION_TARGETS). The path is in <user>_<name>_WASM in the
# caller's scope. INCLUDES are -I directories of header-only libraries (each
# its own directory, never /usr/include: host headers must not reach a guest
# build).
function(nearfaas_function user name)
  cmake_parse_arguments(ARG "" "" "SOURCES;FLAGS;INCLUDES;LINK_FLAGS;DEPENDS" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "nearfaas_function(${user} ${name}): no SOURCES")
  endif()
  set(out ${NEARFAAS_FUNC_DIR}/${user}/${name}.wasm)
  set(srcs)
  set(is_cxx FALSE)
  foreach(s ${ARG_SOURCES})
    get_filename_component(abs ${s} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    list(APPEND srcs ${abs})
    if(NOT abs MATCHES "\\.c$")
      set(is_cxx TRUE)
    endif()
  endforeach()
  set(includes)
  foreach(dir ${ARG_INCLUDES})
    list(APPEND includes -I${dir})
  endforeach()
  if(is_cxx)
    set(driver ${NEARFAAS_WASM_CXX} ${NEARFAAS_SDK_COMPILE_FLAGS} ${NEARFAAS_SDK_CXX_FLAGS})
  else()
    set(driver ${NEARFAAS_WASM_CC} ${NEARFAAS_SDK_COMPILE_FLAGS})
  endif()
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${NEARFAAS_FUNC_DIR}/${user}
    COMMAND ${driver} ${includes} -I${NEARFAAS_SDK_INCLUDE_DIR} ${NEARFAAS_GUEST_WARNINGS} ${ARG_FLAGS}
            ${srcs} ${NEARFAAS_SDK_LINK_FLAGS} ${ARG_LINK_FLAGS}
            ${NEARFAAS_SDK_LIBFAASM} ${NEARFAAS_SDK_LINK_LIBS} -o ${out}
    DEPENDS ${srcs} ${ARG_DEPENDS} ${NEARFAAS_SDK_HEADERS} ${NEARFAAS_SDK_LIBFAASM}
            ${NEARFAAS_SDK_IMPORTS} ${NEARFAAS_SDK_SYSROOT_STAMP} faasm_sdk
    COMMENT "Building function ${user}/${name}.wasm"
    VERBATIM)
  add_custom_target(func_${user}_${name} DEPENDS ${out})
  set_property(GLOBAL APPEND PROPERTY NEARFAAS_FUNCTION_TARGETS func_${user}_${name})
  set(${user}_${name}_WASM ${out} PARENT_SCOPE)
endfunction()
