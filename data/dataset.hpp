// Datasets: anything with size() and get(i). TensorDataset serves rows of in-memory tensors;
// Subset restricts a dataset to some indices.
#pragma once

#include <memory>
#include <vector>

#include "tensor/tensor.hpp"

namespace xgrad::data {

struct Example {
  Tensor input;
  Tensor target;
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  virtual Example get(int64_t index) const = 0;
};

// Row i of `inputs` and of `targets` (same first dimension).
class TensorDataset : public Dataset {
 public:
  TensorDataset(Tensor inputs, Tensor targets);
  int64_t size() const override { return inputs_.shape()[0]; }
  Example get(int64_t index) const override;
  const Tensor& inputs() const { return inputs_; }
  const Tensor& targets() const { return targets_; }

 private:
  Tensor inputs_, targets_;
};

class Subset : public Dataset {
 public:
  Subset(std::shared_ptr<const Dataset> dataset, std::vector<int64_t> indices);
  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  Example get(int64_t index) const override;
  const std::vector<int64_t>& indices() const { return indices_; }
  const std::shared_ptr<const Dataset>& dataset() const { return dataset_; }

 private:
  std::shared_ptr<const Dataset> dataset_;
  std::vector<int64_t> indices_;
};

// Rows `rows` of t (any rank ≥ 1), copied contiguously.
Tensor take_rows(const Tensor& t, const std::vector<int64_t>& rows);

}  // namespace xgrad::data
