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

TEST_CASE("gradcheck messages give the element's coordinates, the values and the tolerance") {
  Tensor x = tensor({1.0, 2.0}, {float64, true});
  const char* expected =
      "gradcheck: Jacobian mismatch for input 0, element 0 (output element 0): numeric 2, analytic "
      "3; |analytic - numeric| = 1 > atol + rtol·|numeric| = 0.00201 (atol 1e-05, rtol 0.001)";
  CHECK(gradcheck([](auto& v) { return bad_square(v[0]); }, {x}).message() == expected);
  // raise_exception throws the same text; looser tolerances let it pass.
  CHECK_ERROR_MESSAGE(
      gradcheck([](auto& v) { return bad_square(v[0]); }, {x}, {.raise_exception = true}),
      expected);
  CHECK(gradcheck([](auto& v) { return bad_square(v[0]); }, {x}, {.atol = 2.5}));
  CHECK(gradcheck([](auto& v) { return bad_square(v[0]); }, {x}, {.atol = 0, .rtol = 0.6}));
  CHECK_FALSE(gradcheck([](auto& v) { return bad_square(v[0]); }, {x}, {.atol = 0, .rtol = 0.4}));

  // Only row 1 of a (2, 3) input goes through the wrong backward.
  Tensor m = tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}, {float64, true});
  CHECK(gradcheck([](auto& v) { return bad_square(v[0][1]); }, {m}).message() ==
        "gradcheck: Jacobian mismatch for input 0, element 3 at (1, 0) (output element 0): "
        "numeric 8, analytic 12; |analytic - numeric| = 4 > atol + rtol·|numeric| = 0.00801 "
        "(atol 1e-05, rtol 0.001)");
  Tensor w = tensor({{0.5}, {2.0}}, {float64, true});
  CHECK(gradcheck([](auto& v) { return bad_square(v[0]) * v[1]; }, {m, w}).message() ==
        "gradcheck: Jacobian mismatch for input 0, element 0 at (0, 0) (output element 0 at (0, "
        "0)): numeric 1, analytic 1.5; |analytic - numeric| = 0.5 > atol + rtol·|numeric| = "
        "0.00101 (atol 1e-05, rtol 0.001)");
}

namespace {
// 2x whose backward jitters by 1e-9 from one call to the next.
int jitter_calls = 0;
Tensor jittery_double(const Tensor& x) {
  return record("jittery_double", x.detach() * 2.0, x, [](const BackwardArgs& g) {
    return TensorList{g.grad * (2.0 + 1e-9 * (++jitter_calls % 2))};
  });
}
// 2x whose backward adds 1 to every gradient, also to a zero one.
Tensor offset_double(const Tensor& x) {
  return record("offset_double", x.detach() * 2.0, x,
                [](const BackwardArgs& g) { return TensorList{g.grad * 2.0 + 1.0}; });
}
// x² whose backward is right but treats the incoming gradient as a constant.
Tensor grad_detaching_square(const Tensor& x) {
  return record("grad_detaching_square", x.detach() * x.detach(), x, [](const BackwardArgs& g) {
    return TensorList{g.grad.detach() * g.input(0) * 2.0};
  });
}
}  // namespace

TEST_CASE("gradcheck's nondet_tol and check_undefined_grad") {
  Tensor x = tensor({1.0, 2.0}, {float64, true});
  GradcheckResult r = gradcheck([](auto& v) { return jittery_double(v[0]); }, {x});
  CHECK_FALSE(r);
  CHECK(r.message().find("gradcheck: backward is not deterministic for input 0: element 0 of its "
                         "gradient was 2.00000000") == 0);
  CHECK(r.message().find(" in one backward and 2 in another (nondet_tol 0)") != std::string::npos);
  CHECK(gradcheck([](auto& v) { return jittery_double(v[0]); }, {x}, {.nondet_tol = 1e-8}));

  CHECK(gradcheck([](auto& v) { return offset_double(v[0]); }, {x}).message() ==
        "gradcheck: with a zero (undefined) output gradient, backward gave input 0 a nonzero "
        "gradient at element 0: 1 (check_undefined_grad)");
  CHECK(gradcheck([](auto& v) { return offset_double(v[0]); }, {x}, {.check_undefined_grad = false})
            .message()
            .find("gradcheck: Jacobian mismatch for input 0, element 0 (output element 0): "
                  "numeric 2, analytic 3;") == 0);
}

TEST_CASE("gradgradcheck messages name the first derivative's element and the output gradient") {
  Tensor x = tensor({1.0, 2.0}, {float64, true}), y = tensor({3.0, -1.0}, {float64, true});
  // d/dy of x·opaque(y) is x·2y with y detached: its own derivative in y is missing.
  GradcheckResult r = gradgradcheck([](auto& v) { return v[0] * opaque_square(v[1]); }, {x, y});
  CHECK(r.message().find("gradgradcheck: Jacobian mismatch for input 1, element 0 (first "
                         "derivative d output / d input 1, element 0): numeric ") == 0);
  GradcheckResult rv = gradgradcheck([](auto& v) { return grad_detaching_square(v[0]); }, {x});
  CHECK(rv.message().find("gradgradcheck: Jacobian mismatch for the output gradient v, element 0 "
                          "(first derivative d output / d input 0, element 0): numeric 2, "
                          "analytic 0;") == 0);
  CHECK_THROWS_AS(gradgradcheck([](auto& v) { return grad_detaching_square(v[0]); }, {x},
                                {.raise_exception = true}),
                  Error);
}
