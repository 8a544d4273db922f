// Convolutions: argument checks and geometry, then conv2d_windows (oneDNN for float32, else
// im2col + one GEMM per group); transposed convolution: the input's pixels as rows times the
// weight, summed into the image by col2im. No derivative is written here.
#include "nn/conv.hpp"

#include <cmath>

#include "nn/init.hpp"

namespace xgrad::nn {

namespace {

std::string str(const Tensor& t) { return format_shape(t.shape()); }

// The size of a padded dim seen by windows: out = (size + before + after - d (k - 1) - 1) / s + 1.
int64_t window_count(int64_t size, int64_t padded, int64_t k, int64_t s, int64_t d) {
  const int64_t span = size + padded - d * (k - 1) - 1;
  return span < 0 ? 0 : span / s + 1;
}

// An error of the 2-D op a 1-D op delegates to, renamed for the 1-D call.
[[noreturn]] void rethrow_as(const std::string& op_1d, const std::string& op_2d, const Error& e,
                             const Tensor& x, const Tensor& weight) {
  std::string what = e.what();
  const std::string prefix = op_2d + ": ";
  if (what.rfind(prefix, 0) == 0) what = what.substr(prefix.size());
  throw Error(op_1d + ": input " + str(x) + ", weight " + str(weight) + ": " + what);
}

void check_floating_same(const char* op, const Tensor& x, const Tensor& weight,
                         const Tensor& bias) {
  if (!is_floating_point(x.dtype()) || weight.dtype() != x.dtype() ||
      (bias.defined() && bias.dtype() != x.dtype()))
    throw Error(std::string(op) + ": input, weight and bias need one floating dtype, got " +
                dtype_name(x.dtype()) + ", " + dtype_name(weight.dtype()) +
                (bias.defined() ? std::string(", ") + dtype_name(bias.dtype()) : ""));
}

void check_positive(const char* op, const char* what, Size2 s) {
  if (s.h < 1 || s.w < 1)
    throw Error(std::string(op) + ": " + what + " must be positive, got " + s.pair());
}

// (before, after) zero padding of one dim.
struct SidePads {
  int64_t before = 0, after = 0;
};
SidePads resolve_padding(const char* op, const ConvPadding& p, int64_t explicit_size,
                         int64_t kernel, int64_t dilation) {
  switch (p.kind) {
    case ConvPadding::Kind::valid:
      return {};
    case ConvPadding::Kind::same: {
      const int64_t total = dilation * (kernel - 1);
      return {total / 2, total - total / 2};
    }
    case ConvPadding::Kind::size:
      break;
  }
  if (explicit_size < 0)
    throw Error(std::string(op) + ": padding must be non-negative, got " + p.str());
  return {explicit_size, explicit_size};
}

}  // namespace

const char* pad_mode_name(PadMode mode) {
  switch (mode) {
    case PadMode::constant:
      return "zeros";
    case PadMode::reflect:
      return "reflect";
    case PadMode::replicate:
      return "replicate";
    case PadMode::circular:
      return "circular";
  }
  return "?";
}

ConvPadding::ConvPadding(const char* word) {
  const std::string w(word);
  if (w == "same")
    kind = Kind::same;
  else if (w == "valid")
    kind = Kind::valid;
  else
    throw Error("convolution padding: expected a size, \"same\" or \"valid\", got \"" + w + "\"");
}

std::string ConvPadding::str() const {
  switch (kind) {
    case Kind::same:
      return "\"same\"";
    case Kind::valid:
      return "\"valid\"";
    case Kind::size:
      break;
  }
  return size.str();
}

namespace functional {

Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, PadMode mode, double value) {
  if (pads.size() % 2 != 0 || static_cast<int64_t>(pads.size()) > 2 * x.dim())
    throw Error("pad: expected (before, after) pairs for at most " + std::to_string(x.dim()) +
                " dims of input " + str(x) + ", got " + std::to_string(pads.size()) + " numbers");
  Tensor out = x;
  for (std::size_t k = 0; k < pads.size() / 2; ++k) {
    const int64_t dim = x.dim() - 1 - static_cast<int64_t>(k);
    const int64_t before = pads[2 * k], after = pads[2 * k + 1], size = out.shape()[dim];
    const std::string where = "pad (" + std::string(pad_mode_name(mode)) + "): padding (" +
                              std::to_string(before) + ", " + std::to_string(after) + ") of dim " +
                              std::to_string(dim) + " of input " + str(x);
    if (mode == PadMode::constant) {
      if (before + size < 0 || after + size < 0 || before + after + size < 0)
        throw Error(where + " crops more than the dim holds");
      // Negative pads crop first; positive ones add constant slabs.
      out = slice(out, dim, std::max<int64_t>(0, -before), size - std::max<int64_t>(0, -after));
      std::vector<Tensor> parts;
      Shape slab = out.shape();
      if (before > 0) {
        slab[dim] = before;
        parts.push_back(full(slab, value, out.dtype()));
      }
      parts.push_back(out);
      if (after > 0) {
        slab[dim] = after;
        parts.push_back(full(slab, value, out.dtype()));
      }
      if (parts.size() > 1) out = concat(parts, dim);
      continue;
    }
    if (before < 0 || after < 0) throw Error(where + ": negative padding needs constant mode");
    if (before == 0 && after == 0) continue;
    std::vector<Tensor> parts;
    switch (mode) {
      case PadMode::reflect:
        if (before >= size || after >= size)
          throw Error(where + ": each pad must be smaller than the dim's size " +
                      std::to_string(size));
        if (before > 0) parts.push_back(flip(slice(out, dim, 1, before + 1), {dim}));
        parts.push_back(out);
        if (after > 0) parts.push_back(flip(slice(out, dim, size - 1 - after, size - 1), {dim}));
        break;
      case PadMode::replicate: {
        if (size == 0) throw Error(where + ": cannot replicate an empty dim");
        Shape slab = out.shape();
        if (before > 0) {
          slab[dim] = before;
          parts.push_back(expand(slice(out, dim, 0, 1), slab));
        }
        parts.push_back(out);
        if (after > 0) {
          slab[dim] = after;
          parts.push_back(expand(slice(out, dim, size - 1, size), slab));
        }
        break;
      }
      case PadMode::circular:
        if (before > size || after > size)
          throw Error(where + ": each pad must be at most the dim's size " + std::to_string(size));
        if (before > 0) parts.push_back(slice(out, dim, size - before, size));
        parts.push_back(out);
        if (after > 0) parts.push_back(slice(out, dim, 0, after));
        break;
      case PadMode::constant:
        break;
    }
    out = concat(parts, dim);
  }
  return out;
}

Tensor unfold(const Tensor& x, Size2 kernel_size, Size2 dilation, Size2 padding, Size2 stride) {
  if (x.dim() != 3 && x.dim() != 4)
    throw Error("unfold: expected input (N, C, H, W) or (C, H, W), got " + str(x));
  check_positive("unfold", "kernel_size", kernel_size);
  check_positive("unfold", "dilation", dilation);
  check_positive("unfold", "stride", stride);
  if (padding.h < 0 || padding.w < 0)
    throw Error("unfold: padding must be non-negative, got " + padding.pair());
  const Tensor xb = x.dim() == 3 ? unsqueeze(x, 0) : x;
  Window2d w{kernel_size.h, kernel_size.w, stride.h,   stride.w, padding.h,
             padding.w,     dilation.h,    dilation.w, 0,        0};
  w.out_h = window_count(xb.shape()[2], 2 * padding.h, w.kernel_h, w.stride_h, w.dilation_h);
  w.out_w = window_count(xb.shape()[3], 2 * padding.w, w.kernel_w, w.stride_w, w.dilation_w);
  if (w.out_h < 1 || w.out_w < 1)
    throw Error("unfold: input " + str(x) + " with padding " + padding.pair() +
                " is smaller than the dilated kernel " + kernel_size.pair());
  const int64_t n = xb.shape()[0], c = xb.shape()[1];
  Tensor cols =
      transpose(reshape(im2col(xb, w), {n, w.out_h * w.out_w, c * w.kernel_h * w.kernel_w}), 1, 2);
  return x.dim() == 3 ? squeeze(cols, 0) : cols;
}

Tensor fold(const Tensor& cols, Size2 output_size, Size2 kernel_size, Size2 dilation, Size2 padding,
            Size2 stride) {
  if (cols.dim() != 2 && cols.dim() != 3)
    throw Error("fold: expected input (N, C kh kw, L) or (C kh kw, L), got " + str(cols));
  check_positive("fold", "kernel_size", kernel_size);
  check_positive("fold", "dilation", dilation);
  check_positive("fold", "stride", stride);
  if (padding.h < 0 || padding.w < 0 || output_size.h < 0 || output_size.w < 0)
    throw Error("fold: padding and output_size must be non-negative, got " + padding.pair() +
                " and " + output_size.pair());
  const Tensor cb = cols.dim() == 2 ? unsqueeze(cols, 0) : cols;
  Window2d w{kernel_size.h, kernel_size.w, stride.h,   stride.w, padding.h,
             padding.w,     dilation.h,    dilation.w, 0,        0};
  w.out_h = window_count(output_size.h, 2 * padding.h, w.kernel_h, w.stride_h, w.dilation_h);
  w.out_w = window_count(output_size.w, 2 * padding.w, w.kernel_w, w.stride_w, w.dilation_w);
  const int64_t kk = w.kernel_h * w.kernel_w, n = cb.shape()[0];
  if (cb.shape()[1] % kk != 0 || cb.shape()[2] != w.out_h * w.out_w || w.out_h < 1 || w.out_w < 1)
    throw Error("fold: input " + str(cols) + " does not match output_size " + output_size.pair() +
                " with kernel_size " + kernel_size.pair() + " (expected (N, C·" +
                std::to_string(kk) + ", " + std::to_string(w.out_h * w.out_w) + "))");
  const int64_t c = cb.shape()[1] / kk;
  Tensor windows = reshape(transpose(cb, 1, 2), {n, w.out_h, w.out_w, c, w.kernel_h, w.kernel_w});
  Tensor image = col2im(windows, output_size.h, output_size.w, w);
  return cols.dim() == 2 ? squeeze(image, 0) : image;
}

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Size2 stride,
              const ConvPadding& padding, Size2 dilation, int64_t groups) {
  if (x.dim() != 3 && x.dim() != 4)
    throw Error("conv2d: expected input (N, C, H, W) or (C, H, W), got " + str(x));
  if (weight.dim() != 4)
    throw Error("conv2d: weight must be (C_out, C_in / groups, kh, kw), got " + str(weight));
  check_floating_same("conv2d", x, weight, bias);
  check_positive("conv2d", "stride", stride);
  check_positive("conv2d", "dilation", dilation);
  const int64_t c_out = weight.shape()[0];
  if (groups < 1 || c_out % groups != 0)
    throw Error("conv2d: groups " + std::to_string(groups) + " must be positive and divide the " +
                std::to_string(c_out) + " output channels of weight " + str(weight));
  const Tensor xb = x.dim() == 3 ? unsqueeze(x, 0) : x;
  if (xb.shape()[1] != weight.shape()[1] * groups)
    throw Error("conv2d: weight " + str(weight) + " with groups " + std::to_string(groups) +
                " expects input with " + std::to_string(weight.shape()[1] * groups) +
                " channels, got " + str(x));
  if (bias.defined() && (bias.dim() != 1 || bias.shape()[0] != c_out))
    throw Error("conv2d: bias " + str(bias) + " does not match the " + std::to_string(c_out) +
                " output channels of weight " + str(weight));
  if (padding.kind == ConvPadding::Kind::same && (stride.h != 1 || stride.w != 1))
    throw Error("conv2d: padding \"same\" needs stride 1, got stride " + stride.pair());
  const int64_t kh = weight.shape()[2], kw = weight.shape()[3];
  const SidePads ph = resolve_padding("conv2d", padding, padding.size.h, kh, dilation.h);
  const SidePads pw = resolve_padding("conv2d", padding, padding.size.w, kw, dilation.w);
  Window2d w{kh, kw, stride.h, stride.w, ph.before, pw.before, dilation.h, dilation.w, 0, 0};
  w.out_h = window_count(xb.shape()[2], ph.before + ph.after, kh, stride.h, dilation.h);
  w.out_w = window_count(xb.shape()[3], pw.before + pw.after, kw, stride.w, dilation.w);
  if (w.out_h < 1 || w.out_w < 1)
    throw Error("conv2d: input " + str(x) + " with padding " + padding.str() +
                " is smaller than the kernel (" + std::to_string(kh) + ", " + std::to_string(kw) +
                ") dilated by " + dilation.pair());
  Tensor y = conv2d_windows(xb, weight, bias, w, groups);
  return x.dim() == 3 ? squeeze(y, 0) : y;
}

