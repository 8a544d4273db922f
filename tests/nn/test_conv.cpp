// Convolution: hand-computed cases, a direct-loop reference over strides, padding, dilation and
// groups, transposed convolution as conv2d's adjoint, pad modes, unfold/fold, gradcheck and
// gradgradcheck in float64 for every option that changes the math, layers and their errors.
#include "../helpers.hpp"
#include "tensor/gemm_backend.hpp"

using namespace xgrad;
using xgrad::testing::allclose;
using xgrad::testing::input;
namespace F = xgrad::nn::functional;
using nn::Size2;

namespace {

// conv2d by its definition: y[n,o,i,j] = b[o] + Σ_{c,p,q} x[n, g·cg + c, i s - pad + p d,
// j s - pad + q d] w[o, c, p, q].
Tensor reference_conv2d(const Tensor& x, const Tensor& w, const Tensor& b, Size2 s, Size2 pad,
                        Size2 d, int64_t groups) {
  const int64_t n = x.size(0), cin = x.size(1), h = x.size(2), wd = x.size(3);
  const int64_t cout = w.size(0), cg = w.size(1), kh = w.size(2), kw = w.size(3);
  const int64_t oh = (h + 2 * pad.h - d.h * (kh - 1) - 1) / s.h + 1;
  const int64_t ow = (wd + 2 * pad.w - d.w * (kw - 1) - 1) / s.w + 1;
  (void)cin;
  Tensor y = zeros({n, cout, oh, ow}, float64);
  for (int64_t b0 = 0; b0 < n; ++b0)
    for (int64_t o = 0; o < cout; ++o) {
      const int64_t g = o / (cout / groups);
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          double acc = b.defined() ? b.at({o}) : 0.0;
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t p = 0; p < kh; ++p)
              for (int64_t q = 0; q < kw; ++q) {
                const int64_t r = i * s.h - pad.h + p * d.h, col = j * s.w - pad.w + q * d.w;
                if (r < 0 || r >= h || col < 0 || col >= wd) continue;
                acc += x.at({b0, g * cg + c, r, col}) * w.at({o, c, p, q});
              }
          y.set({b0, o, i, j}, acc);
        }
    }
  return y;
}

Tensor plain(const Shape& shape, uint64_t seed) { return input(shape, -1, 1, seed).detach(); }

}  // namespace

TEST_CASE("conv2d: a 3x3 kernel with stride 2 and padding 1, by hand") {
  Tensor x = reshape(arange(1, 17, 1, float64), {1, 1, 4, 4});
  Tensor w = ones({1, 1, 3, 3}, float64), b = tensor({0.5}, float64);
  // Windows over rows/cols {-1,0,1} and {1,2,3}: 1+2+5+6, 2+3+4+6+7+8, 5+6+9+10+13+14, ...
  Tensor y = F::conv2d(x, w, b, 2, 1);
  CHECK(y.shape() == Shape{1, 1, 2, 2});
  CHECK(y.to_vector() == std::vector<double>{14.5, 30.5, 57.5, 99.5});
  // A non-symmetric kernel: cross-correlation, not a flipped convolution.
  Tensor x3 = reshape(arange(1, 10, 1, float64), {1, 1, 3, 3});
  Tensor k = reshape(tensor({1.0, 2.0, 3.0, 4.0}, float64), {1, 1, 2, 2});
  CHECK(F::conv2d(x3, k).to_vector() == std::vector<double>{37, 47, 67, 77});
}

