# The compile and link settings of a NearFaaS function, in one place. Read by
# WasiToolchain.cmake (user projects), by the NearFaaS build (libfaasm,
# func/, and the generated src/sdk_config.h that `nearfaas func build` uses).
# Only variables are set here; nothing else.
#
# The settings follow Faasm's toolchain (faasmtools/build.py): wasm32-wasi
# against wasi-libc and libc++ (Debian installs them with sysroot /usr),
# no exceptions, no SIMD and no atomics (wasm2c 1.0.32 supports neither),
# bulk memory on. Functions are linked with -nostartfiles: libfaasm brings
# its own _start that does not run static constructors (the runtime does,
# once, before the snapshot every call starts from).

set(NEARFAAS_SDK_TARGET wasm32-wasi)
set(NEARFAAS_SDK_SYSROOT /usr)

# Code generation and language flags for C and C++ (without target/sysroot).
set(NEARFAAS_SDK_CODEGEN_FLAGS -O2 -mno-simd128 -mno-atomics -mbulk-memory -D__faasm)

# Everything a compile needs, for compilers driven directly.
set(NEARFAAS_SDK_COMPILE_FLAGS
  --target=${NEARFAAS_SDK_TARGET} --sysroot=${NEARFAAS_SDK_SYSROOT} ${NEARFAAS_SDK_CODEGEN_FLAGS})

# Added for C++ sources.
set(NEARFAAS_SDK_CXX_FLAGS -fno-exceptions)

# Linker settings of a function: 4 MiB stack placed first (so __heap_base ==
# __data_end), 16 MiB initial and 4 GiB - 64 KiB maximum memory, and the
# exports the runtime needs besides memory and _start.
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
  -Wl,--strip-debug)

# Libraries after libfaasm.a on the link line (as Faasm links them).
set(NEARFAAS_SDK_LINK_LIBS -lc-printscan-long-double)
