// IDX decoding; .gz files are inflated by data/gzip.cpp.
#include "data/idx_reader.hpp"

#include "tensor/dispatch.hpp"

#include <algorithm>
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
  int64_t span = 1;  // the product of the nonzero sizes: the tensor's strides must hold it
  bool overflow = false;
  for (int d = 0; d < dims; ++d) {
    sizes.push_back(be32(bytes, 4 + 4 * d));
    payload *= static_cast<uint64_t>(sizes.back());
    // Three 32-bit sizes can multiply past 2^64 (2^31 x 2^31 x 4 wraps to a 0-byte payload).
    overflow |= __builtin_mul_overflow(span, std::max<int64_t>(sizes.back(), 1), &span);
  }
  if (overflow)
    fail(path, "dimensions " + format_shape(Shape(sizes.begin(), sizes.end())) +
                   " are too large: their product overflows int64");
  const uint64_t want = 4 + 4 * static_cast<uint64_t>(dims) + payload;
  if (bytes.size() != want)
    fail(path, std::string(bytes.size() < want ? "truncated" : "trailing bytes") + ": " +
                   std::to_string(bytes.size()) + " bytes, the header implies " +
                   std::to_string(want));
  return sizes;
}

// The file's header sizes and a view of its payload (valid while `bytes` lives).
struct Payload {
  std::vector<int64_t> sizes;
  const uint8_t* data;
};
Payload read_payload(const std::string& path, int dims, std::string& bytes) {
  bytes = read_maybe_gzipped(path);
  std::vector<int64_t> sizes = parse_header(path, bytes, dims);
  return {sizes, reinterpret_cast<const uint8_t*>(bytes.data() + 4 + 4 * dims)};
}

template <class Fill>
Tensor decode(const std::string& path, int dims, Dtype dtype, Fill fill) {
  std::string bytes;
  Payload p = read_payload(path, dims, bytes);
  Tensor t = empty(Shape(p.sizes.begin(), p.sizes.end()), dtype);
  dispatch(dtype, [&]<class T>() { fill(p.data, t.data<T>(), t.numel()); });
  return t;
}

}  // namespace

Tensor read_idx_labels(const std::string& path, Dtype dtype) {
  return decode(path, 1, dtype, [](const uint8_t* s, auto* d, int64_t n) {
    using T = std::remove_pointer_t<decltype(d)>;
    for (int64_t i = 0; i < n; ++i) d[i] = convert<T>(s[i]);
  });
}

Tensor read_idx_images(const std::string& path, Dtype dtype) {
  if (!is_floating_point(dtype))
    throw Error(std::string("read_idx_images: pixels scale to [0, 1], so the dtype must be "
                            "floating-point, got ") +
                dtype_name(dtype) + "; read_idx_image_bytes keeps the bytes");
  return decode(path, 3, dtype, [](const uint8_t* s, auto* d, int64_t n) {
    using T = std::remove_pointer_t<decltype(d)>;
    const T scale = T(1) / T(255);
    for (int64_t i = 0; i < n; ++i) d[i] = static_cast<T>(static_cast<T>(s[i]) * scale);
  });
}

IdxBytes read_idx_image_bytes(const std::string& path) {
  std::string bytes;
  Payload p = read_payload(path, 3, bytes);
  IdxBytes out{Shape(p.sizes.begin(), p.sizes.end()), {}};
  out.pixels.assign(p.data, p.data + shape_numel(out.shape));
  return out;
}

namespace {
// `train-images-idx3-ubyte[.gz]` or `t10k-labels-idx1-ubyte[.gz]`, ... in `dir`.
std::string mnist_file(const std::string& dir, bool train, const std::string& what) {
  namespace fs = std::filesystem;
  const std::string stem = (train ? "train-" : "t10k-") + what;
  for (const std::string& name : {stem + ".gz", stem}) {
    fs::path p = fs::path(dir) / name;
    if (fs::exists(p)) return p.string();
  }
  throw Error("load_mnist: no " + stem + "[.gz] in " + dir);
}

void check_counts(int64_t images, int64_t labels, const std::string& dir) {
  if (images != labels)
    throw Error("load_mnist: " + std::to_string(images) + " images but " + std::to_string(labels) +
                " labels in " + dir);
}
}  // namespace

MnistSplit load_mnist(const std::string& dir, bool train, Dtype dtype, ImageLayout layout) {
  MnistSplit s{read_idx_images(mnist_file(dir, train, "images-idx3-ubyte"), dtype),
               read_idx_labels(mnist_file(dir, train, "labels-idx1-ubyte"))};
  check_counts(s.images.shape()[0], s.labels.shape()[0], dir);
  if (layout == ImageLayout::nchw) {
    const Shape& hw = s.images.shape();
    s.images = alias_with_shape(s.images, {hw[0], 1, hw[1], hw[2]});
  }
  return s;
}

std::shared_ptr<ByteImageDataset> load_mnist_dataset(const std::string& dir, bool train,
                                                     ImageLayout layout) {
  IdxBytes images = read_idx_image_bytes(mnist_file(dir, train, "images-idx3-ubyte"));
  Tensor labels = read_idx_labels(mnist_file(dir, train, "labels-idx1-ubyte"));
  check_counts(images.shape[0], labels.shape()[0], dir);
  Shape example(images.shape.begin() + 1, images.shape.end());
  if (layout == ImageLayout::nchw) example.insert(example.begin(), int64_t{1});
  return std::make_shared<ByteImageDataset>(std::move(images.pixels), example, labels);
}

}  // namespace xgrad::data
