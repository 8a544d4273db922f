// CSV parsing: fields, type detection (number vs. category), missing values, encodings.
#include "data/csv_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "data/idx_reader.hpp"

namespace xgrad::data {

namespace {

std::string base_name(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string trim(const std::string& s) {
  std::size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

bool parse_number(const std::string& s, double& out) {
  if (s.empty()) return false;
  const char* first = s.data();
  if (*first == '+') ++first;
  auto [ptr, ec] = std::from_chars(first, s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

std::vector<std::string> read_lines(const std::string& path) {
  std::string text = read_maybe_gzipped(path);
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    start = end + 1;
  }
  return lines;
}

}  // namespace

int64_t CategoryMap::code(const std::string& value) const {
  auto it = std::lower_bound(categories.begin(), categories.end(), value);
  return it != categories.end() && *it == value ? it - categories.begin() : -1;
}

std::vector<std::string> split_csv_line(const std::string& line, char delim,
                                        const std::string& where) {
  std::vector<std::string> fields;
  std::string cur;
  bool quoted = false, was_quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur.push_back(c);
      }
    } else if (c == '"' && trim(cur).empty()) {
      quoted = was_quoted = true;
      cur.clear();
    } else if (c == delim) {
      fields.push_back(was_quoted ? cur : trim(cur));
      cur.clear();
      was_quoted = false;
    } else {
      cur.push_back(c);
    }
  }
  if (quoted) throw Error(where + ": unterminated quoted field");
  fields.push_back(was_quoted ? cur : trim(cur));
  return fields;
}

CsvTable read_csv(const std::string& path, const CsvOptions& o) {
  const std::string file = base_name(path);
  std::vector<std::string> lines = read_lines(path);
  std::size_t li = static_cast<std::size_t>(std::max<int64_t>(o.skip_lines, 0));
  while (li < lines.size() && trim(lines[li]).empty()) ++li;
  if (li >= lines.size()) throw Error(file + ": empty file");

  // Column names.
  std::vector<std::string> names;
  const std::size_t first_data = o.header ? li + 1 : li;
  {
    auto f = split_csv_line(lines[li], o.delimiter, file + ":" + std::to_string(li + 1));
    for (std::size_t c = 0; c < f.size(); ++c)
      names.push_back(o.header ? f[c] : "column" + std::to_string(c));
  }
  const int64_t ncols = static_cast<int64_t>(names.size());
  auto find_col = [&](const std::string& name) -> int64_t {
    auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) throw Error(file + ": no column named \"" + name + "\"");
    return it - names.begin();
  };
  int64_t target = -1;
  if (!o.target.empty()) {
    target = find_col(o.target);
  } else if (o.target_index != INT64_MIN) {
    target = o.target_index < 0 ? o.target_index + ncols : o.target_index;
    if (target < 0 || target >= ncols)
      throw Error(file + ": target column index " + std::to_string(o.target_index) +
                  " out of range for " + std::to_string(ncols) + " columns");
  }
  std::vector<int64_t> cols;
  for (const auto& n : o.columns) cols.push_back(find_col(n));
  for (int64_t c : o.column_indices) {
    if (c < 0 || c >= ncols)
      throw Error(file + ": column index " + std::to_string(c) + " out of range for " +
                  std::to_string(ncols) + " columns");
    cols.push_back(c);
  }
  if (cols.empty())
    for (int64_t c = 0; c < ncols; ++c)
      if (c != target) cols.push_back(c);

