// Anomaly mode: the first NaN or Inf in a gradient names the op, the forward call's source line,
// the module path and the shapes; errors raised in backward say where their op was called; off
// by default. This file is compiled with line tables (-g1) so the call sites can be named.
#include <string>

#include "../helpers.hpp"

using namespace xgrad;

namespace {
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

struct SquareRoot : nn::Module {
  int line = 0;
  Tensor forward(const Tensor& x) override {
    line = __LINE__ + 1;
    return sqrt(x);
  }
  std::string type_name() const override { return "SquareRoot"; }
};
}  // namespace

TEST_CASE("anomaly mode is off by default; the guard turns it on for a scope and restores it") {
  CHECK_FALSE(is_anomaly_enabled());
  {
    DetectAnomalyGuard on;
    CHECK(is_anomaly_enabled());
    {
      DetectAnomalyGuard off(false);
      CHECK_FALSE(is_anomaly_enabled());
    }
    CHECK(is_anomaly_enabled());
  }
  CHECK_FALSE(is_anomaly_enabled());
  set_detect_anomaly(true);
  CHECK(is_anomaly_enabled());
  set_detect_anomaly(false);
  // Off, an Inf gradient goes through silently, as in PyTorch.
  Tensor x = tensor({0.0, 4.0}, {float64, true});
  sqrt(x).sum().backward();
  CHECK(std::isinf(x.grad().to_vector()[0]));
}

TEST_CASE("an Inf gradient names the op, the forward call's file and line, and the shapes") {
  DetectAnomalyGuard anomaly;
  Tensor x = tensor({0.0, 4.0}, {float64, true});
  const int line = __LINE__ + 1;
  Tensor y = sqrt(x * 1.0);
  const std::string message = error_of([&] { y.sum().backward(); });
  CHECK(message.find("anomaly mode: the backward of 'sqrt' produced Inf in the gradient for its "
                     "input 0 ((2,) float64)") != std::string::npos);
  CHECK(message.find("test_anomaly.cpp:" + std::to_string(line)) != std::string::npos);
  CHECK(message.find("the op's inputs: (2,) float64") != std::string::npos);
  CHECK(message.find("in module") == std::string::npos);  // called outside any module
}

TEST_CASE("a NaN from an operator, and which of the op's inputs got it") {
  DetectAnomalyGuard anomaly;
  Tensor a = tensor({1.0}, {float64, false});
  Tensor b = tensor({0.0}, {float64, true});
  const int line = __LINE__ + 1;
  Tensor q = a / b;  // inf; its gradient w.r.t. b is -a/b² = -inf, then times 0 gives NaN
  const std::string message = error_of([&] { (q * 0.0).sum().backward(); });
  CHECK(message.find("the backward of 'div' produced NaN in the gradient for its input 1 ((1,) "
                     "float64)") != std::string::npos);
  CHECK(message.find("test_anomaly.cpp:" + std::to_string(line)) != std::string::npos);
  CHECK(message.find("the op's inputs: (1,) float64, (1,) float64") != std::string::npos);
}

TEST_CASE("inside modules the message gives the module path and the line in the module's forward") {
  DetectAnomalyGuard anomaly;
  Generator gen(0);
  auto root = std::make_shared<SquareRoot>();
  nn::Sequential model{std::make_shared<nn::Identity>(), root};
  Tensor x = tensor({-1.0, 1.0}, {float64, true});  // sqrt(-1) is NaN, and so its gradient
  Tensor y = model(x).sum();
  const std::string message = error_of([&] { y.backward(); });
  CHECK(message.find("the backward of 'sqrt' produced NaN") != std::string::npos);
  CHECK(message.find("test_anomaly.cpp:" + std::to_string(root->line)) != std::string::npos);
  CHECK(message.find("in module Sequential.1") != std::string::npos);
  // Nested Sequentials give the dotted path.
  nn::Sequential outer{std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Identity>(), std::make_shared<SquareRoot>()})};
  const std::string nested = error_of([&] { outer(x).sum().backward(); });
  CHECK(nested.find("in module Sequential.0.1") != std::string::npos);
}

TEST_CASE("with anomaly mode on, an error raised in backward says where its op was called") {
  DetectAnomalyGuard anomaly;
  Tensor w = tensor({2.0}, {float64, true});
  Tensor x = tensor({3.0}, float64);
  const int line = __LINE__ + 1;
  Tensor y = (w * x).sum();
  x.mul_(10.0);  // the saved x changed: backward must refuse
  const std::string message = error_of([&] { y.backward(); });
  CHECK(message.find("modified by an in-place operation") != std::string::npos);
  CHECK(message.find("in the backward of 'mul', whose forward call was at") != std::string::npos);
  CHECK(message.find("test_anomaly.cpp:" + std::to_string(line)) != std::string::npos);
}

TEST_CASE("ops recorded before anomaly mode was turned on are reported without a call site") {
  Tensor x = tensor({0.0}, {float64, true});
  Tensor y = sqrt(x).sum();
  DetectAnomalyGuard anomaly;
  const std::string message = error_of([&] { y.backward(); });
  CHECK(message.find("produced Inf") != std::string::npos);
  CHECK(message.find("recorded while anomaly mode was off") != std::string::npos);
}

TEST_CASE("finite gradients pass, and anomaly mode gives the same gradients") {
  Tensor x = testing::input({3, 4});
  Tensor w = testing::input({4, 2}, -1, 1, 7);
  auto loss = [&] { return tanh(matmul(x, w)).pow(2.0).mean(); };
  loss().backward();
  const std::vector<double> plain = w.grad().to_vector();
  w.zero_grad(true);
  {
    DetectAnomalyGuard anomaly;
    loss().backward();
  }
  CHECK(w.grad().to_vector() == plain);
}
