// The window ops: im2col and col2im, the two differentiable ops that transposed convolution and
// average pooling are composed from (nn/conv.cpp, nn/pooling.cpp), linear and adjoint to each
// other, so each one's backward is the other; and conv2d_windows, the convolution itself, which
// runs float32 on oneDNN (forward and both gradients) and is otherwise, and for higher-order
// gradients, composed of im2col, col2im and GEMMs.
#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "autograd/profiler.hpp"
#include "tensor/grad_mode.hpp"
#include "tensor/kernels.hpp"

namespace xgrad {

namespace {

void check_window(const char* op, const Window2d& w) {
  if (w.kernel_h < 1 || w.kernel_w < 1 || w.stride_h < 1 || w.stride_w < 1 || w.dilation_h < 1 ||
      w.dilation_w < 1 || w.out_h < 0 || w.out_w < 0)
    throw Error(std::string(op) + ": kernel, stride and dilation must be positive, got kernel (" +
                std::to_string(w.kernel_h) + ", " + std::to_string(w.kernel_w) + "), stride (" +
                std::to_string(w.stride_h) + ", " + std::to_string(w.stride_w) + "), dilation (" +
                std::to_string(w.dilation_h) + ", " + std::to_string(w.dilation_w) + ")");
}

}  // namespace

Tensor im2col(const Tensor& x, const Window2d& window) {
  const detail::OpScope profile_scope("im2col", x);
  check_window("im2col", window);
  if (x.dim() != 4)
    throw Error("im2col: expected an image batch (N, C, H, W), got " + format_shape(x.shape()));
  const int64_t height = x.shape()[2], width = x.shape()[3];
  // cols = windows of x:  dx = col2im(dcols), the adjoint.
  return record("im2col", kernels::im2col(x, window), x, [=](const BackwardArgs& g) {
    return TensorList{col2im(g.grad, height, width, window)};
  });
}

Tensor col2im(const Tensor& cols, int64_t height, int64_t width, const Window2d& window) {
  const detail::OpScope profile_scope("col2im", cols);
  check_window("col2im", window);
  if (height < 0 || width < 0)
    throw Error("col2im: negative image size (" + std::to_string(height) + ", " +
                std::to_string(width) + ")");
  // image = Σ windows:  dcols = im2col(dimage).
  return record("col2im", kernels::col2im(cols, height, width, window), cols,
                [=](const BackwardArgs& g) { return TensorList{im2col(g.grad, window)}; });
}

namespace {

// x (N, C, H, W) as the rows of its windows, (N out_h out_w, C kh kw).
Tensor window_rows(const Tensor& x, const Window2d& w) {
  return reshape(im2col(x, w),
                 {x.shape()[0] * w.out_h * w.out_w, x.shape()[1] * w.kernel_h * w.kernel_w});
}

// The convolution as differentiable ops: each group's window rows times its weight rows, the
// bias fused (linear), back to (N, O, out_h, out_w).
Tensor composed_conv(const Tensor& x, const Tensor& weight, const Tensor& bias, const Window2d& w,
                     int64_t groups) {
  const int64_t n = x.shape()[0], c_out = weight.shape()[0], group_out = c_out / groups;
  const int64_t patch = weight.shape()[1] * w.kernel_h * w.kernel_w;
  Tensor rows = window_rows(x, w);
  Tensor out;
  if (groups == 1) {
    out = linear(rows, reshape(weight, {c_out, patch}), bias);
  } else {
    std::vector<Tensor> parts;
    for (int64_t g = 0; g < groups; ++g) {
      Tensor wg = reshape(slice(weight, 0, g * group_out, (g + 1) * group_out), {group_out, patch});
      Tensor bg = bias.defined() ? slice(bias, 0, g * group_out, (g + 1) * group_out) : Tensor();
      parts.push_back(linear(slice(rows, 1, g * patch, (g + 1) * patch), wg, bg));
    }
    out = concat(parts, 1);
  }
  return permute(reshape(out, {n, w.out_h, w.out_w, c_out}), {0, 3, 1, 2}).contiguous();
}

// The convolution's gradients as differentiable ops (what autograd computes from composed_conv),
// so that with create_graph they are recorded too. With dy as rows (N out_h out_w, O):
//   dx = col2im(dy_g W_g)  (per group, concatenated along the window columns)
//   dW_g = dy_gᵀ rows_g(x),  db = Σ dy over N, out_h, out_w.
TensorList composed_conv_grads(const BackwardArgs& g, const Window2d& w, int64_t groups) {
  const Tensor& dy = g.grad;
  const Shape& x_shape = g.input_shape(0);
  const Shape& w_shape = g.input_shape(1);
  const int64_t n = x_shape[0], c_out = w_shape[0], group_out = c_out / groups;
  const int64_t patch = w_shape[1] * w.kernel_h * w.kernel_w;
  Tensor dy_rows = reshape(permute(dy, {0, 2, 3, 1}), {n * w.out_h * w.out_w, c_out});
  auto dy_group = [&](int64_t k) { return slice(dy_rows, 1, k * group_out, (k + 1) * group_out); };
  TensorList grads(g.num_inputs());
  if (g.needs(0)) {
    const Tensor& weight = g.input(1);
    std::vector<Tensor> parts;
    for (int64_t k = 0; k < groups; ++k)
      parts.push_back(matmul(
          dy_group(k),
          reshape(slice(weight, 0, k * group_out, (k + 1) * group_out), {group_out, patch})));
    Tensor cols = groups == 1 ? parts[0] : concat(parts, 1);
    grads[0] = col2im(reshape(cols, {n, w.out_h, w.out_w, x_shape[1], w.kernel_h, w.kernel_w}),
                      x_shape[2], x_shape[3], w);
  }
  if (g.needs(1)) {
    Tensor rows = window_rows(g.input(0), w);
    std::vector<Tensor> parts;
    for (int64_t k = 0; k < groups; ++k)
      parts.push_back(
          matmul_transposed(dy_group(k), slice(rows, 1, k * patch, (k + 1) * patch), true, false));
    grads[1] = reshape(groups == 1 ? parts[0] : concat(parts, 0), w_shape);
  }
  if (g.num_inputs() == 3 && g.needs(2)) grads[2] = sum(dy, {0, 2, 3});
  return grads;
}

}  // namespace

Tensor conv2d_windows(const Tensor& x, const Tensor& weight, const Tensor& bias,
                      const Window2d& window, int64_t groups) {
  const detail::OpScope profile_scope("conv2d", x, weight, bias);
  check_window("conv2d", window);
  Tensor y = kernels::conv2d_onednn(x, weight, bias, window, groups);
  if (!y.defined()) return composed_conv(x, weight, bias, window, groups);
  // First-order gradients on oneDNN; with create_graph (grad mode on) the composed ones.
  auto backward = [window, groups](const BackwardArgs& g) {
    if (!is_grad_enabled()) {
      const Shape& x_shape = g.input_shape(0);
      const bool with_bias = g.num_inputs() == 3;
      TensorList grads(g.num_inputs());
      bool done = true;
      if (g.needs(0)) {
        grads[0] = kernels::conv2d_backward_data_onednn(g.grad, g.input(1), x_shape[2], x_shape[3],
                                                        window, groups);
        done = grads[0].defined();
      }
      if (done && (g.needs(1) || (with_bias && g.needs(2)))) {
        auto [dw, db] = kernels::conv2d_backward_weights_onednn(
            g.input(0), g.grad, g.input_shape(1), with_bias, window, groups);
        done = dw.defined();
        grads[1] = dw;
        if (with_bias) grads[2] = db;
      }
      if (done) return grads;
    }
    return composed_conv_grads(g, window, groups);
  };
  if (bias.defined()) return record("conv2d", std::move(y), x, weight, bias, backward);
  return record("conv2d", std::move(y), x, weight, backward);
}

namespace {
// src (N, C, h, w) summed into (N, C, height, width) planes at indices: gather_planes' backward.
Tensor scatter_add_planes(const Tensor& src, const Tensor& indices, int64_t height, int64_t width) {
  return record(
      "scatter_add_planes", kernels::scatter_add_planes(src, indices, height, width), src,
      [indices](const BackwardArgs& g) { return TensorList{gather_planes(g.grad, indices)}; });
}
}  // namespace

Tensor gather_planes(const Tensor& x, const Tensor& indices) {
  const detail::OpScope profile_scope("gather_planes", x);
  if (x.dim() != 4 || indices.dim() != 4 || indices.dtype() != Dtype::int64 ||
      !indices.is_contiguous() || indices.shape()[0] != x.shape()[0] ||
      indices.shape()[1] != x.shape()[1])
    throw Error(
        "gather_planes: expected x (N, C, H, W) and contiguous int64 indices (N, C, h, w), got " +
        format_shape(x.shape()) + " and " + format_shape(indices.shape()));
  const int64_t height = x.shape()[2], width = x.shape()[3];
  return record("gather_planes", kernels::gather_planes(x, indices), x,
                [indices, height, width](const BackwardArgs& g) {
                  return TensorList{scatter_add_planes(g.grad, indices, height, width)};
                });
}

Tensor window_argmax(const Tensor& x, const std::vector<Taps>& rows,
                     const std::vector<Taps>& cols) {
  const detail::OpScope profile_scope("window_argmax", x);
  return kernels::window_argmax(x, rows, cols);
}

}  // namespace xgrad
