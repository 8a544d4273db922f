// interpolate as separable resampling: along H then W, nearest picks rows/columns with
// index_select; bilinear adds two index_selects weighted by (out, 1) / (out) tensors. The
// indices and weights are computed here with PyTorch's formulas (in the input's precision).
#include "nn/upsample.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <sstream>

#include "autograd/ops.hpp"
#include "autograd/profiler.hpp"

namespace xgrad::nn {

namespace {

std::string numbers(const std::vector<double>& v) {
  std::ostringstream os;
  if (v.size() == 1) {
    os << v[0];
  } else {
    os << "(";
    for (std::size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
    os << ")";
  }
  return os.str();
}

std::string describe(const InterpolateOptions& o) {
  std::string s;
  if (!o.scale_factor.empty()) {
    s = "scale_factor=" + numbers(o.scale_factor);
  } else {
    s = "size=" + numbers(std::vector<double>(o.size.begin(), o.size.end()));
  }
  s += o.mode == InterpolateMode::nearest ? ", mode='nearest'" : ", mode='bilinear'";
  if (o.align_corners) s += ", align_corners=true";
  return s;
}

// Source indices and weights along one axis.
struct Axis {
  int64_t in, out;
  std::optional<double> scale;  // the user's scale_factor, when given
  std::vector<int64_t> i0, i1;  // bilinear: the two neighbours; nearest: i0
  std::vector<double> w0, w1;
};

// PyTorch's area_pixel_compute_scale: the step in source pixels per output pixel.
template <class T>
T step(const Axis& a, bool align_corners) {
  if (align_corners) return a.out > 1 ? static_cast<T>(a.in - 1) / static_cast<T>(a.out - 1) : T(0);
  if (a.scale && *a.scale > 0) return static_cast<T>(1.0 / *a.scale);
  return static_cast<T>(a.in) / static_cast<T>(a.out);
}

// PyTorch's nearest rule in its (N, C, H, W) kernel: src = min(floor(dst · step), in - 1), the
// step in T (its opmath type) and the floor taken in float, as its floorf does.
template <class T>
void nearest(Axis& a) {
  const T s = step<T>(a, false);
  for (int64_t d = 0; d < a.out; ++d) {
    const float src = static_cast<float>(static_cast<T>(d) * s);
    a.i0.push_back(std::min(static_cast<int64_t>(std::floor(src)), a.in - 1));
  }
}

// PyTorch's compute_source_index_and_lambda, in T (its opmath type): an axis whose size does
// not change is copied, whatever the scale_factor says.
template <class T>
void bilinear(Axis& a, bool align_corners) {
  const T s = step<T>(a, align_corners);
  for (int64_t d = 0; d < a.out; ++d) {
    if (a.in == a.out) {
      a.i0.push_back(d);
      a.i1.push_back(d);
      a.w0.push_back(1.0);
      a.w1.push_back(0.0);
      continue;
    }
    T src = align_corners ? s * static_cast<T>(d) : s * (static_cast<T>(d) + T(0.5)) - T(0.5);
    if (src < T(0)) src = T(0);
    const int64_t i0 = std::min(static_cast<int64_t>(src), a.in - 1);
    const T lambda = std::min(std::max(src - static_cast<T>(i0), T(0)), T(1));
    a.i0.push_back(i0);
    a.i1.push_back(i0 < a.in - 1 ? i0 + 1 : i0);
    a.w0.push_back(static_cast<double>(T(1) - lambda));
    a.w1.push_back(static_cast<double>(lambda));
  }
}

// x resampled along dim (2 or 3) as the axis says.
Tensor resample(const Tensor& x, int64_t dim, const Axis& a, InterpolateMode mode) {
  if (a.in == a.out && (mode == InterpolateMode::bilinear || !a.scale)) return x;  // src = dst
  Tensor first = index_select(x, dim, a.i0);
  if (mode == InterpolateMode::nearest) return first;
  // Weights shaped to broadcast along dim: (out, 1) for H, (out) for W.
  const Shape shape = dim == 2 ? Shape{a.out, 1} : Shape{a.out};
  Tensor w0 = from_vector(a.w0, shape, x.dtype()), w1 = from_vector(a.w1, shape, x.dtype());
  return add(mul(first, w0), mul(index_select(x, dim, a.i1), w1));
}

Tensor interpolate_as(const std::string& who, const Tensor& x, const InterpolateOptions& o) {
  if (!x.defined()) throw Error(who + ": input is undefined");
  if (x.dim() != 4)
    throw Error(who + ": expected input (N, C, H, W), got " + format_shape(x.shape()));
  const bool bilinear_mode = o.mode == InterpolateMode::bilinear;
  if (bilinear_mode && !is_floating_point(x.dtype()))
    throw Error(who + ": bilinear interpolation needs a floating-point input, got " +
                std::string(dtype_name(x.dtype())));
  if (o.align_corners && !bilinear_mode)
    throw Error(who + ": align_corners can only be set with mode bilinear");
  if (o.size.empty() == o.scale_factor.empty())
    throw Error(who + ": give exactly one of size and scale_factor");
  const std::size_t given = o.size.empty() ? o.scale_factor.size() : o.size.size();
  if (given != 1 && given != 2)
    throw Error(who + ": " + std::string(o.size.empty() ? "scale_factor" : "size") +
                " needs 1 or 2 values (H, W) for input " + format_shape(x.shape()) + ", got " +
                std::to_string(given));
  Axis axes[2];
  for (int k = 0; k < 2; ++k) {
    Axis& a = axes[k];
    a.in = x.shape()[2 + k];
    const std::size_t j = given == 1 ? 0 : static_cast<std::size_t>(k);
    if (o.size.empty()) {
      const double s = o.scale_factor[j];
      if (!(s > 0.0 && std::isfinite(s)))
        throw Error(who + ": scale_factor must be positive and finite, got " +
                    numbers(o.scale_factor));
      a.scale = s;
      a.out = static_cast<int64_t>(std::floor(static_cast<double>(a.in) * s));
    } else {
      a.out = o.size[j];
    }
  }
  if (axes[0].in <= 0 || axes[1].in <= 0 || axes[0].out <= 0 || axes[1].out <= 0)
    throw Error(who + ": input and output sizes must be positive: input " +
                format_shape(x.shape()) + ", output (" + std::to_string(axes[0].out) + ", " +
                std::to_string(axes[1].out) + ")");
  const bool wide = x.dtype() == Dtype::float64;  // PyTorch's opmath: double for double only
  for (Axis& a : axes) {
    if (!bilinear_mode)
      wide ? nearest<double>(a) : nearest<float>(a);
    else
      wide ? bilinear<double>(a, o.align_corners) : bilinear<float>(a, o.align_corners);
  }
  Tensor y = resample(resample(x, 2, axes[0], o.mode), 3, axes[1], o.mode);
  return y.is_same(x) ? clone(x) : y;  // a new tensor, as PyTorch's, even when nothing moves
}

}  // namespace

namespace functional {
Tensor interpolate(const Tensor& x, const InterpolateOptions& options) {
  const xgrad::detail::OpScope profile_scope("interpolate", x);
  return interpolate_as("interpolate", x, options);
}
}  // namespace functional

Upsample::Upsample(InterpolateOptions options) : options_(std::move(options)) {
  const std::string who = "Upsample(" + describe(options_) + ")";
  if (options_.size.empty() == options_.scale_factor.empty())
    throw Error(who + ": give exactly one of size and scale_factor");
  if (options_.align_corners && options_.mode != InterpolateMode::bilinear)
    throw Error(who + ": align_corners can only be set with mode bilinear");
}

Upsample::Upsample(double scale_factor, InterpolateMode mode, bool align_corners)
    : Upsample(InterpolateOptions{{}, {scale_factor}, mode, align_corners}) {}

Tensor Upsample::forward(const Tensor& x) {
  const xgrad::detail::OpScope profile_scope("interpolate", x);
  return interpolate_as("Upsample(" + describe(options_) + ")", x, options_);
}

std::string Upsample::extra_repr() const { return describe(options_); }

}  // namespace xgrad::nn
