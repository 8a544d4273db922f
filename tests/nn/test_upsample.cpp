// nn/upsample: interpolate's forward values against hand-computed cases from PyTorch's formulas,
// gradcheck / gradgradcheck in float64 for every mode, the Upsample module and the errors.
#include "../helpers.hpp"

using namespace xgrad;
using xgrad::testing::allclose;
namespace F = xgrad::nn::functional;
using nn::InterpolateMode;
using nn::InterpolateOptions;

namespace {
// (1, 1, h, w) float64 with pixel (y, x) = 10 y + x.
Tensor grid(int64_t h, int64_t w) {
  std::vector<double> v;
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) v.push_back(static_cast<double>(10 * y + x));
  return from_vector(v, {1, 1, h, w}, float64);
}
Tensor two_by_two() { return from_vector(std::vector<double>{1, 2, 3, 4}, {1, 1, 2, 2}, float64); }
}  // namespace

TEST_CASE("interpolate nearest: src = min(floor(dst * in/out), in - 1)") {
  Tensor up = F::interpolate(two_by_two(), {.scale_factor = {2.0}});
  CHECK(up.shape() == Shape{1, 1, 4, 4});
  CHECK(up.to_vector() == std::vector<double>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
  // Rows 3 -> 5: floor(d * 0.6) = 0 0 1 1 2; columns 5 -> 3: floor(d * 5/3) = 0 1 3.
  Tensor mixed = F::interpolate(grid(3, 5), {.size = {5, 3}});
  CHECK(mixed.shape() == Shape{1, 1, 5, 3});
  CHECK(mixed.to_vector() ==
        std::vector<double>{0, 1, 3, 0, 1, 3, 10, 11, 13, 10, 11, 13, 20, 21, 23});
  // scale_factor 1.3 on 3 columns: still 3 columns, but src = floor(dst / 1.3) = 0 0 1.
  Tensor same_size = F::interpolate(grid(2, 3), {.scale_factor = {1.0, 1.3}});
  CHECK(same_size.to_vector() == std::vector<double>{0, 0, 1, 10, 10, 11});
  // Integer images work too (index_select only); equal sizes are the identity.
  CHECK(F::interpolate(cast(two_by_two(), int64), {.scale_factor = {2.0}}).to_vector() ==
        up.to_vector());
  CHECK(F::interpolate(up, {.size = {4}}).to_vector() == up.to_vector());
  CHECK_FALSE(F::interpolate(up, {.size = {4}}).is_same(up));
  // Batches and channels are resampled alike.
  Tensor x = testing::input({2, 3, 3, 5});
  Tensor y = F::interpolate(x, {.size = {5, 3}});
  CHECK(allclose(
      select(select(y, 0, 1), 0, 2),
      F::interpolate(reshape(select(select(x, 0, 1), 0, 2), {1, 1, 3, 5}), {.size = {5, 3}})
          .reshape({5, 3})));
}

TEST_CASE("interpolate bilinear 2x2 -> 4x4, by hand from PyTorch's formulas") {
  // align_corners = false: src = (dst + 0.5) / 2 - 0.5 clamped at 0 = 0, 0.25, 0.75, 1.25 (the
  // last one stays on pixel 1), so each row a, b becomes a, (3a + b)/4, (a + 3b)/4, b.
  Tensor half =
      F::interpolate(two_by_two(), {.scale_factor = {2.0}, .mode = InterpolateMode::bilinear});
  CHECK(half.shape() == Shape{1, 1, 4, 4});
  CHECK(allclose(half,
                 from_vector(std::vector<double>{1.0, 1.25, 1.75, 2.0,  //
                                                 1.5, 1.75, 2.25, 2.5,  //
                                                 2.5, 2.75, 3.25, 3.5,  //
                                                 3.0, 3.25, 3.75, 4.0},
                             {1, 1, 4, 4}, float64),
                 1e-15, 0));
  // The same by size.
  CHECK(allclose(F::interpolate(two_by_two(), {.size = {4, 4}, .mode = InterpolateMode::bilinear}),
                 half, 1e-15, 0));
  // align_corners = true: src = dst (2 - 1)/(4 - 1) = 0, 1/3, 2/3, 1: a, (2a + b)/3, (a + 2b)/3, b.
  Tensor corners = F::interpolate(
      two_by_two(), {.size = {4, 4}, .mode = InterpolateMode::bilinear, .align_corners = true});
  const double t = 1.0 / 3.0;
  CHECK(allclose(corners,
                 from_vector(std::vector<double>{1, 1 + t, 1 + 2 * t, 2,          //
                                                 1 + 2 * t, 2, 2 + t, 2 + 2 * t,  //
                                                 2 + t, 2 + 2 * t, 3, 3 + t,      //
                                                 3, 3 + t, 3 + 2 * t, 4},
                             {1, 1, 4, 4}, float64),
                 1e-15, 1e-15));
  // float32 gives the same values to float precision.
  CHECK(allclose(F::interpolate(cast(two_by_two(), float32),
                                {.scale_factor = {2.0}, .mode = InterpolateMode::bilinear}),
                 half, 1e-6, 0));
}

TEST_CASE("interpolate bilinear: scale_factor steps by 1/scale, size by in/out, edges repeat") {
  Tensor row = grid(1, 5);  // 0 1 2 3 4
  // scale_factor 1.5: 7 outputs, src = (dst + 0.5)/1.5 - 0.5 = 0 (clamped), 1/2, 7/6, 11/6, 5/2,
  // 19/6, 23/6.
  Tensor by_scale =
      F::interpolate(row, {.scale_factor = {1.0, 1.5}, .mode = InterpolateMode::bilinear});
  CHECK(by_scale.shape() == Shape{1, 1, 1, 7});
  CHECK(
      allclose(by_scale,
               from_vector(std::vector<double>{0, 0.5, 7.0 / 6, 11.0 / 6, 2.5, 19.0 / 6, 23.0 / 6},
                           {1, 1, 1, 7}, float64),
               1e-14, 0));
  // size 7: src = (dst + 0.5) 5/7 - 0.5 = 0 (clamped), 4/7, 9/7, 2, 19/7, 24/7, 29/7 (past the
  // last pixel: both neighbours are pixel 4).
  Tensor by_size = F::interpolate(row, {.size = {1, 7}, .mode = InterpolateMode::bilinear});
  CHECK(allclose(by_size,
                 from_vector(std::vector<double>{0, 4.0 / 7, 9.0 / 7, 2, 19.0 / 7, 24.0 / 7, 4},
                             {1, 1, 1, 7}, float64),
                 1e-14, 0));
  // Downsampling 4 -> 3: src = (dst + 0.5) 4/3 - 0.5 = 1/6, 3/2, 17/6.
  Tensor down = F::interpolate(grid(1, 4), {.size = {1, 3}, .mode = InterpolateMode::bilinear});
  CHECK(allclose(down,
                 from_vector(std::vector<double>{1.0 / 6, 1.5, 17.0 / 6}, {1, 1, 1, 3}, float64),
                 1e-14, 0));
  // An axis whose size does not change is copied, whatever the scale_factor (PyTorch's rule).
  CHECK(F::interpolate(grid(2, 3), {.scale_factor = {1.0, 1.3}, .mode = InterpolateMode::bilinear})
            .to_vector() == grid(2, 3).to_vector());
  // align_corners with one output pixel: the first input pixel.
  Tensor one = F::interpolate(
      grid(3, 3), {.size = {1, 1}, .mode = InterpolateMode::bilinear, .align_corners = true});
  CHECK(one.to_vector() == std::vector<double>{0});
}

TEST_CASE("interpolate: gradcheck and gradgradcheck in float64 for every mode") {
  Tensor x = testing::input({2, 2, 3, 4});
  const std::vector<InterpolateOptions> cases = {
      {.scale_factor = {2.0}},
      {.size = {5, 3}},
      {.scale_factor = {1.5, 0.5}},
      {.scale_factor = {2.0}, .mode = InterpolateMode::bilinear},
      {.size = {5, 7}, .mode = InterpolateMode::bilinear},
      {.size = {2, 3}, .mode = InterpolateMode::bilinear},
      {.size = {4, 6}, .mode = InterpolateMode::bilinear, .align_corners = true},
      {.scale_factor = {1.7, 0.8}, .mode = InterpolateMode::bilinear, .align_corners = true},
  };
  for (std::size_t k = 0; k < cases.size(); ++k) {
    CAPTURE(k);
    const InterpolateOptions o = cases[k];
    auto linear_fn = [o](const std::vector<Tensor>& v) { return F::interpolate(v[0], o); };
    // Squared, so that the second derivative is not zero.
    auto square_fn = [o](const std::vector<Tensor>& v) {
      Tensor y = F::interpolate(v[0], o);
      return y * y;
    };
    CHECK(gradcheck(linear_fn, {x}));
    CHECK(gradcheck(square_fn, {x}));
    CHECK(gradgradcheck(square_fn, {x}));
  }
}

TEST_CASE("Upsample: the functional form as a layer") {
  Tensor x = testing::input({2, 3, 3, 4});
  nn::Upsample up(2.0, InterpolateMode::bilinear);
  CHECK(allclose(up(x), F::upsample(x, {.scale_factor = {2.0}, .mode = InterpolateMode::bilinear}),
                 0, 0));
  CHECK(up(x).shape() == Shape{2, 3, 6, 8});
  CHECK(up.type_name() == "Upsample");
  CHECK(up.extra_repr() == "scale_factor=2, mode='bilinear'");
  CHECK(up.parameters().empty());
  auto copy = up.clone();
  CHECK(copy->type_name() == "Upsample");
  CHECK(copy->extra_repr() == "scale_factor=2, mode='bilinear'");
  CHECK(allclose((*copy)(x), up(x), 0, 0));
  CHECK(nn::Upsample({.size = {5, 7}}).extra_repr() == "size=(5, 7), mode='nearest'");
  CHECK(nn::Upsample(1.5, InterpolateMode::bilinear, true).extra_repr() ==
        "scale_factor=1.5, mode='bilinear', align_corners=true");
  // Inside a model, gradients flow back to the input.
  nn::Sequential model{std::make_shared<nn::Upsample>(2.0), std::make_shared<nn::Flatten>()};
  sum(model(x)).backward();
  CHECK(allclose(x.grad(), full({2, 3, 3, 4}, 4.0, float64)));
}

TEST_CASE("interpolate / Upsample: errors name the layer and the shapes") {
  const Tensor x = zeros({1, 1, 2, 2});
  CHECK_ERROR_MESSAGE(F::interpolate(zeros({3, 4}), {.scale_factor = {2.0}}),
                      "interpolate: expected input (N, C, H, W), got (3, 4)");
  CHECK_ERROR_MESSAGE(nn::Upsample(2.0)(zeros({3, 4})),
                      "Upsample(scale_factor=2, mode='nearest'): expected input (N, C, H, W), got "
                      "(3, 4)");
  CHECK_ERROR_MESSAGE(F::interpolate(x, {.size = {4}, .scale_factor = {2.0}}),
                      "interpolate: give exactly one of size and scale_factor");
  CHECK_ERROR_MESSAGE(F::interpolate(x, {}),
                      "interpolate: give exactly one of size and scale_factor");
  CHECK_ERROR_MESSAGE(F::interpolate(x, {.scale_factor = {2.0}, .align_corners = true}),
                      "interpolate: align_corners can only be set with mode bilinear");
  CHECK_ERROR_MESSAGE(nn::Upsample(2.0, InterpolateMode::nearest, true),
                      "Upsample(scale_factor=2, mode='nearest', align_corners=true): align_corners "
                      "can only be set with mode bilinear");
  CHECK_ERROR_MESSAGE(
      nn::Upsample(InterpolateOptions{}),
      "Upsample(size=(), mode='nearest'): give exactly one of size and scale_factor");
  CHECK_ERROR_MESSAGE(
      F::interpolate(zeros({1, 1, 2, 2}, int64), {.size = {4}, .mode = InterpolateMode::bilinear}),
      "interpolate: bilinear interpolation needs a floating-point input, got int64");
  CHECK_ERROR_MESSAGE(F::interpolate(x, {.size = {4, 4, 4}}),
                      "interpolate: size needs 1 or 2 values (H, W) for input (1, 1, 2, 2), got 3");
  CHECK_ERROR_MESSAGE(F::interpolate(x, {.scale_factor = {-2.0}}),
                      "interpolate: scale_factor must be positive and finite, got -2");
  CHECK_ERROR_MESSAGE(F::interpolate(x, {.scale_factor = {0.1}}),
                      "interpolate: input and output sizes must be positive: input (1, 1, 2, 2), "
                      "output (0, 0)");
  CHECK_ERROR_MESSAGE(F::interpolate(x, {.size = {0, 3}}),
                      "interpolate: input and output sizes must be positive: input (1, 1, 2, 2), "
                      "output (0, 3)");
}
