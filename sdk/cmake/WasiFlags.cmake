# The compile and link settings of a NearFaaS function, in one place. Read by
# WasiToolchain.cmake (user projects), by the NearFaaS build (libfaasm,
# func/, and the generated src/sdk_config.h that `nearfaas func build` uses).
# Only variables are set here; nothing else.
#
# The includer sets NEARFAAS_SDK_SYSROOT (the SDK's sysroot, built by
# sdk/CMakeLists.txt as <build>/sdk/sysroot) and NEARFAAS_SDK_IMPORTS (the
# generated <build>/sdk/lib/libfaasm.imports).
#
# The settings follow Faasm's toolchain (faasmtools/build.py): wasm32-wasi
# against wasi-libc and libc++, no exceptions, no SIMD and no atomics (wasm2c
# 1.0.32 supports neither), bulk memory on. The sysroot holds copies of
# Debian's wasm32-wasi headers and libraries only (nothing of the host's, so a
# header wasm lacks is "file not found"), plus the overlay headers of the
# SDK's libc additions (sdk/libc/include), searched before wasi-libc's.
# Functions are linked with -nostartfiles: libfaasm brings its own _start
# that does not run static constructors (the runtime does, once, before the
# snapshot every call starts from).

if(NOT NEARFAAS_SDK_SYSROOT OR NOT NEARFAAS_SDK_IMPORTS)
  message(FATAL_ERROR "WasiFlags.cmake: set NEARFAAS_SDK_SYSROOT and NEARFAAS_SDK_IMPORTS first")
endif()

set(NEARFAAS_SDK_TARGET wasm32-wasi)

# Where Debian installs what the sysroot copies (wasi-libc, libc++, libc++abi).
set(NEARFAAS_WASI_INCLUDE_DIR /usr/include/wasm32-wasi)
set(NEARFAAS_WASI_LIB_DIR /usr/lib/wasm32-wasi)

# The libc overlay headers, in front of wasi-libc's (they #include_next them).
set(NEARFAAS_SDK_OVERLAY_FLAGS -isystem${NEARFAAS_SDK_SYSROOT}/overlay/include)

# Code generation and language flags for C and C++ (without target/sysroot).
set(NEARFAAS_SDK_CODEGEN_FLAGS -O2 -mno-simd128 -mno-atomics -mbulk-memory -D__faasm)

# Everything a compile needs, for compilers driven directly.
set(NEARFAAS_SDK_COMPILE_FLAGS
  --target=${NEARFAAS_SDK_TARGET} --sysroot=${NEARFAAS_SDK_SYSROOT} ${NEARFAAS_SDK_OVERLAY_FLAGS}
  ${NEARFAAS_SDK_CODEGEN_FLAGS})

# Added for C++ sources.
set(NEARFAAS_SDK_CXX_FLAGS -fno-exceptions)

# Linker settings of a function: 4 MiB stack placed first (so __heap_base ==
# __data_end), 16 MiB initial and 4 GiB - 64 KiB maximum memory, the exports
# the runtime needs besides memory and _start, and Faasm's link rule: the
# symbols in libfaasm.imports (every `env` function the runtime provides) may
# stay undefined and become imports; any other undefined symbol fails the
# link, naming it.
set(NEARFAAS_SDK_LINK_FLAGS
  -nostartfiles
  -Wl,--stack-first
  -Wl,-z,stack-size=4194304
  -Wl,--initial-memory=16777216
  -Wl,--max-memory=4294901760
  -Wl,--export=__heap_base
  -Wl,--export=__data_end
  -Wl,--export=__wasm_call_ctors
  -Wl,--export=_faasm_zygote
  -Wl,--allow-undefined-file=${NEARFAAS_SDK_IMPORTS}
  -Wl,--strip-debug)

# Libraries after libfaasm.a on the link line (as Faasm links them), plus
# wasi-libc's signal emulation (signal, raise) behind the overlay <signal.h>.
set(NEARFAAS_SDK_LINK_LIBS -lc-printscan-long-double -lwasi-emulated-signal)
