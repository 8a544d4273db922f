// Convolution: F::pad, F::unfold / F::fold (im2col as PyTorch lays it out), F::conv1d,
// F::conv2d, F::conv_transpose1d, F::conv_transpose2d, and the Conv1d, Conv2d,
// ConvTranspose1d, ConvTranspose2d layers. All are compositions of the differentiable im2col /
// col2im ops with one matrix product per group.
#pragma once

#include "module.hpp"
#include "options.hpp"
#include "../tensor/generator.hpp"

namespace xgrad::nn {

// How F::pad and a convolution's padding_mode fill the border: a constant (zeros for a
// convolution), the mirror image without the edge (reflect), the edge repeated (replicate), or
// the other side of the input (circular).
enum class PadMode { constant, reflect, replicate, circular };
const char* pad_mode_name(PadMode mode);

// A convolution's padding: a size (per side, one number or {h, w}), or "same" (the output has
// the input's size; stride 1; an odd total goes to the end, as PyTorch) or "valid" (none).
struct ConvPadding {
  enum class Kind { size, same, valid };
  Kind kind = Kind::size;
  Size2 size = 0;
  ConvPadding(int64_t both) : size(both) {}  // NOLINT: implicit on purpose
  ConvPadding(int both) : size(both) {}      // NOLINT: so that 0 is a size, not a pointer
  ConvPadding(int64_t h, int64_t w) : size(h, w) {}
  ConvPadding(Size2 s) : size(s) {}  // NOLINT
  ConvPadding(const char* word);     // NOLINT: "same" or "valid", else an Error
  std::string str() const;
};

namespace functional {

// pads lists (before, after) pairs from the last dim backwards, as PyTorch: {left, right} pads
// the last dim, {left, right, top, bottom} the last two. Constant padding may be negative (it
// crops); reflect needs each pad smaller than its dim, circular at most its dim.
Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, PadMode mode = PadMode::constant,
           double value = 0.0);

// im2col in PyTorch's layout: x (N, C, H, W) -> (N, C kh kw, L), L the number of windows,
// rows ordered (channel, kernel row, kernel column). fold sums such columns back into
// (N, C, output_size); both accept unbatched input without N.
Tensor unfold(const Tensor& x, Size2 kernel_size, Size2 dilation = 1, Size2 padding = 0,
              Size2 stride = 1);
Tensor fold(const Tensor& cols, Size2 output_size, Size2 kernel_size, Size2 dilation = 1,
            Size2 padding = 0, Size2 stride = 1);

// Cross-correlation as PyTorch's conv2d: x (N, C_in, H, W) or (C_in, H, W), weight (C_out,
// C_in / groups, kh, kw), bias (C_out) or undefined; zero padding.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
              Size2 stride = 1, const ConvPadding& padding = 0, Size2 dilation = 1,
              int64_t groups = 1);
// x (N, C_in, L) or (C_in, L), weight (C_out, C_in / groups, k).
Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
              int64_t stride = 1, const ConvPadding& padding = 0, int64_t dilation = 1,
              int64_t groups = 1);
// The adjoint of conv2d (its gradient w.r.t. the input): weight (C_in, C_out / groups, kh, kw);
// output size (H - 1) stride - 2 padding + dilation (k - 1) + output_padding + 1.
Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
                        Size2 stride = 1, Size2 padding = 0, Size2 output_padding = 0,
                        int64_t groups = 1, Size2 dilation = 1);
Tensor conv_transpose1d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(),
                        int64_t stride = 1, int64_t padding = 0, int64_t output_padding = 0,
                        int64_t groups = 1, int64_t dilation = 1);

}  // namespace functional

struct Conv2dOptions {
  Size2 stride = 1;
  ConvPadding padding = 0;
  Size2 dilation = 1;
  int64_t groups = 1;
  bool bias = true;
  PadMode padding_mode = PadMode::constant;  // PyTorch's "zeros"
};
struct Conv1dOptions {
  int64_t stride = 1;
  ConvPadding padding = 0;
  int64_t dilation = 1;
  int64_t groups = 1;
  bool bias = true;
  PadMode padding_mode = PadMode::constant;
};
struct ConvTranspose2dOptions {
  Size2 stride = 1;
  Size2 padding = 0;
  Size2 output_padding = 0;
  int64_t groups = 1;
  bool bias = true;
  Size2 dilation = 1;
};
struct ConvTranspose1dOptions {
  int64_t stride = 1;
  int64_t padding = 0;
  int64_t output_padding = 0;
  int64_t groups = 1;
  bool bias = true;
  int64_t dilation = 1;
};

// PyTorch's parameters and initialisation: weight (out, in / groups, kh, kw) ~
// kaiming_uniform(a = √5), i.e. U(-1/√fan_in, 1/√fan_in), bias (out) ~ the same bound, with
// fan_in = in / groups · kh · kw.
class Conv2d : public Module {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, Size2 kernel_size, Conv2dOptions options = {},
         Generator* gen = nullptr);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<Module> clone_empty() const override {
    return std::make_shared<Conv2d>(in_channels, out_channels, kernel_size, options);
  }
  std::string extra_repr() const override;
  Tensor weight, bias;  // bias is undefined without bias
  int64_t in_channels, out_channels;
  Size2 kernel_size;
  Conv2dOptions options;
};

class Conv1d : public Module {
 public:
  Conv1d(int64_t in_channels, int64_t out_channels, int64_t kernel_size, Conv1dOptions options = {},
         Generator* gen = nullptr);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<Module> clone_empty() const override {
    return std::make_shared<Conv1d>(in_channels, out_channels, kernel_size, options);
  }
  std::string extra_repr() const override;
  Tensor weight, bias;
  int64_t in_channels, out_channels, kernel_size;
  Conv1dOptions options;
};

// weight (in, out / groups, kh, kw), initialised as Conv2d's (fan_in = out / groups · kh · kw,
// PyTorch's rule for the transposed layout). forward(x) gives the smallest output size;
// forward(x, output_size) picks one of the sizes the stride allows (as PyTorch's output_size).
class ConvTranspose2d : public Module {
 public:
  ConvTranspose2d(int64_t in_channels, int64_t out_channels, Size2 kernel_size,
                  ConvTranspose2dOptions options = {}, Generator* gen = nullptr);
  Tensor forward(const Tensor& x) override;
  Tensor forward(const Tensor& x, Size2 output_size);
  std::shared_ptr<Module> clone_empty() const override {
    return std::make_shared<ConvTranspose2d>(in_channels, out_channels, kernel_size, options);
  }
  std::string extra_repr() const override;
  Tensor weight, bias;
  int64_t in_channels, out_channels;
  Size2 kernel_size;
  ConvTranspose2dOptions options;
};

class ConvTranspose1d : public Module {
 public:
  ConvTranspose1d(int64_t in_channels, int64_t out_channels, int64_t kernel_size,
                  ConvTranspose1dOptions options = {}, Generator* gen = nullptr);
  Tensor forward(const Tensor& x) override;
  std::shared_ptr<Module> clone_empty() const override {
    return std::make_shared<ConvTranspose1d>(in_channels, out_channels, kernel_size, options);
  }
  std::string extra_repr() const override;
  Tensor weight, bias;
  int64_t in_channels, out_channels, kernel_size;
  ConvTranspose1dOptions options;
};

}  // namespace xgrad::nn