Tensor conv1d(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride,
              const ConvPadding& padding, int64_t dilation, int64_t groups) {
  if (x.dim() != 2 && x.dim() != 3)
    throw Error("conv1d: expected input (N, C, L) or (C, L), got " + str(x));
  if (weight.dim() != 3)
    throw Error("conv1d: weight must be (C_out, C_in / groups, k), got " + str(weight));
  if (padding.kind == ConvPadding::Kind::size && padding.size.h != padding.size.w)
    throw Error("conv1d: padding must be one number, got " + padding.size.pair());
  ConvPadding p2 = padding;
  if (padding.kind == ConvPadding::Kind::size) p2.size = Size2(0, padding.size.w);
  try {
    Tensor y = conv2d(unsqueeze(x, -2), unsqueeze(weight, 2), bias, Size2(1, stride), p2,
                      Size2(1, dilation), groups);
    return squeeze(y, -2);
  } catch (const Error& e) {
    rethrow_as("conv1d", "conv2d", e, x, weight);  // the message names 2-D shapes
  }
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Size2 stride,
                        Size2 padding, Size2 output_padding, int64_t groups, Size2 dilation) {
  if (x.dim() != 3 && x.dim() != 4)
    throw Error("conv_transpose2d: expected input (N, C, H, W) or (C, H, W), got " + str(x));
  if (weight.dim() != 4)
    throw Error("conv_transpose2d: weight must be (C_in, C_out / groups, kh, kw), got " +
                str(weight));
  check_floating_same("conv_transpose2d", x, weight, bias);
  check_positive("conv_transpose2d", "stride", stride);
  check_positive("conv_transpose2d", "dilation", dilation);
  const int64_t c_in = weight.shape()[0], group_out = weight.shape()[1];
  if (groups < 1 || c_in % groups != 0)
    throw Error("conv_transpose2d: groups " + std::to_string(groups) +
                " must be positive and divide the " + std::to_string(c_in) +
                " input channels of weight " + str(weight));
  const Tensor xb = x.dim() == 3 ? unsqueeze(x, 0) : x;
  if (xb.shape()[1] != c_in)
    throw Error("conv_transpose2d: weight " + str(weight) + " expects input with " +
                std::to_string(c_in) + " channels, got " + str(x));
  const int64_t c_out = group_out * groups;
  if (bias.defined() && (bias.dim() != 1 || bias.shape()[0] != c_out))
    throw Error("conv_transpose2d: bias " + str(bias) + " does not match the " +
                std::to_string(c_out) + " output channels");
  if (padding.h < 0 || padding.w < 0 || output_padding.h < 0 || output_padding.w < 0)
    throw Error("conv_transpose2d: padding and output_padding must be non-negative, got " +
                padding.pair() + " and " + output_padding.pair());
  if ((output_padding.h >= stride.h && output_padding.h >= dilation.h) ||
      (output_padding.w >= stride.w && output_padding.w >= dilation.w))
    throw Error("conv_transpose2d: output_padding " + output_padding.pair() +
                " must be smaller than the stride " + stride.pair() + " or the dilation " +
                dilation.pair());
  const int64_t n = xb.shape()[0], h = xb.shape()[2], wd = xb.shape()[3];
  const int64_t kh = weight.shape()[2], kw = weight.shape()[3];
  const int64_t out_h =
      (h - 1) * stride.h - 2 * padding.h + dilation.h * (kh - 1) + output_padding.h + 1;
  const int64_t out_w =
      (wd - 1) * stride.w - 2 * padding.w + dilation.w * (kw - 1) + output_padding.w + 1;
  if (out_h < 1 || out_w < 1)
    throw Error("conv_transpose2d: input " + str(x) + " with padding " + padding.pair() +
                " gives an empty output (" + std::to_string(out_h) + ", " + std::to_string(out_w) +
                ")");
  // Each input pixel's channels times the weight give its window's contribution.
  Tensor rows = reshape(permute(xb, {0, 2, 3, 1}), {n * h * wd, c_in});
  const int64_t group_in = c_in / groups, patch = group_out * kh * kw;
  Tensor contributions;
  if (groups == 1) {
    contributions = matmul(rows, reshape(weight, {c_in, patch}));
  } else {
    std::vector<Tensor> parts;
    for (int64_t g = 0; g < groups; ++g)
      parts.push_back(
          matmul(slice(rows, 1, g * group_in, (g + 1) * group_in),
                 reshape(slice(weight, 0, g * group_in, (g + 1) * group_in), {group_in, patch})));
    contributions = concat(parts, 1);
  }
  const Window2d w{kh, kw, stride.h, stride.w, padding.h, padding.w, dilation.h, dilation.w, h, wd};
  Tensor y = col2im(reshape(contributions, {n, h, wd, c_out, kh, kw}), out_h, out_w, w);
  if (bias.defined()) y = add(y, reshape(bias, {1, c_out, 1, 1}));
  return x.dim() == 3 ? squeeze(y, 0) : y;
}

