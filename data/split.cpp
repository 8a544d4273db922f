// Seeded splits.
#include "data/split.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "data/sampler.hpp"
#include "tensor/tensor.hpp"

namespace xgrad::data {

Split train_test_split(int64_t n, double test_fraction, uint64_t seed,
                       const std::vector<int64_t>& labels) {
  if (!(test_fraction > 0.0 && test_fraction < 1.0))
    throw Error("train_test_split: test_fraction must be in (0, 1), got " +
                std::to_string(test_fraction));
  if (!labels.empty() && static_cast<int64_t>(labels.size()) != n)
    throw Error("train_test_split: " + std::to_string(labels.size()) + " labels for " +
                std::to_string(n) + " examples");
  Generator gen(seed);
  std::vector<int64_t> order = permutation(n, gen);
  Split s;
  if (labels.empty()) {
    auto n_test = static_cast<int64_t>(std::llround(static_cast<double>(n) * test_fraction));
    s.test.assign(order.begin(), order.begin() + n_test);
    s.train.assign(order.begin() + n_test, order.end());
  } else {
    std::map<int64_t, std::vector<int64_t>> by_class;
    for (int64_t i : order) by_class[labels[i]].push_back(i);
    for (auto& [label, idx] : by_class) {
      auto n_test =
          static_cast<int64_t>(std::llround(static_cast<double>(idx.size()) * test_fraction));
      s.test.insert(s.test.end(), idx.begin(), idx.begin() + n_test);
      s.train.insert(s.train.end(), idx.begin() + n_test, idx.end());
    }
  }
  // Training on nothing, or testing on nothing, would "succeed" with a meaningless figure.
  if (s.train.empty() || s.test.empty())
    throw Error("train_test_split: splitting " + std::to_string(n) + " example" +
                (n == 1 ? "" : "s") + " with test_fraction " + std::to_string(test_fraction) +
                " leaves the " + (s.train.empty() ? "training" : "test") + " split empty");
  std::sort(s.train.begin(), s.train.end());
  std::sort(s.test.begin(), s.test.end());
  return s;
}

std::vector<Split> k_fold(int64_t n, int64_t k, uint64_t seed) {
  if (k < 2 || k > n)
    throw Error("k_fold: k must be in [2, n], got k=" + std::to_string(k) +
                ", n=" + std::to_string(n));
  Generator gen(seed);
  std::vector<int64_t> order = permutation(n, gen);
  std::vector<Split> folds;
  for (int64_t f = 0; f < k; ++f) {
    int64_t lo = n * f / k, hi = n * (f + 1) / k;
    Split s;
    s.test.assign(order.begin() + lo, order.begin() + hi);
    s.train.assign(order.begin(), order.begin() + lo);
    s.train.insert(s.train.end(), order.begin() + hi, order.end());
    folds.push_back(std::move(s));
  }
  return folds;
}

}  // namespace xgrad::data
