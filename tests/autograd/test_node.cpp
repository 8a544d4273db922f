// Saved tensors and version counters: a backward that would read data changed in place since
// the op ran raises, naming the op, the tensor and both versions; writes that touch nothing
// saved (or come after backward) do not.
#include "../helpers.hpp"
#include "autograd/node.hpp"

using namespace xgrad;

TEST_CASE("an in-place write to a saved input raises in backward") {
  Tensor w = tensor({2.0}, {float64, true});
  Tensor x = tensor({3.0}, float64);
  Tensor y = (w * x).sum();
  x.mul_(10.0);
  CHECK_ERROR_MESSAGE(y.backward(),
                      "mul: input 1 of shape (1,), saved for backward, was modified by an "
                      "in-place operation (version 0 when saved, now 1); clone() it before the "
                      "in-place write, or write into a copy");
}

TEST_CASE("a write through a detached alias raises") {
  Tensor w = tensor({2.0}, {float64, true});
  Tensor h = w * 1.0;
  Tensor y = (h * h).sum();
  h.detach().fill_(100.0);
  CHECK_ERROR_MESSAGE(y.backward(),
                      "mul: input 1 of shape (1,), saved for backward, was modified by an "
                      "in-place operation (version 0 when saved, now 1); clone() it before the "
                      "in-place write, or write into a copy");
}

TEST_CASE("a no-grad write to a leaf used by the graph raises") {
  Tensor w = tensor({2.0}, {float64, true});
  Tensor y = (w * w).sum();
  {
    NoGradGuard g;
    w.add_(1.0);
  }
  CHECK_THROWS_WITH_AS(y.backward(),
                       doctest::Contains("mul: input 1 of shape (1,), saved for backward"),
                       Error);
}

TEST_CASE("a write through a view of a saved tensor raises; the output is checked too") {
  Tensor x = tensor({1.0, 2.0, 3.0}, {float64, true});
  Tensor e = exp(x);  // saves its output
  Tensor y = e.sum();
  slice(e.detach(), 0, 1, 2).zero_();
  CHECK_ERROR_MESSAGE(y.backward(),
                      "exp: its output of shape (3,), saved for backward, was modified by an "
                      "in-place operation (version 0 when saved, now 1); clone() it before the "
                      "in-place write, or write into a copy");
  Tensor a = tensor({1.0, 2.0}, {float64, true});
  Tensor base = zeros({2, 2}, float64);
  Tensor y2 = (a * select(base, 0, 1)).sum();
  select(base, 0, 0).fill_(5);  // another row, same storage: still a change to what was saved
  CHECK_THROWS_AS(y2.backward(), Error);
}

TEST_CASE("writes that touch nothing saved do not raise") {
  Tensor w = tensor({2.0}, {float64, true});
  Tensor x = tensor({3.0}, float64);
  Tensor y = (w + x).sum();  // add saves nothing
  x.mul_(10.0);
  y.backward();
  CHECK(w.grad().item() == 1.0);
  Tensor y2 = (w * x).sum();
  y2.backward();  // x was written before the op ran
  CHECK(w.grad().item() == 31.0);
  x.mul_(2.0);  // after backward
  Tensor v = tensor({1.0, 2.0}, {float64, true});
  Tensor r = reshape(v, {2, 1});  // keeps only the shape
  Tensor s = (r * 2.0).sum();
  {
    NoGradGuard g;
    v.add_(1.0);
  }
  s.backward();
  CHECK(v.grad().to_vector() == std::vector<double>{2, 2});
}

TEST_CASE("the fused cross-entropy keeps its softmax statistics as saved tensors") {
  Tensor logits = tensor({{1.0, 2.0, 0.5}, {0.1, 0.2, 0.3}}, {float64, true});
  Tensor target = tensor({1, 2}, int64);
  Tensor loss = cross_entropy_per_sample(logits, target);
  CHECK(loss.grad_fn()->inputs().size() == 1);
  CHECK(gradcheck([&](auto& v) { return cross_entropy_per_sample(v[0], target); }, {logits}));
  CHECK(gradgradcheck([&](auto& v) { return cross_entropy_per_sample(v[0], target); }, {logits}));
}

TEST_CASE("an optimizer step bumps the parameters' version") {
  Tensor w = tensor({1.0, 2.0}, {float64, true});
  Tensor y = (w * w).sum();
  y.backward({}, true);
  const uint64_t before = w.version();
  optim::SGD opt({w}, {.lr = 0.1});
  opt.step();
  CHECK(w.version() == before + 1);
  CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("mul: input 1 of shape (2,)"), Error);
}