Tensor conv_transpose1d(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride,
                        int64_t padding, int64_t output_padding, int64_t groups, int64_t dilation) {
  if (x.dim() != 2 && x.dim() != 3)
    throw Error("conv_transpose1d: expected input (N, C, L) or (C, L), got " + str(x));
  if (weight.dim() != 3)
    throw Error("conv_transpose1d: weight must be (C_in, C_out / groups, k), got " + str(weight));
  try {
    return squeeze(
        conv_transpose2d(unsqueeze(x, -2), unsqueeze(weight, 2), bias, Size2(1, stride),
                         Size2(0, padding), Size2(0, output_padding), groups, Size2(1, dilation)),
        -2);
  } catch (const Error& e) {
    rethrow_as("conv_transpose1d", "conv_transpose2d", e, x, weight);
  }
}

}  // namespace functional

namespace {

// PyTorch's reset_parameters for convolutions: kaiming_uniform(a = √5) and a bias bound of
// 1/√fan_in, one unit of the generator's stream.
void init_conv(Tensor& weight, Tensor* bias, Generator* gen) {
  const auto lock = gen ? std::unique_lock<std::recursive_mutex>() : lock_default_generator();
  init::kaiming_uniform_(weight, std::sqrt(5.0), init::FanMode::fan_in,
                         init::Nonlinearity::leaky_relu, gen);
  if (bias) {
    const double bound =
        1.0 / std::sqrt(static_cast<double>(init::fan_in_and_fan_out(weight).first));
    init::uniform_(*bias, -bound, bound, gen);
  }
}

void check_channels(const char* layer, int64_t in, int64_t out, int64_t groups) {
  if (in <= 0 || out <= 0 || groups <= 0)
    throw Error(std::string(layer) +
                ": channels and groups must be positive, got in=" + std::to_string(in) +
                ", out=" + std::to_string(out) + ", groups=" + std::to_string(groups));
  if (in % groups != 0 || out % groups != 0)
    throw Error(std::string(layer) + ": groups=" + std::to_string(groups) +
                " must divide in=" + std::to_string(in) + " and out=" + std::to_string(out));
}

// "Conv2d(3, 16, kernel_size=3)": how errors name a layer.
std::string layer_name(const std::string& type, int64_t in, int64_t out, const std::string& k) {
  return type + "(" + std::to_string(in) + ", " + std::to_string(out) + ", kernel_size=" + k + ")";
}

// The input of a layer with `channels` channels and `spatial` trailing dims, batched or not.
void check_layer_input(const std::string& name, const Tensor& x, int64_t channels,
                       int64_t spatial) {
  const int64_t dims = x.dim();
  const bool ok = (dims == spatial + 2 && x.shape()[1] == channels) ||
                  (dims == spatial + 1 && x.shape()[0] == channels);
  if (ok) return;
  const std::string expected = spatial == 2 ? "(N, " + std::to_string(channels) + ", H, W)"
                                            : "(N, " + std::to_string(channels) + ", L)";
  throw Error(name + ": expected input " + expected + ", got " + str(x));
}

std::string pad_repr(const char* key, const std::string& value, bool is_default) {
  return is_default ? "" : std::string(", ") + key + "=" + value;
}

}  // namespace

