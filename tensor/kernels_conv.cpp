// Window kernels behind convolution and pooling: im2col (every window's pixels as a row),
// col2im (its adjoint, summing rows back into an image) and the argmax of each window. They
// read images of any layout through their strides and run in the image's own dtype.
#include <cmath>
#include <cstring>

#include "tensor/dispatch.hpp"
#include "tensor/kernels.hpp"

namespace xgrad::kernels {

namespace {

void check_image(const char* op, const Tensor& x) {
  if (x.dim() != 4)
    throw Error(std::string(op) + ": expected an image batch (N, C, H, W), got " +
                format_shape(x.shape()));
}

// The image coordinate of a window's k-th tap, for window o (may fall outside [0, size)).
inline int64_t tap(int64_t o, int64_t k, int64_t stride, int64_t pad, int64_t dilation) {
  return o * stride - pad + k * dilation;
}

}  // namespace

Tensor im2col(const Tensor& x, const Window2d& w) {
  check_image("im2col", x);
  const int64_t n = x.shape()[0], c = x.shape()[1], height = x.shape()[2], width = x.shape()[3];
  Tensor out = empty({n, w.out_h, w.out_w, c, w.kernel_h, w.kernel_w}, x.dtype());
  const Shape& st = x.strides();
  dispatch(x.dtype(), [&]<class T>() {
    const T* src = x.data<T>();
    T* dst = out.data<T>();
    const bool dense_row = st[3] == 1 && w.dilation_w == 1;
    for (int64_t b = 0; b < n; ++b)
      for (int64_t oh = 0; oh < w.out_h; ++oh)
        for (int64_t ow = 0; ow < w.out_w; ++ow) {
          const int64_t w0 = tap(ow, 0, w.stride_w, w.pad_left, w.dilation_w);
          for (int64_t ch = 0; ch < c; ++ch) {
            const T* plane = src + b * st[0] + ch * st[1];
            for (int64_t i = 0; i < w.kernel_h; ++i, dst += w.kernel_w) {
              const int64_t h = tap(oh, i, w.stride_h, w.pad_top, w.dilation_h);
              if (h < 0 || h >= height) {
                std::fill(dst, dst + w.kernel_w, T(0));
                continue;
              }
              const T* row = plane + h * st[2];
              if (dense_row && w0 >= 0 && w0 + w.kernel_w <= width) {
                std::memcpy(dst, row + w0, sizeof(T) * w.kernel_w);
                continue;
              }
              for (int64_t j = 0; j < w.kernel_w; ++j) {
                const int64_t col = w0 + j * w.dilation_w;
                dst[j] = col < 0 || col >= width ? T(0) : row[col * st[3]];
              }
            }
          }
        }
  });
  return out;
}

Tensor col2im(const Tensor& cols, int64_t height, int64_t width, const Window2d& w) {
  if (cols.dim() != 6 || cols.shape()[1] != w.out_h || cols.shape()[2] != w.out_w ||
      cols.shape()[4] != w.kernel_h || cols.shape()[5] != w.kernel_w)
    throw Error("col2im: expected windows (N, " + std::to_string(w.out_h) + ", " +
                std::to_string(w.out_w) + ", C, " + std::to_string(w.kernel_h) + ", " +
                std::to_string(w.kernel_w) + "), got " + format_shape(cols.shape()));
  const Tensor dense = cols.is_contiguous() ? cols : cols.contiguous_copy();
  const int64_t n = cols.shape()[0], c = cols.shape()[3];
  Tensor out = zeros({n, c, height, width}, cols.dtype());
  dispatch(cols.dtype(), [&]<class T>() {
    const T* src = dense.data<T>();
    T* dst = out.data<T>();
    for (int64_t b = 0; b < n; ++b)
      for (int64_t oh = 0; oh < w.out_h; ++oh)
        for (int64_t ow = 0; ow < w.out_w; ++ow) {
          const int64_t w0 = tap(ow, 0, w.stride_w, w.pad_left, w.dilation_w);
          for (int64_t ch = 0; ch < c; ++ch) {
            T* plane = dst + (b * c + ch) * height * width;
            for (int64_t i = 0; i < w.kernel_h; ++i, src += w.kernel_w) {
              const int64_t h = tap(oh, i, w.stride_h, w.pad_top, w.dilation_h);
              if (h < 0 || h >= height) continue;
              T* row = plane + h * width;
              for (int64_t j = 0; j < w.kernel_w; ++j) {
                const int64_t col = w0 + j * w.dilation_w;
                if (col >= 0 && col < width) row[col] += src[j];
              }
            }
          }
        }
  });
  return out;
}

Tensor window_argmax(const Tensor& x, const std::vector<std::vector<int64_t>>& rows,
                     const std::vector<std::vector<int64_t>>& cols) {
  check_image("window_argmax", x);
  const int64_t n = x.shape()[0], c = x.shape()[1], height = x.shape()[2], width = x.shape()[3];
  const int64_t out_h = static_cast<int64_t>(rows.size()),
                out_w = static_cast<int64_t>(cols.size());
  Tensor out = empty({n, c, out_h, out_w}, Dtype::int64);
  const Shape& st = x.strides();
  dispatch(x.dtype(), [&]<class T>() {
    const T* src = x.data<T>();
    int64_t* dst = out.data<int64_t>();
    for (int64_t b = 0; b < n; ++b)
      for (int64_t ch = 0; ch < c; ++ch) {
        const T* plane = src + b * st[0] + ch * st[1];
        for (int64_t oh = 0; oh < out_h; ++oh)
          for (int64_t ow = 0; ow < out_w; ++ow) {
            int64_t best_index = -1;
            T best{};
            for (int64_t h : rows[oh]) {
              if (h < 0 || h >= height) continue;
              for (int64_t col : cols[ow]) {
                if (col < 0 || col >= width) continue;
                const T v = plane[h * st[2] + col * st[3]];
                bool better = best_index < 0 || v > best;
                if constexpr (std::is_floating_point_v<T>)
                  better = better || (std::isnan(v) && !std::isnan(best));
                if (better) {
                  best = v;
                  best_index = h * width + col;
                }
              }
            }
            if (best_index < 0) throw Error("window_argmax: a window lies outside the image");
            *dst++ = best_index;
          }
      }
  });
  return out;
}

}  // namespace xgrad::kernels
