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

// The taps j in [first, last) of a window starting at `start` (with `step` between taps) that
// land inside [0, size): the rest read (or receive) nothing.
struct TapRange {
  int64_t first, last;
};
inline TapRange inside_taps(int64_t start, int64_t kernel, int64_t step, int64_t size) {
  int64_t first = 0, last = kernel;
  if (start < 0) first = std::min(kernel, (-start + step - 1) / step);
  if (start + (kernel - 1) * step >= size)
    last = std::max<int64_t>(first, start >= size ? 0 : (size - 1 - start) / step + 1);
  return {std::min(first, last), last};
}

Tensor im2col(const Tensor& x, const Window2d& w) {
  check_image("im2col", x);
  const int64_t n = x.shape()[0], c = x.shape()[1], height = x.shape()[2], width = x.shape()[3];
  Tensor out = empty({n, w.out_h, w.out_w, c, w.kernel_h, w.kernel_w}, x.dtype());
  const Shape& st = x.strides();
  dispatch(x.dtype(), [&]<class T>() {
    const T* src = x.data<T>();
    T* dst = out.data<T>();
    const int64_t kw = w.kernel_w, dw = w.dilation_w, sw = st[3];
    for (int64_t b = 0; b < n; ++b)
      for (int64_t oh = 0; oh < w.out_h; ++oh)
        for (int64_t ow = 0; ow < w.out_w; ++ow) {
          const int64_t w0 = tap(ow, 0, w.stride_w, w.pad_left, dw);
          const TapRange cols = inside_taps(w0, kw, dw, width);
          for (int64_t ch = 0; ch < c; ++ch) {
            const T* plane = src + b * st[0] + ch * st[1];
            for (int64_t i = 0; i < w.kernel_h; ++i, dst += kw) {
              const int64_t h = tap(oh, i, w.stride_h, w.pad_top, w.dilation_h);
              if (h < 0 || h >= height || cols.first == cols.last) {
                std::fill(dst, dst + kw, T(0));
                continue;
              }
              const T* row = plane + h * st[2];
              for (int64_t j = 0; j < cols.first; ++j) dst[j] = T(0);
              if (sw == 1 && dw == 1)
                for (int64_t j = cols.first; j < cols.last; ++j) dst[j] = row[w0 + j];
              else
                for (int64_t j = cols.first; j < cols.last; ++j) dst[j] = row[(w0 + j * dw) * sw];
              for (int64_t j = cols.last; j < kw; ++j) dst[j] = T(0);
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
    const int64_t kw = w.kernel_w, dw = w.dilation_w;
    for (int64_t b = 0; b < n; ++b)
      for (int64_t oh = 0; oh < w.out_h; ++oh)
        for (int64_t ow = 0; ow < w.out_w; ++ow) {
          const int64_t w0 = tap(ow, 0, w.stride_w, w.pad_left, dw);
          const TapRange taps = inside_taps(w0, kw, dw, width);
          for (int64_t ch = 0; ch < c; ++ch) {
            T* plane = dst + (b * c + ch) * height * width;
            for (int64_t i = 0; i < w.kernel_h; ++i, src += kw) {
              const int64_t h = tap(oh, i, w.stride_h, w.pad_top, w.dilation_h);
              if (h < 0 || h >= height) continue;
              T* row = plane + h * width;
              if (dw == 1)
                for (int64_t j = taps.first; j < taps.last; ++j) row[w0 + j] += src[j];
              else
                for (int64_t j = taps.first; j < taps.last; ++j) row[w0 + j * dw] += src[j];
            }
          }
        }
  });
  return out;
}

Tensor window_argmax(const Tensor& x, const std::vector<Taps>& rows,
                     const std::vector<Taps>& cols) {
  check_image("window_argmax", x);
  const int64_t n = x.shape()[0], c = x.shape()[1], height = x.shape()[2], width = x.shape()[3];
  const int64_t out_h = static_cast<int64_t>(rows.size()),
                out_w = static_cast<int64_t>(cols.size());
  std::vector<TapRange> row_taps, col_taps;
  for (const Taps& t : rows) row_taps.push_back(inside_taps(t.start, t.count, t.step, height));
  for (const Taps& t : cols) col_taps.push_back(inside_taps(t.start, t.count, t.step, width));
  for (const auto* ranges : {&row_taps, &col_taps})
    for (const TapRange& r : *ranges)
      if (r.first == r.last) throw Error("window_argmax: a window lies outside the image");
  Tensor out = empty({n, c, out_h, out_w}, Dtype::int64);
  const Shape& st = x.strides();
  dispatch(x.dtype(), [&]<class T>() {
    const T* src = x.data<T>();
    int64_t* dst = out.data<int64_t>();
    for (int64_t b = 0; b < n; ++b)
      for (int64_t ch = 0; ch < c; ++ch) {
        const T* plane = src + b * st[0] + ch * st[1];
        for (int64_t oh = 0; oh < out_h; ++oh) {
          const Taps& rt = rows[oh];
          const TapRange rr = row_taps[oh];
          for (int64_t ow = 0; ow < out_w; ++ow) {
            const Taps& ct = cols[ow];
            const TapRange cr = col_taps[ow];
            int64_t best_h = rt.start + rr.first * rt.step, best_w = ct.start + cr.first * ct.step;
            T best = plane[best_h * st[2] + best_w * st[3]];
            for (int64_t i = rr.first; i < rr.last; ++i) {
              const int64_t h = rt.start + i * rt.step;
              const T* row = plane + h * st[2];
              for (int64_t j = cr.first; j < cr.last; ++j) {
                const int64_t col = ct.start + j * ct.step;
                const T v = row[col * st[3]];
                bool better = v > best;
                if constexpr (std::is_floating_point_v<T>)
                  better = better || (std::isnan(v) && !std::isnan(best));
                if (better) {
                  best = v;
                  best_h = h;
                  best_w = col;
                }
              }
            }
            *dst++ = best_h * width + best_w;
          }
        }
      }
  });
  return out;
}

}  // namespace xgrad::kernels