Conv2d::Conv2d(int64_t in, int64_t out, Size2 k, Conv2dOptions opts, Generator* gen)
    : in_channels(in), out_channels(out), kernel_size(k), options(opts) {
  check_channels("Conv2d", in, out, opts.groups);
  check_positive("Conv2d", "kernel_size", k);
  check_positive("Conv2d", "stride", opts.stride);
  check_positive("Conv2d", "dilation", opts.dilation);
  if (opts.padding.kind == ConvPadding::Kind::same && !(opts.stride == Size2(1)))
    throw Error("Conv2d: padding \"same\" needs stride 1, got stride " + opts.stride.pair());
  Tensor w = empty({out, in / opts.groups, k.h, k.w});
  Tensor b = opts.bias ? empty({out}) : Tensor();
  init_conv(w, opts.bias ? &b : nullptr, gen);
  weight = register_parameter("weight", w);
  if (opts.bias) bias = register_parameter("bias", b);
}

Tensor Conv2d::forward(const Tensor& x) {
  check_layer_input(layer_name("Conv2d", in_channels, out_channels, kernel_size.str()), x,
                    in_channels, 2);
  if (options.padding_mode == PadMode::constant)
    return functional::conv2d(x, weight, bias, options.stride, options.padding, options.dilation,
                              options.groups);
  const SidePads ph = resolve_padding("Conv2d", options.padding, options.padding.size.h,
                                      kernel_size.h, options.dilation.h);
  const SidePads pw = resolve_padding("Conv2d", options.padding, options.padding.size.w,
                                      kernel_size.w, options.dilation.w);
  Tensor padded =
      functional::pad(x, {pw.before, pw.after, ph.before, ph.after}, options.padding_mode);
  return functional::conv2d(padded, weight, bias, options.stride, 0, options.dilation,
                            options.groups);
}

