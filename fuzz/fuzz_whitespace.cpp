// Fuzz harness for the whitespace-separated matrix reader (data/csv_reader.cpp,
// read_whitespace_matrix: the UCI HAR layout of X_train.txt / y_train.txt that examples/har.cpp
// reads). Accepted input must give a (rows, cols) matrix holding every number.
#include "data/csv_reader.hpp"
#include "harness.hpp"

using namespace xgrad;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::write_file("X_train.txt", data, size);
  for (Dtype dtype : {Dtype::float32, Dtype::float64}) {
    fuzz::succeeds([&] {
      Tensor m = data::read_whitespace_matrix(path, dtype);
      XGRAD_FUZZ_CHECK(m.dim() == 2 && m.shape()[0] > 0 && m.shape()[1] > 0);
      XGRAD_FUZZ_CHECK(m.dtype() == dtype);
      XGRAD_FUZZ_CHECK(static_cast<int64_t>(m.to_vector().size()) == m.numel());
    });
  }
  return 0;
}
