// Feature scalers fitted on training data only. Their statistics save to and load from the
// same safetensors format as models, so a trained model can be applied later to raw data.
#pragma once

#include <string>

#include "../tensor/tensor.hpp"

namespace xgrad::data {

// (x - mean) / std per column (population std); a zero-variance column is scaled by 1, not NaN.
class StandardScaler {
 public:
  StandardScaler& fit(const Tensor& x);
  Tensor transform(const Tensor& x) const;
  Tensor fit_transform(const Tensor& x) { return fit(x).transform(x); }
  Tensor inverse_transform(const Tensor& x) const;
  void save(const std::string& path) const;
  void load(const std::string& path);
  const Tensor& mean() const { return mean_; }
  const Tensor& scale() const { return scale_; }

 private:
  Tensor mean_, scale_;  // (features,), float64
};

// (x - min) / (max - min) mapped to [low, high]; a constant column maps to low.
class MinMaxScaler {
 public:
  explicit MinMaxScaler(double low = 0.0, double high = 1.0);
  MinMaxScaler& fit(const Tensor& x);
  Tensor transform(const Tensor& x) const;
  Tensor fit_transform(const Tensor& x) { return fit(x).transform(x); }
  Tensor inverse_transform(const Tensor& x) const;
  void save(const std::string& path) const;
  void load(const std::string& path);

 private:
  double low_, high_;
  Tensor min_, range_;
};

}  // namespace xgrad::data
