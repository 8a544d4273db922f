// CSV and whitespace-separated numeric files. Every error names the file, line and column
// (`boston.csv:17:4: expected a number, got "abc"`); bad bytes never crash the reader.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "../tensor/tensor.hpp"

namespace xgrad::data {

enum class MissingPolicy { error, zero, mean, drop_row };
enum class CategoricalEncoding { codes, one_hot };

// A string column's categories; the mapping learned on training data is reused on test data.
struct CategoryMap {
  std::vector<std::string> categories;           // sorted; code = position
  int64_t code(const std::string& value) const;  // -1 when unknown
};

struct CsvOptions {
  char delimiter = ',';
  bool header = true;      // the first (non-skipped) line holds column names
  int64_t skip_lines = 0;  // lines before the header (e.g. sklearn's "150,4,setosa,..." line)
  // Feature columns by name or by 0-based index; empty = every column but the target.
  std::vector<std::string> columns;
  std::vector<int64_t> column_indices;
  // The target column by name, or by index (negative counts from the end); none when both unset.
  std::string target;
  int64_t target_index = INT64_MIN;
  MissingPolicy missing = MissingPolicy::error;
  std::vector<std::string> missing_tokens{"", "NA", "N/A", "?", "nan", "NaN"};
  CategoricalEncoding categorical = CategoricalEncoding::one_hot;
  // Mappings to reuse (by column name), e.g. the training table's `encodings`.
  std::map<std::string, CategoryMap> encodings;
  Dtype dtype = Dtype::float32;
};

struct CsvTable {
  std::vector<std::string> feature_names;  // one-hot columns are named "column=value"
  Tensor features;                         // (rows, features)
  Tensor target;                           // (rows,), undefined without a target column
  std::string target_name;
  std::map<std::string, CategoryMap> encodings;  // every string column, target included
  std::vector<int64_t> source_lines;             // file line of each kept row
  int64_t rows() const { return features.shape()[0]; }
};

CsvTable read_csv(const std::string& path, const CsvOptions& options = {});

// Splits one CSV line into fields (quotes, doubled quotes, delimiters inside quotes).
std::vector<std::string> split_csv_line(const std::string& line, char delimiter,
                                        const std::string& where);

// A numeric matrix with one row per line and whitespace between values (the UCI HAR layout:
// X_train.txt, y_train.txt). A ragged row or a non-number is an error naming file:line:column.
Tensor read_whitespace_matrix(const std::string& path, Dtype dtype = Dtype::float32);

// Replaces NaNs column by column with the mean over `rows` (e.g. the training split); returns
// the means so the same values can be applied to test rows with fill_missing.
std::vector<double> impute_mean(Tensor& features, const std::vector<int64_t>& rows);
void fill_missing(Tensor& features, const std::vector<double>& column_values);

}  // namespace xgrad::data