TEST_CASE("conv2d matches the direct loops over stride, padding, dilation and groups") {
  struct Case {
    int64_t cin, cout, kh, kw;
    Size2 s, p, d;
    int64_t groups;
    bool bias;
  };
  const Case cases[] = {
      {3, 4, 3, 3, 1, 0, 1, 1, true},
      {3, 4, 3, 3, 2, 1, 1, 1, false},
      {2, 6, 3, 2, {2, 1}, {1, 0}, {1, 2}, 1, true},
      {4, 6, 3, 3, 1, 1, 2, 2, true},
      {4, 4, 3, 3, 1, 1, 1, 4, true},  // depthwise
      {1, 2, 5, 5, 1, 2, 1, 1, true},
  };
  uint64_t seed = 10;
  for (const Case& c : cases) {
    Tensor x = plain({2, c.cin, 7, 8}, seed++),
           w = plain({c.cout, c.cin / c.groups, c.kh, c.kw}, seed++);
    Tensor b = c.bias ? plain({c.cout}, seed++) : Tensor();
    Tensor y = F::conv2d(x, w, b, c.s, nn::ConvPadding(c.p), c.d, c.groups);
    CHECK(allclose(y, reference_conv2d(x, w, b, c.s, c.p, c.d, c.groups), 1e-12, 1e-12));
    // float32 goes through the GEMM backend (oneDNN when built with it).
    Tensor y32 = F::conv2d(x.to(float32), w.to(float32), c.bias ? b.to(float32) : Tensor(), c.s,
                           nn::ConvPadding(c.p), c.d, c.groups);
    CHECK(allclose(y32.to(float64), y, 1e-5, 1e-4));
  }
}

TEST_CASE("conv2d: 'same' and 'valid' padding, strided and unbatched input") {
  Tensor x = plain({1, 2, 5, 6}, 3), w = plain({3, 2, 4, 3}, 4);
  Tensor same = F::conv2d(x, w, Tensor(), 1, "same");
  CHECK(same.shape() == Shape{1, 3, 5, 6});
  // An even kernel puts the extra row of padding at the end, as PyTorch: rows (1 before, 2 after).
  Tensor padded = F::pad(x, {1, 1, 1, 2});
  CHECK(allclose(same, F::conv2d(padded, w), 1e-12));
  CHECK(F::conv2d(x, w, Tensor(), 1, "valid").shape() == Shape{1, 3, 2, 4});
  CHECK(allclose(F::conv2d(squeeze(x, 0), w), squeeze(F::conv2d(x, w), 0), 1e-12));
  // A transposed (non-contiguous) input gives the same result as its contiguous copy.
  Tensor xt = transpose(plain({1, 2, 6, 5}, 5), 2, 3);
  CHECK(allclose(F::conv2d(xt, w), F::conv2d(xt.contiguous(), w), 1e-12));
}

TEST_CASE("conv2d, conv1d: gradcheck and gradgradcheck for every option") {
  struct Case {
    Size2 s;
    nn::ConvPadding p;
    Size2 d;
    int64_t groups;
  };
  const Case cases[] = {
      {1, 0, 1, 1}, {2, 1, 1, 1}, {1, "same", 1, 1}, {1, 1, 2, 1}, {{2, 1}, {0, 1}, 1, 2}};
  uint64_t seed = 40;
  for (const Case& c : cases) {
    Tensor x = input({2, 2, 5, 4}, -1, 1, seed++),
           w = input({2, 2 / c.groups, 3, 2}, -1, 1, seed++);
    Tensor b = input({2}, -1, 1, seed++);
    auto f = [c](const std::vector<Tensor>& v) {
      return F::conv2d(v[0], v[1], v[2], c.s, c.p, c.d, c.groups);
    };
    CHECK(gradcheck(f, {x, w, b}));
    CHECK(gradgradcheck(f, {x, w, b}));
  }
  Tensor x = input({2, 2, 7}, -1, 1, 60), w = input({4, 1, 3}, -1, 1, 61),
         b = input({4}, -1, 1, 62);
  auto f1 = [](const std::vector<Tensor>& v) { return F::conv1d(v[0], v[1], v[2], 2, 1, 2, 2); };
  CHECK(gradcheck(f1, {x, w, b}));
  CHECK(gradgradcheck(f1, {x, w, b}));
}

