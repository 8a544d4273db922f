// One-hot, label codes and argmax decoding.
#include "data/encoding.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace xgrad::data {

std::vector<int64_t> to_labels(const Tensor& labels) {
  std::vector<int64_t> out;
  if (!is_floating_point(labels.dtype())) {
    const Tensor l = labels.to(Dtype::int64).contiguous_copy();
    out.assign(l.data<int64_t>(), l.data<int64_t>() + l.numel());
    for (int64_t v : out)
      if (v < 0) throw Error("labels: expected non-negative integers, got " + std::to_string(v));
    return out;
  }
  for (double v : labels.to_vector()) {
    if (v != std::floor(v) || v < 0)
      throw Error("labels: expected non-negative integers, got " + std::to_string(v));
    out.push_back(static_cast<int64_t>(v));
  }
  return out;
}

Tensor one_hot(const Tensor& labels, int64_t num_classes, Dtype dtype) {
  if (labels.dim() != 1)
    throw Error("one_hot: expected labels of shape (N,), got " + format_shape(labels.shape()));
  std::vector<int64_t> l = to_labels(labels);
  Tensor out = zeros({static_cast<int64_t>(l.size()), num_classes}, dtype);
  for (std::size_t i = 0; i < l.size(); ++i) {
    if (l[i] >= num_classes)
      throw Error("one_hot: label " + std::to_string(l[i]) + " out of range for " +
                  std::to_string(num_classes) + " classes");
    out.set({static_cast<int64_t>(i), l[i]}, 1.0);
  }
  return out;
}

std::vector<int64_t> argmax_rows(const Tensor& scores) {
  if (scores.dim() != 2)
    throw Error("argmax_rows: expected (N, C) scores, got " + format_shape(scores.shape()));
  const int64_t n = scores.shape()[0], c = scores.shape()[1];
  std::vector<double> v = scores.to_vector();
  std::vector<int64_t> out(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    out[i] = std::max_element(v.begin() + i * c, v.begin() + (i + 1) * c) - (v.begin() + i * c);
  return out;
}

LabelEncoder& LabelEncoder::fit(const std::vector<std::string>& labels) {
  std::set<std::string> s(labels.begin(), labels.end());
  classes_.assign(s.begin(), s.end());
  return *this;
}

std::vector<int64_t> LabelEncoder::transform(const std::vector<std::string>& labels) const {
  std::vector<int64_t> out;
  for (const auto& l : labels) {
    auto it = std::lower_bound(classes_.begin(), classes_.end(), l);
    if (it == classes_.end() || *it != l) throw Error("LabelEncoder: unknown label \"" + l + "\"");
    out.push_back(it - classes_.begin());
  }
  return out;
}

std::vector<std::string> LabelEncoder::inverse_transform(const std::vector<int64_t>& codes) const {
  std::vector<std::string> out;
  for (int64_t c : codes) {
    if (c < 0 || c >= static_cast<int64_t>(classes_.size()))
      throw Error("LabelEncoder: code " + std::to_string(c) + " out of range");
    out.push_back(classes_[c]);
  }
  return out;
}

}  // namespace xgrad::data
