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
                       doctest::Contains("mul: input 1 of shape (1,), saved for backward"), Error);
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

namespace {
using Fn = std::function<Tensor(const std::vector<Tensor>&)>;
// f applied to a non-leaf copy of the input, so the in-place op acts on a tensor in the graph.
Fn on_copy(std::function<void(Tensor&)> f) {
  return [f](const std::vector<Tensor>& v) {
    Tensor t = v[0] * 1.0;
    f(t);
    return t * t;
  };
}
}  // namespace

TEST_CASE("differentiable in-place ops pass gradcheck and gradgradcheck") {
  Tensor x = testing::off_kink({3, 4}, 0.1, 11);
  Tensor y = testing::input({3, 4}, 0.5, 2.0, 12), row = testing::input({4}, 0.5, 2.0, 13);
  Tensor mask = gt(testing::input({3, 4}, -1, 1, 14).detach(), 0.0);
  std::vector<std::pair<std::string, std::function<void(Tensor&)>>> ops = {
      {"relu_", [](Tensor& t) { t.relu_(); }},
      {"sigmoid_", [](Tensor& t) { t.sigmoid_(); }},
      {"add_ scalar", [](Tensor& t) { t.add_(2.0); }},
      {"sub_ scalar", [](Tensor& t) { t.sub_(0.5); }},
      {"mul_ scalar", [](Tensor& t) { t.mul_(3.0); }},
      {"div_ scalar", [](Tensor& t) { t.div_(4.0); }},
      {"clamp_", [](Tensor& t) { t.clamp_(-0.5, 0.5); }},
      {"masked_fill_", [mask](Tensor& t) { t.masked_fill_(mask, 2.0); }},
      {"zero_ then add_", [](Tensor& t) { t.zero_().add_(1.0); }},
      {"mul_ then relu_", [](Tensor& t) { t.mul_(2.0).relu_(); }},
  };
  for (auto& [name, op] : ops) {
    const auto& op_name = name;  // (INFO captures it: clang 14 cannot capture a binding)
    INFO(op_name);
    CHECK(gradcheck(on_copy(op), {x}));
    CHECK(gradgradcheck(on_copy(op), {x}));
  }
  // With a second operand that requires grad.
  auto two = [](std::function<void(Tensor&, const Tensor&)> f) {
    return [f](const std::vector<Tensor>& v) {
      Tensor t = v[0] * 1.0;
      f(t, v[1]);
      return t * t;
    };
  };
  CHECK(gradcheck(two([](Tensor& t, const Tensor& o) { t.add_(o, 0.5); }), {x, y}));
  CHECK(gradcheck(two([](Tensor& t, const Tensor& o) { t.sub_(o); }), {x, row}));
  CHECK(gradcheck(two([](Tensor& t, const Tensor& o) { t.mul_(o); }), {x, y}));
  CHECK(gradcheck(two([](Tensor& t, const Tensor& o) { t.div_(o); }), {x, row}));
  CHECK(gradcheck(two([](Tensor& t, const Tensor& o) { t.copy_(o); }), {x, row}));
  CHECK(gradgradcheck(two([](Tensor& t, const Tensor& o) { t.mul_(o); }), {x, y}));
  CHECK(gradgradcheck(two([](Tensor& t, const Tensor& o) { t.div_(o); }), {x, row}));
  // Into a tensor that was not in the graph: it joins it.
  CHECK(gradcheck(
      [](auto& v) {
        Tensor t = zeros({3, 4}, float64);
        t.add_(v[0]);
        return t * 2.0;
      },
      {x}));
}

TEST_CASE("an in-place op keeps earlier uses on the old history") {
  // y used x before relu_ wrote x: y's gradient must not pass through the relu.
  Tensor w = tensor({-1.0, 2.0}, {float64, true});
  Tensor x = w * 1.0;
  Tensor y = x + 3.0;  // add saves nothing, so no version error: the graph must be right
  x.relu_();
  Tensor z = x * 1.0;
  (sum(y) + sum(z) * 10.0).backward();
  CHECK(w.grad().to_vector() == std::vector<double>{1, 11});
  // Every handle sees the new history.
  Tensor u = tensor({1.0, -2.0}, {float64, true});
  Tensor h = u * 1.0, alias = h;
  h.relu_();
  CHECK(alias.grad_fn()->name() == std::string("relu_"));
  sum(alias).backward();
  CHECK(u.grad().to_vector() == std::vector<double>{1, 0});
}

