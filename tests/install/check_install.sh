#!/usr/bin/env bash
# Installs the build into a temporary root, then compiles and runs tests/install/outside.cpp
# against that copy using only pkg-config.
set -euo pipefail
build=$1 source=$2 extra_flags=${3:-}  # extra_flags: the build's -fsanitize=..., if any
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
meson install -C "$build" --destdir "$root" --no-rebuild --quiet > /dev/null
pc=$(dirname "$(find "$root" -name xgrad.pc | head -1)")
export PKG_CONFIG_PATH="$pc" PKG_CONFIG_SYSROOT_DIR="$root"
flags=$(pkg-config --cflags --libs xgrad)
echo "pkg-config: $flags"
g++ -std=c++20 -O1 $extra_flags "$source/tests/install/outside.cpp" -o "$root/outside" $flags
LD_LIBRARY_PATH="$(dirname "$pc")" "$root/outside"
