// Custom functions (autograd/function.hpp): gradients, several outputs, saved tensors and their
// version checks, non-differentiable outputs, once_differentiable and the backward's checks.
#include "../helpers.hpp"

using namespace xgrad;
using autograd::AutogradContext;

namespace {

// The README's custom op and its test.
// y = a · exp(k·b), with its derivatives written by hand in xgrad ops.
struct MulExp : autograd::Function<MulExp> {
  static Tensor forward(AutogradContext& ctx, const Tensor& a, const Tensor& b, double k) {
    ctx.save_for_backward({a, b});
    ctx.saved_data["k"] = k;
    return a * exp(b * k);
  }
  static TensorList backward(AutogradContext& ctx, TensorList grad_outputs) {
    TensorList saved = ctx.get_saved_variables();
    const Tensor &a = saved[0], &b = saved[1], &g = grad_outputs[0];
    const double k = std::get<double>(ctx.saved_data["k"]);
    Tensor e = exp(b * k);
    // dy/da = exp(k·b), dy/db = k·a·exp(k·b); Tensor() for an input that needs no gradient.
    return {ctx.needs_input_grad(0) ? g * e : Tensor(),
            ctx.needs_input_grad(1) ? g * a * e * k : Tensor()};
  }
};

}  // namespace

TEST_CASE("a custom function passes gradcheck and gradgradcheck") {
  Tensor a = tensor({{0.5, -1.0, 2.0}, {1.5, 0.3, -0.7}}, {float64, true});
  Tensor b = tensor({{0.2, 0.9, -0.4}, {-1.1, 0.6, 0.1}}, {float64, true});
  Tensor y = MulExp::apply(a, b, 0.7);
  CHECK(y.grad_fn()->name() == std::string("MulExp"));
  auto fn = [](const std::vector<Tensor>& v) { return MulExp::apply(v[0], v[1], 0.7); };
  CHECK(gradcheck(fn, {a, b}));
  CHECK(gradgradcheck(fn, {a, b}));
}

namespace {

// Two outputs; the backward sees both gradients, zeros for an output that got none.
int sincos_backward_calls = 0;
bool sincos_saw_zero_cos_grad = false;
struct SinCos : autograd::Function<SinCos> {
  static TensorList forward(AutogradContext& ctx, const Tensor& x) {
    ctx.save_for_backward({x});
    return {sin(x), cos(x)};
  }
  static TensorList backward(AutogradContext& ctx, TensorList g) {
    ++sincos_backward_calls;
    sincos_saw_zero_cos_grad =
        g[1].defined() && g[1].shape() == g[0].shape() && sum(abs(g[1])).item<double>() == 0.0;
    Tensor x = ctx.get_saved_variables()[0];
    return {g[0] * cos(x) - g[1] * sin(x)};
  }
};

// The same, but the backward reads the outputs: they come back with their history, so second
// derivatives still flow through them.
struct SinCosOutputs : autograd::Function<SinCosOutputs> {
  static std::vector<Tensor> forward(AutogradContext& ctx, const Tensor& x) {
    Tensor s = sin(x), c = cos(x);
    ctx.save_for_backward({s, c});
    return {s, c};
  }
  static std::vector<Tensor> backward(AutogradContext& ctx, std::vector<Tensor> g) {
    TensorList saved = ctx.get_saved_variables();
    return {g[0] * saved[1] - g[1] * saved[0]};
  }
};

// One output that the backward reads.
struct Exp : autograd::Function<Exp> {
  static Tensor forward(AutogradContext& ctx, const Tensor& x) {
    Tensor y = exp(x);
    ctx.save_for_backward({y});
    return y;
  }
  static TensorList backward(AutogradContext& ctx, TensorList g) {
    return {g[0] * ctx.get_saved_variables()[0]};
  }
};

}  // namespace

TEST_CASE("a two-output function with a gradient through one output") {
  Tensor x = testing::input({3});
  TensorList out = SinCos::apply(x);
  REQUIRE(out.size() == 2);
  CHECK(out[0].requires_grad());
  CHECK(out[1].requires_grad());
  CHECK(testing::allclose(out[1], cos(x.detach())));
  sincos_backward_calls = 0;
  out[0].sum().backward();
  CHECK(sincos_backward_calls == 1);
  CHECK(sincos_saw_zero_cos_grad);
  CHECK(testing::allclose(x.grad(), cos(x.detach())));

  // Both outputs used: the backward still runs once, with both gradients.
  sincos_backward_calls = 0;
  Tensor y = testing::input({3});
  TensorList both = SinCos::apply(y);
  (both[0] * 2.0 + both[1] * 3.0).sum().backward();
  CHECK(sincos_backward_calls == 1);
  CHECK(testing::allclose(y.grad(), cos(y.detach()) * 2.0 - sin(y.detach()) * 3.0));

  for (int which = 0; which < 3; ++which) {
    auto fn = [which](const std::vector<Tensor>& v) {
      TensorList o = SinCos::apply(v[0]);
      return which == 2 ? o[0] * o[1] : o[static_cast<std::size_t>(which)];
    };
    CHECK(gradcheck(fn, {x}));
    CHECK(gradgradcheck(fn, {x}));
  }
}