TEST_CASE("conv_transpose2d is the adjoint of conv2d") {
  // <conv2d(x, w), y> = <x, conv_transpose2d(y, w)> for the same stride, padding, dilation.
  struct Case {
    Size2 s, p, d;
    int64_t groups;
  };
  const Case cases[] = {{1, 0, 1, 1}, {2, 1, 1, 1}, {{2, 3}, {1, 0}, {1, 2}, 1}, {2, 1, 1, 2}};
  uint64_t seed = 70;
  for (const Case& c : cases) {
    Tensor x = plain({2, 4, 9, 8}, seed++), w = plain({6, 4 / c.groups, 3, 3}, seed++);
    Tensor y = F::conv2d(x, w, Tensor(), c.s, nn::ConvPadding(c.p), c.d, c.groups);
    Tensor g = plain(y.shape(), seed++);
    // Whatever rows the stride skipped at the end come back as output_padding.
    const int64_t eh = 9 - ((y.size(2) - 1) * c.s.h - 2 * c.p.h + c.d.h * 2 + 1);
    const int64_t ew = 8 - ((y.size(3) - 1) * c.s.w - 2 * c.p.w + c.d.w * 2 + 1);
    Tensor xt = F::conv_transpose2d(g, w, Tensor(), c.s, c.p, Size2(eh, ew), c.groups, c.d);
    CHECK(xt.shape() == x.shape());
    CHECK(sum(mul(y, g)).item() == doctest::Approx(sum(mul(x, xt)).item()).epsilon(1e-12));
  }
  // Hand case: a 1x1 input pixel spreads the kernel, stride 2 places two copies apart.
  Tensor k = reshape(tensor({1.0, 2.0, 3.0, 4.0}, float64), {1, 1, 2, 2});
  Tensor two = reshape(tensor({1.0, 10.0}, float64), {1, 1, 1, 2});
  CHECK(F::conv_transpose2d(two, k, Tensor(), 2).to_vector() ==
        std::vector<double>{1, 2, 10, 20, 3, 4, 30, 40});
  CHECK(F::conv_transpose2d(two, k, tensor({0.5}, float64), 1).to_vector() ==
        std::vector<double>{1.5, 12.5, 20.5, 3.5, 34.5, 40.5});
}

TEST_CASE("conv_transpose2d, conv_transpose1d: gradcheck and gradgradcheck") {
  struct Case {
    Size2 s, p, op, d;
    int64_t groups;
  };
  const Case cases[] = {{1, 0, 0, 1, 1}, {2, 1, 1, 1, 1}, {{2, 1}, {0, 1}, 0, {1, 2}, 2}};
  uint64_t seed = 90;
  for (const Case& c : cases) {
    Tensor x = input({2, 2, 3, 4}, -1, 1, seed++),
           w = input({2, 4 / c.groups, 2, 3}, -1, 1, seed++);
    Tensor b = input({4}, -1, 1, seed++);
    auto f = [c](const std::vector<Tensor>& v) {
      return F::conv_transpose2d(v[0], v[1], v[2], c.s, c.p, c.op, c.groups, c.d);
    };
    CHECK(gradcheck(f, {x, w, b}));
    CHECK(gradgradcheck(f, {x, w, b}));
  }
  Tensor x = input({2, 3, 5}, -1, 1, 99), w = input({3, 2, 3}, -1, 1, 98);
  auto f1 = [](const std::vector<Tensor>& v) {
    return F::conv_transpose1d(v[0], v[1], Tensor(), 2, 1, 1);
  };
  CHECK(F::conv_transpose1d(x, w, Tensor(), 2, 1, 1).shape() == Shape{2, 2, 10});
  CHECK(gradcheck(f1, {x, w}));
  CHECK(gradgradcheck(f1, {x, w}));
}

