// Scalers: column statistics in float64, applied as y = (x - shift) / scale · a + b.
#include "data/scaler.hpp"

#include <cmath>

#include "tensor/safetensors.hpp"

namespace xgrad::data {

namespace {

void check_fitted(const Tensor& t, const char* who) {
  if (!t.defined()) throw Error(std::string(who) + ": transform before fit");
}

void check_columns(const char* who, const Tensor& x, const Tensor& stats) {
  if (x.dim() != 2 || x.shape()[1] != stats.shape()[0])
    throw Error(std::string(who) + ": expected (rows, " + std::to_string(stats.shape()[0]) +
                ") data, got " + format_shape(x.shape()));
}

// out = (x - shift) / scale * mul + add, column-wise.
Tensor affine(const Tensor& x, const Tensor& shift, const Tensor& scale, double mul, double add,
              bool inverse) {
  const int64_t n = x.shape()[0], f = x.shape()[1];
  std::vector<double> v = x.to_vector(), s = shift.to_vector(), c = scale.to_vector();
  for (int64_t r = 0; r < n; ++r)
    for (int64_t j = 0; j < f; ++j) {
      double& e = v[r * f + j];
      e = inverse ? (e - add) / mul * c[j] + s[j] : (e - s[j]) / c[j] * mul + add;
    }
  return from_vector(v, x.shape(), x.dtype());
}

std::pair<std::vector<double>, std::vector<double>> column_stats(const Tensor& x, const char* who,
                                                                 bool min_max) {
  if (x.dim() != 2 || x.shape()[0] == 0)
    throw Error(std::string(who) + ": fit needs a non-empty (rows, features) tensor, got " +
                format_shape(x.shape()));
  const int64_t n = x.shape()[0], f = x.shape()[1];
  std::vector<double> v = x.to_vector(), a(f), b(f);
  for (int64_t j = 0; j < f; ++j) {
    double lo = v[j], hi = v[j], sum = 0;
    for (int64_t r = 0; r < n; ++r) {
      double e = v[r * f + j];
      lo = std::min(lo, e);
      hi = std::max(hi, e);
      sum += e;
    }
    if (min_max) {
      a[j] = lo;
      b[j] = hi - lo;
    } else {
      double mean = sum / static_cast<double>(n), ss = 0;
      for (int64_t r = 0; r < n; ++r) ss += (v[r * f + j] - mean) * (v[r * f + j] - mean);
      a[j] = mean;
      b[j] = std::sqrt(ss / static_cast<double>(n));
    }
    if (!(b[j] > 1e-12 * std::max(1.0, std::abs(a[j])))) b[j] = 1.0;  // constant column
  }
  return {a, b};
}

// A scaler file's statistics, checked before anything is replaced: 1-D float64 vectors of one
// length (heap overruns in transform otherwise), finite, and positive where they divide.
std::vector<Tensor> load_stats(const std::string& path, const char* scaler,
                               std::initializer_list<const char*> names, const char* divisor) {
  SafetensorsFile f = load_safetensors(path);
  std::vector<Tensor> out;
  for (const char* name : names) {
    Tensor t = f.get(name);
    if (t.dim() != 1 || !is_floating_point(t.dtype()))
      throw Error(path + ": " + scaler + " " + name + " must be a 1-D floating-point vector, got " +
                  format_shape(t.shape()) + " " + dtype_name(t.dtype()));
    t = t.to(Dtype::float64).contiguous_copy();
    if (!out.empty() && t.numel() != out[0].numel())
      throw Error(path + ": " + scaler + " " + name + " has " + std::to_string(t.numel()) +
                  " entries, " + *names.begin() + " has " + std::to_string(out[0].numel()));
    for (double v : t.to_vector())
      if (!std::isfinite(v) || (std::string(name) == divisor && !(v > 0)))
        throw Error(path + ": " + scaler + " " + name + " holds " + std::to_string(v) +
                    (std::string(name) == divisor ? " (must be finite and positive)"
                                                  : " (must be finite)"));
    out.push_back(t);
  }
  return out;
}

}  // namespace

StandardScaler& StandardScaler::fit(const Tensor& x) {
  auto [mean, scale] = column_stats(x, "StandardScaler", false);
  mean_ = from_vector(mean, {static_cast<int64_t>(mean.size())}, float64);
  scale_ = from_vector(scale, {static_cast<int64_t>(scale.size())}, float64);
  return *this;
}
Tensor StandardScaler::transform(const Tensor& x) const {
  check_fitted(mean_, "StandardScaler");
  check_columns("StandardScaler", x, mean_);
  return affine(x, mean_, scale_, 1.0, 0.0, false);
}
Tensor StandardScaler::inverse_transform(const Tensor& x) const {
  check_fitted(mean_, "StandardScaler");
  check_columns("StandardScaler", x, mean_);
  return affine(x, mean_, scale_, 1.0, 0.0, true);
}
void StandardScaler::save(const std::string& path) const {
  check_fitted(mean_, "StandardScaler");
  save_safetensors(path, {{"mean", mean_}, {"scale", scale_}}, {{"type", "StandardScaler"}});
}
void StandardScaler::load(const std::string& path) {
  std::vector<Tensor> stats = load_stats(path, "StandardScaler", {"mean", "scale"}, "scale");
  mean_ = stats[0];
  scale_ = stats[1];
}

MinMaxScaler::MinMaxScaler(double low, double high) : low_(low), high_(high) {
  if (!(low < high)) throw Error("MinMaxScaler: feature range must have low < high");
}
MinMaxScaler& MinMaxScaler::fit(const Tensor& x) {
  auto [mn, range] = column_stats(x, "MinMaxScaler", true);
  min_ = from_vector(mn, {static_cast<int64_t>(mn.size())}, float64);
  range_ = from_vector(range, {static_cast<int64_t>(range.size())}, float64);
  return *this;
}
Tensor MinMaxScaler::transform(const Tensor& x) const {
  check_fitted(min_, "MinMaxScaler");
  check_columns("MinMaxScaler", x, min_);
  return affine(x, min_, range_, high_ - low_, low_, false);
}
Tensor MinMaxScaler::inverse_transform(const Tensor& x) const {
  check_fitted(min_, "MinMaxScaler");
  check_columns("MinMaxScaler", x, min_);
  return affine(x, min_, range_, high_ - low_, low_, true);
}
void MinMaxScaler::save(const std::string& path) const {
  check_fitted(min_, "MinMaxScaler");
  save_safetensors(path,
                   {{"min", min_},
                    {"range", range_},
                    {"feature_range", from_vector(std::vector<double>{low_, high_}, {2}, float64)}},
                   {{"type", "MinMaxScaler"}});
}
void MinMaxScaler::load(const std::string& path) {
  std::vector<Tensor> stats = load_stats(path, "MinMaxScaler", {"min", "range"}, "range");
  const std::vector<Tensor> fr = load_stats(path, "MinMaxScaler", {"feature_range"}, "");
  const std::vector<double> bounds = fr[0].to_vector();
  if (bounds.size() != 2 || !(bounds[0] < bounds[1]))
    throw Error(path + ": MinMaxScaler feature_range must be two numbers low < high");
  min_ = stats[0];
  range_ = stats[1];
  low_ = bounds[0];
  high_ = bounds[1];
}

}  // namespace xgrad::data
