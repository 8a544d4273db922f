// Window kernels behind convolution and pooling: im2col (every window's pixels as a row),
// col2im (its adjoint, summing rows back into an image) and the argmax of each window. They
// read images of any layout through their strides and run in the image's own dtype.
#include <cmath>
#include <cstring>
#include <optional>
#include <utility>

#include "tensor/dispatch.hpp"
#include "tensor/gemm_backend.hpp"
#include "tensor/kernels.hpp"
#include "xgrad_config.hpp"
#if XGRAD_HAVE_DNNL
#include "tensor/dnnl/convolution.hpp"
#endif

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
            int64_t best_at =
                (rt.start + rr.first * rt.step) * width + ct.start + cr.first * ct.step;
            T best = plane[(rt.start + rr.first * rt.step) * st[2] +
                           (ct.start + cr.first * ct.step) * st[3]];
            for (int64_t i = rr.first; i < rr.last; ++i) {
              const int64_t h = rt.start + i * rt.step;
              const T* row = plane + h * st[2];
              for (int64_t j = cr.first; j < cr.last; ++j) {
                const int64_t col = ct.start + j * ct.step;
                const T v = row[col * st[3]];
                // PyTorch's rule: a larger value or a NaN takes over (so the last NaN wins).
                bool better = v > best;
                if constexpr (std::is_floating_point_v<T>) better = better | (v != v);
                best = better ? v : best;
                best_at = better ? h * width + col : best_at;
              }
            }
            *dst++ = best_at;
          }
        }
      }
  });
  return out;
}

Tensor gather_planes(const Tensor& x, const Tensor& indices) {
  const Tensor xc = x.is_contiguous() ? x : x.contiguous_copy();
  const int64_t planes = x.shape()[0] * x.shape()[1], plane = x.shape()[2] * x.shape()[3];
  const int64_t per = indices.shape()[2] * indices.shape()[3];
  Tensor out = empty(indices.shape(), x.dtype());
  const int64_t* idx = indices.data<int64_t>();
  dispatch(x.dtype(), [&]<class T>() {
    const T* src = xc.data<T>();
    T* dst = out.data<T>();
    for (int64_t p = 0; p < planes; ++p, src += plane)
      for (int64_t k = 0; k < per; ++k, ++idx) *dst++ = src[*idx];
  });
  return out;
}

Tensor scatter_add_planes(const Tensor& src, const Tensor& indices, int64_t height, int64_t width) {
  const Tensor sc = src.is_contiguous() ? src : src.contiguous_copy();
  const int64_t planes = src.shape()[0] * src.shape()[1], plane = height * width;
  const int64_t per = indices.shape()[2] * indices.shape()[3];
  Tensor out = zeros({src.shape()[0], src.shape()[1], height, width}, src.dtype());
  const int64_t* idx = indices.data<int64_t>();
  dispatch(src.dtype(), [&]<class T>() {
    const T* from = sc.data<T>();
    T* dst = out.data<T>();
    for (int64_t p = 0; p < planes; ++p, dst += plane)
      for (int64_t k = 0; k < per; ++k, ++idx) dst[*idx] += *from++;
  });
  return out;
}

namespace {

thread_local int64_t dnnl_convolutions = 0;

#if XGRAD_HAVE_DNNL
// The geometry of a convolution of x (N, C, H, W) into (N, O, out_h, out_w), or nothing when
// oneDNN should not run it (not float32, OpenBLAS forced, empty).
std::optional<dnnl_backend::ConvArgs> dnnl_geometry(const Shape& x, int64_t c_out,
                                                    const Shape& weight, const Window2d& w,
                                                    int64_t groups, Dtype dtype, bool bias) {
  if (dtype != Dtype::float32 || gemm_backend() == GemmBackend::openblas) return std::nullopt;
  dnnl_backend::ConvArgs a;
  a.n = x[0];
  a.c_in = x[1];
  a.h = x[2];
  a.w = x[3];
  a.c_out = c_out;
  a.out_h = w.out_h;
  a.out_w = w.out_w;
  a.kh = weight[2];
  a.kw = weight[3];
  a.stride_h = w.stride_h;
  a.stride_w = w.stride_w;
  a.dilation_h = w.dilation_h;
  a.dilation_w = w.dilation_w;
  a.pad_top = w.pad_top;
  a.pad_left = w.pad_left;
  a.pad_bottom = (w.out_h - 1) * w.stride_h + w.dilation_h * (w.kernel_h - 1) + 1 - a.h - w.pad_top;
  a.pad_right = (w.out_w - 1) * w.stride_w + w.dilation_w * (w.kernel_w - 1) + 1 - a.w - w.pad_left;
  a.groups = groups;
  a.bias = bias;
  // Negative trailing padding (windows stopping short of the image) is oneDNN's to accept or
  // refuse (then the primitive is unsupported and the caller composes).
  if (a.n * a.c_in * a.h * a.w == 0 || a.c_out == 0 || a.out_h * a.out_w == 0) return std::nullopt;
  return a;
}
void copy_strides(int64_t* out, const Tensor& t) {
  for (int d = 0; d < 4; ++d) out[d] = t.strides()[d];
}
#endif

}  // namespace

