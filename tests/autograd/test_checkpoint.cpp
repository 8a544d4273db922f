// autograd::checkpoint: gradients equal to the plain run bit for bit (inputs and the parameters
// the function captures), double backward, dropout's random numbers replayed, errors, and the
// peak memory of a deep MLP with and without checkpointed segments.
#include <memory>

#include "../helpers.hpp"
#include "autograd/node.hpp"

using namespace xgrad;
using autograd::checkpoint;
using xgrad::testing::input;

namespace {

using Layers = std::vector<std::shared_ptr<nn::Linear>>;

Layers make_layers(int n, int64_t width, uint64_t seed) {
  Generator gen(seed);
  Layers layers;
  for (int i = 0; i < n; ++i)
    layers.push_back(std::make_shared<nn::Linear>(width, width, true, &gen));
  return layers;
}

// relu(Linear(.)) blocks; with segment > 0, every `segment` blocks run inside one checkpoint.
Tensor run(Layers& layers, const Tensor& x, std::size_t segment) {
  auto blocks = [&layers](std::size_t from, std::size_t to) {
    return [&layers, from, to](const std::vector<Tensor>& v) {
      Tensor h = v[0];
      for (std::size_t k = from; k < to; ++k) h = relu((*layers[k])(h));
      return h;
    };
  };
  if (segment == 0) return blocks(0, layers.size())({x});
  Tensor h = x;
  for (std::size_t s = 0; s < layers.size(); s += segment)
    h = checkpoint(blocks(s, std::min(s + segment, layers.size())), {h});
  return h;
}

// The loss and every gradient (of x when it requires grad, then of the parameters).
std::vector<std::vector<double>> gradients(Layers& layers, const Tensor& x, const Tensor& target,
                                           std::size_t segment) {
  for (auto& l : layers) l->zero_grad();
  if (x.requires_grad()) Tensor(x).zero_grad(true);
  Tensor loss = mean(square(run(layers, x, segment) - target));
  loss.backward();
  std::vector<std::vector<double>> g{{loss.item()}};
  if (x.requires_grad()) g.push_back(x.grad().to_vector());
  for (auto& l : layers)
    for (const Tensor& p : l->parameters()) g.push_back(p.grad().to_vector());
  return g;
}

}  // namespace

TEST_CASE("checkpoint: gradients of inputs and captured parameters equal the plain run exactly") {
  Layers layers = make_layers(6, 16, 1);
  Generator gen(2);
  Tensor x = randn({8, 16}, {float32, true}, &gen);
  Tensor target = randn({8, 16}, float32, &gen);
  const auto plain = gradients(layers, x, target, 0);
  CHECK(gradients(layers, x, target, 1) == plain);
  CHECK(gradients(layers, x, target, 2) == plain);
  CHECK(gradients(layers, x, target, 4) == plain);
  // An input that does not require grad (a data batch): the parameters still get theirs.
  Tensor data = x.detach();
  const auto plain_data = gradients(layers, data, target, 0);
  CHECK(gradients(layers, data, target, 3) == plain_data);
  // grad() as well as backward(); .grad() is left alone.
  for (auto& l : layers) l->zero_grad();
  Tensor loss = mean(square(run(layers, x, 2) - target));
  std::vector<Tensor> g = grad({loss}, {x, layers[0]->weight, layers[5]->bias});
  CHECK(g[0].to_vector() == plain[1]);
  CHECK(g[1].to_vector() == plain[2]);
  CHECK(g[2].to_vector() == plain[13]);
  CHECK_FALSE(layers[0]->weight.grad().defined());
}

