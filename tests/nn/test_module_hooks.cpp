// Module hooks: forward pre-hooks and forward hooks (feature extraction, replacing inputs and
// outputs), full backward hooks (per-layer gradient norms, replacing grad_input), removal, and
// the errors.
#include <cmath>

#include "../helpers.hpp"

using namespace xgrad;

namespace {
// The MNIST trainer's MLP (examples/mnist.cpp).
std::shared_ptr<nn::Sequential> mnist_mlp(Generator& gen) {
  return std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Flatten>(), std::make_shared<nn::Linear>(784, 128, true, &gen),
      std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(128, 64, true, &gen),
      std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(64, 10, true, &gen)});
}
double l2(const Tensor& t) { return std::sqrt(t.pow(2.0).sum().to_vector()[0]); }
}  // namespace

TEST_CASE("a forward hook extracts the features of a hidden layer of the MNIST MLP") {
  Generator gen(0);
  auto model = mnist_mlp(gen);
  Tensor images = uniform({8, 1, 28, 28}, 0.0, 1.0, float32, &gen);
  Tensor features;
  HookHandle handle = (*model)[4]->register_forward_hook(
      [&](nn::Module& m, const Tensor& input, const Tensor& output) {
        CHECK(m.type_name() == "ReLU");
        features = output.detach();
        return Tensor();  // keep the output
      });
  Tensor logits = (*model)(images);
  REQUIRE(features.defined());
  CHECK(features.shape() == Shape{8, 64});
  // The same as running the first four layers by hand.
  Tensor h = images;
  for (std::size_t i = 0; i < 5; ++i) h = (*(*model)[i])(h);
  CHECK(features.to_vector() == h.to_vector());
  CHECK(logits.shape() == Shape{8, 10});
  handle.remove();
  features = Tensor();
  (*model)(images);
  CHECK_FALSE(features.defined());  // removed
}

TEST_CASE("pre-hooks may replace the input and forward hooks the output") {
  nn::Identity id;
  Tensor x = tensor({1.0, 2.0}, float64);
  id.register_forward_pre_hook([](nn::Module&, const Tensor& in) { return in * 10.0; });
  HookHandle out_hook =
      id.register_forward_hook([](nn::Module&, const Tensor& in, const Tensor& out) {
        CHECK(in.to_vector() == std::vector<double>{10.0, 20.0});  // what forward was given
        return out + 1.0;
      });
  CHECK(id(x).to_vector() == std::vector<double>{11.0, 21.0});
  CHECK(id.forward(x).to_vector() == std::vector<double>{1.0, 2.0});  // forward() skips hooks
  out_hook.remove();
  out_hook.remove();  // a second remove does nothing
  CHECK(id(x).to_vector() == std::vector<double>{10.0, 20.0});
}

TEST_CASE("full backward hooks log each layer's gradient norms; they match autograd's") {
  Generator gen(1);
  auto model = mnist_mlp(gen);
  Tensor images = uniform({16, 1, 28, 28}, 0.0, 1.0, float32, &gen);
  Tensor labels = tensor({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5}, int64);
  std::vector<std::pair<std::string, double>> log;
  std::vector<Tensor> grad_outputs(6), grad_inputs(6);
  for (std::size_t i = 0; i < model->size(); ++i)
    (*model)[i]->register_full_backward_hook(
        [&, i](nn::Module& m, const Tensor& grad_input, const Tensor& grad_output) {
          log.emplace_back(m.type_name() + std::to_string(i), l2(grad_output));
          grad_outputs[i] = grad_output;
          grad_inputs[i] = grad_input;
          return Tensor();
        });
  // Intermediate gradients by tensor hooks, to compare with.
  Tensor h = images;
  std::vector<Tensor> outs;
  for (std::size_t i = 0; i < model->size(); ++i) outs.push_back(h = (*(*model)[i])(h));
  std::vector<Tensor> expected(outs.size());
  for (std::size_t i = 1; i < outs.size(); ++i)  // the flattened images need no gradient
    outs[i].register_hook([&, i](const Tensor& g) {
      expected[i] = g.clone();
      return Tensor();
    });
  nn::functional::cross_entropy(outs.back(), labels).backward();
  // Backward order: the last layer first, each once per backward pass.
  REQUIRE(log.size() == 5);
  CHECK(log[0].first == "Linear5");
  CHECK(log[4].first == "Linear1");
  for (std::size_t i = 1; i < 6; ++i) {
    CHECK(testing::allclose(grad_outputs[i], expected[i], 1e-7, 1e-6));
    if (i > 1) CHECK(testing::allclose(grad_inputs[i], expected[i - 1], 1e-7, 1e-6));
  }
  // The images do not require grad: the first two layers' grad_input is undefined, and
  // Flatten's output needs no gradient, so its hook does not run at all.
  CHECK_FALSE(grad_inputs[1].defined());
  CHECK(log[0].second > 0.0);
}

TEST_CASE("a full backward hook may replace grad_input; parameters upstream see the change") {
  Generator gen(2);
  nn::Linear first(3, 4, true, &gen), second(4, 2, true, &gen);
  first.to(float64);
  second.to(float64);
  Tensor x = testing::input({5, 3});
  auto run = [&] {
    first.zero_grad();
    second.zero_grad();
    second(first(x)).sum().backward();
    return first.parameters()[0].grad().to_vector();
  };
  const std::vector<double> plain = run();
  HookHandle doubling = second.register_full_backward_hook(
      [](nn::Module&, const Tensor& grad_input, const Tensor&) { return grad_input * 2.0; });
  const std::vector<double> doubled = run();
  for (std::size_t i = 0; i < plain.size(); ++i) CHECK(doubled[i] == doctest::Approx(2 * plain[i]));
  doubling.remove();
  CHECK(run() == plain);
  // In no-grad mode nothing is recorded and backward hooks are not installed.
  second.register_full_backward_hook([](nn::Module&, const Tensor&, const Tensor&) {
    FAIL("no backward in no-grad mode");
    return Tensor();
  });
  NoGradGuard no_grad;
  CHECK_FALSE(second(first(x)).requires_grad());
}

TEST_CASE("a hook may remove itself; hooks outlive nothing") {
  nn::Identity id;
  int calls = 0;
  HookHandle self;
  self = id.register_forward_hook([&](nn::Module&, const Tensor&, const Tensor&) {
    ++calls;
    self.remove();
    return Tensor();
  });
  Tensor x = tensor({1.0});
  id(x);
  id(x);
  CHECK(calls == 1);
  // A handle of a destroyed module does nothing.
  HookHandle orphan;
  {
    nn::Identity gone;
    orphan = gone.register_forward_pre_hook([](nn::Module&, const Tensor&) { return Tensor(); });
  }
  orphan.remove();
}

TEST_CASE("module hook errors name the module and the shapes") {
  nn::Identity id;
  CHECK_THROWS_WITH_AS(id.register_forward_hook(nullptr),
                       "register_forward_hook: the hook is empty", Error);
  Tensor x = tensor({1.0, 2.0}, {float64, true});
  id.register_full_backward_hook(
      [](nn::Module&, const Tensor&, const Tensor&) { return zeros({3}, float64); });
  Tensor y = id(x * 1.0).sum();
  CHECK_THROWS_WITH_AS(y.backward(),
                       "Identity: a full backward hook returned a tensor of shape (3,) float64 "
                       "for one of (2,) float64",
                       Error);
}
