// Resizing (N, C, H, W) images: functional::interpolate / upsample (nearest, bilinear) and the
// nn::Upsample module, with PyTorch's coordinate rules. Compositions of index_select and
// weighted sums, so gradients of every order come from the ops' own backward.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "module.hpp"

namespace xgrad::nn {

enum class InterpolateMode { nearest, bilinear };

// Exactly one of size and scale_factor. Either holds one value (for H and W) or two (H, W).
// With scale_factor the output is floor(in · scale) and, as PyTorch, the source coordinates use
// 1/scale (not in/out); with size they use in/out.
//   nearest:  src = min(floor(dst · in/out), in - 1)
//   bilinear: src = (dst + 0.5) · in/out - 0.5 clamped at 0, or with align_corners
//             src = dst · (in - 1)/(out - 1); the two neighbours floor(src) and the next
//             (the last pixel repeats at the edge) weighted by their distance. An axis
//             whose size does not change is copied.
struct InterpolateOptions {
  std::vector<int64_t> size;
  std::vector<double> scale_factor;
  InterpolateMode mode = InterpolateMode::nearest;
  bool align_corners = false;  // bilinear only
};

namespace functional {
Tensor interpolate(const Tensor& x, const InterpolateOptions& options);
inline Tensor upsample(const Tensor& x, const InterpolateOptions& options) {
  return interpolate(x, options);
}
}  // namespace functional

// functional::interpolate as a layer (no parameters).
class Upsample : public Module {
 public:
  explicit Upsample(InterpolateOptions options);
  explicit Upsample(double scale_factor, InterpolateMode mode = InterpolateMode::nearest,
                    bool align_corners = false);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;  // "scale_factor=2, mode='bilinear'"
  std::shared_ptr<Module> clone_empty() const override {
    return std::make_shared<Upsample>(options_);
  }
  const InterpolateOptions& options() const { return options_; }

 private:
  InterpolateOptions options_;
};

}  // namespace xgrad::nn