TEST_CASE("pad: constant, reflect, replicate, circular") {
  Tensor x = reshape(tensor({1.0, 2.0, 3.0, 4.0, 5.0, 6.0}, float64), {1, 2, 3});
  CHECK(F::pad(x, {2, 1}, nn::PadMode::constant, 9).to_vector() ==
        std::vector<double>{9, 9, 1, 2, 3, 9, 9, 9, 4, 5, 6, 9});
  CHECK(F::pad(x, {2, 1}, nn::PadMode::reflect).to_vector() ==
        std::vector<double>{3, 2, 1, 2, 3, 2, 6, 5, 4, 5, 6, 5});
  CHECK(F::pad(x, {2, 1}, nn::PadMode::replicate).to_vector() ==
        std::vector<double>{1, 1, 1, 2, 3, 3, 4, 4, 4, 5, 6, 6});
  CHECK(F::pad(x, {2, 1}, nn::PadMode::circular).to_vector() ==
        std::vector<double>{2, 3, 1, 2, 3, 1, 5, 6, 4, 5, 6, 4});
  // Two dims: {left, right, top, bottom}; negative constant padding crops.
  CHECK(F::pad(x, {0, 0, 1, 0}, nn::PadMode::replicate).to_vector() ==
        std::vector<double>{1, 2, 3, 1, 2, 3, 4, 5, 6});
  CHECK(F::pad(x, {-1, 0, 0, -1}).to_vector() == std::vector<double>{2, 3});
  Tensor g = input({2, 3, 4}, -1, 1, 5);
  for (nn::PadMode m : {nn::PadMode::constant, nn::PadMode::reflect, nn::PadMode::replicate,
                        nn::PadMode::circular}) {
    auto f = [m](const std::vector<Tensor>& v) { return F::pad(v[0], {2, 3, 1, 2}, m, 0.5); };
    CHECK(gradcheck(f, {g}));
    CHECK(gradgradcheck(f, {g}));
  }
  CHECK_ERROR_MESSAGE(F::pad(x, {3, 0}, nn::PadMode::reflect),
                      "pad (reflect): padding (3, 0) of dim 2 of input (1, 2, 3): each pad must be "
                      "smaller than the dim's size 3");
  CHECK_ERROR_MESSAGE(F::pad(x, {1}),
                      "pad: expected (before, after) pairs for at most 3 dims of "
                      "input (1, 2, 3), got 1 numbers");
}

TEST_CASE("padding modes of Conv2d equal pad + conv2d") {
  for (nn::PadMode m : {nn::PadMode::reflect, nn::PadMode::replicate, nn::PadMode::circular}) {
    nn::Conv2d conv(2, 3, 3, {.padding = 1, .padding_mode = m});
    conv.to(float64);
    Tensor x = plain({2, 2, 5, 5}, 7);
    CHECK(allclose(conv(x), F::conv2d(F::pad(x, {1, 1, 1, 1}, m), conv.weight, conv.bias), 1e-12));
    Tensor xg = input({1, 2, 4, 4}, -1, 1, 8);
    auto f = [&conv](const std::vector<Tensor>& v) { return conv(v[0]); };
    CHECK(gradcheck(f, {xg}));
    CHECK(gradgradcheck(f, {xg}));
  }
}

TEST_CASE("unfold and fold: PyTorch's layout, adjoint, gradients") {
  Tensor x = reshape(arange(1, 10, 1, float64), {1, 1, 3, 3});
  Tensor cols = F::unfold(x, 2);
  CHECK(cols.shape() == Shape{1, 4, 4});
  // Row k = kernel tap (p, q); column l = window (i, j).
  CHECK(cols.to_vector() == std::vector<double>{1, 2, 4, 5, 2, 3, 5, 6, 4, 5, 7, 8, 5, 6, 8, 9});
  // fold(unfold(x)) counts how many windows cover each pixel.
  CHECK(F::fold(cols, 3, 2).to_vector() == std::vector<double>{1, 4, 3, 8, 20, 12, 7, 16, 9});
  Tensor a = input({2, 3, 5, 4}, -1, 1, 11);
  auto uf = [](const std::vector<Tensor>& v) { return F::unfold(v[0], {2, 3}, {2, 1}, 1, {1, 2}); };
  CHECK(gradcheck(uf, {a}));
  CHECK(gradgradcheck(uf, {a}));
  Tensor c = input({2, 3 * 6, 6}, -1, 1, 12);
  auto ff = [](const std::vector<Tensor>& v) {
    return F::fold(v[0], {4, 5}, {2, 3}, 1, 0, {2, 1});
  };
  CHECK(gradcheck(ff, {c}));
  CHECK(gradgradcheck(ff, {c}));
  CHECK_ERROR_MESSAGE(F::fold(c, 4, 2),
                      "fold: input (2, 18, 6) does not match output_size (4, 4) "
                      "with kernel_size (2, 2) (expected (N, C·4, 9))");
}

