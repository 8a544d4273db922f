// IDX decoding with zlib for .gz files.
#include "data/idx_reader.hpp"

#include <zlib.h>

#include <filesystem>
#include <fstream>

namespace xgrad::data {

namespace {
[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw Error("idx: " + path + ": " + what);
}

uint32_t be32(const std::string& b, std::size_t at) {
  return (uint32_t(uint8_t(b[at])) << 24) | (uint32_t(uint8_t(b[at + 1])) << 16) |
         (uint32_t(uint8_t(b[at + 2])) << 8) | uint32_t(uint8_t(b[at + 3]));
}

// Validates the header; returns the dimension sizes.
std::vector<int64_t> parse_header(const std::string& path, const std::string& bytes, int dims) {
  if (bytes.size() < 4u + 4u * dims)
    fail(path, "file too short for an IDX header (" + std::to_string(bytes.size()) + " bytes)");
  const uint32_t magic = be32(bytes, 0);
  const uint32_t expected = 0x0800u | static_cast<uint32_t>(dims);
  if (magic != expected) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "bad magic number 0x%08x (expected 0x%08x)", magic, expected);
    fail(path, buf);
  }
  std::vector<int64_t> sizes;
  uint64_t payload = 1;
  for (int d = 0; d < dims; ++d) {
    sizes.push_back(be32(bytes, 4 + 4 * d));
    payload *= static_cast<uint64_t>(sizes.back());
  }
  const uint64_t want = 4 + 4 * static_cast<uint64_t>(dims) + payload;
  if (bytes.size() != want)
    fail(path, std::string(bytes.size() < want ? "truncated" : "trailing bytes") + ": " +
                   std::to_string(bytes.size()) + " bytes, the header implies " +
                   std::to_string(want));
  return sizes;
}

template <class Fill>
Tensor decode(const std::string& path, int dims, Dtype dtype, Fill fill) {
  std::string bytes = read_maybe_gzipped(path);
  std::vector<int64_t> sizes = parse_header(path, bytes, dims);
  Tensor t = empty(Shape(sizes.begin(), sizes.end()), dtype);
  const auto* src = reinterpret_cast<const uint8_t*>(bytes.data() + 4 + 4 * dims);
  if (dtype == Dtype::float32)
    fill(src, t.data<float>(), t.numel());
  else
    fill(src, t.data<double>(), t.numel());
  return t;
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

Tensor read_idx_labels(const std::string& path, Dtype dtype) {
  return decode(path, 1, dtype, [](const uint8_t* s, auto* d, int64_t n) {
    for (int64_t i = 0; i < n; ++i) d[i] = s[i];
  });
}

Tensor read_idx_images(const std::string& path, Dtype dtype) {
  return decode(path, 3, dtype, [](const uint8_t* s, auto* d, int64_t n) {
    using T = std::remove_pointer_t<decltype(d)>;
    const T scale = T(1) / T(255);
    for (int64_t i = 0; i < n; ++i) d[i] = static_cast<T>(s[i]) * scale;
  });
}

MnistSplit load_mnist(const std::string& dir, bool train, Dtype dtype) {
  namespace fs = std::filesystem;
  const std::string prefix = train ? "train" : "t10k";
  auto find = [&](const std::string& stem) {
    for (const std::string& name : {stem + ".gz", stem}) {
      fs::path p = fs::path(dir) / name;
      if (fs::exists(p)) return p.string();
    }
    throw Error("load_mnist: no " + stem + "[.gz] in " + dir);
  };
  MnistSplit s{read_idx_images(find(prefix + "-images-idx3-ubyte"), dtype),
               read_idx_labels(find(prefix + "-labels-idx1-ubyte"), dtype)};
  if (s.images.shape()[0] != s.labels.shape()[0])
    throw Error("load_mnist: " + std::to_string(s.images.shape()[0]) + " images but " +
                std::to_string(s.labels.shape()[0]) + " labels in " + dir);
  return s;
}

}  // namespace xgrad::data