int64_t onednn_convolutions() noexcept { return dnnl_convolutions; }

Tensor conv2d_onednn(const Tensor& x, const Tensor& weight, const Tensor& bias, const Window2d& w,
                     int64_t groups) {
#if XGRAD_HAVE_DNNL
  const int64_t c_out = weight.shape()[0];
  auto a = dnnl_geometry(x.shape(), c_out, weight.shape(), w, groups, x.dtype(), bias.defined());
  if (!a) return Tensor();
  copy_strides(a->src_strides, x);
  const Tensor wc = weight.is_contiguous() ? weight : weight.contiguous_copy();
  const Tensor bc = !bias.defined() || bias.is_contiguous() ? bias : bias.contiguous_copy();
  Tensor y = empty({a->n, c_out, w.out_h, w.out_w}, Dtype::float32);
  if (!dnnl_backend::conv_forward(*a, x.data<float>(), wc.data<float>(),
                                  bc.defined() ? bc.data<float>() : nullptr, y.data<float>()))
    return Tensor();
  ++dnnl_convolutions;
  return y;
#else
  (void)x, (void)weight, (void)bias, (void)w, (void)groups;
  return Tensor();
#endif
}

Tensor conv2d_backward_data_onednn(const Tensor& dy, const Tensor& weight, int64_t height,
                                   int64_t width, const Window2d& w, int64_t groups) {
#if XGRAD_HAVE_DNNL
  const Shape x{dy.shape()[0], weight.shape()[1] * groups, height, width};
  auto a = dnnl_geometry(x, weight.shape()[0], weight.shape(), w, groups, dy.dtype(), false);
  if (!a) return Tensor();
  copy_strides(a->dst_strides, dy);
  const Tensor wc = weight.is_contiguous() ? weight : weight.contiguous_copy();
  Tensor dx = empty(x, Dtype::float32);
  if (!dnnl_backend::conv_backward_data(*a, dy.data<float>(), wc.data<float>(), dx.data<float>()))
    return Tensor();
  ++dnnl_convolutions;
  return dx;
#else
  (void)dy, (void)weight, (void)height, (void)width, (void)w, (void)groups;
  return Tensor();
#endif
}

std::pair<Tensor, Tensor> conv2d_backward_weights_onednn(const Tensor& x, const Tensor& dy,
                                                         const Shape& weight_shape, bool with_bias,
                                                         const Window2d& w, int64_t groups) {
#if XGRAD_HAVE_DNNL
  auto a = dnnl_geometry(x.shape(), weight_shape[0], weight_shape, w, groups, x.dtype(), with_bias);
  if (!a || dy.dtype() != Dtype::float32) return {};
  copy_strides(a->src_strides, x);
  copy_strides(a->dst_strides, dy);
  Tensor dw = empty(weight_shape, Dtype::float32);
  Tensor db = with_bias ? empty({weight_shape[0]}, Dtype::float32) : Tensor();
  if (!dnnl_backend::conv_backward_weights(*a, x.data<float>(), dy.data<float>(), dw.data<float>(),
                                           with_bias ? db.data<float>() : nullptr))
    return {};
  ++dnnl_convolutions;
  return {dw, db};
#else
  (void)x, (void)dy, (void)weight_shape, (void)with_bias, (void)w, (void)groups;
  return {};
#endif
}

}  // namespace xgrad::kernels
