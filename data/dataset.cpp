// TensorDataset, Subset and the row-gathering copy they and the DataLoader use.
#include "data/dataset.hpp"

#include <cstring>

namespace xgrad::data {

Tensor take_rows(const Tensor& t, const std::vector<int64_t>& rows) {
  if (t.dim() == 0) throw Error("take_rows: a 0-d tensor has no rows");
  Shape shape = t.shape();
  const int64_t n = shape[0];
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
    : inputs_(inputs.detach()), targets_(targets.detach()) {
  if (inputs_.dim() == 0 || targets_.dim() == 0 || inputs_.shape()[0] != targets_.shape()[0])
    throw Error("TensorDataset: inputs " + format_shape(inputs_.shape()) + " and targets " +
                format_shape(targets_.shape()) + " need the same number of rows");
}

Example TensorDataset::get(int64_t index) const {
  if (index < 0 || index >= size())
    throw Error("TensorDataset: index " + std::to_string(index) + " out of range for " +
                std::to_string(size()) + " examples");
  Tensor x = take_rows(inputs_, {index}), y = take_rows(targets_, {index});
  Shape xs(x.shape().begin() + 1, x.shape().end()), ys(y.shape().begin() + 1, y.shape().end());
  return {alias_with_shape(x, xs), alias_with_shape(y, ys)};
}

Subset::Subset(std::shared_ptr<const Dataset> dataset, std::vector<int64_t> indices)
    : dataset_(std::move(dataset)), indices_(std::move(indices)) {
  for (int64_t i : indices_)
    if (i < 0 || i >= dataset_->size())
      throw Error("Subset: index " + std::to_string(i) + " out of range for " +
                  std::to_string(dataset_->size()) + " examples");
}

Example Subset::get(int64_t index) const {
  if (index < 0 || index >= size())
    throw Error("Subset: index " + std::to_string(index) + " out of range for " +
                std::to_string(size()) + " examples");
  return dataset_->get(indices_[index]);
}

}  // namespace xgrad::data
