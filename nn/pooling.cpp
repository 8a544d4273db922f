// Pooling layers. Window geometry follows PyTorch's pooling_output_shape (ceil_mode drops a
// last window that would start in the right padding); max pooling is window_argmax +
// gather_planes, average pooling a sum of im2col windows over a per-window divisor, adaptive
// average pooling two products with averaging matrices.
#include "nn/pooling.hpp"

namespace xgrad::nn {

namespace {

std::string str(const Tensor& t) { return format_shape(t.shape()); }

// x as a batch (N, C, H, W); `what` names the op in errors.
Tensor as_batch(const std::string& what, const Tensor& x) {
  if (x.dim() == 4) return x;
  if (x.dim() == 3) return unsqueeze(x, 0);
  throw Error(what + ": expected input (N, C, H, W) or (C, H, W), got " + str(x));
}
Tensor like_input(const Tensor& x, const Tensor& y) { return x.dim() == 3 ? squeeze(y, 0) : y; }

// A 1-D op through its 2-D form: (N, C, L) as (N, C, 1, L), errors renamed.
template <class F>
auto through_2d(const std::string& op_1d, const std::string& op_2d, const Tensor& x, F&& f) {
  if (x.dim() != 2 && x.dim() != 3)
    throw Error(op_1d + ": expected input (N, C, L) or (C, L), got " + str(x));
  try {
    return f(unsqueeze(x, -2));
  } catch (const Error& e) {
    std::string what = e.what();
    if (what.rfind(op_2d + ": ", 0) == 0) what = what.substr(op_2d.size() + 2);
    throw Error(op_1d + ": input " + str(x) + ": " + what);
  }
}
Tensor drop_row_dim(const Tensor& y) { return squeeze(y, -2); }
PoolResult drop_row_dim(const PoolResult& r) {
  return {squeeze(r.values, -2), squeeze(r.indices, -2)};
}

struct Geometry {
  int64_t out_h, out_w;
};

int64_t pooled_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
  const int64_t span = in + 2 * p - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0);
  int64_t out = (span < 0 ? -1 : span / s) + 1;
  if (ceil_mode && out > 0 && (out - 1) * s >= in + p) --out;
  return out;
}

Geometry pool_geometry(const std::string& op, const Tensor& xb, Size2 k, Size2 s, Size2 p, Size2 d,
                       bool ceil_mode) {
  if (k.h < 1 || k.w < 1 || s.h < 1 || s.w < 1 || d.h < 1 || d.w < 1)
    throw Error(op + ": kernel_size, stride and dilation must be positive, got " + k.pair() + ", " +
                s.pair() + ", " + d.pair());
  if (p.h < 0 || p.w < 0 || 2 * p.h > k.h || 2 * p.w > k.w)
    throw Error(op + ": padding " + p.pair() +
                " must be non-negative and at most half the kernel size " + k.pair());
  const Geometry g{pooled_size(xb.shape()[2], k.h, s.h, p.h, d.h, ceil_mode),
                   pooled_size(xb.shape()[3], k.w, s.w, p.w, d.w, ceil_mode)};
  if (g.out_h < 1 || g.out_w < 1)
    throw Error(op + ": input " + str(xb) + " is too small for kernel_size " + k.pair() +
                " with padding " + p.pair() + " and dilation " + d.pair() + " (output (" +
                std::to_string(g.out_h) + ", " + std::to_string(g.out_w) + "))");
  return g;
}

// The input coordinates each window reads along one dim.
std::vector<Taps> strided_taps(int64_t out, int64_t k, int64_t s, int64_t p, int64_t d) {
  std::vector<Taps> taps;
  for (int64_t o = 0; o < out; ++o) taps.push_back({o * s - p, k, d});
  return taps;
}
int64_t adaptive_start(int64_t i, int64_t in, int64_t out) { return i * in / out; }
int64_t adaptive_end(int64_t i, int64_t in, int64_t out) { return ((i + 1) * in + out - 1) / out; }
std::vector<Taps> adaptive_taps(int64_t in, int64_t out) {
  std::vector<Taps> taps;
  for (int64_t o = 0; o < out; ++o) {
    const int64_t a = adaptive_start(o, in, out);
    taps.push_back({a, adaptive_end(o, in, out) - a, 1});
  }
  return taps;
}