TEST_CASE("Conv layers: PyTorch's parameter names, shapes, initialisation bounds and errors") {
  Generator gen(3);
  nn::Conv2d conv(3, 16, 3, {}, &gen);
  CHECK(conv.named_parameters().size() == 2);
  CHECK(conv.weight.shape() == Shape{16, 3, 3, 3});
  CHECK(conv.bias.shape() == Shape{16});
  const double bound = 1.0 / std::sqrt(27.0);
  CHECK(amax(abs(conv.weight)).item() <= bound);
  CHECK(amax(abs(conv.bias)).item() <= bound);
  CHECK(amax(abs(conv.weight)).item() > 0.9 * bound);
  nn::Conv2d grouped(4, 8, {3, 5}, {.stride = 2, .groups = 2, .bias = false});
  CHECK(grouped.weight.shape() == Shape{8, 2, 3, 5});
  CHECK_FALSE(grouped.bias.defined());
  CHECK(nn::ConvTranspose2d(4, 6, 3, {.groups = 2}).weight.shape() == Shape{4, 3, 3, 3});
  CHECK(nn::Conv1d(2, 5, 4).weight.shape() == Shape{5, 2, 4});
  CHECK(nn::ConvTranspose1d(2, 5, 4).weight.shape() == Shape{2, 5, 4});
  CHECK(conv.extra_repr() == "3, 16, kernel_size=(3, 3), stride=(1, 1)");
  CHECK(grouped.extra_repr() == "4, 8, kernel_size=(3, 5), stride=(2, 2), groups=2, bias=false");
  CHECK(conv(zeros({8, 3, 28, 28})).shape() == Shape{8, 16, 26, 26});
  CHECK_ERROR_MESSAGE(
      conv(zeros({8, 1, 28, 28})),
      "Conv2d(3, 16, kernel_size=3): expected input (N, 3, H, W), got (8, 1, 28, 28)");
  CHECK_ERROR_MESSAGE(nn::Conv1d(2, 5, 4)(zeros({3, 5})),
                      "Conv1d(2, 5, kernel_size=4): expected input (N, 2, L), got (3, 5)");
  CHECK_ERROR_MESSAGE(nn::Conv2d(3, 4, 3, {.groups = 2}),
                      "Conv2d: groups=2 must divide in=3 and out=4");
  CHECK_ERROR_MESSAGE(nn::Conv2d(3, 4, 3, {.stride = 2, .padding = "same"}),
                      "Conv2d: padding \"same\" needs stride 1, got stride (2, 2)");
  CHECK_ERROR_MESSAGE(nn::ConvPadding("full"),
                      "convolution padding: expected a size, \"same\" or \"valid\", got \"full\"");
  CHECK_ERROR_MESSAGE(F::conv2d(zeros({1, 2, 4, 4}), zeros({3, 1, 3, 3})),
                      "conv2d: weight (3, 1, 3, 3) with groups 1 expects input with 1 channels, "
                      "got (1, 2, 4, 4)");
  CHECK_ERROR_MESSAGE(F::conv2d(zeros({1, 1, 2, 2}), zeros({1, 1, 3, 3})),
                      "conv2d: input (1, 1, 2, 2) with padding 0 is smaller than the kernel (3, 3) "
                      "dilated by (1, 1)");
  CHECK_ERROR_MESSAGE(
      F::conv2d(zeros({1, 1, 4, 4}), zeros({1, 1, 3, 3}, float64)),
      "conv2d: input, weight and bias need one floating dtype, got float32, float64");
  CHECK_ERROR_MESSAGE(
      F::conv1d(zeros({1, 2, 4}), zeros({3, 1, 3})),
      "conv1d: input (1, 2, 4), weight (3, 1, 3): weight (3, 1, 1, 3) with groups 1 "
      "expects input with 1 channels, got (1, 2, 1, 4)");
  CHECK_ERROR_MESSAGE(
      F::conv_transpose2d(zeros({1, 2, 4, 4}), zeros({2, 1, 3, 3}), Tensor(), 2, 0, 2),
      "conv_transpose2d: output_padding (2, 2) must be smaller than the stride (2, 2) "
      "or the dilation (1, 1)");
  nn::ConvTranspose2d up(2, 1, 3, {.stride = 2, .padding = 1});
  CHECK(up(zeros({1, 2, 4, 4})).shape() == Shape{1, 1, 7, 7});
  CHECK(up.forward(zeros({1, 2, 4, 4}), {8, 8}).shape() == Shape{1, 1, 8, 8});
  CHECK_ERROR_MESSAGE(
      up.forward(zeros({1, 2, 4, 4}), {9, 8}),
      "ConvTranspose2d(2, 1, kernel_size=3): output_size (9, 8) is not reachable from "
      "input (1, 2, 4, 4) (sizes from (7, 7) to (8, 8))");
}

