// Samplers own the order in which a DataLoader visits a dataset: set_epoch(e), then indices()
// is epoch e's order, whatever was asked before, so a resumed run sees the orders of a run that
// never stopped. A sampler that shards (DistributedSampler) overrides size() and indices().
#pragma once

#include <cstdint>
#include <vector>

#include "../tensor/generator.hpp"

namespace xgrad::data {

class Sampler {
 public:
  virtual ~Sampler() = default;
  // Indices per epoch (the same every epoch).
  virtual int64_t size() const = 0;
  // The order of epoch(), each index in [0, dataset size). Not const: random samplers keep
  // their generator between epochs.
  virtual std::vector<int64_t> indices() = 0;
  void set_epoch(int64_t epoch);  // 0 until called
  int64_t epoch() const { return epoch_; }

 private:
  int64_t epoch_ = 0;
};

// 0, 1, ..., n-1 every epoch.
class SequentialSampler : public Sampler {
 public:
  explicit SequentialSampler(int64_t n);
  int64_t size() const override { return n_; }
  std::vector<int64_t> indices() override;

 private:
  int64_t n_;
};

namespace detail {
// Epoch e of a seeded sampler is the (e+1)-th draw of one Generator(seed): the orders the
// DataLoader has always used, so that shuffled trainers keep their numbers bit for bit.
// Reaching epoch e replays the draws from the last epoch asked (or from the seed when going
// back): a shuffled MNIST epoch costs ~0.3 ms to skip.
class EpochDraws {
 public:
  explicit EpochDraws(uint64_t seed) : seed_(seed), gen_(seed) {}
  template <class Draw>
  const std::vector<int64_t>& at(int64_t epoch, Draw draw) {
    if (epoch == cached_) return order_;
    if (epoch < next_) {
      gen_.seed(seed_);
      next_ = 0;
    }
    for (; next_ <= epoch; ++next_) order_ = draw(gen_);
    cached_ = epoch;
    return order_;
  }

 private:
  uint64_t seed_;
  Generator gen_;
  int64_t next_ = 0, cached_ = -1;  // the epoch gen_ draws next; the epoch in order_
  std::vector<int64_t> order_;
};
}  // namespace detail

// A new permutation of 0..n-1 every epoch (what DataLoaderOptions::shuffle uses).
class RandomSampler : public Sampler {
 public:
  explicit RandomSampler(int64_t n, uint64_t seed = 0);
  int64_t size() const override { return n_; }
  std::vector<int64_t> indices() override;

 private:
  int64_t n_;
  detail::EpochDraws draws_;
};

// The given indices in a new random order every epoch (a validation split's complement, a
// class's examples). With indices 0..n-1 it gives RandomSampler(n, seed)'s orders.
class SubsetRandomSampler : public Sampler {
 public:
  SubsetRandomSampler(std::vector<int64_t> indices, uint64_t seed = 0);
  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  std::vector<int64_t> indices() override;

 private:
  std::vector<int64_t> indices_;
  detail::EpochDraws draws_;
};

// num_samples indices drawn with probability proportional to `weights` (which need not sum to
// 1), as torch.utils.data.WeightedRandomSampler: with replacement, independent draws; without,
// each draw from the indices not drawn yet (so num_samples ≤ the number of nonzero weights).
class WeightedRandomSampler : public Sampler {
 public:
  WeightedRandomSampler(std::vector<double> weights, int64_t num_samples, bool replacement = true,
                        uint64_t seed = 0);
  int64_t size() const override { return num_samples_; }
  std::vector<int64_t> indices() override;

 private:
  std::vector<double> cumulative_;  // running sums of the weights
  std::vector<double> weights_;
  int64_t num_samples_;
  bool replacement_;
  detail::EpochDraws draws_;
};

// Fisher-Yates permutation of 0..n-1 (n - 1 draws from gen).
std::vector<int64_t> permutation(int64_t n, Generator& gen);

}  // namespace xgrad::data