// Picks each window's maximum by its flat index (gather's gradient goes to that element).
PoolResult gather_maxima(const Tensor& xb, const std::vector<Taps>& rows,
                         const std::vector<Taps>& cols) {
  Tensor indices = window_argmax(xb, rows, cols);
  return {gather_planes(xb, indices), indices};
}

void check_adaptive(const std::string& op, const Tensor& xb, Size2 out) {
  if (out.h < 1 || out.w < 1) throw Error(op + ": output_size must be positive, got " + out.pair());
  if (xb.shape()[2] < 1 || xb.shape()[3] < 1) throw Error(op + ": empty input " + str(xb));
}

// (out, in) with 1/len over each adaptive window: the averaging map along one dim.
Tensor averaging_matrix(int64_t in, int64_t out, Dtype dtype) {
  std::vector<double> m(static_cast<std::size_t>(in * out), 0.0);
  for (int64_t o = 0; o < out; ++o) {
    const int64_t a = adaptive_start(o, in, out), b = adaptive_end(o, in, out);
    for (int64_t i = a; i < b; ++i) m[o * in + i] = 1.0 / static_cast<double>(b - a);
  }
  return from_vector(m, {out, in}, dtype);
}

}  // namespace

namespace functional {

PoolResult max_pool2d_with_indices(const Tensor& x, Size2 k, const MaxPool2dOptions& o) {
  const Tensor xb = as_batch("max_pool2d", x);
  const Size2 s = o.stride.value_or(k);
  const Geometry g = pool_geometry("max_pool2d", xb, k, s, o.padding, o.dilation, o.ceil_mode);
  PoolResult r = gather_maxima(xb, strided_taps(g.out_h, k.h, s.h, o.padding.h, o.dilation.h),
                               strided_taps(g.out_w, k.w, s.w, o.padding.w, o.dilation.w));
  return {like_input(x, r.values), like_input(x, r.indices)};
}

Tensor max_pool2d(const Tensor& x, Size2 k, const MaxPool2dOptions& o) {
  return max_pool2d_with_indices(x, k, o).values;
}

PoolResult max_pool1d_with_indices(const Tensor& x, int64_t k, const MaxPool1dOptions& o) {
  return drop_row_dim(through_2d("max_pool1d", "max_pool2d", x, [&](const Tensor& x2) {
    return max_pool2d_with_indices(
        x2, Size2(1, k),
        {Size2(1, o.stride.value_or(k)), Size2(0, o.padding), Size2(1, o.dilation), o.ceil_mode});
  }));
}

Tensor max_pool1d(const Tensor& x, int64_t k, const MaxPool1dOptions& o) {
  return max_pool1d_with_indices(x, k, o).values;
}

Tensor avg_pool2d(const Tensor& x, Size2 k, const AvgPool2dOptions& o) {
  const Tensor xb = as_batch("avg_pool2d", x);
  const Size2 s = o.stride.value_or(k), p = o.padding;
  const Geometry g = pool_geometry("avg_pool2d", xb, k, s, p, 1, o.ceil_mode);
  if (o.divisor_override && *o.divisor_override == 0)
    throw Error("avg_pool2d: divisor_override must be non-zero");
  const int64_t height = xb.shape()[2], width = xb.shape()[3];
  // PyTorch's divisor: the window clipped to the padded image, or to the image itself.
  std::vector<double> divisor(static_cast<std::size_t>(g.out_h * g.out_w));
  for (int64_t oh = 0; oh < g.out_h; ++oh)
    for (int64_t ow = 0; ow < g.out_w; ++ow) {
      int64_t h0 = oh * s.h - p.h, w0 = ow * s.w - p.w;
      int64_t h1 = std::min(h0 + k.h, height + p.h), w1 = std::min(w0 + k.w, width + p.w);
      const int64_t padded = (h1 - h0) * (w1 - w0);
      h0 = std::max<int64_t>(h0, 0);
      w0 = std::max<int64_t>(w0, 0);
      h1 = std::min(h1, height);
      w1 = std::min(w1, width);
      const int64_t inside = std::max<int64_t>(0, h1 - h0) * std::max<int64_t>(0, w1 - w0);
      double d = static_cast<double>(o.count_include_pad ? padded : inside);
      if (o.divisor_override) d = static_cast<double>(*o.divisor_override);
      divisor[oh * g.out_w + ow] = d == 0 ? 1.0 : d;  // an empty window sums to 0
    }
  const Window2d w{k.h, k.w, s.h, s.w, p.h, p.w, 1, 1, g.out_h, g.out_w};
  Tensor sums = sum(im2col(xb, w), {4, 5});  // (N, out_h, out_w, C)
  Tensor means = div(sums, from_vector(divisor, {g.out_h, g.out_w, 1}, xb.dtype()));
  return like_input(x, permute(means, {0, 3, 1, 2}).contiguous());
}

Tensor avg_pool1d(const Tensor& x, int64_t k, const AvgPool1dOptions& o) {
  return drop_row_dim(through_2d("avg_pool1d", "avg_pool2d", x, [&](const Tensor& x2) {
    AvgPool2dOptions o2;
    o2.stride = Size2(1, o.stride.value_or(k));
    o2.padding = Size2(0, o.padding);
    o2.ceil_mode = o.ceil_mode;
    o2.count_include_pad = o.count_include_pad;
    return avg_pool2d(x2, Size2(1, k), o2);
  }));
}

Tensor adaptive_avg_pool2d(const Tensor& x, Size2 out) {
  const Tensor xb = as_batch("adaptive_avg_pool2d", x);
  check_adaptive("adaptive_avg_pool2d", xb, out);
  const int64_t n = xb.shape()[0], c = xb.shape()[1], h = xb.shape()[2], w = xb.shape()[3];
  // y = A_h x A_wᵀ per plane: first along W as one (N C H, W) product, then along H.
  Tensor along_w =
      matmul(reshape(xb, {n * c * h, w}), transpose(averaging_matrix(w, out.w, xb.dtype()), 0, 1));
  Tensor y = matmul(averaging_matrix(h, out.h, xb.dtype()), reshape(along_w, {n * c, h, out.w}));
  return like_input(x, reshape(y, {n, c, out.h, out.w}));
}

Tensor adaptive_avg_pool1d(const Tensor& x, int64_t out) {
  return drop_row_dim(
      through_2d("adaptive_avg_pool1d", "adaptive_avg_pool2d", x,
                 [&](const Tensor& x2) { return adaptive_avg_pool2d(x2, Size2(1, out)); }));
}

PoolResult adaptive_max_pool2d_with_indices(const Tensor& x, Size2 out) {
  const Tensor xb = as_batch("adaptive_max_pool2d", x);
  check_adaptive("adaptive_max_pool2d", xb, out);
  PoolResult r =
      gather_maxima(xb, adaptive_taps(xb.shape()[2], out.h), adaptive_taps(xb.shape()[3], out.w));
  return {like_input(x, r.values), like_input(x, r.indices)};
}

Tensor adaptive_max_pool2d(const Tensor& x, Size2 out) {
  return adaptive_max_pool2d_with_indices(x, out).values;
}

Tensor adaptive_max_pool1d(const Tensor& x, int64_t out) {
  return drop_row_dim(
      through_2d("adaptive_max_pool1d", "adaptive_max_pool2d", x,
                 [&](const Tensor& x2) { return adaptive_max_pool2d(x2, Size2(1, out)); }));
}

Tensor max_unpool2d(const Tensor& x, const Tensor& indices, Size2 k, std::optional<Size2> stride,
                    Size2 padding, std::optional<Size2> output_size) {
  const Tensor xb = as_batch("max_unpool2d", x);
  if (indices.shape() != x.shape() || indices.dtype() != Dtype::int64)
    throw Error("max_unpool2d: indices must be int64 of the input's shape " + str(x) + ", got " +
                str(indices) + " " + dtype_name(indices.dtype()));
  const Size2 s = stride.value_or(k);
  const int64_t n = xb.shape()[0], c = xb.shape()[1], h = xb.shape()[2], w = xb.shape()[3];
  const Size2 out = output_size.value_or(
      Size2((h - 1) * s.h - 2 * padding.h + k.h, (w - 1) * s.w - 2 * padding.w + k.w));
  if (out.h < 1 || out.w < 1)
    throw Error("max_unpool2d: output size " + out.pair() + " must be positive");
  const Tensor flat_indices =
      reshape(indices.dim() == 3 ? unsqueeze(indices, 0) : indices, {n, c, h * w});
  if (indices.numel() > 0) {
    const int64_t low = static_cast<int64_t>(amin(flat_indices).item());
    const int64_t high = static_cast<int64_t>(amax(flat_indices).item());
    if (low < 0 || high >= out.h * out.w)
      throw Error("max_unpool2d: index " + std::to_string(low < 0 ? low : high) +
                  " out of range for output size " + out.pair());
  }
  Tensor y = scatter(zeros({n, c, out.h * out.w}, xb.dtype()), 2, flat_indices,
                     reshape(xb, {n, c, h * w}));
  return like_input(x, reshape(y, {n, c, out.h, out.w}));
}

}  // namespace functional

