// Samplers: the sequential order, seeded permutations (of everything or of a subset) and
// weighted draws, each epoch's drawn from one generator per sampler (see detail::EpochDraws).
#include "data/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>

#include "tensor/tensor.hpp"

namespace xgrad::data {

namespace {
void check_size(const char* who, int64_t n) {
  if (n < 0) throw Error(std::string(who) + ": n must be non-negative, got " + std::to_string(n));
}
}  // namespace

std::vector<int64_t> permutation(int64_t n, Generator& gen) {
  std::vector<int64_t> p(static_cast<std::size_t>(n));
  std::iota(p.begin(), p.end(), 0);
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(p[i], p[static_cast<int64_t>(gen.below(static_cast<uint64_t>(i + 1)))]);
  return p;
}

void Sampler::set_epoch(int64_t epoch) {
  if (epoch < 0)
    throw Error("Sampler::set_epoch: epoch must be non-negative, got " + std::to_string(epoch));
  epoch_ = epoch;
}

SequentialSampler::SequentialSampler(int64_t n) : n_(n) { check_size("SequentialSampler", n); }

std::vector<int64_t> SequentialSampler::indices() {
  std::vector<int64_t> order(static_cast<std::size_t>(n_));
  std::iota(order.begin(), order.end(), 0);
  return order;
}

RandomSampler::RandomSampler(int64_t n, uint64_t seed) : n_(n), draws_(seed) {
  check_size("RandomSampler", n);
}

std::vector<int64_t> RandomSampler::indices() {
  return draws_.at(epoch(), [this](Generator& gen) { return permutation(n_, gen); });
}

SubsetRandomSampler::SubsetRandomSampler(std::vector<int64_t> indices, uint64_t seed)
    : indices_(std::move(indices)), draws_(seed) {
  for (int64_t i : indices_)
    if (i < 0) throw Error("SubsetRandomSampler: index " + std::to_string(i) + " is negative");
}

std::vector<int64_t> SubsetRandomSampler::indices() {
  const std::vector<int64_t>& p =
      draws_.at(epoch(), [this](Generator& gen) { return permutation(size(), gen); });
  std::vector<int64_t> order(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) order[i] = indices_[static_cast<std::size_t>(p[i])];
  return order;
}

WeightedRandomSampler::WeightedRandomSampler(std::vector<double> weights, int64_t num_samples,
                                             bool replacement, uint64_t seed)
    : weights_(std::move(weights)),
      num_samples_(num_samples),
      replacement_(replacement),
      draws_(seed) {
  if (num_samples <= 0)
    throw Error("WeightedRandomSampler: num_samples must be positive, got " +
                std::to_string(num_samples));
  double total = 0;
  int64_t nonzero = 0;
  cumulative_.reserve(weights_.size());
  for (std::size_t i = 0; i < weights_.size(); ++i) {
    const double w = weights_[i];
    if (!std::isfinite(w) || w < 0) {
      char value[32];
      std::snprintf(value, sizeof value, "%g", w);
      throw Error("WeightedRandomSampler: weight " + std::to_string(i) + " is " + value +
                  ", expected a finite non-negative number");
    }
    total += w;
    nonzero += w > 0;
    cumulative_.push_back(total);
  }
  if (!(total > 0)) throw Error("WeightedRandomSampler: the weights sum to 0");
  if (!replacement && num_samples > nonzero)
    throw Error("WeightedRandomSampler: cannot draw " + std::to_string(num_samples) +
                " samples without replacement from " + std::to_string(nonzero) +
                " nonzero weights");
}

std::vector<int64_t> WeightedRandomSampler::indices() {
  return draws_.at(epoch(), [this](Generator& gen) {
    const std::size_t k = static_cast<std::size_t>(num_samples_);
    std::vector<int64_t> out(k);
    if (replacement_) {
      // Inverse CDF: the first running sum above u · total. A zero weight's sum equals its
      // predecessor's, so it is never the first above anything.
      const double total = cumulative_.back();
      auto last_positive =
          std::find_if(weights_.rbegin(), weights_.rend(), [](double w) { return w > 0; });
      const int64_t last = static_cast<int64_t>(weights_.rend() - last_positive) - 1;
      for (std::size_t s = 0; s < k; ++s) {
        const double r = gen.uniform() * total;
        const int64_t i =
            std::upper_bound(cumulative_.begin(), cumulative_.end(), r) - cumulative_.begin();
        out[s] = std::min(i, last);  // u · total rounded up to total
      }
      return out;
    }
    // Without replacement (Efraimidis-Spirakis): index i gets the key E_i / w_i with E_i a
    // standard exponential; the k smallest keys in increasing order are distributed as k
    // successive draws proportional to the remaining weights.
    std::vector<std::pair<double, int64_t>> keys;
    keys.reserve(weights_.size());
    for (std::size_t i = 0; i < weights_.size(); ++i) {
      const double e = -std::log1p(-gen.uniform());
      if (weights_[i] > 0) keys.emplace_back(e / weights_[i], static_cast<int64_t>(i));
    }
    std::partial_sort(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(k), keys.end());
    for (std::size_t s = 0; s < k; ++s) out[s] = keys[s].second;
    return out;
  });
}

}  // namespace xgrad::data
