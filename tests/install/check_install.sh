#!/usr/bin/env bash
# Installs the build into a temporary root, checks the installed headers, then compiles and runs
# tests/install/outside.cpp against that copy twice: with pkg-config, and with CMake's
# find_package(xgrad) (when cmake is installed).
set -euo pipefail
build=$1 source=$2 extra_flags=${3:-}  # extra_flags: the build's -fsanitize=..., if any
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
meson install -C "$build" --destdir "$root" --no-rebuild --quiet > /dev/null
pc=$(dirname "$(find "$root" -name xgrad.pc | head -1)")
libdir=$(dirname "$pc")

# Only public headers are installed, under <includedir>/xgrad/, and they stand alone: every
# quoted include in an installed header names another installed header.
include_root=$(dirname "$(find "$root" -path '*/include/xgrad/xgrad.hpp' | head -1)")
[ -f "$include_root/../xgrad.hpp" ] || { echo "FAIL: no top-level xgrad.hpp"; exit 1; }
for header in $(cd "$include_root" && find . -name '*.hpp' | sort); do
  for wanted in $(grep -o '^#include "[^"]*"' "$include_root/$header" | cut -d'"' -f2); do
    [ -e "$(dirname "$include_root/$header")/$wanted" ] ||
      { echo "FAIL: installed $header includes $wanted, which is not installed"; exit 1; }
  done
done
for internal in tensor/impl_access.hpp tensor/strided.hpp tensor/xt_adapt.hpp tensor/lapack.hpp \
                autograd/view_ops.hpp optim/update_loop.hpp; do
  [ ! -e "$include_root/$internal" ] || { echo "FAIL: the internal header $internal is installed"; exit 1; }
done
echo "installed headers: $(cd "$include_root" && find . -name '*.hpp' | wc -l), each finds what it includes"

# pkg-config (--static: a static libxgrad needs its dependencies named; harmless for a shared one)
export PKG_CONFIG_PATH="$pc" PKG_CONFIG_SYSROOT_DIR="$root"
flags=$(pkg-config --cflags --libs --static xgrad)
echo "pkg-config: $flags"
g++ -std=c++20 -O1 $extra_flags "$source/tests/install/outside.cpp" -o "$root/outside" $flags
LD_LIBRARY_PATH="$libdir" "$root/outside"

# CMake
if ! command -v cmake > /dev/null; then
  echo "cmake not installed: the CMake package was not tried"
  exit 0
fi
prefix=$(dirname "$(dirname "$include_root")")
cp "$source/tests/install/CMakeLists.txt" "$source/tests/install/outside.cpp" "$root/"
cmake -S "$root" -B "$root/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_COMPILER=g++ \
  -DCMAKE_CXX_FLAGS="-O1 $extra_flags" -DCMAKE_BUILD_TYPE=Release > "$root/cmake.log" 2>&1 ||
  { cat "$root/cmake.log"; echo "FAIL: cmake could not configure against the installed package"; exit 1; }
cmake --build "$root/cmake-build" > "$root/cmake-build.log" 2>&1 ||
  { cat "$root/cmake-build.log"; echo "FAIL: the CMake consumer did not build"; exit 1; }
echo "cmake: find_package(xgrad) $(grep -o 'set(PACKAGE_VERSION "[^"]*")' "$(find "$root" -name xgrad-config-version.cmake -o -name xgradConfigVersion.cmake | head -1)")"
LD_LIBRARY_PATH="$libdir" "$root/cmake-build/outside_cmake"
