# CMake toolchain file for building NearFaaS (Faasm-compatible) functions:
#
#   cmake -S myfuncs -B build -DCMAKE_TOOLCHAIN_FILE=<nearfaas-build>/sdk/WasiToolchain.cmake
#
# The copy in the NearFaaS build directory sets NEARFAAS_SDK_LIBFAASM,
# NEARFAAS_SDK_SYSROOT and NEARFAAS_SDK_IMPORTS and includes this file. Using
# this file directly needs those three as -D options or environment
# variables (<build>/sdk/lib/libfaasm.a, <build>/sdk/sysroot,
# <build>/sdk/lib/libfaasm.imports).
#
# add_executable(<name> f.cpp) then gives <name>.wasm, compiled against the
# SDK's sysroot and headers (faasm/*.h, ndpapi.h) and linked with libfaasm;
# add_library(<lib> STATIC ...) gives a wasm archive functions can link.
# Undefined symbols that the runtime provides (libfaasm.imports) become
# imports, as with Faasm's toolchain. The flags come from WasiFlags.cmake
# next to this file.

foreach(_nf_var NEARFAAS_SDK_LIBFAASM NEARFAAS_SDK_SYSROOT NEARFAAS_SDK_IMPORTS)
  if(NOT ${_nf_var} AND DEFINED ENV{${_nf_var}})
    set(${_nf_var} $ENV{${_nf_var}})
  endif()
  if(NOT ${_nf_var})
    message(FATAL_ERROR "NearFaaS SDK: set ${_nf_var} (or use the WasiToolchain.cmake "
                        "in the NearFaaS build directory)")
  endif()
endforeach()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES
  NEARFAAS_SDK_LIBFAASM NEARFAAS_SDK_SYSROOT NEARFAAS_SDK_IMPORTS)

include(${CMAKE_CURRENT_LIST_DIR}/WasiFlags.cmake)

set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR wasm32)
set(CMAKE_CROSSCOMPILING ON)

find_program(NEARFAAS_SDK_CC NAMES clang-19 clang REQUIRED)
find_program(NEARFAAS_SDK_CXX NAMES clang++-19 clang++ REQUIRED)
find_program(NEARFAAS_SDK_AR NAMES llvm-ar-19 llvm-ar REQUIRED)
find_program(NEARFAAS_SDK_RANLIB NAMES llvm-ranlib-19 llvm-ranlib REQUIRED)
set(CMAKE_C_COMPILER ${NEARFAAS_SDK_CC})
set(CMAKE_CXX_COMPILER ${NEARFAAS_SDK_CXX})
set(CMAKE_AR ${NEARFAAS_SDK_AR} CACHE FILEPATH "wasm archiver")
set(CMAKE_RANLIB ${NEARFAAS_SDK_RANLIB} CACHE FILEPATH "wasm ranlib")
set(CMAKE_C_COMPILER_TARGET ${NEARFAAS_SDK_TARGET})
set(CMAKE_CXX_COMPILER_TARGET ${NEARFAAS_SDK_TARGET})
set(CMAKE_SYSROOT ${NEARFAAS_SDK_SYSROOT})

# Compiler checks compile only: linking needs libfaasm's _start.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

get_filename_component(NEARFAAS_SDK_INCLUDE_DIR ${CMAKE_CURRENT_LIST_DIR}/../include ABSOLUTE)

# The SDK flags are added as directory options rather than through
# CMAKE_<LANG>_FLAGS_INIT, so that a project's own CMAKE_C_FLAGS /
# CMAKE_CXX_FLAGS / CMAKE_EXE_LINKER_FLAGS add to them instead of replacing
# them. (CMake removes the duplicates of reading this file twice.)
add_compile_options(${NEARFAAS_SDK_OVERLAY_FLAGS} ${NEARFAAS_SDK_CODEGEN_FLAGS}
                    "$<$<COMPILE_LANGUAGE:CXX>:${NEARFAAS_SDK_CXX_FLAGS}>")
add_link_options(${NEARFAAS_SDK_LINK_FLAGS})
set(CMAKE_C_STANDARD_INCLUDE_DIRECTORIES ${NEARFAAS_SDK_INCLUDE_DIR})
set(CMAKE_CXX_STANDARD_INCLUDE_DIRECTORIES ${NEARFAAS_SDK_INCLUDE_DIR})
string(JOIN " " _nf_libs ${NEARFAAS_SDK_LIBFAASM} ${NEARFAAS_SDK_LINK_LIBS})
set(CMAKE_C_STANDARD_LIBRARIES "${_nf_libs}")
set(CMAKE_CXX_STANDARD_LIBRARIES "${_nf_libs}")
set(CMAKE_EXECUTABLE_SUFFIX .wasm)
set(CMAKE_EXECUTABLE_SUFFIX_C .wasm)
set(CMAKE_EXECUTABLE_SUFFIX_CXX .wasm)

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