TEST_CASE("checkpoint: several inputs, gradcheck and double backward") {
  Tensor x = input({2, 3}, -1, 1, 3), w = input({3, 3}, -1, 1, 4), b = input({3}, -1, 1, 5);
  // w is captured (a leaf), x and b are passed in.
  auto f = [](const std::vector<Tensor>& v) {
    Tensor w = v[1];
    return checkpoint(
        [w](const std::vector<Tensor>& u) { return tanh(matmul(u[0], w) + u[1]) * u[0]; },
        {v[0], v[2]});
  };
  CHECK(gradcheck(f, {x, w, b}));
  CHECK(gradgradcheck(f, {x, w, b}));
  // Second derivatives through the checkpoint equal the plain ones.
  auto plain = [](const Tensor& x, const Tensor& w, const Tensor& b) {
    return tanh(matmul(x, w) + b) * x;
  };
  Tensor g1 = grad({sum(pow(f({x, w, b}), 2.0))}, {x}, {}, false, true)[0];
  Tensor g2 = grad({sum(pow(plain(x, w, b), 2.0))}, {x}, {}, false, true)[0];
  CHECK(g1.to_vector() == g2.to_vector());
  std::vector<Tensor> h1 = grad({g1.sum()}, {x, w, b});
  std::vector<Tensor> h2 = grad({g2.sum()}, {x, w, b});
  for (std::size_t i = 0; i < 3; ++i) CHECK(xgrad::testing::allclose(h1[i], h2[i], 1e-14, 1e-12));
  // A parameter that only an in-place op inside fn uses is found too.
  auto scaled = [](const std::vector<Tensor>& v) {
    Tensor s = v[1];
    return checkpoint(
        [s](const std::vector<Tensor>& u) {
          Tensor t = u[0] * 2.0;
          t.mul_(s);
          return sin(t);
        },
        {v[0]});
  };
  Tensor s = input({3}, 0.5, 1.5, 9);
  CHECK(scaled({x, s}).grad_fn()->inputs().size() == 2);
  CHECK(gradcheck(scaled, {x, s}));
  CHECK(gradgradcheck(scaled, {x, s}));
  // Nested checkpoints.
  auto nested = [](const std::vector<Tensor>& v) {
    return checkpoint(
        [](const std::vector<Tensor>& u) {
          return sin(checkpoint([](const std::vector<Tensor>& t) { return exp(t[0]) * t[1]; }, u));
        },
        v);
  };
  CHECK(gradcheck(nested, {x, input({2, 3}, -1, 1, 6)}));
  CHECK(gradgradcheck(nested, {x, input({2, 3}, -1, 1, 6)}));
}

TEST_CASE("checkpoint: the forward runs without grad, backward with it") {
  Tensor x = input({3});
  std::vector<bool> modes;
  Tensor y = checkpoint(
      [&modes](const std::vector<Tensor>& v) {
        modes.push_back(is_grad_enabled());
        return exp(v[0]);
      },
      {x});
  CHECK(y.requires_grad());
  CHECK(std::string(y.grad_fn()->name()) == "checkpoint");
  CHECK(y.grad_fn()->inputs().size() == 1);
  y.sum().backward();
  CHECK(modes == std::vector<bool>{false, true});
  CHECK(xgrad::testing::allclose(x.grad(), exp(x.detach()), 0, 0));
  // With grad mode off it is the plain call; an integer output or one nothing requires grad of
  // records nothing.
  {
    NoGradGuard no_grad;
    CHECK_FALSE(
        checkpoint([](const std::vector<Tensor>& v) { return v[0] * 2.0; }, {x}).requires_grad());
  }
  CHECK_FALSE(checkpoint([](const std::vector<Tensor>& v) { return argmax(v[0], 0); }, {x})
                  .requires_grad());
  CHECK_FALSE(checkpoint([](const std::vector<Tensor>& v) { return v[0] * 2.0; }, {x.detach()})
                  .requires_grad());
  // An identity fn: the result is a handle of its own, the input keeps its identity.
  Tensor same = checkpoint([](const std::vector<Tensor>& v) { return v[0]; }, {x});
  CHECK(x.is_leaf());
  CHECK_FALSE(same.is_leaf());
}

TEST_CASE("checkpoint: dropout draws the same random numbers when recomputed") {
  nn::Linear layer(4, 4);
  nn::Dropout drop(0.5);
  Tensor x = input({3, 4}, -1, 1, 7).to(float32).detach().requires_grad_();
  auto body = [&](const std::vector<Tensor>& v) { return drop(relu(layer(v[0]))); };
  auto run_once = [&](bool checkpointed, autograd::CheckpointOptions options = {}) {
    layer.zero_grad();
    x.zero_grad(true);
    manual_seed(11);
    Tensor y = checkpointed ? checkpoint(body, {x}, options) : body({x});
    (y * y).sum().backward();
    // The generator goes on from where the forward pass left it.
    double next = rand({1}).item();
    return std::vector<std::vector<double>>{
        x.grad().to_vector(), layer.weight.grad().to_vector(), {next}};
  };
  const auto plain = run_once(false);
  CHECK(run_once(true) == plain);
  CHECK(run_once(true, {.preserve_rng_state = false}) != plain);
}

