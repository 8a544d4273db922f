// im2col and col2im, the two differentiable window ops that convolution, transposed
// convolution and average pooling are composed from (nn/conv.cpp, nn/pooling.cpp). Both are
// linear and adjoint to each other, so each one's backward is the other, and higher-order
// gradients come for free.
#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "autograd/profiler.hpp"
#include "tensor/kernels.hpp"

namespace xgrad {

namespace {

void check_window(const char* op, const Window2d& w) {
  if (w.kernel_h < 1 || w.kernel_w < 1 || w.stride_h < 1 || w.stride_w < 1 ||
      w.dilation_h < 1 || w.dilation_w < 1 || w.out_h < 0 || w.out_w < 0)
    throw Error(std::string(op) + ": kernel, stride and dilation must be positive, got kernel (" +
                std::to_string(w.kernel_h) + ", " + std::to_string(w.kernel_w) + "), stride (" +
                std::to_string(w.stride_h) + ", " + std::to_string(w.stride_w) +
                "), dilation (" + std::to_string(w.dilation_h) + ", " +
                std::to_string(w.dilation_w) + ")");
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

Tensor window_argmax(const Tensor& x, const std::vector<Taps>& rows,
                     const std::vector<Taps>& cols) {
  const detail::OpScope profile_scope("window_argmax", x);
  return kernels::window_argmax(x, rows, cols);
}

}  // namespace xgrad
