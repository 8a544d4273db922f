// Fuzz harness for the CSV reader (data/csv_reader.cpp, read_csv): the input is a CSV file,
// read the ways the library's users read one (header or not, a target column, each missing-value
// policy, one-hot or codes, another delimiter). Accepted tables must be consistent.
#include "data/csv_reader.hpp"
#include "harness.hpp"

using namespace xgrad;
using namespace xgrad::data;

namespace {

void check_table(const CsvTable& t) {
  XGRAD_FUZZ_CHECK(t.features.dim() == 2);
  const int64_t rows = t.features.shape()[0];
  XGRAD_FUZZ_CHECK(rows > 0);
  XGRAD_FUZZ_CHECK(t.features.shape()[1] == static_cast<int64_t>(t.feature_names.size()));
  XGRAD_FUZZ_CHECK(static_cast<int64_t>(t.source_lines.size()) == rows);
  if (t.target.defined()) XGRAD_FUZZ_CHECK(t.target.shape() == Shape{rows});
  for (const auto& [name, map] : t.encodings)
    for (std::size_t i = 1; i < map.categories.size(); ++i)
      XGRAD_FUZZ_CHECK(map.categories[i - 1] < map.categories[i]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::write_file("input.csv", data, size);
  static const CsvOptions variants[] = {
      {},  // header, every column a feature, missing values are errors
      {.target_index = -1, .missing = MissingPolicy::mean},  // as xgrad-train reads a file
      {.header = false,
       .target_index = 0,
       .missing = MissingPolicy::drop_row,
       .categorical = CategoricalEncoding::codes},
      {.delimiter = ';', .skip_lines = 1, .missing = MissingPolicy::zero, .dtype = Dtype::float64},
  };
  for (const CsvOptions& options : variants) {
    fuzz::succeeds([&] {
      CsvTable t = read_csv(path, options);
      check_table(t);
      // Test rows read with the training file's encodings (what `predict` does).
      CsvOptions reuse = options;
      reuse.encodings = t.encodings;
      fuzz::succeeds([&] { check_table(read_csv(path, reuse)); });
    });
  }
  return 0;
}
