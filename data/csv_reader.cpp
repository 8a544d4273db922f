// CSV parsing in phases: lines and fields, the header and the columns asked for, typing (number
// vs. category), missing values and numbers, category maps, and the assembled tensors.
#include "data/csv_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "data/gzip.hpp"

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

namespace {

// The header (or the first line's width) and the columns the options ask for.
struct Columns {
  std::vector<std::string> names;
  std::size_t first_data;     // index of the first data line
  int64_t target = -1;        // -1: no target column
  std::vector<int64_t> cols;  // feature columns, in output order
  std::vector<int64_t> used;  // cols, then the target when there is one
};

Columns select_columns(const std::vector<std::string>& lines, std::size_t li, const CsvOptions& o,
                       const std::string& file) {
  Columns c;
  c.first_data = o.header ? li + 1 : li;
  auto f = split_csv_line(lines[li], o.delimiter, file + ":" + std::to_string(li + 1));
  for (std::size_t k = 0; k < f.size(); ++k)
    c.names.push_back(o.header ? f[k] : "column" + std::to_string(k));
  const int64_t ncols = static_cast<int64_t>(c.names.size());
  auto find_col = [&](const std::string& name) -> int64_t {
    auto it = std::find(c.names.begin(), c.names.end(), name);
    if (it == c.names.end()) throw Error(file + ": no column named \"" + name + "\"");
    return it - c.names.begin();
  };
  if (!o.target.empty()) {
    c.target = find_col(o.target);
  } else if (o.target_index != INT64_MIN) {
    c.target = o.target_index < 0 ? o.target_index + ncols : o.target_index;
    if (c.target < 0 || c.target >= ncols)
      throw Error(file + ": target column index " + std::to_string(o.target_index) +
                  " out of range for " + std::to_string(ncols) + " columns");
  }
  for (const auto& n : o.columns) c.cols.push_back(find_col(n));
  for (int64_t k : o.column_indices) {
    if (k < 0 || k >= ncols)
      throw Error(file + ": column index " + std::to_string(k) + " out of range for " +
                  std::to_string(ncols) + " columns");
    c.cols.push_back(k);
  }
  if (c.cols.empty())
    for (int64_t k = 0; k < ncols; ++k)
      if (k != c.target) c.cols.push_back(k);
  c.used = c.cols;
  if (c.target >= 0) c.used.push_back(c.target);
  return c;
}

// Every non-blank data line split into fields, with its 1-based line number.
struct Cells {
  std::vector<std::vector<std::string>> rows;
  std::vector<int64_t> lines;
};

Cells split_rows(const std::vector<std::string>& lines, const Columns& c, char delimiter,
                 const std::string& file) {
  const int64_t ncols = static_cast<int64_t>(c.names.size());
  Cells cells;
  for (std::size_t l = c.first_data; l < lines.size(); ++l) {
    if (trim(lines[l]).empty()) continue;
    std::string where = file + ":" + std::to_string(l + 1);
    auto f = split_csv_line(lines[l], delimiter, where);
    if (static_cast<int64_t>(f.size()) != ncols)
      throw Error(where + ": expected " + std::to_string(ncols) + " fields, got " +
                  std::to_string(f.size()));
    cells.rows.push_back(std::move(f));
    cells.lines.push_back(static_cast<int64_t>(l + 1));
  }
  if (cells.rows.empty()) throw Error(file + ": no data rows");
  return cells;
}

// A column is categorical when its first present value is not a number, or when the options
// bring a mapping for it.
std::map<int64_t, bool> detect_categorical(const Cells& cells, const Columns& c,
                                           const std::set<std::string>& missing_tokens,
                                           const CsvOptions& o) {
  std::map<int64_t, bool> categorical;
  for (int64_t k : c.used) {
    categorical[k] = false;
    for (auto& r : cells.rows) {
      if (missing_tokens.count(r[k])) continue;
      double v;
      categorical[k] = !parse_number(r[k], v);
      break;
    }
    if (o.encodings.count(c.names[k])) categorical[k] = true;
  }
  return categorical;
}

// Each row's used columns as numbers (categories left at 0 for now, missing values per the
// policy); a dropped row keeps an empty placeholder and line -1 so that indices line up.
struct Values {
  std::vector<std::vector<double>> rows;  // per row, per used column
  std::vector<int64_t> lines;             // -1 for a dropped row
};

Values parse_values(const Cells& cells, const Columns& c,
                    const std::map<int64_t, bool>& categorical,
                    const std::set<std::string>& missing_tokens, const CsvOptions& o,
                    const std::string& file) {
  const double nan = std::nan("");
  Values out;
  for (std::size_t r = 0; r < cells.rows.size(); ++r) {
    std::vector<double> v(c.used.size());
    bool drop = false;
    for (std::size_t k = 0; k < c.used.size(); ++k) {
      const int64_t col = c.used[k];
      const std::string& cell = cells.rows[r][col];
      std::string where =
          file + ":" + std::to_string(cells.lines[r]) + ":" + std::to_string(col + 1);
      if (missing_tokens.count(cell)) {
        if (col == c.target || o.missing == MissingPolicy::error)
          throw Error(where + ": missing value" + (col == c.target ? " in the target column" : ""));
        if (o.missing == MissingPolicy::drop_row) drop = true;
        v[k] = o.missing == MissingPolicy::zero ? 0.0 : nan;
      } else if (categorical.at(col)) {
        v[k] = 0;  // encoded when assembling
      } else if (!parse_number(cell, v[k])) {
        throw Error(where + ": expected a number, got \"" + cell + "\"");
      }
    }
    if (!drop) {
      out.rows.push_back(std::move(v));
      out.lines.push_back(cells.lines[r]);
    } else {
      out.rows.emplace_back();
      out.lines.push_back(-1);
    }
  }
  return out;
}

// Category maps of the categorical columns: given in the options, or the sorted values present
// in the kept rows.
std::map<std::string, CategoryMap> category_maps(const Cells& cells, const Columns& c,
                                                 const std::map<int64_t, bool>& categorical,
                                                 const Values& values,
                                                 const std::set<std::string>& missing_tokens,
                                                 const CsvOptions& o) {
  std::map<std::string, CategoryMap> maps;
  for (int64_t col : c.used) {
    if (!categorical.at(col)) continue;
    CategoryMap map;
    if (auto it = o.encodings.find(c.names[col]); it != o.encodings.end()) {
      map = it->second;
    } else {
      std::set<std::string> seen;
      for (std::size_t r = 0; r < cells.rows.size(); ++r)
        if (values.lines[r] >= 0 && !missing_tokens.count(cells.rows[r][col]))
          seen.insert(cells.rows[r][col]);
      map.categories.assign(seen.begin(), seen.end());
    }
    maps[c.names[col]] = map;
  }
  return maps;
}

// The feature and target tensors of the kept rows: categories as codes or one-hot columns.
void assemble(CsvTable& table, const Cells& cells, const Columns& c,
              const std::map<int64_t, bool>& categorical, const Values& values,
              const std::set<std::string>& missing_tokens, const CsvOptions& o,
              const std::string& file) {
  const double nan = std::nan("");
  const auto& names = c.names;
  for (int64_t col : c.cols) {
    if (categorical.at(col) && o.categorical == CategoricalEncoding::one_hot)
      for (const auto& cat : table.encodings[names[col]].categories)
        table.feature_names.push_back(names[col] + "=" + cat);
    else
      table.feature_names.push_back(names[col]);
  }
  std::vector<std::vector<double>> out_rows;
  std::vector<double> target_values;
  for (std::size_t r = 0; r < cells.rows.size(); ++r) {
    if (values.lines[r] < 0) continue;
    std::vector<double> row;
    for (std::size_t k = 0; k < c.used.size(); ++k) {
      const int64_t col = c.used[k];
      const std::string& cell = cells.rows[r][col];
      double v = values.rows[r][k];
      if (categorical.at(col) && !missing_tokens.count(cell)) {
        int64_t code = table.encodings[names[col]].code(cell);
        if (code < 0)
          throw Error(file + ":" + std::to_string(values.lines[r]) + ":" + std::to_string(col + 1) +
                      ": unknown category \"" + cell + "\" in column \"" + names[col] + "\"");
        v = static_cast<double>(code);
      }
      if (col == c.target && k == c.used.size() - 1) {
        target_values.push_back(v);
        continue;
      }
      if (categorical.at(col) && o.categorical == CategoricalEncoding::one_hot) {
        const std::size_t n = table.encodings[names[col]].categories.size();
        for (std::size_t j = 0; j < n; ++j)
          row.push_back(std::isnan(v) ? nan : (static_cast<std::size_t>(v) == j ? 1.0 : 0.0));
      } else {
        row.push_back(v);
      }
    }
    out_rows.push_back(std::move(row));
    table.source_lines.push_back(values.lines[r]);
  }
  if (out_rows.empty())
    throw Error(file + ": no rows left: each of the " + std::to_string(cells.rows.size()) +
                " data rows has a missing value (missing = drop_row)");
  const int64_t n = static_cast<int64_t>(out_rows.size());
  const int64_t f = static_cast<int64_t>(table.feature_names.size());
  std::vector<double> flat;
  flat.reserve(static_cast<std::size_t>(n * f));
  for (auto& r : out_rows) flat.insert(flat.end(), r.begin(), r.end());
  table.features = from_vector(flat, {n, f}, o.dtype);
  if (c.target >= 0) {
    table.target = from_vector(target_values, {n}, o.dtype);
    table.target_name = names[c.target];
  }
}

}  // namespace

CsvTable read_csv(const std::string& path, const CsvOptions& o) {
  const std::string file = base_name(path);
  std::vector<std::string> lines = read_lines(path);
  std::size_t li = static_cast<std::size_t>(std::max<int64_t>(o.skip_lines, 0));
  while (li < lines.size() && trim(lines[li]).empty()) ++li;
  if (li >= lines.size()) throw Error(file + ": empty file");

  const Columns columns = select_columns(lines, li, o, file);
  const std::set<std::string> missing_tokens(o.missing_tokens.begin(), o.missing_tokens.end());
  const Cells cells = split_rows(lines, columns, o.delimiter, file);
  const auto categorical = detect_categorical(cells, columns, missing_tokens, o);
  const Values values = parse_values(cells, columns, categorical, missing_tokens, o, file);
  CsvTable table;
  table.encodings = category_maps(cells, columns, categorical, values, missing_tokens, o);
  assemble(table, cells, columns, categorical, values, missing_tokens, o, file);
  if (o.missing == MissingPolicy::mean) {
    std::vector<int64_t> all(static_cast<std::size_t>(table.rows()));
    for (int64_t i = 0; i < table.rows(); ++i) all[i] = i;
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