TEST_CASE("saved outputs keep their history for second derivatives, without a cycle") {
  Tensor x = testing::input({2, 2});
  auto two = [](const std::vector<Tensor>& v) {
    std::vector<Tensor> o = SinCosOutputs::apply(v[0]);
    return o[0] * 2.0 + o[1] * o[1];
  };
  CHECK(gradcheck(two, {x}));
  CHECK(gradgradcheck(two, {x}));
  auto one = [](const std::vector<Tensor>& v) { return Exp::apply(v[0]); };
  CHECK(gradcheck(one, {x}));
  CHECK(gradgradcheck(one, {x}));

  std::weak_ptr<Node> node;
  {
    Tensor y = Exp::apply(x);
    node = y.grad_fn();
    CHECK_FALSE(node.expired());
  }
  CHECK(node.expired());  // the node saved its own output, and still died with it
}

namespace {
// Values and the index where they were found: the index is int64 (never differentiable), the
// sign is float but marked non-differentiable.
struct MaxSign : autograd::Function<MaxSign> {
  static TensorList forward(AutogradContext& ctx, const Tensor& x) {
    Tensor index = argmax(x, 0), value = max(x, 0), sign = gt(x, 0.0).to(float64);
    ctx.mark_non_differentiable({index, sign});
    ctx.save_for_backward({x, index});
    return {value, index, sign};
  }
  static TensorList backward(AutogradContext& ctx, TensorList g) {
    CHECK(g[1].dtype() == int64);
    CHECK(g[2].dtype() == float64);
    CHECK(sum(abs(g[2])).item<double>() == 0.0);
    TensorList saved = ctx.get_saved_variables();
    Tensor hit = eq(arange(double(saved[0].shape()[0]), int64), saved[1]).to(float64);
    return {hit * g[0]};
  }
};
}  // namespace

TEST_CASE("non-differentiable outputs: an int64 index and a marked float output") {
  Tensor x = tensor({0.5, -2.0, 3.0, 1.0}, {float64, true});
  TensorList out = MaxSign::apply(x);
  CHECK(out[0].requires_grad());
  CHECK_FALSE(out[1].requires_grad());
  CHECK_FALSE(out[2].requires_grad());
  CHECK(out[1].dtype() == int64);
  CHECK(out[1].item<int64_t>() == 2);
  (out[0] * 5.0).backward();
  CHECK(x.grad().to_vector() == std::vector<double>{0, 0, 5, 0});
  CHECK(gradcheck([](auto& v) { return MaxSign::apply(v[0])[0]; }, {x}));
}

namespace {
std::vector<bool> seen_needs;
struct Weighted : autograd::Function<Weighted> {
  static Tensor forward(AutogradContext& ctx, const Tensor& x, const Tensor& w) {
    CHECK_FALSE(is_grad_enabled());  // forward is not recorded
    seen_needs = {ctx.needs_input_grad(0), ctx.needs_input_grad(1)};
    ctx.save_for_backward({x, w});
    return x * w;
  }
  static TensorList backward(AutogradContext& ctx, TensorList g) {
    seen_needs.push_back(ctx.needs_input_grad(0));
    seen_needs.push_back(ctx.needs_input_grad(1));
    TensorList s = ctx.get_saved_variables();
    return {ctx.needs_input_grad(0) ? g[0] * s[1] : Tensor(),
            ctx.needs_input_grad(1) ? g[0] * s[0] : Tensor()};
  }
};
}  // namespace

TEST_CASE("needs_input_grad tells which inputs want a gradient") {
  Tensor x = tensor({1.0, 2.0}, float64), w = tensor({3.0, 4.0}, {float64, true});
  Tensor y = Weighted::apply(x, w);
  y.sum().backward();
  CHECK(seen_needs == std::vector<bool>{false, true, false, true});
  CHECK(w.grad().to_vector() == std::vector<double>{1, 2});
  CHECK_FALSE(x.grad().defined());
  {
    NoGradGuard no_grad;  // nothing is recorded
    CHECK_FALSE(Weighted::apply(x, w).requires_grad());
    CHECK(seen_needs == std::vector<bool>{false, true});
  }
  CHECK_FALSE(Weighted::apply(x, x).requires_grad());
}

