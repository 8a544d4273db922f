// Tensor gradient hooks: seeing and replacing gradients of leaves and intermediates, in
// backward() and grad(), removal, post-accumulate hooks on leaves, and the errors.
#include <cmath>

#include "../helpers.hpp"

using namespace xgrad;

TEST_CASE("a hook sees the gradient and may replace it, upstream ops get the replacement") {
  Tensor x = tensor({1.0, 2.0}, {float64, true});
  Tensor h = x * 3.0;  // an intermediate
  Tensor seen;
  HookHandle on_h = h.register_hook([&](const Tensor& g) {
    seen = g.clone();
    return g * 10.0;  // x's gradient is computed from this
  });
  (h * h).sum().backward();
  CHECK(seen.to_vector() == std::vector<double>{6.0, 12.0});  // d(h²)/dh = 2h
  CHECK(x.grad().to_vector() == std::vector<double>{180.0, 360.0});
  // An undefined return keeps the gradient; removed hooks do not run.
  on_h.remove();
  on_h.remove();  // a second remove does nothing
  int calls = 0;
  Tensor h2 = x * 3.0;
  h2.register_hook([&](const Tensor&) {
    ++calls;
    return Tensor();
  });
  x.zero_grad(true);
  (h2 * h2).sum().backward();
  CHECK(calls == 1);
  CHECK(x.grad().to_vector() == std::vector<double>{18.0, 36.0});
}

TEST_CASE("hooks on leaves run before accumulation, and in grad() too") {
  Tensor w = tensor({2.0}, {float64, true});
  w.register_hook([](const Tensor& g) { return g * 0.5; });
  (w * w).sum().backward();
  CHECK(w.grad().item() == 2.0);  // 2w halved
  Tensor x = tensor({3.0}, {float64, true});
  Tensor y = x * x;
  y.register_hook([](const Tensor& g) { return g + 1.0; });
  CHECK(grad({(y * 2.0).sum()}, {x})[0].item() == doctest::Approx(18.0));  // (2 + 1) * 2x
}

TEST_CASE("post-accumulate hooks run after .grad() is written: per-layer gradient norms") {
  Generator gen(0);
  nn::Sequential model{std::make_shared<nn::Linear>(4, 8, true, &gen), std::make_shared<nn::ReLU>(),
                       std::make_shared<nn::Linear>(8, 3, true, &gen)};
  std::map<std::string, double> norms;
  std::vector<HookHandle> handles;
  for (auto& [name, p] : model.named_parameters())
    handles.push_back(p.register_post_accumulate_grad_hook(
        [&norms, name = name](Tensor& leaf) { norms[name] = norm(leaf.grad()).item(); }));
  Tensor x = randn({5, 4}, {float32, false}, &gen);
  sum(square(model(x))).backward();
  CHECK(norms.size() == 4);
  for (const auto& [name, p] : model.named_parameters()) {
    const std::string& param = name;  // (INFO captures it: clang 14 cannot capture a binding)
    INFO(param);
    CHECK(norms.at(param) == doctest::Approx(norm(p.grad()).item()));
  }
  for (HookHandle& h : handles) h.remove();
  norms.clear();
  sum(square(model(x))).backward();
  CHECK(norms.empty());
}

TEST_CASE("hook errors name what was wrong") {
  Tensor plain = ones({2});
  CHECK_ERROR_MESSAGE(
      plain.register_hook([](const Tensor& g) { return g; }),
      "register_hook: cannot register a hook on a tensor that does not require grad");
  Tensor x = ones({2}, {float32, true});
  Tensor y = x * 2.0;
  CHECK_ERROR_MESSAGE(y.register_post_accumulate_grad_hook([](Tensor&) {}),
                      "register_post_accumulate_grad_hook: only leaves accumulate .grad(); this "
                      "tensor of shape (2,) has a grad_fn");
  y.register_hook([](const Tensor&) { return ones({3}); });
  CHECK_ERROR_MESSAGE(y.sum().backward(),
                      "register_hook: a hook on a tensor of shape (2,) float32 returned a gradient "
                      "of shape (3,) float32");
}