namespace {
std::string opt_repr(const std::optional<Size2>& s, Size2 fallback) {
  return s.value_or(fallback).pair();
}
}  // namespace

MaxPool2d::MaxPool2d(Size2 k, MaxPool2dOptions o) : kernel_size(k), options(o) {}
Tensor MaxPool2d::forward(const Tensor& x) {
  return functional::max_pool2d(x, kernel_size, options);
}
PoolResult MaxPool2d::forward_with_indices(const Tensor& x) {
  return functional::max_pool2d_with_indices(x, kernel_size, options);
}
std::string MaxPool2d::extra_repr() const {
  return "kernel_size=" + kernel_size.pair() + ", stride=" + opt_repr(options.stride, kernel_size) +
         ", padding=" + options.padding.pair() + ", dilation=" + options.dilation.pair() +
         ", ceil_mode=" + (options.ceil_mode ? "true" : "false");
}

MaxPool1d::MaxPool1d(int64_t k, MaxPool1dOptions o) : kernel_size(k), options(o) {}
Tensor MaxPool1d::forward(const Tensor& x) {
  return functional::max_pool1d(x, kernel_size, options);
}
std::string MaxPool1d::extra_repr() const {
  return "kernel_size=" + std::to_string(kernel_size) +
         ", stride=" + std::to_string(options.stride.value_or(kernel_size)) +
         ", padding=" + std::to_string(options.padding) +
         ", dilation=" + std::to_string(options.dilation) +
         ", ceil_mode=" + (options.ceil_mode ? "true" : "false");
}