namespace {
struct OnceSquare : autograd::Function<OnceSquare> {
  static constexpr bool once_differentiable = true;
  static Tensor forward(AutogradContext& ctx, const Tensor& x) {
    ctx.save_for_backward({x});
    return x * x;
  }
  static TensorList backward(AutogradContext& ctx, TensorList g) {
    CHECK_FALSE(is_grad_enabled());  // runs unrecorded even under create_graph
    return {g[0] * ctx.get_saved_variables()[0] * 2.0};
  }
};
}  // namespace

TEST_CASE("once_differentiable: first derivatives work, a second backward is an error") {
  Tensor x = tensor({1.0, -2.0}, {float64, true});
  auto fn = [](const std::vector<Tensor>& v) { return OnceSquare::apply(v[0]); };
  CHECK(gradcheck(fn, {x}));
  Tensor dx = grad({OnceSquare::apply(x).sum()}, {x}, {}, false, /*create_graph=*/true)[0];
  CHECK(dx.to_vector() == std::vector<double>{2, -4});
  const char* message =
      "OnceSquare: its backward is once_differentiable, so its result cannot be differentiated "
      "again (double backward through OnceSquare)";
  CHECK_ERROR_MESSAGE(dx.sum().backward(), message);
  CHECK_ERROR_MESSAGE(gradgradcheck(fn, {x}), message);
}

TEST_CASE("a saved tensor changed in place before backward is refused, naming the function") {
  Tensor p = tensor({2.0}, {float64, true}), q = tensor({3.0}, float64);
  Tensor y = MulExp::apply(p, q, 1.0);
  q.mul_(10.0);
  CHECK_ERROR_MESSAGE(
      y.backward(),
      "MulExp: saved tensor 1 of shape (1,), saved for backward, was modified by an "
      "in-place operation (version 0 when saved, now 1); clone() it before the "
      "in-place write, or write into a copy");
}

namespace {
struct BadCount : autograd::Function<BadCount> {
  static Tensor forward(AutogradContext&, const Tensor& a, const Tensor& b) { return a * b; }
  static TensorList backward(AutogradContext&, TensorList g) { return {g[0]}; }
};
struct BadShape : autograd::Function<BadShape> {
  static constexpr const char* name = "bad_shape";
  static Tensor forward(AutogradContext&, const Tensor& a) { return a * 2.0; }
  static TensorList backward(AutogradContext&, TensorList g) { return {ones({3}, float64)}; }
};
}  // namespace

TEST_CASE("backward returning the wrong number of gradients or a wrong shape is an error") {
  Tensor a = tensor({1.0, 2.0}, {float64, true});
  CHECK_ERROR_MESSAGE(BadCount::apply(a, a).sum().backward(),
                      "BadCount: backward returned 1 gradients, expected 2 (one per tensor input "
                      "of forward; Tensor() for an input without one)");
  CHECK_ERROR_MESSAGE(BadShape::apply(a).sum().backward(),
                      "bad_shape: backward returned a gradient of shape (3,) float64 for input 0 "
                      "of shape (2,) float64");
}

namespace {
// A std::vector<Tensor> argument: each element is an input; an input returned as it is becomes
// an alias with its own history.
struct WeightedSum : autograd::Function<WeightedSum> {
  static TensorList forward(AutogradContext& ctx, const std::vector<Tensor>& xs, double k,
                            const Tensor& passthrough) {
    ctx.saved_data["k"] = k;
    ctx.saved_data["n"] = static_cast<int64_t>(xs.size());
    Tensor total = zeros_like(xs[0]);
    for (const Tensor& x : xs) total = total + x * k;
    return {total, passthrough};
  }
  static TensorList backward(AutogradContext& ctx, TensorList g) {
    const double k = std::get<double>(ctx.saved_data["k"]);
    TensorList grads(static_cast<std::size_t>(std::get<int64_t>(ctx.saved_data["n"])), g[0] * k);
    grads.push_back(g[1]);
    return grads;
  }
};
}  // namespace

