// MNIST IDX files (idx1 labels, idx3 images), raw or gzipped: magic numbers, dimensions and
// lengths are checked, so a truncated or corrupt file gives a clear error.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dataset.hpp"
#include "gzip.hpp"  // read_maybe_gzipped, which the IDX readers use
#include "../tensor/tensor.hpp"

namespace xgrad::data {

// Labels (N,) as values 0..255, int64 unless asked otherwise.
Tensor read_idx_labels(const std::string& path, Dtype dtype = Dtype::int64);
// Images (N, rows, cols) as float pixels scaled to [0, 1].
Tensor read_idx_images(const std::string& path, Dtype dtype = Dtype::float32);

// An idx3 file's pixels as stored: `shape` is (N, rows, cols), `pixels` its N·rows·cols bytes.
struct IdxBytes {
  Shape shape;
  std::vector<uint8_t> pixels;
};
IdxBytes read_idx_image_bytes(const std::string& path);

// How image splits are shaped: (N, rows, cols) as the file stores them (what an MLP flattens), or
// with a channel dimension, (N, 1, rows, cols): the (N, C, H, W) that convolutions take.
enum class ImageLayout { nhw, nchw };

struct MnistSplit {
  Tensor images;  // (N, 28, 28) in [0, 1], or (N, 1, 28, 28) with ImageLayout::nchw
  Tensor labels;  // (N,) int64
};
// Reads `train-images-idx3-ubyte[.gz]` + `train-labels-idx1-ubyte[.gz]` (or t10k-… for the
// test split) from a folder: MNIST, Fashion-MNIST (/usr/share/datasets/fashion-mnist), ...
// `dtype` is the images'; labels are int64.
MnistSplit load_mnist(const std::string& dir, bool train, Dtype dtype = Dtype::float32,
                      ImageLayout layout = ImageLayout::nhw);
// The same split as a ByteImageDataset (images kept as bytes, float32 [0, 1] per batch; int64
// labels): what a training loop's DataLoader should use. Its examples are (28, 28), or
// (1, 28, 28) with ImageLayout::nchw, so that batches are (N, 1, 28, 28).
std::shared_ptr<ByteImageDataset> load_mnist_dataset(const std::string& dir, bool train,
                                                     ImageLayout layout = ImageLayout::nhw);

}  // namespace xgrad::data
