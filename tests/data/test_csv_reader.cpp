// data/csv_reader.cpp: CSV and whitespace-separated files, and errors naming file, line, column.
#include "../helpers.hpp"
#include "temp_files.hpp"

using namespace xgrad;
using namespace xgrad::data;
using namespace xgrad::testing::files;

TEST_CASE("CSV: header, quotes, columns, target, string columns, missing values") {
  std::string p =
      write("t.csv", "a,\"b, quoted\",color,y\n1,2,red,10\n3,\"4\",blue,20\n5,6,red,30\n");
  CsvTable t = read_csv(p, {.target = "y"});
  CHECK(t.feature_names == std::vector<std::string>{"a", "b, quoted", "color=blue", "color=red"});
  CHECK(t.features.shape() == Shape{3, 4});
  CHECK(t.features.to_vector() == std::vector<double>{1, 2, 0, 1, 3, 4, 1, 0, 5, 6, 0, 1});
  CHECK(t.target.to_vector() == std::vector<double>{10, 20, 30});
  CsvTable codes = read_csv(p, {.target_index = -1, .categorical = CategoricalEncoding::codes});
  CHECK(codes.features.to_vector() == std::vector<double>{1, 2, 1, 3, 4, 0, 5, 6, 1});
  CHECK(codes.encodings.at("color").categories == std::vector<std::string>{"blue", "red"});
  CsvTable sel = read_csv(p, {.columns = {"a"}, .target_index = 3});
  CHECK(sel.features.shape() == Shape{3, 1});
  CsvTable idx = read_csv(p, {.column_indices = {1, 0}, .target = "y"});
  CHECK(idx.features.to_vector()[0] == 2);
  // Reusing the training mapping on test data; an unknown category is an error.
  std::string q = write("q.csv", "a,b,color,y\n1,1,red,1\n");
  CsvTable test = read_csv(q, {.target = "y", .encodings = t.encodings});
  CHECK(test.features.to_vector() == std::vector<double>{1, 1, 0, 1});
  std::string u = write("u.csv", "a,b,color,y\n1,1,green,1\n");
  CHECK_ERROR_MESSAGE(read_csv(u, {.target = "y", .encodings = t.encodings}),
                      "u.csv:2:3: unknown category \"green\" in column \"color\"");
  // Missing values.
  std::string m = write("m.csv", "x,z,y\n1,NA,1\n?,4,2\n3,6,3\n");
  CHECK_ERROR_MESSAGE(read_csv(m, {.target = "y"}), "m.csv:2:2: missing value");
  CHECK(read_csv(m, {.target = "y", .missing = MissingPolicy::zero}).features.to_vector() ==
        std::vector<double>{1, 0, 0, 4, 3, 6});
  CHECK(read_csv(m, {.target = "y", .missing = MissingPolicy::mean}).features.to_vector() ==
        std::vector<double>{1, 5, 2, 4, 3, 6});
  CsvTable dropped = read_csv(m, {.target = "y", .missing = MissingPolicy::drop_row});
  CHECK(dropped.rows() == 1);
  CHECK(dropped.source_lines == std::vector<int64_t>{4});
  // Mean from the training rows only, then reused.
  CsvTable raw = read_csv(m, {.target = "y", .missing = MissingPolicy::drop_row});
  Tensor f = from_vector(std::vector<double>{1, std::nan(""), std::nan(""), 4, 3, 6}, {3, 2});
  std::vector<double> means = impute_mean(f, {0, 1});
  CHECK(means == std::vector<double>{1, 4});
  CHECK(f.to_vector() == std::vector<double>{1, 4, 1, 4, 3, 6});
}

TEST_CASE("CSV errors name file, line and column") {
  CHECK_ERROR_MESSAGE(read_csv(write("bad.csv", "a,b\n1,2\n3,abc\n")),
                      "bad.csv:3:2: expected a number, got \"abc\"");
  CHECK_ERROR_MESSAGE(read_csv(write("ragged.csv", "a,b\n1,2\n3\n")),
                      "ragged.csv:3: expected 2 fields, got 1");
  CHECK_ERROR_MESSAGE(read_csv(write("empty.csv", "")), "empty.csv: empty file");
  CHECK_ERROR_MESSAGE(read_csv(write("hdr.csv", "a,b\n")), "hdr.csv: no data rows");
  // Every row dropped for a missing value gave a table of 0 rows (found by fuzz/fuzz_csv).
  CHECK_ERROR_MESSAGE(read_csv(write("all-missing.csv", "a,NaN\n"),
                               {.header = false, .missing = MissingPolicy::drop_row}),
                      "all-missing.csv: no rows left: each of the 1 data rows has a missing value "
                      "(missing = drop_row)");
  CHECK_ERROR_MESSAGE(read_csv(write("nt.csv", "a,b\n1,2\n"), {.target = "price"}),
                      "nt.csv: no column named \"price\"");
  CHECK_ERROR_MESSAGE(read_csv(write("q.csv", "a,b\n\"1,2\n")),
                      "q.csv:2: unterminated quoted field");
  CHECK_ERROR_MESSAGE(read_csv(tmp("does-not-exist.csv")),
                      ("idx: " + tmp("does-not-exist.csv") + ": cannot open file").c_str());
  std::string binary("a,b\n\x01\x02\xff,\x80\n", 11);
  CHECK_THROWS_AS(read_csv(write("bin.csv", binary)), Error);
}

TEST_CASE("whitespace matrices (UCI HAR layout)") {
  Tensor m = read_whitespace_matrix(write("X.txt", "  1.5e-1 -2  3\n4 5 6\n\n"));
  CHECK(m.shape() == Shape{2, 3});
  CHECK(m.at({0, 0}) == doctest::Approx(0.15));
  CHECK_ERROR_MESSAGE(read_whitespace_matrix(write("r.txt", "1 2 3\n4 5\n")),
                      "r.txt:2: ragged row with 2 values, expected 3");
  CHECK_ERROR_MESSAGE(read_whitespace_matrix(write("n.txt", "1 x\n")),
                      "n.txt:1:2: expected a number, got \"x\"");
  CHECK_ERROR_MESSAGE(read_whitespace_matrix(write("e.txt", "\n")), "e.txt: empty file");
}