TEST_CASE("std::vector<Tensor> arguments, and an input returned as an output") {
  Tensor a = testing::input({2}), b = testing::input({2}, -1, 1, 3),
         c = testing::input({2}, -1, 1, 4);
  TensorList out = WeightedSum::apply(std::vector<Tensor>{a, b}, 0.5, c);
  CHECK(c.is_leaf());
  CHECK_FALSE(out[1].is_leaf());
  CHECK(out[1].is_alias_of(c));
  (out[0].sum() + (out[1] * 3.0).sum()).backward();
  CHECK(a.grad().to_vector() == std::vector<double>{0.5, 0.5});
  CHECK(b.grad().to_vector() == std::vector<double>{0.5, 0.5});
  CHECK(c.grad().to_vector() == std::vector<double>{3, 3});
  auto fn = [](const std::vector<Tensor>& v) {
    TensorList o = WeightedSum::apply(std::vector<Tensor>{v[0], v[1]}, 0.5, v[2]);
    return o[0] * o[1];
  };
  CHECK(gradcheck(fn, {a, b, c}));
  CHECK(gradgradcheck(fn, {a, b, c}));
}

namespace {
struct Literals : autograd::Function<Literals> {
  static Tensor forward(AutogradContext& ctx, const Tensor& x) {
    ctx.saved_data["int"] = 3;
    ctx.saved_data["text"] = "three";
    ctx.saved_data["flag"] = true;
    ctx.saved_data["dims"] = std::vector<int64_t>{1, 2};
    CHECK_ERROR_MESSAGE(ctx.get_saved_variables(),
                        "get_saved_variables: the saved tensors are available in backward only");
    return x * 3.0;
  }
  static TensorList backward(AutogradContext& ctx, TensorList g) {
    CHECK(std::get<int64_t>(ctx.saved_data["int"]) == 3);
    CHECK(std::get<std::string>(ctx.saved_data["text"]) == "three");
    CHECK(std::get<bool>(ctx.saved_data["flag"]));
    CHECK(std::get<std::vector<int64_t>>(ctx.saved_data["dims"]).size() == 2);
    CHECK(ctx.get_saved_variables().empty());
    CHECK_ERROR_MESSAGE(ctx.needs_input_grad(1),
                        "needs_input_grad: index 1 out of range for 1 tensor inputs");
    return {g[0] * 3.0};
  }
};
}  // namespace

TEST_CASE("saved_data keeps integer and string literals as int64_t and std::string") {
  Tensor x = tensor({1.0}, {float64, true});
  Literals::apply(x).backward();
  CHECK(x.grad().item<double>() == 3.0);
}

namespace {
// Outputs of two float dtypes: their gradients reach backward in each output's dtype.
struct TwoDtypes : autograd::Function<TwoDtypes> {
  static TensorList forward(AutogradContext& ctx, const Tensor& x) {
    ctx.save_for_backward({x});
    return {x * x, (x * 3.0).to(float32)};
  }
  static TensorList backward(AutogradContext& ctx, TensorList g) {
    CHECK(g[0].dtype() == float64);
    CHECK(g[1].dtype() == float32);
    return {g[0] * ctx.get_saved_variables()[0] * 2.0 + g[1].to(float64) * 3.0};
  }
};
}  // namespace

TEST_CASE("a function whose outputs have different float dtypes") {
  Tensor x = tensor({1.0, -2.0}, {float64, true});
  TensorList out = TwoDtypes::apply(x);
  CHECK(out[1].dtype() == float32);
  (out[0].sum() + out[1].sum().to(float64)).backward();
  CHECK(x.grad().to_vector() == std::vector<double>{5, -1});
  CHECK(gradgradcheck([](auto& v) { return TwoDtypes::apply(v[0])[0]; }, {x}));
}

namespace {
// Returns a tensor made before forward (not an input): it gets an alias, the original keeps its
// own history.
Tensor outside_weight;
struct WithOutside : autograd::Function<WithOutside> {
  static TensorList forward(AutogradContext&, const Tensor& x) { return {x * 2.0, outside_weight}; }
  static TensorList backward(AutogradContext&, TensorList g) { return {g[0] * 2.0}; }
};
}  // namespace

TEST_CASE("an output made before forward keeps the original tensor's history") {
  outside_weight = tensor({1.0}, {float64, true});
  Tensor x = tensor({3.0}, {float64, true});
  TensorList out = WithOutside::apply(x);
  CHECK(outside_weight.is_leaf());
  CHECK_FALSE(out[1].is_leaf());
  (out[0] + out[1]).backward();
  CHECK(x.grad().item<double>() == 2.0);
  CHECK_FALSE(outside_weight.grad().defined());  // the function gave it no gradient
  outside_weight = Tensor();
}
