// Pooling: max (with indices, ceil_mode, dilation), average (count_include_pad, ceil_mode,
// divisor_override), adaptive average and adaptive max, 1-D and 2-D, and max unpooling, as
// functions and layers. Max pooling gathers each window's first maximum (its gradient goes
// there, as PyTorch); average pooling sums im2col windows; adaptive average pooling is two
// products with averaging matrices.
#pragma once

#include <optional>

#include "module.hpp"
#include "options.hpp"

namespace xgrad::nn {

struct MaxPool2dOptions {
  std::optional<Size2> stride;  // the kernel size when unset
  Size2 padding = 0;            // -inf padding, at most half the kernel
  Size2 dilation = 1;
  bool ceil_mode = false;  // count a last, partial window
};
struct MaxPool1dOptions {
  std::optional<int64_t> stride;
  int64_t padding = 0;
  int64_t dilation = 1;
  bool ceil_mode = false;
};
struct AvgPool2dOptions {
  std::optional<Size2> stride;
  Size2 padding = 0;  // zero padding, at most half the kernel
  bool ceil_mode = false;
  bool count_include_pad = true;            // divide by the window including its padding
  std::optional<int64_t> divisor_override;  // divide by this instead
};
struct AvgPool1dOptions {
  std::optional<int64_t> stride;
  int64_t padding = 0;
  bool ceil_mode = false;
  bool count_include_pad = true;
};

// Values and, for each, the flat position h W + w of the maximum in its (n, c) plane (int64),
// as max_unpool2d takes them.
struct PoolResult {
  Tensor values, indices;
};

namespace functional {

// Inputs are (N, C, H, W) or (C, H, W); the 1-D forms (N, C, L) or (C, L).
Tensor max_pool2d(const Tensor& x, Size2 kernel_size, const MaxPool2dOptions& options = {});
PoolResult max_pool2d_with_indices(const Tensor& x, Size2 kernel_size,
                                   const MaxPool2dOptions& options = {});
Tensor max_pool1d(const Tensor& x, int64_t kernel_size, const MaxPool1dOptions& options = {});
PoolResult max_pool1d_with_indices(const Tensor& x, int64_t kernel_size,
                                   const MaxPool1dOptions& options = {});
Tensor avg_pool2d(const Tensor& x, Size2 kernel_size, const AvgPool2dOptions& options = {});
Tensor avg_pool1d(const Tensor& x, int64_t kernel_size, const AvgPool1dOptions& options = {});
// Window i of n over a dim of size s spans [floor(i s / n), ceil((i + 1) s / n)).
Tensor adaptive_avg_pool2d(const Tensor& x, Size2 output_size);
Tensor adaptive_avg_pool1d(const Tensor& x, int64_t output_size);
Tensor adaptive_max_pool2d(const Tensor& x, Size2 output_size);
PoolResult adaptive_max_pool2d_with_indices(const Tensor& x, Size2 output_size);
Tensor adaptive_max_pool1d(const Tensor& x, int64_t output_size);
// The inverse of max_pool2d_with_indices: zeros of the pooled input's size with each value put
// back at its index. output_size defaults to (H - 1) stride - 2 padding + kernel_size.
Tensor max_unpool2d(const Tensor& x, const Tensor& indices, Size2 kernel_size,
                    std::optional<Size2> stride = std::nullopt, Size2 padding = 0,
                    std::optional<Size2> output_size = std::nullopt);

}  // namespace functional

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(Size2 kernel_size, MaxPool2dOptions options = {});
  Tensor forward(const Tensor& x) override;
  PoolResult forward_with_indices(const Tensor& x);
  std::shared_ptr<Module> clone_empty() const override {
    return std::make_shared<MaxPool2d>(kernel_size, options);
  }
  std::string extra_repr() const override;
  Size2 kernel_size;
  MaxPool2dOptions options;
};

class MaxPool1d : public Module {
 public:
  explicit MaxPool1d(int64_t kernel_size, MaxPool1dOptions options = {});
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<Module> clone_empty() const override {
    return std::make_shared<MaxPool1d>(kernel_size, options);
  }
  std::string extra_repr() const override;
  int64_t kernel_size;
  MaxPool1dOptions options;
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(Size2 kernel_size, AvgPool2dOptions options = {});
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<Module> clone_empty() const override {
    return std::make_shared<AvgPool2d>(kernel_size, options);
  }
  std::string extra_repr() const override;
  Size2 kernel_size;
  AvgPool2dOptions options;
};

class AvgPool1d : public Module {
 public:
  explicit AvgPool1d(int64_t kernel_size, AvgPool1dOptions options = {});
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<Module> clone_empty() const override {
    return std::make_shared<AvgPool1d>(kernel_size, options);
  }
  std::string extra_repr() const override;
  int64_t kernel_size;
  AvgPool1dOptions options;
};

class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(Size2 output_size) : output_size(output_size) {}
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<Module> clone_empty() const override {
    return std::make_shared<AdaptiveAvgPool2d>(output_size);
  }
  std::string extra_repr() const override { return "output_size=" + output_size.pair(); }
  Size2 output_size;
};

class AdaptiveMaxPool2d : public Module {
 public:
  explicit AdaptiveMaxPool2d(Size2 output_size) : output_size(output_size) {}
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<Module> clone_empty() const override {
    return std::make_shared<AdaptiveMaxPool2d>(output_size);
  }
  std::string extra_repr() const override { return "output_size=" + output_size.pair(); }
  Size2 output_size;
};

// forward(x) needs the indices: call forward(x, indices) (the single-tensor forward raises).
class MaxUnpool2d : public Module {
 public:
  explicit MaxUnpool2d(Size2 kernel_size, std::optional<Size2> stride = std::nullopt,
                       Size2 padding = 0)
      : kernel_size(kernel_size), stride(stride), padding(padding) {}
  Tensor forward(const Tensor& x) override;
  Tensor forward(const Tensor& x, const Tensor& indices,
                 std::optional<Size2> output_size = std::nullopt);
  std::shared_ptr<Module> clone_empty() const override {
    return std::make_shared<MaxUnpool2d>(kernel_size, stride, padding);
  }
  Size2 kernel_size;
  std::optional<Size2> stride;
  Size2 padding;
};

}  // namespace xgrad::nn
