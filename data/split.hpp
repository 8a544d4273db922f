// Index splits: a seeded train/test split (optionally stratified by label) and k folds.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace xgrad::data {

struct Split {
  std::vector<int64_t> train;
  std::vector<int64_t> test;
};

// round(n · test_fraction) examples go to test. With stratify_labels (one label per example),
// each class contributes its own share, so class proportions are kept.
Split train_test_split(int64_t n, double test_fraction, uint64_t seed,
                       const std::vector<int64_t>& stratify_labels = {});

// k folds over a seeded permutation; fold i's test part is the i-th slice.
std::vector<Split> k_fold(int64_t n, int64_t k, uint64_t seed);

}  // namespace xgrad::data