  // Parse cells; a column is categorical when its first present value is not a number.
  std::vector<int64_t> used = cols;
  if (target >= 0) used.push_back(target);
  std::set<std::string> missing_tokens(o.missing_tokens.begin(), o.missing_tokens.end());
  std::vector<std::vector<std::string>> rows;
  std::vector<int64_t> row_lines;
  for (std::size_t l = first_data; l < lines.size(); ++l) {
    if (trim(lines[l]).empty()) continue;
    std::string where = file + ":" + std::to_string(l + 1);
    auto f = split_csv_line(lines[l], o.delimiter, where);
    if (static_cast<int64_t>(f.size()) != ncols)
      throw Error(where + ": expected " + std::to_string(ncols) + " fields, got " +
                  std::to_string(f.size()));
    rows.push_back(std::move(f));
    row_lines.push_back(static_cast<int64_t>(l + 1));
  }
  if (rows.empty()) throw Error(file + ": no data rows");
  std::map<int64_t, bool> categorical;
  for (int64_t c : used) {
    categorical[c] = false;
    for (auto& r : rows) {
      if (missing_tokens.count(r[c])) continue;
      double v;
      categorical[c] = !parse_number(r[c], v);
      break;
    }
    if (o.encodings.count(names[c])) categorical[c] = true;
  }

  // Missing values and numbers, row by row.
  const double nan = std::nan("");
  std::vector<std::vector<double>> values;  // per kept row, per used column
  std::vector<int64_t> kept_lines;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::vector<double> v(used.size());
    bool drop = false;
    for (std::size_t k = 0; k < used.size(); ++k) {
      const int64_t c = used[k];
      const std::string& cell = rows[r][c];
      std::string where = file + ":" + std::to_string(row_lines[r]) + ":" + std::to_string(c + 1);
      if (missing_tokens.count(cell)) {
        if (c == target || o.missing == MissingPolicy::error)
          throw Error(where + ": missing value" + (c == target ? " in the target column" : ""));
        if (o.missing == MissingPolicy::drop_row) drop = true;
        v[k] = o.missing == MissingPolicy::zero ? 0.0 : nan;
      } else if (categorical[c]) {
        v[k] = 0;  // encoded below
      } else if (!parse_number(cell, v[k])) {
        throw Error(where + ": expected a number, got \"" + cell + "\"");
      }
    }
    if (!drop) {
      values.push_back(std::move(v));
      kept_lines.push_back(row_lines[r]);
    } else {
      values.emplace_back();  // placeholder so indices line up; removed below
      kept_lines.push_back(-1);
    }
  }

  // Category maps (given or learned from this file).
  CsvTable table;
  for (int64_t c : used) {
    if (!categorical[c]) continue;
    CategoryMap map;
    if (auto it = o.encodings.find(names[c]); it != o.encodings.end()) {
      map = it->second;
    } else {
      std::set<std::string> seen;
      for (std::size_t r = 0; r < rows.size(); ++r)
        if (kept_lines[r] >= 0 && !missing_tokens.count(rows[r][c])) seen.insert(rows[r][c]);
      map.categories.assign(seen.begin(), seen.end());
    }
    table.encodings[names[c]] = map;
  }

  // Assemble features and target.
  std::vector<std::vector<double>> out_rows;
  for (int64_t c : cols) {
    if (categorical[c] && o.categorical == CategoricalEncoding::one_hot)
      for (const auto& cat : table.encodings[names[c]].categories)
        table.feature_names.push_back(names[c] + "=" + cat);
    else
      table.feature_names.push_back(names[c]);
  }
  std::vector<double> target_values;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (kept_lines[r] < 0) continue;
    std::vector<double> row;
    for (std::size_t k = 0; k < used.size(); ++k) {
      const int64_t c = used[k];
      double v = values[r][k];
      if (categorical[c] && !missing_tokens.count(rows[r][c])) {
        int64_t code = table.encodings[names[c]].code(rows[r][c]);
        if (code < 0)
          throw Error(file + ":" + std::to_string(kept_lines[r]) + ":" + std::to_string(c + 1) +
                      ": unknown category \"" + rows[r][c] + "\" in column \"" + names[c] + "\"");
        v = static_cast<double>(code);
      }
      if (c == target && k == used.size() - 1) {
        target_values.push_back(v);
        continue;
      }
      if (categorical[c] && o.categorical == CategoricalEncoding::one_hot) {
        const std::size_t n = table.encodings[names[c]].categories.size();
        for (std::size_t j = 0; j < n; ++j)
          row.push_back(std::isnan(v) ? nan : (static_cast<std::size_t>(v) == j ? 1.0 : 0.0));
      } else {
        row.push_back(v);
      }
    }
    out_rows.push_back(std::move(row));
    table.source_lines.push_back(kept_lines[r]);
  }
  if (out_rows.empty())
    throw Error(file + ": no rows left: each of the " + std::to_string(rows.size()) +
                " data rows has a missing value (missing = drop_row)");
  const int64_t n = static_cast<int64_t>(out_rows.size());
  const int64_t f = static_cast<int64_t>(table.feature_names.size());
  std::vector<double> flat;
  flat.reserve(static_cast<std::size_t>(n * f));
  for (auto& r : out_rows) flat.insert(flat.end(), r.begin(), r.end());
  table.features = from_vector(flat, {n, f}, o.dtype);
  if (target >= 0) {
    table.target = from_vector(target_values, {n}, o.dtype);
    table.target_name = names[target];
  }
  if (o.missing == MissingPolicy::mean) {
    std::vector<int64_t> all(static_cast<std::size_t>(n));
    for (int64_t i = 0; i < n; ++i) all[i] = i;
    impute_mean(table.features, all);
  }
  return table;
}

