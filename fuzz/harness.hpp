// Shared by the fuzz harnesses: the input as a file for readers that take a path, and the rule
// every harness enforces: bad input ends in an xgrad::Error (caught here) or in a valid result;
// any other exception escapes to libFuzzer, which reports it as a crash.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "tensor/tensor.hpp"

namespace xgrad::fuzz {

// This process's folder for input files (in /dev/shm when there is one: no disk writes per run),
// removed at exit.
inline const std::filesystem::path& scratch_dir() {
  struct Dir {
    std::filesystem::path path;
    Dir() {
      namespace fs = std::filesystem;
      const fs::path base =
          fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
      path = base / ("xgrad-fuzz." + std::to_string(::getpid()));
      fs::create_directories(path);
    }
    ~Dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const Dir dir;
  return dir.path;
}

// Writes `size` bytes to scratch_dir()/name, replacing what was there; returns the path.
inline std::string write_file(const std::string& name, const void* data, std::size_t size) {
  const std::string path = (scratch_dir() / name).string();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || (size && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
    std::fprintf(stderr, "fuzz harness: cannot write %s\n", path.c_str());
    std::abort();
  }
  return path;
}

// Runs f(); returns false when it threw an xgrad::Error (the expected outcome for bad input).
template <class F>
bool succeeds(F&& f) {
  try {
    f();
    return true;
  } catch (const xgrad::Error&) {
    return false;
  }
}

// A property of an accepted input that must hold; a violation aborts (libFuzzer saves the input).
#define XGRAD_FUZZ_CHECK(cond)                                                              \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      std::fprintf(stderr, "%s:%d: fuzz property failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                         \
    }                                                                                       \
  } while (0)

// Same dtype, shape and bytes (NaNs compare by their bits).
inline bool same_tensor(const Tensor& a, const Tensor& b) {
  if (a.defined() != b.defined()) return false;
  if (!a.defined()) return true;
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  if (a.numel() == 0) return true;
  const Tensor x = a.contiguous_copy(), y = b.contiguous_copy();
  return std::memcmp(x.raw_data(), y.raw_data(),
                     static_cast<std::size_t>(x.numel()) * dtype_size(x.dtype())) == 0;
}

}  // namespace xgrad::fuzz