TEST_CASE("Conv2d weights round-trip through safetensors under PyTorch's names") {
  nn::Sequential net{std::make_shared<nn::Conv2d>(1, 2, 3), std::make_shared<nn::ReLU>(),
                     std::make_shared<nn::Conv2d>(2, 2, 3, nn::Conv2dOptions{.bias = false})};
  const std::string path =
      (std::filesystem::temp_directory_path() / "xgrad_conv_test.safetensors").string();
  nn::save(net, path);
  nn::Sequential other{std::make_shared<nn::Conv2d>(1, 2, 3), std::make_shared<nn::ReLU>(),
                       std::make_shared<nn::Conv2d>(2, 2, 3, nn::Conv2dOptions{.bias = false})};
  nn::load(other, path);
  std::vector<std::string> names;
  for (const auto& entry : other.state_dict()) names.push_back(entry.first);
  CHECK(names == std::vector<std::string>{"0.weight", "0.bias", "2.weight"});
  Tensor x = randn({1, 1, 6, 6});
  CHECK(allclose(net(x), other(x), 0, 0));
  std::filesystem::remove(path);
}

TEST_CASE("a CNN with BatchNorm clones deeply (type names, running statistics, own storage)") {
  nn::Sequential net{std::make_shared<nn::Conv2d>(1, 4, 3, nn::Conv2dOptions{.padding = 1}),
                     std::make_shared<nn::BatchNorm2d>(4),
                     std::make_shared<nn::ReLU>(),
                     std::make_shared<nn::MaxPool2d>(2),
                     std::make_shared<nn::Flatten>(),
                     std::make_shared<nn::Linear>(4 * 3 * 3, 2)};
  Tensor x = randn({5, 1, 6, 6});
  net(x);  // moves the running statistics away from (0, 1)
  net.eval();
  auto copy = net.clone();
  CHECK(allclose((*copy)(x), net(x), 0, 0));
  CHECK(copy->named_buffers().size() == 3);
  auto conv = std::dynamic_pointer_cast<nn::Conv2d>(copy->named_children()[0].second);
  REQUIRE(conv);
  CHECK(conv->type_name() == "Conv2d");
  CHECK(conv->options.padding.size == Size2(1));
  CHECK_FALSE(conv->weight.is_alias_of(std::dynamic_pointer_cast<nn::Conv2d>(net[0])->weight));
  {
    NoGradGuard no_grad;
    std::dynamic_pointer_cast<nn::Conv2d>(net[0])->weight.mul_(2.0);
  }
  CHECK_FALSE(allclose((*copy)(x), net(x), 1e-6, 0));
}

