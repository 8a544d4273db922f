// The batch transforms as loops over contiguous (N, C, H, W) float data; the random draws are
// made per image in image order, so a transform's output depends only on the generator's state.
#include "data/image_transforms.hpp"

#include <algorithm>
#include <sstream>

#include "tensor/dispatch.hpp"

namespace xgrad::data {

namespace {

// A contiguous float copy of checked (N, C, H, W) images: transforms never write to their input.
Tensor checked_images(const std::string& who, const Tensor& images) {
  if (!images.defined()) throw Error(who + ": images are undefined");
  if (images.dim() != 4)
    throw Error(who + ": expected images (N, C, H, W), got " + format_shape(images.shape()));
  if (!is_floating_point(images.dtype()))
    throw Error(who + ": expected float32 or float64 images, got " +
                std::string(dtype_name(images.dtype())));
  return images.contiguous_copy();
}

std::string number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

std::string list(const std::vector<double>& values) {
  std::string s = "[";
  for (std::size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + number(values[i]);
  return s + "]";
}

Tensor crop(const std::string& who, const Tensor& input, int64_t height, int64_t width,
            int64_t padding, const std::vector<int64_t>& tops, const std::vector<int64_t>& lefts) {
  const Tensor images = checked_images(who, input);
  const Shape& s = images.shape();
  const int64_t n = s[0], c = s[1], h = s[2], w = s[3];
  const int64_t padded_h = h + 2 * padding, padded_w = w + 2 * padding;
  if (height > padded_h || width > padded_w)
    throw Error(who + ": the crop (" + std::to_string(height) + ", " + std::to_string(width) +
                ") is larger than the padded images (" + std::to_string(padded_h) + ", " +
                std::to_string(padded_w) + ") of " + format_shape(s));
  if (static_cast<int64_t>(tops.size()) != n || static_cast<int64_t>(lefts.size()) != n)
    throw Error(who + ": " + std::to_string(tops.size()) + " tops and " +
                std::to_string(lefts.size()) + " lefts for " + std::to_string(n) + " images");
  for (int64_t i = 0; i < n; ++i)
    if (tops[i] < 0 || lefts[i] < 0 || tops[i] + height > padded_h || lefts[i] + width > padded_w)
      throw Error(who + ": offset (" + std::to_string(tops[i]) + ", " + std::to_string(lefts[i]) +
                  ") of image " + std::to_string(i) + " puts the crop (" + std::to_string(height) +
                  ", " + std::to_string(width) + ") outside the padded images (" +
                  std::to_string(padded_h) + ", " + std::to_string(padded_w) + ")");
  Tensor out = zeros({n, c, height, width}, images.dtype());
  dispatch_floating(images.dtype(), [&]<class T>() {
    const T* src = images.data<T>();
    T* dst = out.data<T>();
    for (int64_t i = 0; i < n; ++i) {
      // Window row r, column q reads source pixel (r + top - padding, q + left - padding).
      const int64_t dy = tops[i] - padding, dx = lefts[i] - padding;
      const int64_t q0 = std::max<int64_t>(0, -dx), q1 = std::min<int64_t>(width, w - dx);
      for (int64_t ch = 0; ch < c; ++ch) {
        const T* plane = src + (i * c + ch) * h * w;
        T* window = dst + (i * c + ch) * height * width;
        for (int64_t r = 0; r < height; ++r) {
          const int64_t y = r + dy;
          if (y < 0 || y >= h) continue;  // a padding row: stays zero
          for (int64_t q = q0; q < q1; ++q) window[r * width + q] = plane[y * w + q + dx];
        }
      }
    }
  });
  return out;
}

}  // namespace

RandomCrop::RandomCrop(int64_t size, int64_t padding) : RandomCrop(size, size, padding) {}

RandomCrop::RandomCrop(int64_t height, int64_t width, int64_t padding)
    : height_(height), width_(width), padding_(padding) {
  if (height <= 0 || width <= 0 || padding < 0)
    throw Error(repr() + ": the size must be positive and the padding non-negative");
}

std::string RandomCrop::repr() const {
  std::ostringstream os;
  os << "RandomCrop(";
  if (height_ == width_)
    os << height_;
  else
    os << "(" << height_ << ", " << width_ << ")";
  os << ", padding=" << padding_ << ")";
  return os.str();
}

Tensor RandomCrop::apply(const Tensor& images, Generator& gen) const {
  // Offsets are drawn only for images the crop fits; crop() reports every other case.
  std::vector<int64_t> tops, lefts;
  if (images.defined() && images.dim() == 4) {
    const int64_t spare_h = images.shape()[2] + 2 * padding_ - height_;
    const int64_t spare_w = images.shape()[3] + 2 * padding_ - width_;
    if (spare_h >= 0 && spare_w >= 0)
      for (int64_t i = 0; i < images.shape()[0]; ++i) {
        tops.push_back(static_cast<int64_t>(gen.below(static_cast<uint64_t>(spare_h + 1))));
        lefts.push_back(static_cast<int64_t>(gen.below(static_cast<uint64_t>(spare_w + 1))));
      }
  }
  return crop(repr(), images, height_, width_, padding_, tops, lefts);
}

Tensor crop_padded(const Tensor& images, int64_t height, int64_t width, int64_t padding,
                   const std::vector<int64_t>& tops, const std::vector<int64_t>& lefts) {
  if (height <= 0 || width <= 0 || padding < 0)
    throw Error("crop_padded: the size must be positive and the padding non-negative, got (" +
                std::to_string(height) + ", " + std::to_string(width) + ") and padding " +
                std::to_string(padding));
  return crop("crop_padded", images, height, width, padding, tops, lefts);
}

RandomHorizontalFlip::RandomHorizontalFlip(double p) : p_(p) {
  if (!(p >= 0.0 && p <= 1.0)) throw Error(repr() + ": p must be in [0, 1]");
}

std::string RandomHorizontalFlip::repr() const {
  return "RandomHorizontalFlip(p=" + number(p_) + ")";
}

Tensor RandomHorizontalFlip::apply(const Tensor& input, Generator& gen) const {
  Tensor images = checked_images(repr(), input);
  const Shape& s = images.shape();
  const int64_t n = s[0], plane = s[1] * s[2], w = s[3];
  dispatch_floating(images.dtype(), [&]<class T>() {
    T* data = images.data<T>();
    for (int64_t i = 0; i < n; ++i) {
      if (!(gen.uniform() < p_)) continue;
      for (int64_t row = 0; row < plane; ++row) {
        T* r = data + (i * plane + row) * w;
        std::reverse(r, r + w);
      }
    }
  });
  return images;
}

Normalize::Normalize(std::vector<double> mean, std::vector<double> stddev)
    : mean_(std::move(mean)), std_(std::move(stddev)) {
  if (mean_.empty() || mean_.size() != std_.size())
    throw Error(repr() + ": mean and std need the same number (at least one) of values");
  for (std::size_t c = 0; c < std_.size(); ++c)
    if (!(std_[c] != 0.0))
      throw Error(repr() + ": std " + number(std_[c]) + " of channel " + std::to_string(c) +
                  " would divide by zero");
}

std::string Normalize::repr() const {
  return "Normalize(mean=" + list(mean_) + ", std=" + list(std_) + ")";
}

Tensor Normalize::apply(const Tensor& input, Generator&) const {
  Tensor images = checked_images(repr(), input);
  const Shape& s = images.shape();
  const int64_t n = s[0], c = s[1], plane = s[2] * s[3];
  if (mean_.size() != 1 && static_cast<int64_t>(mean_.size()) != c)
    throw Error(repr() + ": " + std::to_string(mean_.size()) + " channels of mean and std for " +
                std::to_string(c) + "-channel images " + format_shape(s));
  dispatch_floating(images.dtype(), [&]<class T>() {
    T* data = images.data<T>();
    for (int64_t i = 0; i < n; ++i)
      for (int64_t ch = 0; ch < c; ++ch) {
        const std::size_t k = mean_.size() == 1 ? 0 : static_cast<std::size_t>(ch);
        const T m = static_cast<T>(mean_[k]), sd = static_cast<T>(std_[k]);
        T* p = data + (i * c + ch) * plane;
        for (int64_t j = 0; j < plane; ++j) p[j] = (p[j] - m) / sd;
      }
  });
  return images;
}

Compose::Compose(std::vector<std::shared_ptr<const Transform>> transforms)
    : transforms_(std::move(transforms)) {
  for (std::size_t i = 0; i < transforms_.size(); ++i)
    if (!transforms_[i]) throw Error("Compose: transform " + std::to_string(i) + " is null");
}

std::string Compose::repr() const {
  std::string s = "Compose(";
  for (std::size_t i = 0; i < transforms_.size(); ++i)
    s += (i ? ", " : "") + transforms_[i]->repr();
  return s + ")";
}

Tensor Compose::apply(const Tensor& images, Generator& gen) const {
  Tensor x = images;
  for (const auto& t : transforms_) x = (*t)(x, gen);
  if (transforms_.empty()) x = checked_images(repr(), images);
  return x;
}

}  // namespace xgrad::data
