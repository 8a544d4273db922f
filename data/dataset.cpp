// Datasets and their batch assembly: stacking examples (the default), row copies for
// TensorDataset, byte-to-float conversion of the gathered rows for ByteImageDataset.
#include "data/dataset.hpp"

#include <cstring>

namespace xgrad::data {

namespace {
void check_index(const char* who, int64_t index, int64_t size) {
  if (index < 0 || index >= size)
    throw Error(std::string(who) + ": index " + std::to_string(index) + " out of range for " +
                std::to_string(size) + " examples");
}

void bytes_to_float(const uint8_t* src, float* dst, std::size_t n, float scale) {
  for (std::size_t k = 0; k < n; ++k) dst[k] = static_cast<float>(src[k]) * scale;
}

// A tensor whose rows can be copied with memcpy.
Tensor dense(const Tensor& t) { return t.is_contiguous() ? t : t.contiguous_copy(); }

Tensor stack(const std::vector<Tensor>& parts) {
  if (parts.empty()) throw Error("Dataset::get_batch: no indices");
  Shape shape = parts[0].shape();
  shape.insert(shape.begin(), static_cast<int64_t>(parts.size()));
  Tensor out = empty(shape, parts[0].dtype());
  const std::size_t bytes =
      static_cast<std::size_t>(parts[0].numel()) * dtype_size(parts[0].dtype());
  char* dst = static_cast<char*>(out.raw_data());
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].shape() != parts[0].shape() || parts[i].dtype() != parts[0].dtype())
      throw Error("Dataset::get_batch: examples of shape " + format_shape(parts[0].shape()) +
                  " and " + format_shape(parts[i].shape()) + " cannot be batched");
    const Tensor part = dense(parts[i]);
    std::memcpy(dst + i * bytes, part.raw_data(), bytes);
  }
  return out;
}
}  // namespace

Batch Dataset::get_batch(const std::vector<int64_t>& indices) const {
  std::vector<Tensor> xs, ys;
  for (int64_t i : indices) {
    Example e = get(i);
    xs.push_back(e.input);
    ys.push_back(e.target);
  }
  return {stack(xs), stack(ys)};
}

Tensor take_rows(const Tensor& strided, const std::vector<int64_t>& rows) {
  if (strided.dim() == 0) throw Error("take_rows: a 0-d tensor has no rows");
  const Tensor t = dense(strided);
  const int64_t n = t.size(0);
  Shape shape = t.shape();
  shape[0] = static_cast<int64_t>(rows.size());
  Tensor out = empty(shape, t.dtype());
  const std::size_t row_bytes =
      static_cast<std::size_t>(n ? t.numel() / n : 0) * dtype_size(t.dtype());
  const char* src = static_cast<const char*>(t.raw_data());
  char* dst = static_cast<char*>(out.raw_data());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] < 0 || rows[i] >= n)
      throw Error("take_rows: row " + std::to_string(rows[i]) + " out of range for shape " +
                  format_shape(t.shape()));
    std::memcpy(dst + i * row_bytes, src + rows[i] * row_bytes, row_bytes);
  }
  return out;
}

TensorDataset::TensorDataset(Tensor inputs, Tensor targets)
    : inputs_(dense(inputs.detach())), targets_(dense(targets.detach())) {
  if (inputs_.dim() == 0 || targets_.dim() == 0 || inputs_.shape()[0] != targets_.shape()[0])
    throw Error("TensorDataset: inputs " + format_shape(inputs_.shape()) + " and targets " +
                format_shape(targets_.shape()) + " need the same number of rows");
}

Example TensorDataset::get(int64_t index) const {
  check_index("TensorDataset", index, size());
  Tensor x = take_rows(inputs_, {index}), y = take_rows(targets_, {index});
  Shape xs(x.shape().begin() + 1, x.shape().end()), ys(y.shape().begin() + 1, y.shape().end());
  return {alias_with_shape(x, xs), alias_with_shape(y, ys)};
}

Batch TensorDataset::get_batch(const std::vector<int64_t>& indices) const {
  return {take_rows(inputs_, indices), take_rows(targets_, indices)};
}

ByteImageDataset::ByteImageDataset(std::vector<uint8_t> pixels, Shape example_shape, Tensor targets,
                                   float scale)
    : pixels_(std::move(pixels)),
      example_shape_(std::move(example_shape)),
      example_size_(shape_numel(example_shape_)),
      targets_(targets.detach()),
      scale_(scale) {
  if (targets_.dim() == 0 ||
      static_cast<uint64_t>(targets_.shape()[0]) * static_cast<uint64_t>(example_size_) !=
          pixels_.size())
    throw Error("ByteImageDataset: " + std::to_string(pixels_.size()) +
                " pixel bytes do not hold " +
                std::to_string(targets_.dim() ? targets_.shape()[0] : 0) + " images of shape " +
                format_shape(example_shape_));
}

Example ByteImageDataset::get(int64_t index) const {
  Batch b = get_batch({index});
  return {
      alias_with_shape(b.inputs, example_shape_),
      alias_with_shape(b.targets, Shape(b.targets.shape().begin() + 1, b.targets.shape().end()))};
}

Batch ByteImageDataset::get_batch(const std::vector<int64_t>& indices) const {
  for (int64_t i : indices) check_index("ByteImageDataset", i, size());
  Shape shape = example_shape_;
  shape.insert(shape.begin(), static_cast<int64_t>(indices.size()));
  Tensor out = empty(shape, Dtype::float32);
  float* dst = out.data<float>();
  const std::size_t row = static_cast<std::size_t>(example_size_);
  // Rows are scattered over the whole array: prefetch a few rows ahead so the memory system
  // streams them while this row converts (measured: 15 ms -> 9 ms per MNIST epoch).
  constexpr std::size_t kAhead = 4;
  for (std::size_t i = 0; i < indices.size(); ++i) {
    if (i + kAhead < indices.size()) {
      const uint8_t* next = pixels_.data() + static_cast<std::size_t>(indices[i + kAhead]) * row;
      for (std::size_t b = 0; b < row; b += 64) __builtin_prefetch(next + b);
    }
    bytes_to_float(pixels_.data() + static_cast<std::size_t>(indices[i]) * row, dst + i * row, row,
                   scale_);
  }
  return {out, take_rows(targets_, indices)};
}

Tensor ByteImageDataset::images() const {
  Shape shape = example_shape_;
  shape.insert(shape.begin(), size());
  Tensor out = empty(shape, Dtype::float32);
  bytes_to_float(pixels_.data(), out.data<float>(), pixels_.size(), scale_);
  return out;
}

Subset::Subset(std::shared_ptr<const Dataset> dataset, std::vector<int64_t> indices)
    : dataset_(std::move(dataset)), indices_(std::move(indices)) {
  if (!dataset_) throw Error("Subset: dataset is null");
  for (int64_t i : indices_) check_index("Subset", i, dataset_->size());
}

Example Subset::get(int64_t index) const {
  check_index("Subset", index, size());
  return dataset_->get(indices_[index]);
}

Batch Subset::get_batch(const std::vector<int64_t>& indices) const {
  std::vector<int64_t> rows(indices.size());
  for (std::size_t i = 0; i < indices.size(); ++i) {
    check_index("Subset", indices[i], size());
    rows[i] = indices_[static_cast<std::size_t>(indices[i])];
  }
  return dataset_->get_batch(rows);
}

}  // namespace xgrad::data