TEST_CASE("conv2d in float32: oneDNN's forward and gradients equal the composed ones") {
  struct Case {
    int64_t cin, cout, k;
    Size2 s, p, d;
    int64_t groups;
    bool bias;
  };
  const Case cases[] = {{3, 8, 3, 1, 1, 1, 1, true},
                        {1, 6, 5, 1, 2, 1, 1, true},
                        {4, 6, 3, 2, {1, 0}, {1, 2}, 2, false},
                        {6, 6, 3, 1, 1, 1, 6, true}};
  uint64_t seed = 120;
  for (const Case& c : cases) {
    Tensor x = plain({3, c.cin, 9, 10}, seed++),
           w = plain({c.cout, c.cin / c.groups, c.k, c.k}, seed++);
    Tensor b = plain({c.cout}, seed++);
    // float64 takes the composed path (im2col + GEMM): the reference.
    auto run = [&](Dtype dtype, kernels::GemmBackend backend) {
      const kernels::GemmBackend previous = kernels::set_gemm_backend(backend);
      Tensor xd = x.to(dtype).detach().requires_grad_(), wd = w.to(dtype).detach().requires_grad_();
      Tensor bd = c.bias ? b.to(dtype).detach().requires_grad_() : Tensor();
      Tensor y = F::conv2d(xd, wd, bd, c.s, nn::ConvPadding(c.p), c.d, c.groups);
      sum(mul(y, plain(y.shape(), 7).to(dtype))).backward();
      kernels::set_gemm_backend(previous);
      return std::vector<Tensor>{y, xd.grad(), wd.grad(), c.bias ? bd.grad() : zeros({1})};
    };
    const int64_t before = kernels::onednn_convolutions();
    auto fast = run(float32, kernels::GemmBackend::automatic);
    // forward, backward data and backward weights
    CHECK(kernels::onednn_convolutions() - before == (kernels::onednn_available() ? 3 : 0));
    auto blas = run(float32, kernels::GemmBackend::openblas);
    CHECK(kernels::onednn_convolutions() - before == (kernels::onednn_available() ? 3 : 0));
    auto reference = run(float64, kernels::GemmBackend::automatic);
    for (std::size_t i = 0; i < reference.size(); ++i) {
      CAPTURE(i);
      CHECK(allclose(fast[i].to(float64), reference[i], 1e-4, 1e-4));
      CHECK(allclose(blas[i].to(float64), reference[i], 1e-4, 1e-4));
    }
  }
}

TEST_CASE("conv2d in float32 with create_graph: second derivatives through the composed path") {
  // d/dx of (Σ (d loss / d w)²): needs the gradient w.r.t. w recorded, which oneDNN's pass is not.
  Tensor x = plain({2, 2, 6, 6}, 130).to(float32).requires_grad_();
  Tensor w = plain({3, 2, 3, 3}, 131).to(float32).requires_grad_();
  auto penalty = [](const Tensor& xs, const Tensor& ws) {
    Tensor y = F::conv2d(xs, ws, Tensor(), 1, 1);
    Tensor gw = grad({sum(mul(y, y))}, {ws}, {}, false, true)[0];
    return sum(mul(gw, gw));
  };
  Tensor gx = grad({penalty(x, w)}, {x})[0];
  Tensor x64 = x.to(float64).detach().requires_grad_(),
         w64 = w.to(float64).detach().requires_grad_();
  Tensor gx64 = grad({penalty(x64, w64)}, {x64})[0];
  CHECK(allclose(gx.to(float64), gx64, 1e-3, 1e-3));
}
