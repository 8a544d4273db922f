// The engine: accumulation, retain_graph, release, grad(), create_graph, no-grad, deep chains,
// and freeing the graph.
#include <memory>

#include "../helpers.hpp"

using namespace xgrad;

TEST_CASE("backward on a scalar fills leaf gradients and accumulates across calls") {
  Tensor x = tensor({1.0, 2.0, 3.0}, {float64, true});
  Tensor y = (x * x).sum();
  y.backward();
  CHECK(x.grad().to_vector() == std::vector<double>{2, 4, 6});
  (x * 3.0).sum().backward();
  CHECK(x.grad().to_vector() == std::vector<double>{5, 7, 9});
  x.zero_grad();
  CHECK(x.grad().to_vector() == std::vector<double>{0, 0, 0});
  x.zero_grad(true);
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE("backward(gradient) on a non-scalar and its errors") {
  Tensor x = tensor({{1.0, 2.0}, {3.0, 4.0}}, {float32, true});
  Tensor y = x * 2.0;
  CHECK_ERROR_MESSAGE(y.backward(),
                      "backward: a gradient can be implied only for a scalar output, got shape "
                      "(2, 2); pass backward(gradient)");
  CHECK_ERROR_MESSAGE(y.backward(ones({3})),
                      "backward: gradient of shape (3,) float32 for a tensor of shape (2, 2) "
                      "float32");
  y.backward(tensor({{1.0, 0.0}, {0.0, 1.0}}));
  CHECK(x.grad().to_vector() == std::vector<double>{2, 0, 0, 2});
}

TEST_CASE("the graph is released after backward unless retain_graph") {
  Tensor x = tensor({1.0, 2.0}, {float32, true});
  Tensor y = exp(x).sum();
  y.backward({}, true);
  y.backward();
  CHECK(x.grad().at({0}) == doctest::Approx(2 * std::exp(1.0)));
  CHECK_ERROR_MESSAGE(y.backward(),
                      "backward: the graph through 'sum' was already released by an earlier "
                      "backward; pass retain_graph=true to the first backward to run it again");
  Tensor c = tensor({1.0});
  CHECK_ERROR_MESSAGE(c.backward(),
                      "backward: tensor of shape (1,) does not require grad and has no grad_fn");
}

TEST_CASE("leaves, detach and requires_grad") {
  Tensor x = ones({2}, {float32, true});
  Tensor y = x * 2.0;
  CHECK(x.is_leaf());
  CHECK_FALSE(y.is_leaf());
  CHECK(y.requires_grad());
  Tensor d = y.detach();
  CHECK(d.is_leaf());
  CHECK_FALSE(d.requires_grad());
  CHECK(d.raw_data() == y.raw_data());
  CHECK_FALSE((ones({2}) * 2.0).requires_grad());
  CHECK_ERROR_MESSAGE(y.requires_grad_(false),
                      "requires_grad_: cannot turn off requires_grad of a non-leaf tensor; use "
                      "detach()");
}

TEST_CASE("grad() returns gradients w.r.t. inputs and intermediates without touching .grad") {
  Tensor x = tensor({0.5, -1.0}, {float64, true});
  Tensor h = x * x;
  Tensor loss = (sin(h) * 3.0).sum();
  auto g = grad({loss}, {x, h}, {}, true);
  CHECK(g[0].at({0}) == doctest::Approx(3 * std::cos(0.25) * 2 * 0.5));
  CHECK(g[1].at({1}) == doctest::Approx(3 * std::cos(1.0)));
  CHECK_FALSE(x.grad().defined());
  Tensor unused = tensor({1.0}, {float64, true});
  CHECK_ERROR_MESSAGE(grad({loss}, {unused}, {}, true),
                      "grad: input 0 of shape (1,) was not used to compute the outputs; pass "
                      "allow_unused=true");
  CHECK_FALSE(grad({loss}, {unused}, {}, true, false, true)[0].defined());
}

TEST_CASE("create_graph gives higher-order derivatives") {
  Tensor x = tensor({2.0}, {float64, true});
  Tensor y = pow(x, 4.0);
  Tensor dy = grad({y}, {x}, {}, false, true)[0];  // 4x³
  CHECK(dy.item() == doctest::Approx(32));
  Tensor d2y = grad({dy}, {x}, {}, false, true)[0];  // 12x²
  CHECK(d2y.item() == doctest::Approx(48));
  Tensor d3y = grad({d2y}, {x})[0];  // 24x
  CHECK(d3y.item() == doctest::Approx(48));
  // backward(create_graph) leaves a differentiable .grad
  Tensor z = tensor({3.0}, {float64, true});
  (exp(z) * z).sum().backward({}, false, true);
  Tensor gz = z.grad();  // (1 + z) e^z
  CHECK(gz.requires_grad());
  z.zero_grad(true);
  gz.sum().backward();  // (2 + z) e^z
  CHECK(z.grad().item() == doctest::Approx(5 * std::exp(3.0)));
}

TEST_CASE("NoGradGuard records nothing") {
  Tensor x = ones({3}, {float32, true});
  {
    NoGradGuard guard;
    Tensor y = x * 2.0 + 1.0;
    CHECK_FALSE(y.requires_grad());
    CHECK_FALSE(y.grad_fn());
    CHECK_FALSE(is_grad_enabled());
    x.add_(ones({3}), 0.5);  // in-place on a leaf is allowed under no-grad
  }
  CHECK(is_grad_enabled());
  CHECK(x.at({0}) == 1.5);
  CHECK_ERROR_MESSAGE(x.add_(ones({3})),
                      "add_: in-place update of a leaf tensor that requires grad; wrap it in "
                      "NoGradGuard (optimizers and initialisers do)");
}

TEST_CASE("a chain of 1,000,000 ops backpropagates and is destroyed without stack overflow") {
  Tensor x = tensor({1.0}, {float32, true});
  Tensor y = x;
  for (int i = 0; i < 1000000; ++i) y = y * 1.0;
  y.sum().backward();
  CHECK(x.grad().item() == 1.0);
  Tensor z = x;
  for (int i = 0; i < 1000000; ++i) z = z + 0.0;
  std::weak_ptr<Node> last = z.grad_fn();
  std::weak_ptr<TensorImpl> last_value = z.impl_ptr();
  z = Tensor();  // destroyed without backward: iterative release, every node freed
  CHECK(last.expired());
  CHECK(last_value.expired());
  CHECK(x.grad().item() == 1.0);  // the leaf and its gradient are untouched
}

TEST_CASE("a graph's memory is freed when its tensors die (no reference cycles)") {
  std::weak_ptr<TensorImpl> hidden_impl;
  std::weak_ptr<Node> node;
  {
    Tensor x = randn({4, 4}, {float32, true});
    Tensor h = exp(x);  // exp saves its output: a cycle would keep it alive
    Tensor y = sigmoid(h) * h;
    hidden_impl = h.impl_ptr();
    node = y.grad_fn();
    CHECK_FALSE(hidden_impl.expired());
  }
  CHECK(hidden_impl.expired());
  CHECK(node.expired());
  // And after a backward that released the graph, only the leaves' grads remain.
  Tensor x = randn({4}, {float32, true});
  std::weak_ptr<TensorImpl> mid;
  {
    Tensor m = tanh(x);
    mid = m.impl_ptr();
    Tensor loss = (m * m).sum();
    loss.backward();
  }
  CHECK(mid.expired());
}

TEST_CASE("gradients are un-broadcast to the input's shape in the engine") {
  Tensor b = zeros({3}, {float32, true});
  Tensor x = ones({4, 3});
  (x + b).sum().backward();
  CHECK(b.grad().shape() == Shape{3});
  CHECK(b.grad().to_vector() == std::vector<double>{4, 4, 4});
}
