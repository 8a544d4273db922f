// MNIST IDX files (idx1 labels, idx3 images), raw or gzipped: magic numbers, dimensions and
// lengths are checked, so a truncated or corrupt file gives a clear error.
#pragma once

#include <string>

#include "tensor/tensor.hpp"

namespace xgrad::data {

// Labels (N,) as float values 0..255.
Tensor read_idx_labels(const std::string& path, Dtype dtype = Dtype::float32);
// Images (N, rows, cols) as float pixels scaled to [0, 1].
Tensor read_idx_images(const std::string& path, Dtype dtype = Dtype::float32);

struct MnistSplit {
  Tensor images;  // (N, 28, 28) in [0, 1]
  Tensor labels;  // (N,)
};
// Reads `train-images-idx3-ubyte[.gz]` + `train-labels-idx1-ubyte[.gz]` (or t10k-… for the
// test split) from a folder: MNIST, Fashion-MNIST (/usr/share/datasets/fashion-mnist), ...
MnistSplit load_mnist(const std::string& dir, bool train, Dtype dtype = Dtype::float32);

// Whole file contents, gunzipped when it starts with the gzip magic bytes.
std::string read_maybe_gzipped(const std::string& path);

}  // namespace xgrad::data
