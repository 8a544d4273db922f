// Metrics on plain label vectors and tensors: accuracy, confusion matrix with per-class
// precision / recall / F1, and the regression errors MSE, RMSE, MAE, R².
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "../tensor/tensor.hpp"

namespace xgrad::data {

double accuracy(const std::vector<int64_t>& predicted, const std::vector<int64_t>& truth);

class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int64_t num_classes, std::vector<std::string> class_names = {});
  void add(const std::vector<int64_t>& predicted, const std::vector<int64_t>& truth);
  int64_t at(int64_t truth, int64_t predicted) const { return counts_.at(truth * n_ + predicted); }
  int64_t num_classes() const { return n_; }
  double accuracy() const;
  double precision(int64_t c) const;  // 0 when nothing was predicted as c
  double recall(int64_t c) const;
  double f1(int64_t c) const;
  std::string to_string() const;  // rows = true class, columns = predicted, then P/R/F1

 private:
  int64_t n_;
  std::vector<std::string> names_;
  std::vector<int64_t> counts_;
};
std::ostream& operator<<(std::ostream& os, const ConfusionMatrix& m);

double mse(const Tensor& predicted, const Tensor& truth);
double rmse(const Tensor& predicted, const Tensor& truth);
double mae(const Tensor& predicted, const Tensor& truth);
double r2_score(const Tensor& predicted, const Tensor& truth);

}  // namespace xgrad::data
