// gradcheck itself: it must catch wrong gradients and explain them.
#include "../helpers.hpp"
#include "autograd/node.hpp"

using namespace xgrad;

namespace {
// x² with a deliberately wrong backward (3x instead of 2x).
Tensor bad_square(const Tensor& x) {
  Tensor out = x.detach() * x.detach();  // computed without recording
  return record("bad_square", out, x,
                [](const BackwardArgs& g) { return TensorList{g.grad * g.input(0) * 3.0}; });
}
}  // namespace

TEST_CASE("gradcheck detects a wrong backward and names the mismatch") {
  Tensor x = tensor({1.0, 2.0}, {float64, true});
  GradcheckResult r = gradcheck([](auto& v) { return bad_square(v[0]); }, {x});
  CHECK_FALSE(r);
  CHECK(r.message().find("gradcheck: Jacobian mismatch for input 0, element 0 (output element 0): "
                         "numeric 2") == 0);
  CHECK(r.message().find("analytic 3") != std::string::npos);
  GradcheckResult fast =
      gradcheck([](auto& v) { return bad_square(v[0]); }, {x}, {.fast_mode = true});
  CHECK_FALSE(fast);
  CHECK(fast.message().find("fast mode") != std::string::npos);
}

TEST_CASE("gradcheck accepts correct gradients, also in fast mode on a large input") {
  Tensor x = testing::input({30, 40});
  Tensor w = testing::input({40, 20}, -1, 1, 5);
  auto fn = [](const std::vector<Tensor>& v) { return tanh(matmul(v[0], v[1])); };
  CHECK(gradcheck(fn, {x, w}, {.fast_mode = true}));
}

TEST_CASE("gradcheck insists on float64") {
  Tensor x = ones({2}, {float32, true});
  CHECK_ERROR_MESSAGE(gradcheck([](auto& v) { return v[0] * 2.0; }, {x}),
                      "gradcheck: input 0 is float32; finite differences need float64 inputs");
}

namespace {
// x² whose backward is right but detaches x, so it is invisible to second derivatives.
Tensor opaque_square(const Tensor& x) {
  Tensor out = x.detach() * x.detach();  // computed without recording
  return record("opaque_square", out, x, [](const BackwardArgs& g) {
    return TensorList{g.grad * g.input(0).detach() * 2.0};
  });
}
}  // namespace

TEST_CASE("gradgradcheck catches a backward that is not itself differentiable") {
  Tensor x = tensor({1.0, 2.0}, {float64, true});
  CHECK(gradcheck([](auto& v) { return opaque_square(v[0]); }, {x}));
  CHECK_FALSE(gradgradcheck([](auto& v) { return opaque_square(v[0]); }, {x}));
  CHECK(gradgradcheck([](auto& v) { return v[0] * v[0] * v[0]; }, {x}));
}
