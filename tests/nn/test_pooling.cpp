// Pooling: windows with ties (the first maximum wins and takes the gradient), padding,
// dilation and ceil_mode, count_include_pad, adaptive windows of uneven sizes, unpooling,
// gradcheck and gradgradcheck in float64, layers and errors.
#include "../helpers.hpp"

using namespace xgrad;
using xgrad::testing::allclose;
using xgrad::testing::input;
namespace F = xgrad::nn::functional;
using nn::Size2;

TEST_CASE("max_pool2d: a window with ties sends the gradient to its first maximum") {
  // Window (0,0) holds 3, 3, 3, 0: the first 3 (index 1) is the maximum.
  Tensor x = tensor({{1.0, 3.0, 2.0, 2.0}, {3.0, 0.0, 2.0, 1.0}}, {float64, true});
  nn::PoolResult r = F::max_pool2d_with_indices(reshape(x, {1, 1, 2, 4}), 2);
  CHECK(r.values.to_vector() == std::vector<double>{3, 2});
  CHECK(r.indices.dtype() == Dtype::int64);
  CHECK(r.indices.to_vector() == std::vector<double>{1, 2});
  sum(r.values).backward();
  CHECK(x.grad().to_vector() == std::vector<double>{0, 1, 1, 0, 0, 0, 0, 0});
}

TEST_CASE("max_pool2d: padding, stride, dilation and ceil_mode as PyTorch") {
  Tensor x = reshape(arange(0, 25, 1, float64), {1, 1, 5, 5});
  // Kernel 2 stride 2: 5 -> 2 windows, or 3 with ceil_mode (the last one partial).
  CHECK(F::max_pool2d(x, 2).to_vector() == std::vector<double>{6, 8, 16, 18});
  CHECK(F::max_pool2d(x, 2, {.ceil_mode = true}).to_vector() ==
        std::vector<double>{6, 8, 9, 16, 18, 19, 21, 23, 24});
  // Padding 1 (-inf, never chosen): windows start at -1.
  CHECK(F::max_pool2d(x, 3, {.stride = 2, .padding = 1}).to_vector() ==
        std::vector<double>{6, 8, 9, 16, 18, 19, 21, 23, 24});
  // Dilation 2: taps 0, 2, 4.
  CHECK(F::max_pool2d(x, 3, {.stride = 1, .dilation = 2}).to_vector() == std::vector<double>{24});
  // ceil_mode drops a window that would start inside the right padding: 4 + pad 1, k 2, s 2.
  Tensor x4 = zeros({1, 1, 4, 4});
  CHECK(F::max_pool2d(x4, 2, {.padding = 1, .ceil_mode = true}).shape() == Shape{1, 1, 3, 3});
  CHECK(F::max_pool1d(reshape(arange(0, 7, 1, float64), {1, 1, 7}), 3, {.stride = 2}).to_vector() ==
        std::vector<double>{2, 4, 6});
  // A NaN in a window wins; of two, the last (PyTorch's rule).
  Tensor n = tensor({1.0, NAN, 0.0, 2.0, NAN, NAN}, float64);
  nn::PoolResult nr = F::max_pool1d_with_indices(reshape(n, {1, 1, 6}), 3);
  CHECK(std::isnan(nr.values.to_vector()[0]));
  CHECK(nr.indices.to_vector() == std::vector<double>{1, 5});
}

