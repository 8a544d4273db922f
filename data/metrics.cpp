// Metric implementations.
#include "data/metrics.hpp"

#include <cmath>
#include <iomanip>
#include <ostream>
#include <sstream>

namespace xgrad::data {

namespace {
void check_sizes(const char* who, std::size_t a, std::size_t b) {
  if (a != b)
    throw Error(std::string(who) + ": " + std::to_string(a) + " predictions for " +
                std::to_string(b) + " targets");
  if (a == 0) throw Error(std::string(who) + ": no examples");
}
std::pair<std::vector<double>, std::vector<double>> values(const char* who, const Tensor& p,
                                                           const Tensor& t) {
  auto a = p.to_vector(), b = t.to_vector();
  check_sizes(who, a.size(), b.size());
  return {a, b};
}
}  // namespace

double accuracy(const std::vector<int64_t>& p, const std::vector<int64_t>& t) {
  check_sizes("accuracy", p.size(), t.size());
  int64_t ok = 0;
  for (std::size_t i = 0; i < p.size(); ++i) ok += p[i] == t[i];
  return static_cast<double>(ok) / static_cast<double>(p.size());
}

ConfusionMatrix::ConfusionMatrix(int64_t n, std::vector<std::string> names)
    : n_(n), names_(std::move(names)), counts_(static_cast<std::size_t>(n * n), 0) {
  if (n <= 0) throw Error("ConfusionMatrix: need at least one class");
  if (names_.empty())
    for (int64_t c = 0; c < n; ++c) names_.push_back(std::to_string(c));
  if (static_cast<int64_t>(names_.size()) != n)
    throw Error("ConfusionMatrix: one name per class needed");
}

void ConfusionMatrix::add(const std::vector<int64_t>& p, const std::vector<int64_t>& t) {
  check_sizes("ConfusionMatrix", p.size(), t.size());
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] < 0 || p[i] >= n_ || t[i] < 0 || t[i] >= n_)
      throw Error("ConfusionMatrix: class out of range (predicted " + std::to_string(p[i]) +
                  ", true " + std::to_string(t[i]) + ", classes " + std::to_string(n_) + ")");
    ++counts_[t[i] * n_ + p[i]];
  }
}

double ConfusionMatrix::accuracy() const {
  int64_t ok = 0, all = 0;
  for (int64_t i = 0; i < n_; ++i)
    for (int64_t j = 0; j < n_; ++j) {
      all += at(i, j);
      if (i == j) ok += at(i, j);
    }
  return all ? static_cast<double>(ok) / static_cast<double>(all) : 0.0;
}
double ConfusionMatrix::precision(int64_t c) const {
  int64_t col = 0;
  for (int64_t i = 0; i < n_; ++i) col += at(i, c);
  return col ? static_cast<double>(at(c, c)) / static_cast<double>(col) : 0.0;
}
double ConfusionMatrix::recall(int64_t c) const {
  int64_t row = 0;
  for (int64_t j = 0; j < n_; ++j) row += at(c, j);
  return row ? static_cast<double>(at(c, c)) / static_cast<double>(row) : 0.0;
}
double ConfusionMatrix::f1(int64_t c) const {
  double p = precision(c), r = recall(c);
  return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

std::string ConfusionMatrix::to_string() const {
  std::size_t w = 6;
  for (const auto& s : names_) w = std::max(w, s.size() + 1);
  std::ostringstream os;
  os << std::setw(static_cast<int>(w)) << "true\\pred";
  for (int64_t j = 0; j < n_; ++j)
    os << std::setw(static_cast<int>(std::max<std::size_t>(7, names_[j].size() + 1))) << names_[j];
  os << "  precision  recall     f1\n";
  for (int64_t i = 0; i < n_; ++i) {
    os << std::setw(static_cast<int>(w)) << names_[i];
    for (int64_t j = 0; j < n_; ++j)
      os << std::setw(static_cast<int>(std::max<std::size_t>(7, names_[j].size() + 1))) << at(i, j);
    os << std::fixed << std::setprecision(3) << std::setw(11) << precision(i) << std::setw(8)
       << recall(i) << std::setw(7) << f1(i) << "\n";
    os.unsetf(std::ios::fixed);
  }
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const ConfusionMatrix& m) { return os << m.to_string(); }

double mse(const Tensor& p, const Tensor& t) {
  auto [a, b] = values("mse", p, t);
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
  return s / static_cast<double>(a.size());
}
double rmse(const Tensor& p, const Tensor& t) { return std::sqrt(mse(p, t)); }
double mae(const Tensor& p, const Tensor& t) {
  auto [a, b] = values("mae", p, t);
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += std::abs(a[i] - b[i]);
  return s / static_cast<double>(a.size());
}
double r2_score(const Tensor& p, const Tensor& t) {
  auto [a, b] = values("r2_score", p, t);
  double mean = 0;
  for (double v : b) mean += v;
  mean /= static_cast<double>(b.size());
  double ss_res = 0, ss_tot = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    ss_res += (a[i] - b[i]) * (a[i] - b[i]);
    ss_tot += (b[i] - mean) * (b[i] - mean);
  }
  return ss_tot > 0 ? 1 - ss_res / ss_tot : 0.0;
}

}  // namespace xgrad::data