std::string Conv2d::extra_repr() const {
  const Conv2dOptions& o = options;
  return std::to_string(in_channels) + ", " + std::to_string(out_channels) +
         ", kernel_size=" + kernel_size.pair() + ", stride=" + o.stride.pair() +
         pad_repr(
             "padding",
             o.padding.kind == ConvPadding::Kind::size ? o.padding.size.pair() : o.padding.str(),
             o.padding.kind == ConvPadding::Kind::size && o.padding.size == Size2(0)) +
         pad_repr("dilation", o.dilation.pair(), o.dilation == Size2(1)) +
         pad_repr("groups", std::to_string(o.groups), o.groups == 1) +
         pad_repr("bias", "false", o.bias) +
         pad_repr("padding_mode", pad_mode_name(o.padding_mode),
                  o.padding_mode == PadMode::constant);
}

Conv1d::Conv1d(int64_t in, int64_t out, int64_t k, Conv1dOptions opts, Generator* gen)
    : in_channels(in), out_channels(out), kernel_size(k), options(opts) {
  check_channels("Conv1d", in, out, opts.groups);
  check_positive("Conv1d", "kernel_size", Size2(k));
  check_positive("Conv1d", "stride", Size2(opts.stride));
  check_positive("Conv1d", "dilation", Size2(opts.dilation));
  if (opts.padding.kind == ConvPadding::Kind::same && opts.stride != 1)
    throw Error("Conv1d: padding \"same\" needs stride 1, got stride " +
                std::to_string(opts.stride));
  Tensor w = empty({out, in / opts.groups, k});
  Tensor b = opts.bias ? empty({out}) : Tensor();
  init_conv(w, opts.bias ? &b : nullptr, gen);
  weight = register_parameter("weight", w);
  if (opts.bias) bias = register_parameter("bias", b);
}