std::vector<double> impute_mean(Tensor& features, const std::vector<int64_t>& rows) {
  if (features.dim() != 2)
    throw Error("impute_mean: expected a 2-D tensor, got " + format_shape(features.shape()));
  const int64_t n = features.shape()[0], f = features.shape()[1];
  std::vector<double> all = features.to_vector(), means(static_cast<std::size_t>(f), 0.0);
  for (int64_t c = 0; c < f; ++c) {
    double s = 0;
    int64_t count = 0;
    for (int64_t r : rows) {
      if (r < 0 || r >= n) throw Error("impute_mean: row " + std::to_string(r) + " out of range");
      double v = all[r * f + c];
      if (!std::isnan(v)) {
        s += v;
        ++count;
      }
    }
    means[c] = count ? s / static_cast<double>(count) : 0.0;
  }
  fill_missing(features, means);
  return means;
}

void fill_missing(Tensor& features, const std::vector<double>& column_values) {
  const int64_t f = features.shape()[1];
  if (static_cast<int64_t>(column_values.size()) != f)
    throw Error("fill_missing: " + std::to_string(column_values.size()) + " values for " +
                std::to_string(f) + " columns");
  for (int64_t i = 0; i < features.numel(); ++i) {
    Shape idx{i / f, i % f};
    if (std::isnan(features.at(idx))) features.set(idx, column_values[i % f]);
  }
}

Tensor read_whitespace_matrix(const std::string& path, Dtype dtype) {
  const std::string file = base_name(path);
  std::vector<std::string> lines = read_lines(path);
  std::vector<double> flat;
  int64_t cols = -1, rows = 0;
  for (std::size_t l = 0; l < lines.size(); ++l) {
    std::istringstream in(lines[l]);
    std::string tok;
    int64_t c = 0;
    while (in >> tok) {
      double v;
      if (!parse_number(tok, v))
        throw Error(file + ":" + std::to_string(l + 1) + ":" + std::to_string(c + 1) +
                    ": expected a number, got \"" + tok + "\"");
      flat.push_back(v);
      ++c;
    }
    if (c == 0) continue;
    if (cols >= 0 && c != cols)
      throw Error(file + ":" + std::to_string(l + 1) + ": ragged row with " + std::to_string(c) +
                  " values, expected " + std::to_string(cols));
    cols = c;
    ++rows;
  }
  if (rows == 0) throw Error(file + ": empty file");
  return from_vector(flat, {rows, cols}, dtype);
}

}  // namespace xgrad::data
