// data/idx_reader.cpp: IDX files, raw and gzipped, and every malformed case.
#include <fstream>
#include <tuple>

#include "../helpers.hpp"
#include "temp_files.hpp"

using namespace xgrad;
using namespace xgrad::data;
using namespace xgrad::testing::files;

TEST_CASE("IDX files: raw and gzipped, and every malformed case") {
  std::string labels = be32(2049) + be32(3) + std::string("\x01\x00\x09", 3);
  std::string images =
      be32(2051) + be32(2) + be32(2) + be32(2) + std::string("\x00\xff\x80\x01\x02\x03\x04\x05", 8);
  CHECK(read_idx_labels(write("l.idx", labels)).to_vector() == std::vector<double>{1, 0, 9});
  Tensor im = read_idx_images(gzip("i.idx.gz", images));
  CHECK(im.shape() == Shape{2, 2, 2});
  CHECK(im.at({0, 0, 1}) == 1.0f);
  CHECK(im.at({0, 1, 0}) == doctest::Approx(128.0 / 255));
  std::string p = tmp("wrong-magic");
  CHECK_ERROR_MESSAGE(
      read_idx_labels(write("wrong-magic", images)),
      ("idx: " + p + ": bad magic number 0x00000803 (expected 0x00000801)").c_str());
  p = tmp("short.idx");
  CHECK_ERROR_MESSAGE(read_idx_labels(write("short.idx", labels.substr(0, 10))),
                      ("idx: " + p + ": truncated: 10 bytes, the header implies 11").c_str());
  p = tmp("tiny.idx");
  CHECK_ERROR_MESSAGE(read_idx_images(write("tiny.idx", "ab")),
                      ("idx: " + p + ": file too short for an IDX header (2 bytes)").c_str());
  // Sizes whose byte count wraps 64 bits: 2^31 x 2^31 x 4 "fit" in a 16-byte file; and an
  // empty (0, ...) shape whose other sizes overflow (its strides cannot exist), which
  // read_idx_images refused and read_idx_image_bytes accepted (found by fuzz/fuzz_idx).
  for (const auto& [name, header, shape] :
       {std::tuple{"wrap.idx", be32(1u << 31) + be32(1u << 31) + be32(4),
                   "(2147483648, 2147483648, 4)"},
        std::tuple{"empty-wrap.idx", be32(0) + be32(0xea60004bu) + be32(0xd0000000u),
                   "(0, 3932160075, 3489660928)"}}) {
    const std::string path = write(name, be32(2051) + header);
    const std::string message =
        "idx: " + path + ": dimensions " + shape + " are too large: their product overflows int64";
    CHECK_ERROR_MESSAGE(read_idx_image_bytes(path), message.c_str());
    CHECK_ERROR_MESSAGE(read_idx_images(path), message.c_str());
  }
  // A gzip file cut in half.
  std::string whole = gzip("whole.gz", images + std::string(5000, '\x07'));
  std::ifstream in(whole, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  CHECK_THROWS_WITH_AS(read_idx_images(write("cut.gz", bytes.substr(0, bytes.size() / 2))),
                       doctest::Contains("gzip"), Error);
  std::string corrupt = bytes;
  for (std::size_t i = 12; i < corrupt.size() - 8; ++i)
    corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5a);
  CHECK_THROWS_AS(read_idx_images(write("corrupt.gz", corrupt)), Error);
}
