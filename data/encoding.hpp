// Label encodings: one-hot vectors, string classes to codes and back, argmax decoding.
#pragma once

#include <string>
#include <vector>

#include "../tensor/tensor.hpp"

namespace xgrad::data {

// labels (N,) holding 0..num_classes-1 -> (N, num_classes) of 0/1.
Tensor one_hot(const Tensor& labels, int64_t num_classes, Dtype dtype = Dtype::float32);

// Index of the largest entry of each row of (N, C) scores (predicted classes), as int64.
std::vector<int64_t> argmax_rows(const Tensor& scores);
// Tensor of integral labels -> std::vector<int64_t>, validated.
std::vector<int64_t> to_labels(const Tensor& labels);

class LabelEncoder {
 public:
  LabelEncoder& fit(const std::vector<std::string>& labels);  // classes sorted, unique
  std::vector<int64_t> transform(const std::vector<std::string>& labels) const;
  std::vector<std::string> inverse_transform(const std::vector<int64_t>& codes) const;
  const std::vector<std::string>& classes() const { return classes_; }
  explicit LabelEncoder(std::vector<std::string> classes = {}) : classes_(std::move(classes)) {}

 private:
  std::vector<std::string> classes_;
};

}  // namespace xgrad::data
