#!/usr/bin/env bash
# Installs the build into a temporary root, then compiles and runs tests/install/outside.cpp
# against that copy using only pkg-config.
set -euo pipefail
build=$1 source=$2 extra_flags=${3:-}  # extra_flags: the build's -fsanitize=..., if any
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
meson install -C "$build" --destdir "$root" --no-rebuild --quiet > /dev/null
pc=$(dirname "$(find "$root" -name xgrad.pc | head -1)")
# Only public headers are installed, and they stand alone: every quoted include in an installed
# header names another installed header.
include_root=$(dirname "$(find "$root" -name xgrad.hpp | head -1)")
for header in $(cd "$include_root" && find . -name '*.hpp' | sort); do
  for wanted in $(grep -o '^#include "[^"]*"' "$include_root/$header" | cut -d'"' -f2); do
    [ -e "$include_root/$wanted" ] || { echo "FAIL: installed $header includes $wanted, which is not installed"; exit 1; }
  done
done
for internal in tensor/impl_access.hpp tensor/strided.hpp tensor/xt_adapt.hpp tensor/lapack.hpp \
                autograd/view_ops.hpp optim/update_loop.hpp; do
  [ ! -e "$include_root/$internal" ] || { echo "FAIL: the internal header $internal is installed"; exit 1; }
done
echo "installed headers: $(cd "$include_root" && find . -name '*.hpp' | wc -l), each finds what it includes"
export PKG_CONFIG_PATH="$pc" PKG_CONFIG_SYSROOT_DIR="$root"
flags=$(pkg-config --cflags --libs xgrad)
echo "pkg-config: $flags"
g++ -std=c++20 -O1 $extra_flags "$source/tests/install/outside.cpp" -o "$root/outside" $flags
LD_LIBRARY_PATH="$(dirname "$pc")" "$root/outside"