TEST_CASE("in-place errors: leaves, views, saved data") {
  Tensor w = tensor({1.0, 2.0}, {float64, true});
  Tensor r = w * 1.0;
  r.relu_();
  r.mul_(2.0);  // relu_ needs its result, which mul_ overwrites: as in PyTorch, backward refuses
  CHECK_THROWS_WITH_AS(sum(r).backward(), doctest::Contains("relu_: its output"), Error);
  CHECK_ERROR_MESSAGE(w.relu_(),
                      "relu_: in-place update of a leaf tensor that requires grad; wrap it in "
                      "NoGradGuard (optimizers and initialisers do)");
  Tensor h = w * 2.0;
  Tensor stale = slice(h, 0, 0, 1);
  h.mul_(2.0);
  CHECK_ERROR_MESSAGE(stale.mul_(2.0),
                      "mul_: in-place update of this view (made by 'slice') is not supported: "
                      "its base is not contiguous, or was changed in place since the view was "
                      "taken; clone() the view first");
  Tensor e = exp(w);
  Tensor y = e.sum();
  e.add_(1.0);  // exp saved its output, which add_ overwrote
  CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("exp: its output of shape (2,)"), Error);
  Tensor i = ones({2}, int64);
  CHECK_ERROR_MESSAGE(i.div_(2),
                      "div_: result type float32 cannot be stored in place in a int64 "
                      "tensor");
  Tensor before = w * 1.0;
  const auto fn = before.grad_fn();
  CHECK_THROWS_AS(before.masked_fill_(ones({3}, bool_), 0.0), Error);
  CHECK(before.grad_fn() == fn);  // a failed in-place op leaves the history as it was
  CHECK_ERROR_MESSAGE(before.masked_fill_(ones({2}), 0.0),
                      "masked_fill_: mask must be a bool tensor, got float32");
}

TEST_CASE("in-place ops on a view of a tensor in the graph reach the base (CopySlices)") {
  Tensor x = testing::input({3, 4}, -1, 1, 21), y = testing::input({4}, 0.5, 2, 22);
  auto through_view = [](std::function<void(Tensor&)> op) {
    return [op](const std::vector<Tensor>& v) {
      Tensor t = v[0] * 1.0;
      Tensor row = select(t, 0, 1);
      op(row);
      return t * t + t;  // the base after the write
    };
  };
  CHECK(gradcheck(through_view([](Tensor& r) { r.mul_(3.0); }), {x}));
  CHECK(gradgradcheck(through_view([](Tensor& r) { r.mul_(3.0); }), {x}));
  CHECK(gradcheck(through_view([](Tensor& r) { r.relu_(); }), {x}));
  CHECK(gradcheck(through_view([](Tensor& r) { r.mul_(2.0).add_(1.0); }), {x}));  // twice
  CHECK(gradcheck(
      [](const std::vector<Tensor>& v) {
        Tensor t = v[0] * 1.0;
        Tensor col = slice(t, 1, 1, 3);
        col.mul_(v[1].index({indexing::Slice(0, 2)}));  // an operand that requires grad too
        return t * col.sum();                           // the view after the write, and the base
      },
      {x, y}));
  CHECK(gradgradcheck(
      [](const std::vector<Tensor>& v) {
        Tensor t = v[0] * 1.0;
        Tensor col = slice(t, 1, 1, 3);
        col.mul_(v[1].index({indexing::Slice(0, 2)}));
        return t * col.sum();
      },
      {x, y}));
  CHECK(gradcheck(
      [](const std::vector<Tensor>& v) {
        Tensor t = v[0] * 1.0;
        t.t().index({0}).zero_();  // through a transposed view
        return t * t;
      },
      {x}));
  // Uses of the view from before the write keep the old value's history.
  Tensor w = tensor({{1.0, 2.0}, {3.0, 4.0}}, {float64, true});
  Tensor t = w * 1.0;
  Tensor row = t[0];
  Tensor before = row + 0.0;  // add saves nothing, so only the graph can get this right
  row.mul_(2.0);
  (before.sum() + t.sum()).backward();
  CHECK(w.grad().to_vector() == std::vector<double>{3, 3, 1, 1});
}

TEST_CASE("a view taken before its base changed in place is refused") {
  Tensor w = tensor({{1.0, 2.0}, {3.0, 4.0}}, {float64, true});
  Tensor t = w * 1.0;
  Tensor tt = t.t();
  t.mul_(2.0);
  CHECK_ERROR_MESSAGE(tt * 1.0,
                      "mul: input 0 is a view (made by 'permute') of a tensor that was changed in "
                      "place after the view was taken; take the view again after the in-place op");
  CHECK((t.t() * 1.0).sum().item() == 20);  // a view taken again is fine
}