TEST_CASE("avg_pool2d: count_include_pad, ceil_mode and divisor_override") {
  Tensor x = reshape(arange(1, 10, 1, float64), {1, 1, 3, 3});
  // Padding 1, kernel 2, stride 2: windows (rows -1..0) x (cols -1..0) hold only x[0,0] = 1.
  CHECK(F::avg_pool2d(x, 2, {.padding = 1}).to_vector() ==
        std::vector<double>{0.25, (2 + 3) / 4.0, (4 + 7) / 4.0, (5 + 6 + 8 + 9) / 4.0});
  CHECK(F::avg_pool2d(x, 2, {.padding = 1, .count_include_pad = false}).to_vector() ==
        std::vector<double>{1, 2.5, 5.5, 7});
  // ceil_mode: the last window spans 1 column / row past the image (not counted as padding).
  CHECK(F::avg_pool2d(x, 2, {.ceil_mode = true}).to_vector() ==
        std::vector<double>{3, 4.5, 7.5, 9});
  CHECK(F::avg_pool2d(x, 3, {.divisor_override = 3}).to_vector() == std::vector<double>{15});
  CHECK(F::avg_pool1d(reshape(arange(0, 6, 1, float64), {1, 1, 6}), 2).to_vector() ==
        std::vector<double>{0.5, 2.5, 4.5});
}

TEST_CASE("adaptive pooling: uneven windows [floor(i s / n), ceil((i + 1) s / n))") {
  Tensor x = reshape(arange(0, 5, 1, float64), {1, 1, 1, 5});
  // 5 -> 3: windows [0, 2), [1, 4), [3, 5).
  CHECK(F::adaptive_avg_pool2d(x, {1, 3}).to_vector() == std::vector<double>{0.5, 2, 3.5});
  CHECK(F::adaptive_max_pool2d(x, {1, 3}).to_vector() == std::vector<double>{1, 3, 4});
  Tensor img = input({2, 3, 5, 7}, -1, 1, 3).detach();
  CHECK(allclose(F::adaptive_avg_pool2d(img, 1), mean(img, {2, 3}, true), 1e-14));
  CHECK(allclose(F::adaptive_max_pool2d(img, 1), amax(img, {2, 3}, true), 0));
  CHECK(F::adaptive_avg_pool1d(reshape(arange(0, 4, 1, float64), {1, 1, 4}), 2).to_vector() ==
        std::vector<double>{0.5, 2.5});
  CHECK(F::adaptive_max_pool1d(reshape(arange(0, 4, 1, float64), {1, 1, 4}), 3).to_vector() ==
        std::vector<double>{1, 2, 3});
}

TEST_CASE("pooling: gradcheck and gradgradcheck for every option") {
  // Entries kept apart so that no window's maximum is a near tie (finite differences).
  Tensor x = reshape(randperm(2 * 2 * 5 * 6).to(float64), {2, 2, 5, 6}).div(10.0).requires_grad_();
  std::vector<std::function<Tensor(const Tensor&)>> fns = {
      [](const Tensor& t) { return F::max_pool2d(t, 2); },
      [](const Tensor& t) {
        return F::max_pool2d(t, 3, {.stride = 2, .padding = 1, .ceil_mode = true});
      },
      [](const Tensor& t) {
        return F::max_pool2d(t, {2, 3}, {.stride = 1, .dilation = {2, 1}});
      },
      [](const Tensor& t) { return F::avg_pool2d(t, 2, {.padding = 1}); },
      [](const Tensor& t) {
        return F::avg_pool2d(
            t, 3, {.stride = 2, .padding = 1, .ceil_mode = true, .count_include_pad = false});
      },
      [](const Tensor& t) { return F::avg_pool2d(t, 2, {.divisor_override = 3}); },
      [](const Tensor& t) {
        return F::adaptive_avg_pool2d(t, {3, 4});
      },
      [](const Tensor& t) {
        return F::adaptive_max_pool2d(t, {2, 4});
      },
      [](const Tensor& t) {
        return F::max_pool1d(reshape(t, {2, 2, 30}), 4, {.stride = 3, .padding = 2});
      },
      [](const Tensor& t) {
        return F::avg_pool1d(reshape(t, {2, 2, 30}), 4, {.stride = 3, .padding = 1});
      },
  };
  for (std::size_t i = 0; i < fns.size(); ++i) {
    CAPTURE(i);
    auto f = [&fns, i](const std::vector<Tensor>& v) { return fns[i](v[0]); };
    CHECK(gradcheck(f, {x}));
    CHECK(gradgradcheck(f, {x}));
  }
}