AvgPool2d::AvgPool2d(Size2 k, AvgPool2dOptions o) : kernel_size(k), options(o) {}
Tensor AvgPool2d::forward(const Tensor& x) {
  return functional::avg_pool2d(x, kernel_size, options);
}
std::string AvgPool2d::extra_repr() const {
  return "kernel_size=" + kernel_size.pair() + ", stride=" + opt_repr(options.stride, kernel_size) +
         ", padding=" + options.padding.pair() +
         ", ceil_mode=" + (options.ceil_mode ? "true" : "false") +
         ", count_include_pad=" + (options.count_include_pad ? "true" : "false");
}

AvgPool1d::AvgPool1d(int64_t k, AvgPool1dOptions o) : kernel_size(k), options(o) {}
Tensor AvgPool1d::forward(const Tensor& x) {
  return functional::avg_pool1d(x, kernel_size, options);
}
std::string AvgPool1d::extra_repr() const {
  return "kernel_size=" + std::to_string(kernel_size) +
         ", stride=" + std::to_string(options.stride.value_or(kernel_size)) +
         ", padding=" + std::to_string(options.padding);
}

Tensor AdaptiveAvgPool2d::forward(const Tensor& x) {
  return functional::adaptive_avg_pool2d(x, output_size);
}
Tensor AdaptiveMaxPool2d::forward(const Tensor& x) {
  return functional::adaptive_max_pool2d(x, output_size);
}

Tensor MaxUnpool2d::forward(const Tensor&) {
  throw Error("MaxUnpool2d: forward needs the pooling indices: call forward(x, indices)");
}
Tensor MaxUnpool2d::forward(const Tensor& x, const Tensor& indices,
                            std::optional<Size2> output_size) {
  return functional::max_unpool2d(x, indices, kernel_size, stride, padding, output_size);
}

}  // namespace xgrad::nn