Tensor Conv1d::forward(const Tensor& x) {
  check_layer_input(layer_name("Conv1d", in_channels, out_channels, std::to_string(kernel_size)), x,
                    in_channels, 1);
  if (options.padding_mode == PadMode::constant)
    return functional::conv1d(x, weight, bias, options.stride, options.padding, options.dilation,
                              options.groups);
  const SidePads p = resolve_padding("Conv1d", options.padding, options.padding.size.w, kernel_size,
                                     options.dilation);
  return functional::conv1d(functional::pad(x, {p.before, p.after}, options.padding_mode), weight,
                            bias, options.stride, 0, options.dilation, options.groups);
}

std::string Conv1d::extra_repr() const {
  const Conv1dOptions& o = options;
  return std::to_string(in_channels) + ", " + std::to_string(out_channels) + ", kernel_size=(" +
         std::to_string(kernel_size) + ",), stride=(" + std::to_string(o.stride) + ",)" +
         pad_repr("padding",
                  o.padding.kind == ConvPadding::Kind::size
                      ? "(" + std::to_string(o.padding.size.w) + ",)"
                      : o.padding.str(),
                  o.padding.kind == ConvPadding::Kind::size && o.padding.size.w == 0) +
         pad_repr("dilation", "(" + std::to_string(o.dilation) + ",)", o.dilation == 1) +
         pad_repr("groups", std::to_string(o.groups), o.groups == 1) +
         pad_repr("bias", "false", o.bias) +
         pad_repr("padding_mode", pad_mode_name(o.padding_mode),
                  o.padding_mode == PadMode::constant);
}