TEST_CASE("checkpoint: errors") {
  Tensor x = input({3});
  CHECK_ERROR_MESSAGE(checkpoint([](const std::vector<Tensor>& v) { return v[0]; }, {Tensor()}),
                      "checkpoint: input 0 is undefined");
  CHECK_ERROR_MESSAGE(checkpoint([](const std::vector<Tensor>&) { return Tensor(); }, {x}),
                      "checkpoint: fn returned an undefined tensor");
  Tensor h = x * 2.0;
  CHECK_ERROR_MESSAGE(checkpoint([&h](const std::vector<Tensor>& v) { return v[0] * h; }, {x}),
                      "checkpoint: fn uses a tensor of shape (3,) that requires grad and has a "
                      "history, and is not one of the tensors fn is given; pass it in `inputs` "
                      "(fn sees it as a detached copy)");
  // An input changed in place before backward.
  Tensor y = checkpoint([](const std::vector<Tensor>& v) { return sin(v[0]); }, {h});
  h.mul_(3.0);
  CHECK_ERROR_MESSAGE(y.sum().backward(),
                      "checkpoint: input 0 of shape (3,), saved for backward, was modified by an "
                      "in-place operation (version 0 when saved, now 1); clone() it before the "
                      "in-place write, or write into a copy");
  // A captured parameter updated in place (an optimizer step) before backward.
  nn::Linear layer(3, 2);
  Tensor z = checkpoint([&](const std::vector<Tensor>& v) { return layer(v[0]); }, {x.to(float32)});
  {
    NoGradGuard no_grad;
    layer.weight.mul_(0.5);
  }
  CHECK_THROWS_WITH_AS(z.sum().backward(), doctest::Contains("checkpoint: input 1 of shape (2, 3)"),
                       Error);
  // fn computing something else when run again.
  int calls = 0;
  Tensor u = checkpoint(
      [&calls](const std::vector<Tensor>& v) { return ++calls == 1 ? v[0] * 2.0 : v[0].sum(); },
      {x});
  CHECK_ERROR_MESSAGE(u.sum().backward(),
                      "checkpoint: recomputing fn in backward gave a tensor of shape () float64, "
                      "the forward pass (3,) float64; fn must compute the same thing when run "
                      "again");
  // A second backward needs retain_graph, as for any op.
  Tensor w = checkpoint([](const std::vector<Tensor>& v) { return exp(v[0]); }, {x});
  Tensor loss = w.sum();
  loss.backward();
  CHECK_ERROR_MESSAGE(loss.backward(),
                      "backward: the graph through 'sum' was already released by an earlier "
                      "backward; pass retain_graph=true to the first backward to run it again");
}

TEST_CASE("checkpoint: segments of a deep MLP lower its peak memory") {
  // 16 blocks of Linear(512, 512) + ReLU, batch 256, float32: each block keeps 1 MiB of
  // activations for backward in the plain run (the Linear's output and the ReLU's).
  Layers layers = make_layers(16, 512, 3);
  Generator gen(4);
  Tensor x = randn({256, 512}, float32, &gen);
  struct Figures {
    double kept, peak;  // after the forward pass, and the peak over forward and backward
  };
  // Bytes above those in use at the start (the parameters and the input).
  auto measure = [&](std::size_t segment) {
    for (auto& l : layers) l->zero_grad();
    reset_peak_memory_stats();
    const double start = static_cast<double>(memory_stats().current_bytes);
    Figures f{};
    {
      Tensor loss = mean(square(run(layers, x, segment)));
      f.kept = static_cast<double>(memory_stats().current_bytes) - start;
      loss.backward();
    }
    f.peak = static_cast<double>(memory_stats().peak_bytes) - start;
    return f;
  };
  const double mib = 1024.0 * 1024.0;
  const double grads = 16 * (512 * 512 + 512) * 4;  // the parameters' gradients, in every run
  const Figures plain = measure(0), by4 = measure(4), by2 = measure(2);
  MESSAGE("tensor storage above the parameters and input, kept after forward / peak (the peak "
          << "includes the " << grads / mib << " MiB of parameter gradients): plain "
          << plain.kept / mib << " / " << plain.peak / mib << " MiB; 4 segments of 4 blocks "
          << by4.kept / mib << " / " << by4.peak / mib << " MiB; 8 segments of 2 blocks "
          << by2.kept / mib << " / " << by2.peak / mib << " MiB");
  CHECK(by4.peak < plain.peak);
  CHECK(by2.peak < plain.peak);
  // What backward needs besides the gradients drops by more than a third; what the forward
  // pass keeps, to a fifth.
  CHECK(by4.peak - grads < 0.67 * (plain.peak - grads));
  CHECK(by4.kept < 0.2 * plain.kept);
}
