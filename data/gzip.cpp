// Whole-file reads through zlib: plain files are returned as they are, gzip streams inflated
// with every zlib error reported.
#include "data/gzip.hpp"

#include <zlib.h>

#include <cstdint>
#include <fstream>
#include <iterator>

#include "tensor/tensor.hpp"

namespace xgrad::data {

namespace {
[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw Error("idx: " + path + ": " + what);
}
}  // namespace

std::string read_maybe_gzipped(const std::string& path) {
  std::ifstream probe(path, std::ios::binary);
  if (!probe) fail(path, "cannot open file");
  char head[2] = {0, 0};
  probe.read(head, 2);
  const bool gz = probe.gcount() == 2 && uint8_t(head[0]) == 0x1f && uint8_t(head[1]) == 0x8b;
  if (!gz) {
    probe.clear();
    probe.seekg(0);
    return std::string((std::istreambuf_iterator<char>(probe)), {});
  }
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) fail(path, "cannot open gzip stream");
  gzbuffer(f, 1 << 17);
  std::string out;
  char buf[1 << 16];
  for (;;) {
    int n = gzread(f, buf, sizeof buf);
    if (n < 0) {
      int err = 0;
      std::string msg = gzerror(f, &err);
      gzclose(f);
      fail(path, "corrupt gzip data: " + msg);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  int err = 0;
  const char* msg = gzerror(f, &err);
  if (err != Z_OK && err != Z_STREAM_END) {
    std::string m = msg;
    gzclose(f);
    fail(path, "corrupt or truncated gzip data: " + m);
  }
  if (gzclose(f) != Z_OK) fail(path, "truncated gzip data");
  return out;
}

}  // namespace xgrad::data