ConvTranspose2d::ConvTranspose2d(int64_t in, int64_t out, Size2 k, ConvTranspose2dOptions opts,
                                 Generator* gen)
    : in_channels(in), out_channels(out), kernel_size(k), options(opts) {
  check_channels("ConvTranspose2d", in, out, opts.groups);
  check_positive("ConvTranspose2d", "kernel_size", k);
  check_positive("ConvTranspose2d", "stride", opts.stride);
  check_positive("ConvTranspose2d", "dilation", opts.dilation);
  Tensor w = empty({in, out / opts.groups, k.h, k.w});
  Tensor b = opts.bias ? empty({out}) : Tensor();
  init_conv(w, opts.bias ? &b : nullptr, gen);
  weight = register_parameter("weight", w);
  if (opts.bias) bias = register_parameter("bias", b);
}

Tensor ConvTranspose2d::forward(const Tensor& x) {
  check_layer_input(layer_name("ConvTranspose2d", in_channels, out_channels, kernel_size.str()), x,
                    in_channels, 2);
  return functional::conv_transpose2d(x, weight, bias, options.stride, options.padding,
                                      options.output_padding, options.groups, options.dilation);
}

Tensor ConvTranspose2d::forward(const Tensor& x, Size2 output_size) {
  const std::string name =
      layer_name("ConvTranspose2d", in_channels, out_channels, kernel_size.str());
  check_layer_input(name, x, in_channels, 2);
  const ConvTranspose2dOptions& o = options;
  const int64_t h = x.shape()[x.dim() - 2], w = x.shape()[x.dim() - 1];
  const int64_t min_h =
      (h - 1) * o.stride.h - 2 * o.padding.h + o.dilation.h * (kernel_size.h - 1) + 1;
  const int64_t min_w =
      (w - 1) * o.stride.w - 2 * o.padding.w + o.dilation.w * (kernel_size.w - 1) + 1;
  const Size2 extra(output_size.h - min_h, output_size.w - min_w);
  if (extra.h < 0 || extra.w < 0 || extra.h >= o.stride.h || extra.w >= o.stride.w)
    throw Error(name + ": output_size " + output_size.pair() + " is not reachable from input " +
                str(x) + " (sizes from (" + std::to_string(min_h) + ", " + std::to_string(min_w) +
                ") to (" + std::to_string(min_h + o.stride.h - 1) + ", " +
                std::to_string(min_w + o.stride.w - 1) + "))");
  return functional::conv_transpose2d(x, weight, bias, o.stride, o.padding, extra, o.groups,
                                      o.dilation);
}

