// Datasets: anything with size() and get(i); get_batch(indices) assembles a batch (by default
// by stacking get(i), in-memory datasets override it with row copies). TensorDataset serves rows
// of in-memory tensors, ByteImageDataset keeps 8-bit images as bytes (a quarter of the memory)
// and converts only the rows of each batch, Subset restricts a dataset to some indices.
#pragma once

#include <memory>
#include <vector>

#include "../tensor/tensor.hpp"

namespace xgrad::data {

struct Example {
  Tensor input;
  Tensor target;
};

struct Batch {
  Tensor inputs;   // (batch, ...) the examples' inputs stacked
  Tensor targets;  // (batch, ...)
  // Whatever else a DataLoader's collate function returns with the batch (sequence lengths,
  // masks, example ids), in its own order; empty from the datasets' get_batch.
  std::vector<Tensor> extras{};
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  virtual Example get(int64_t index) const = 0;
  // Examples `indices`, in that order, stacked along a new first dimension.
  virtual Batch get_batch(const std::vector<int64_t>& indices) const;
};

// Row i of `inputs` and of `targets` (same first dimension).
class TensorDataset : public Dataset {
 public:
  TensorDataset(Tensor inputs, Tensor targets);
  int64_t size() const override { return inputs_.shape()[0]; }
  Example get(int64_t index) const override;
  Batch get_batch(const std::vector<int64_t>& indices) const override;
  const Tensor& inputs() const { return inputs_; }
  const Tensor& targets() const { return targets_; }

 private:
  Tensor inputs_, targets_;
};

// Images stored as their 8-bit pixels (N × example_shape bytes, row-major); an example's input is
// float32 pixel · scale (by default 1/255, so in [0, 1]). MNIST's 60,000 training images take
// 47 MB here instead of 188 MB as float32, and a shuffled epoch reads a quarter of the bytes.
class ByteImageDataset : public Dataset {
 public:
  ByteImageDataset(std::vector<uint8_t> pixels, Shape example_shape, Tensor targets,
                   float scale = 1.0f / 255.0f);
  int64_t size() const override { return targets_.shape()[0]; }
  Example get(int64_t index) const override;
  Batch get_batch(const std::vector<int64_t>& indices) const override;
  const Shape& example_shape() const { return example_shape_; }
  const Tensor& targets() const { return targets_; }
  // Every image as one float32 tensor (N, example_shape...), e.g. for evaluation.
  Tensor images() const;

 private:
  std::vector<uint8_t> pixels_;
  Shape example_shape_;
  int64_t example_size_;
  Tensor targets_;
  float scale_;
};

class Subset : public Dataset {
 public:
  Subset(std::shared_ptr<const Dataset> dataset, std::vector<int64_t> indices);
  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  Example get(int64_t index) const override;
  Batch get_batch(const std::vector<int64_t>& indices) const override;
  const std::vector<int64_t>& indices() const { return indices_; }
  const std::shared_ptr<const Dataset>& dataset() const { return dataset_; }

 private:
  std::shared_ptr<const Dataset> dataset_;
  std::vector<int64_t> indices_;
};

// Rows `rows` of t (any rank ≥ 1), copied contiguously.
Tensor take_rows(const Tensor& t, const std::vector<int64_t>& rows);

}  // namespace xgrad::data
