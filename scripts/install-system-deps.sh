#!/usr/bin/env bash
# Install the Debian packages aot-wasm's build, tests, demo and benchmarks need.
#   gcc, binutils   the runtime's C support; `aot compile`'s linker (ld)
#   lld             aarch64 cross links (ld.lld) and wasm-ld for C plugins
#   clang, wasi-libc, libclang-rt-14-dev-wasm32
#                   C plugins and WASI programs built to Wasm by the demo and tests
#   wabt            wasm2c, a runner of the benchmarks
#   make            the README's commands
set -euo pipefail
pkgs=(gcc binutils make lld clang wasi-libc libclang-rt-14-dev-wasm32 wabt)
need=()
for pkg in "${pkgs[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${need[*]}; install them (as root: $0)" >&2
  exit 1
fi
echo "installing ${need[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
