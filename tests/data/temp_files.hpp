// Temporary files for the data/ tests: plain, gzipped, and big-endian words for IDX headers.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace xgrad::testing::files {

inline std::string tmp(const std::string& name) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "xgrad_data_test";
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}
inline std::string write(const std::string& name, const std::string& text) {
  std::string p = tmp(name);
  std::ofstream(p, std::ios::binary) << text;
  return p;
}
inline std::string gzip(const std::string& name, const std::string& bytes) {
  std::string p = tmp(name);
  gzFile f = gzopen(p.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
  return p;
}
inline std::string be32(uint32_t v) {
  return {char(v >> 24), char((v >> 16) & 0xff), char((v >> 8) & 0xff), char(v & 0xff)};
}

}  // namespace xgrad::testing::files