TEST_CASE("max_unpool2d puts the maxima back") {
  Tensor x = tensor({{1.0, 3.0, 2.0, 5.0}, {4.0, 0.0, 2.0, 1.0}}, float64);
  nn::PoolResult r = F::max_pool2d_with_indices(reshape(x, {1, 1, 2, 4}), 2);
  Tensor back = F::max_unpool2d(r.values, r.indices, 2);
  CHECK(back.to_vector() == std::vector<double>{0, 0, 0, 5, 4, 0, 0, 0});
  nn::MaxUnpool2d unpool(2);
  CHECK(unpool.forward(r.values, r.indices, Size2(3, 5)).shape() == Shape{1, 1, 3, 5});
  Tensor v = input({1, 1, 1, 2}, -1, 1, 4);
  auto f = [&r](const std::vector<Tensor>& a) { return F::max_unpool2d(a[0], r.indices, 2); };
  CHECK(gradcheck(f, {v}));
  CHECK(gradgradcheck(f, {v}));
  CHECK_ERROR_MESSAGE(F::max_unpool2d(r.values, r.indices, 2, std::nullopt, 0, Size2(1, 2)),
                      "max_unpool2d: index 4 out of range for output size (1, 2)");
  CHECK_ERROR_MESSAGE(unpool(r.values),
                      "MaxUnpool2d: forward needs the pooling indices: call forward(x, indices)");
}

TEST_CASE("pooling layers and errors") {
  nn::MaxPool2d pool(2);
  CHECK(pool(zeros({8, 6, 28, 28})).shape() == Shape{8, 6, 14, 14});
  CHECK(pool(zeros({6, 28, 28})).shape() == Shape{6, 14, 14});
  CHECK(pool.extra_repr() ==
        "kernel_size=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(1, 1), ceil_mode=false");
  CHECK(nn::AvgPool2d(3, {.stride = 1, .padding = 1})(zeros({1, 2, 5, 5})).shape() ==
        Shape{1, 2, 5, 5});
  CHECK(nn::AdaptiveAvgPool2d({7, 7})(zeros({1, 2, 14, 15})).shape() == Shape{1, 2, 7, 7});
  CHECK(nn::AdaptiveMaxPool2d(1)(zeros({1, 2, 3, 3})).shape() == Shape{1, 2, 1, 1});
  CHECK(nn::MaxPool1d(2)(zeros({1, 2, 9})).shape() == Shape{1, 2, 4});
  CHECK(nn::AvgPool1d(3)(zeros({1, 2, 9})).shape() == Shape{1, 2, 3});
  CHECK_ERROR_MESSAGE(pool(zeros({28, 28})),
                      "max_pool2d: expected input (N, C, H, W) or (C, H, W), got (28, 28)");
  CHECK_ERROR_MESSAGE(F::max_pool2d(zeros({1, 1, 4, 4}), 2, {.padding = 2}),
                      "max_pool2d: padding (2, 2) must be non-negative and at most half the kernel "
                      "size (2, 2)");
  CHECK_ERROR_MESSAGE(F::avg_pool2d(zeros({1, 1, 2, 2}), 3),
                      "avg_pool2d: input (1, 1, 2, 2) is too small for kernel_size (3, 3) with "
                      "padding (0, 0) and dilation (1, 1) (output (0, 0))");
  CHECK_ERROR_MESSAGE(
      F::max_pool1d(zeros({1, 1, 2}), 3),
      "max_pool1d: input (1, 1, 2): input (1, 1, 1, 2) is too small for kernel_size "
      "(1, 3) with padding (0, 0) and dilation (1, 1) (output (1, 0))");
  CHECK_ERROR_MESSAGE(F::adaptive_avg_pool2d(zeros({1, 1, 2, 2}), {0, 1}),
                      "adaptive_avg_pool2d: output_size must be positive, got (0, 1)");
}
