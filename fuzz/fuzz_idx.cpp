// Fuzz harness for the IDX reader (data/idx_reader.cpp), plain and gzipped: the input is read as
// labels (idx1), images (idx3) and image bytes; gzip input goes through zlib as it is. Input that
// is not gzip is also compressed and read again, and must give the same result as the plain
// file: the same tensor, or an error.
#include <zlib.h>

#include "data/idx_reader.hpp"
#include "harness.hpp"

using namespace xgrad;
using namespace xgrad::data;

namespace {

struct Outcome {
  bool ok = false;
  Tensor labels, images;
  IdxBytes bytes;
};

Outcome read_all(const std::string& path) {
  Outcome o;
  const bool labels = fuzz::succeeds([&] { o.labels = read_idx_labels(path); });
  const bool images = fuzz::succeeds([&] { o.images = read_idx_images(path); });
  const bool bytes = fuzz::succeeds([&] { o.bytes = read_idx_image_bytes(path); });
  XGRAD_FUZZ_CHECK(images == bytes);  // one header check for both idx3 readers
  if (labels) XGRAD_FUZZ_CHECK(o.labels.dim() == 1 && o.labels.dtype() == Dtype::int64);
  if (images) {
    XGRAD_FUZZ_CHECK(o.images.dim() == 3 && o.bytes.shape == o.images.shape());
    XGRAD_FUZZ_CHECK(static_cast<int64_t>(o.bytes.pixels.size()) == o.images.numel());
  }
  o.ok = labels || images;
  return o;
}

std::string gzip(const uint8_t* data, size_t size) {
  z_stream s{};
  // windowBits 15 + 16: a gzip wrapper, as `gzip` writes it.
  if (deflateInit2(&s, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  std::string out(deflateBound(&s, static_cast<uLong>(size)) + 32, '\0');
  s.next_in = const_cast<Bytef*>(data);
  s.avail_in = static_cast<uInt>(size);
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  if (deflate(&s, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Outcome plain = read_all(fuzz::write_file("input-idx-ubyte", data, size));
  const bool is_gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
  if (!is_gzip) {
    const std::string z = gzip(data, size);
    const Outcome packed = read_all(fuzz::write_file("input-idx-ubyte.gz", z.data(), z.size()));
    XGRAD_FUZZ_CHECK(plain.ok == packed.ok);
    XGRAD_FUZZ_CHECK(fuzz::same_tensor(plain.labels, packed.labels));
    XGRAD_FUZZ_CHECK(fuzz::same_tensor(plain.images, packed.images));
    XGRAD_FUZZ_CHECK(plain.bytes.pixels == packed.bytes.pixels);
  }
  return 0;
}