std::string ConvTranspose2d::extra_repr() const {
  const ConvTranspose2dOptions& o = options;
  return std::to_string(in_channels) + ", " + std::to_string(out_channels) +
         ", kernel_size=" + kernel_size.pair() + ", stride=" + o.stride.pair() +
         pad_repr("padding", o.padding.pair(), o.padding == Size2(0)) +
         pad_repr("output_padding", o.output_padding.pair(), o.output_padding == Size2(0)) +
         pad_repr("dilation", o.dilation.pair(), o.dilation == Size2(1)) +
         pad_repr("groups", std::to_string(o.groups), o.groups == 1) +
         pad_repr("bias", "false", o.bias);
}

ConvTranspose1d::ConvTranspose1d(int64_t in, int64_t out, int64_t k, ConvTranspose1dOptions opts,
                                 Generator* gen)
    : in_channels(in), out_channels(out), kernel_size(k), options(opts) {
  check_channels("ConvTranspose1d", in, out, opts.groups);
  check_positive("ConvTranspose1d", "kernel_size", Size2(k));
  check_positive("ConvTranspose1d", "stride", Size2(opts.stride));
  check_positive("ConvTranspose1d", "dilation", Size2(opts.dilation));
  Tensor w = empty({in, out / opts.groups, k});
  Tensor b = opts.bias ? empty({out}) : Tensor();
  init_conv(w, opts.bias ? &b : nullptr, gen);
  weight = register_parameter("weight", w);
  if (opts.bias) bias = register_parameter("bias", b);
}

Tensor ConvTranspose1d::forward(const Tensor& x) {
  check_layer_input(
      layer_name("ConvTranspose1d", in_channels, out_channels, std::to_string(kernel_size)), x,
      in_channels, 1);
  return functional::conv_transpose1d(x, weight, bias, options.stride, options.padding,
                                      options.output_padding, options.groups, options.dilation);
}

std::string ConvTranspose1d::extra_repr() const {
  const ConvTranspose1dOptions& o = options;
  return std::to_string(in_channels) + ", " + std::to_string(out_channels) + ", kernel_size=(" +
         std::to_string(kernel_size) + ",), stride=(" + std::to_string(o.stride) + ",)" +
         pad_repr("padding", "(" + std::to_string(o.padding) + ",)", o.padding == 0) +
         pad_repr("output_padding", "(" + std::to_string(o.output_padding) + ",)",
                  o.output_padding == 0) +
         pad_repr("dilation", "(" + std::to_string(o.dilation) + ",)", o.dilation == 1) +
         pad_repr("groups", std::to_string(o.groups), o.groups == 1) +
         pad_repr("bias", "false", o.bias);
}

}  // namespace xgrad::nn
