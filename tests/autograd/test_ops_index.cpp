// The ops of autograd/ops_index.cpp and ops_shape_extra.cpp: values against hand-computed (or
// PyTorch documentation) results, gradcheck and gradgradcheck in float64, strided inputs, integer
// inputs, and the exact error messages.
#include "../helpers.hpp"

using namespace xgrad;
using testing::input;
using testing::off_kink;

namespace {
using V = std::vector<double>;
using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

void check_grads(const std::string& name, const Fn& fn, const std::vector<Tensor>& inputs) {
  INFO(name);
  CHECK(gradcheck(fn, inputs));
  CHECK(gradgradcheck(fn, inputs));
}

// The values of a 2-D int64 literal.
Tensor ints(std::initializer_list<std::initializer_list<double>> rows) {
  return tensor(rows, int64);
}
}  // namespace

// ---- scatter, scatter_add ----

TEST_CASE("scatter and scatter_add values (PyTorch's documented examples)") {
  Tensor src = reshape(arange(1, 11, 1, int64), {2, 5});
  Tensor out = scatter(zeros({3, 5}, int64), 0, ints({{0, 1, 2, 0}}), src);
  CHECK(out.dtype() == int64);
  CHECK(out.to_vector() == V{1, 0, 0, 4, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 0});
  out = scatter(zeros({3, 5}, int64), 1, ints({{0, 1, 2}, {0, 1, 4}}), src);
  CHECK(out.to_vector() == V{1, 2, 3, 0, 0, 6, 7, 0, 0, 8, 0, 0, 0, 0, 0});
  Tensor filled = scatter(full({2, 4}, 2.0), 1, ints({{2}, {3}}), 1.23);
  CHECK(testing::allclose(filled, tensor({{2, 2, 1.23, 2}, {2, 2, 2, 1.23}})));
  // int32 indices work as well, and a 0-d input is one element.
  CHECK(scatter(zeros({3}), 0, tensor({2, 0}, int32), tensor({5.0, 6.0})).to_vector() ==
        V{6, 0, 5});
  CHECK(scatter(scalar_tensor(1.0), 0, scalar_tensor(0, int64), scalar_tensor(4.0)).item() == 4);
  // Of duplicate indices the last one wins.
  CHECK(scatter(zeros({2}), 0, tensor({1, 1}, int64), tensor({3.0, 7.0})).to_vector() == V{0, 7});

  Tensor ones_src = ones({2, 5});
  Tensor added = scatter_add(zeros({3, 5}), 0, ints({{0, 1, 2, 0, 0}}), ones_src);
  CHECK(added.to_vector() == V{1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0});
  added = scatter_add(zeros({3, 5}), 0, ints({{0, 1, 2, 0, 0}, {0, 1, 2, 2, 2}}), ones_src);
  CHECK(added.to_vector() == V{2, 0, 0, 1, 1, 0, 2, 0, 0, 0, 0, 0, 2, 1, 1});
  // scatter_add adds into x, it does not start from zeros.
  CHECK(scatter_add(ones({3}, int64), 0, tensor({0, 0, 2}, int64), tensor({1, 2, 3}, int64))
            .to_vector() == V{4, 1, 4});
}

TEST_CASE("scatter and scatter_add pass gradcheck and gradgradcheck") {
  Tensor x = input({3, 4}, -1, 1, 101), src = input({2, 5}, -1, 1, 102);
  // Distinct indices along dim 0 within each column (src is larger than index: its corner is
  // read); duplicates would make the overwritten src elements' gradient 0 numerically.
  Tensor idx0 = ints({{0, 2, 1, 0}, {2, 0, 0, 1}});
  Tensor idx1 = ints({{3, 0}, {1, 2}, {0, 3}});  // along dim 1, in a 3 x 2 index
  Tensor src1 = input({3, 3}, -1, 1, 103);
  check_grads("scatter dim 0",
              [idx0](auto& v) { return scatter(v[0] * v[0], 0, idx0, v[1] * v[1]); }, {x, src});
  check_grads("scatter dim 1",
              [idx1](auto& v) { return scatter(v[0] * v[0], 1, idx1, v[1] * v[1]); }, {x, src1});
  check_grads("scatter value", [idx1](auto& v) { return scatter(v[0] * v[0], -1, idx1, 0.5); },
              {x});
  // Duplicates accumulate in scatter_add, so they are fine for its gradcheck.
  Tensor dup = ints({{0, 0, 2, 1}, {0, 1, 2, 2}});
  check_grads("scatter_add",
              [dup](auto& v) { return scatter_add(v[0] * v[0], 0, dup, v[1] * v[1]); }, {x, src});
  check_grads("scatter_add dim 1",
              [idx1](auto& v) { return scatter_add(v[0] * v[0], 1, idx1, v[1] * v[1]); },
              {x, src1});
}

TEST_CASE("scatter gradients are PyTorch's: grad zeroed where written, gather for src") {
  Tensor x = zeros({2, 3}, {float64, true}), src = zeros({2, 3}, {float64, true});
  Tensor idx = ints({{2}, {0}});
  Tensor w = reshape(arange(1, 7, 1, float64), {2, 3});
  sum(scatter(x, 1, idx, src) * w).backward();
  CHECK(x.grad().to_vector() == V{1, 2, 0, 0, 5, 6});
  CHECK(src.grad().to_vector() == V{3, 0, 0, 4, 0, 0});  // only the (2, 1) corner is read
}

TEST_CASE("scatter takes strided inputs") {
  Tensor base = input({4, 3}, -1, 1, 111), sbase = input({2, 6}, -1, 1, 112);
  Tensor x = base.t(), src = slice(sbase, 1, 0, 6, 2);  // (3, 4) transposed, (2, 3) strided
  Tensor idx_base = ints({{0, 2}, {1, 0}, {2, 1}});
  Tensor idx = idx_base.t();  // (2, 3), strided
  CHECK_FALSE(x.is_contiguous());
  CHECK_FALSE(src.is_contiguous());
  CHECK_FALSE(idx.is_contiguous());
  Tensor xc = x.contiguous(), sc = src.contiguous(), ic = idx.contiguous();
  CHECK(scatter(x, 0, idx, src).to_vector() == scatter(xc, 0, ic, sc).to_vector());
  CHECK(scatter_add(x, 0, idx, src).to_vector() == scatter_add(xc, 0, ic, sc).to_vector());
  CHECK(gradcheck([idx](auto& v) { return scatter(v[0].t(), 0, idx, slice(v[1], 1, 0, 6, 2)); },
                  {base, sbase}));
}

TEST_CASE("a recorded scatter does not see later writes to its index") {
  Tensor x = zeros({3}, {float64, true});
  Tensor idx = tensor({0}, int64);
  Tensor y = scatter(x, 0, idx, 1.0);
  idx.fill_(2);
  y.sum().backward();
  CHECK(x.grad().to_vector() == V{0, 1, 1});
}

TEST_CASE("scatter errors") {
  Tensor x = zeros({2, 2});
  CHECK_ERROR_MESSAGE(scatter(x, 1, ints({{0, 1, 0}, {1, 0, 1}}), zeros({2, 2})),
                      "scatter: index of shape (2, 3) is larger than src (2, 2) at dim 1");
  CHECK_ERROR_MESSAGE(scatter(x, 1, ints({{0}, {1}, {0}}), zeros({3, 1})),
                      "scatter: index of shape (3, 1) is larger than input (2, 2) outside dim 1");
  CHECK_ERROR_MESSAGE(scatter(x, 0, tensor({0, 1}, int64), zeros({2, 2})),
                      "scatter: index of shape (2,) must have as many dims as input (2, 2)");
  CHECK_ERROR_MESSAGE(scatter(x, 0, ints({{0, 1}}), zeros({2})),
                      "scatter: src of shape (2,) must have as many dims as input (2, 2)");
  CHECK_ERROR_MESSAGE(scatter(x, 0, ints({{0, 2}}), zeros({2, 2})),
                      "scatter: index 2 is out of range [0, 2)");
  CHECK_ERROR_MESSAGE(scatter(x, 0, ints({{0, -1}}), 1.0),
                      "scatter: index -1 is out of range [0, 2)");
  CHECK_ERROR_MESSAGE(scatter(x, 0, tensor({{0.0, 1.0}}), zeros({2, 2})),
                      "scatter: index tensor must be int64 or int32, got float32");
  CHECK_ERROR_MESSAGE(scatter(x, 2, ints({{0, 1}}), zeros({2, 2})),
                      "scatter: dim 2 out of range for a tensor with 2 dimensions");
  CHECK_ERROR_MESSAGE(scatter(x, 0, ints({{0, 1}}), zeros({2, 2}, float64)),
                      "scatter: src dtype float64 differs from input dtype float32");
  CHECK_ERROR_MESSAGE(scatter_add(x, 0, ints({{0, 5}}), zeros({2, 2})),
                      "scatter_add: index 5 is out of range [0, 2)");
  CHECK_ERROR_MESSAGE(scatter_add(x, 0, ints({{0, 1, 0}}), zeros({1, 2})),
                      "scatter_add: index of shape (1, 3) is larger than src (1, 2) at dim 1");
}

// ---- index_add, index_fill ----

TEST_CASE("index_add values, alpha and integers") {
  Tensor t = tensor({{1, 2, 3}, {4, 5, 6}, {7, 8, 9}});
  Tensor idx = tensor({0, 4, 2}, int64);
  Tensor out = index_add(ones({5, 3}), 0, idx, t);
  CHECK(out.to_vector() == V{2, 3, 4, 1, 1, 1, 8, 9, 10, 1, 1, 1, 5, 6, 7});
  CHECK(index_add(out, 0, idx, t, -1).to_vector() == ones({5, 3}).to_vector());
  CHECK(index_add(zeros({2, 3}), 1, tensor({2, 2}, int32), ones({2, 2}), 0.5).to_vector() ==
        V{0, 0, 1, 0, 0, 1});
  Tensor ix = index_add(zeros({3}, int64), 0, tensor({1, 1}, int64), tensor({2, 5}, int64), 3);
  CHECK(ix.dtype() == int64);
  CHECK(ix.to_vector() == V{0, 21, 0});
  CHECK(index_add(scalar_tensor(1.0), 0, tensor({0}, int64), tensor({2.0})).item() == 3);
}

TEST_CASE("index_add and index_fill pass gradcheck and gradgradcheck") {
  Tensor x = input({4, 3}, -1, 1, 121), src = input({3, 3}, -1, 1, 122);
  Tensor idx = tensor({2, 0, 2}, int64);  // duplicates accumulate
  check_grads("index_add",
              [idx](auto& v) { return index_add(v[0] * v[0], 0, idx, v[1] * v[1], 2.5); },
              {x, src});
  Tensor src1 = input({4, 2}, -1, 1, 123);
  check_grads("index_add dim 1",
              [](auto& v) {
                return index_add(v[0] * v[0], 1, tensor({1, 0}, int32), v[1] * v[1]);
              },
              {x, src1});
  check_grads("index_fill",
              [](auto& v) {
                return index_fill(v[0] * v[0], 1, tensor({-1, 0}, int64), 0.25);
              },
              {x});
}

TEST_CASE("index_add and index_fill take strided inputs") {
  Tensor base = input({3, 4}, -1, 1, 131), sbase = input({3, 6}, -1, 1, 132);
  Tensor x = base.t(), src = slice(sbase, 1, 1, 6, 2);  // (4, 3) and (3, 3)
  Tensor idx = tensor({3, 1, 3}, int64);
  CHECK(index_add(x, 0, idx, src).to_vector() ==
        index_add(x.contiguous(), 0, idx, src.contiguous()).to_vector());
  CHECK(index_fill(x, 0, idx, 7.0).to_vector() ==
        index_fill(x.contiguous(), 0, idx, 7.0).to_vector());
  CHECK(gradcheck([idx](auto& v) { return index_add(v[0].t(), 0, idx, slice(v[1], 1, 1, 6, 2)); },
                  {base, sbase}));
}

TEST_CASE("index_fill values") {
  Tensor x = tensor({{1, 2, 3}, {4, 5, 6}, {7, 8, 9}});
  CHECK(index_fill(x, 1, tensor({0, 2}, int64), -1).to_vector() ==
        V{-1, 2, -1, -1, 5, -1, -1, 8, -1});
  CHECK(index_fill(x, 0, tensor({-1}, int64), 0).to_vector() == V{1, 2, 3, 4, 5, 6, 0, 0, 0});
  CHECK(x.to_vector() == V{1, 2, 3, 4, 5, 6, 7, 8, 9});  // out of place
  Tensor i = index_fill(reshape(arange(4, int64), {2, 2}), 0, scalar_tensor(1, int32), 9);
  CHECK(i.dtype() == int64);
  CHECK(i.to_vector() == V{0, 1, 9, 9});
  CHECK(index_fill(scalar_tensor(2.0), 0, tensor({0}, int64), 5.0).item() == 5);
}

TEST_CASE("index_add and index_fill errors") {
  Tensor x = zeros({3, 4});
  CHECK_ERROR_MESSAGE(index_add(x, 0, tensor({0, 1}, int64), zeros({2, 3})),
                      "index_add: src of shape (2, 3) does not match input (3, 4) with 2 indices "
                      "along dim 0; expected (2, 4)");
  CHECK_ERROR_MESSAGE(index_add(x, 0, tensor({0, 3}, int64), zeros({2, 4})),
                      "index_add: index 3 is out of range [0, 3)");
  CHECK_ERROR_MESSAGE(index_add(x, 0, tensor({-1}, int64), zeros({1, 4})),
                      "index_add: index -1 is out of range [0, 3)");
  CHECK_ERROR_MESSAGE(index_add(x, 0, ints({{0}}), zeros({1, 4})),
                      "index_add: index must be 1-D, got shape (1, 1)");
  CHECK_ERROR_MESSAGE(index_add(x, 0, tensor({0}, int64), zeros({1, 4}, float64)),
                      "index_add: src dtype float64 differs from input dtype float32");
  CHECK_ERROR_MESSAGE(index_add(zeros({3}, int64), 0, tensor({0}, int64), zeros({1}, int64), 0.5),
                      "index_add: alpha must be an integer when the input is int64");
  CHECK_ERROR_MESSAGE(index_add(x, 0, tensor({0.0}), zeros({1, 4})),
                      "index_add: index tensor must be int64 or int32, got float32");
  CHECK_ERROR_MESSAGE(index_fill(x, 1, tensor({4}, int64), 1.0),
                      "index_fill: index 4 is out of range [0, 4)");
  CHECK_ERROR_MESSAGE(index_fill(x, 1, tensor({-5}, int64), 1.0),
                      "index_fill: index -5 is out of range [0, 4)");
  CHECK_ERROR_MESSAGE(index_fill(x, -3, tensor({0}, int64), 1.0),
                      "index_fill: dim -3 out of range for a tensor with 2 dimensions");
}

// ---- masked_fill, masked_select ----

TEST_CASE("masked_fill values, broadcasting and a tensor value") {
  Tensor x = tensor({{1, 2, 3}, {4, 5, 6}});
  Tensor mask = gt(x, 3.5);
  CHECK(masked_fill(x, mask, -1.0).to_vector() == V{1, 2, 3, -1, -1, -1});
  CHECK(masked_fill(x, tensor({1, 0, 1}, bool_), 0.0).to_vector() == V{0, 2, 0, 0, 5, 0});
  // Out of place, the result has the broadcast shape of x and mask.
  Tensor wide = masked_fill(tensor({1.0, 2.0}), tensor({{1.0}, {0.0}}, bool_), 9.0);
  CHECK(wide.shape() == Shape{2, 2});
  CHECK(wide.to_vector() == V{9, 9, 1, 2});
  CHECK(masked_fill(x, mask, scalar_tensor(7.5, float64)).to_vector() == V{1, 2, 3, 7.5, 7.5, 7.5});
  Tensor i = masked_fill(tensor({1, 2, 3}, int64), tensor({0, 1, 0}, bool_), 2.7);
  CHECK(i.dtype() == int64);  // the value is cast to x's dtype
  CHECK(i.to_vector() == V{1, 2, 3});
}

TEST_CASE("masked_fill and masked_select pass gradcheck and gradgradcheck") {
  Tensor x = input({3, 4}, -1, 1, 141), value = input({}, -1, 1, 142);
  Tensor mask = gt(input({3, 4}, -1, 1, 143).detach(), 0.0);
  Tensor row_mask = tensor({1, 0, 0, 1}, bool_);
  check_grads("masked_fill", [mask](auto& v) { return masked_fill(v[0] * v[0], mask, 0.5); }, {x});
  check_grads("masked_fill tensor value",
              [mask](auto& v) { return masked_fill(v[0] * v[0], mask, v[1] * v[1]); }, {x, value});
  check_grads("masked_fill broadcast mask",
              [row_mask](auto& v) { return masked_fill(v[0] * v[0], row_mask, v[1]); }, {x, value});
  Tensor narrow_x = input({4}, -1, 1, 144);
  check_grads("masked_fill broadcast x",
              [mask](auto& v) { return masked_fill(v[0] * v[0], mask, 1.0); }, {narrow_x});
  check_grads("masked_select", [mask](auto& v) { return masked_select(v[0] * v[0], mask); }, {x});
  check_grads("masked_select broadcast mask",
              [row_mask](auto& v) { return masked_select(v[0] * v[0], row_mask); }, {x});
  check_grads("masked_select broadcast x",
              [mask](auto& v) { return masked_select(v[0] * v[0], mask); }, {narrow_x});
}

TEST_CASE("masked_fill and masked_select gradients in each element") {
  Tensor x = zeros({2, 3}, {float64, true}), value = zeros({}, {float64, true});
  Tensor mask = tensor({{1, 0, 0}, {0, 1, 1}}, bool_);
  Tensor w = reshape(arange(1, 7, 1, float64), {2, 3});
  sum(masked_fill(x, mask, value) * w).backward();
  CHECK(x.grad().to_vector() == V{0, 2, 3, 4, 0, 0});
  CHECK(value.grad().item() == 1 + 5 + 6);
  Tensor y = zeros({3}, {float64, true});
  Tensor picked = masked_select(y, mask);  // y broadcast to (2, 3)
  CHECK(picked.shape() == Shape{3});
  sum(picked * tensor({1.0, 10.0, 100.0}, float64)).backward();
  CHECK(y.grad().to_vector() == V{1, 10, 100});
}

TEST_CASE("masked_select values and strided inputs") {
  Tensor x = reshape(arange(12), {3, 4});
  CHECK(masked_select(x, gt(x, 6.5)).to_vector() == V{7, 8, 9, 10, 11});
  CHECK(masked_select(x, tensor({0, 1, 0, 1}, bool_)).to_vector() == V{1, 3, 5, 7, 9, 11});
  CHECK(masked_select(tensor({1, 2}, int64), tensor({{1, 0}, {1, 1}}, bool_)).to_vector() ==
        V{1, 1, 2});
  CHECK(masked_select(x, zeros({3, 4}, bool_)).shape() == Shape{0});
  Tensor xt = x.t();          // (4, 3), strided
  Tensor m = gt(x, 4.5).t();  // strided too: m[i][j] = x[j][i] > 4.5 = xt[i][j] > 4.5
  CHECK(masked_select(xt, m).to_vector() == V{8, 5, 9, 6, 10, 7, 11});
  CHECK(masked_select(xt, m).to_vector() ==
        masked_select(xt.contiguous(), m.contiguous()).to_vector());
  CHECK(masked_fill(xt, m, 0.0).to_vector() == masked_fill(xt.contiguous(), m, 0.0).to_vector());
}

TEST_CASE("masked_fill and masked_select errors") {
  Tensor x = zeros({2, 3});
  CHECK_ERROR_MESSAGE(masked_fill(x, ones({2, 3}, int64), 1.0),
                      "masked_fill: mask must be a bool tensor, got int64");
  CHECK_ERROR_MESSAGE(masked_fill(x, ones({2}, bool_), 1.0),
                      "masked_fill: cannot broadcast (2, 3) with (2,)");
  CHECK_ERROR_MESSAGE(masked_fill(x, ones({3}, bool_), ones({1})),
                      "masked_fill: value must be a 0-d tensor, got shape (1,)");
  CHECK_ERROR_MESSAGE(masked_select(x, ones({2, 3}, float32)),
                      "masked_select: mask must be a bool tensor, got float32");
  CHECK_ERROR_MESSAGE(masked_select(x, ones({4, 1}, bool_)),
                      "masked_select: cannot broadcast (2, 3) with (4, 1)");
}

// ---- clamp with tensor bounds ----

TEST_CASE("clamp with tensor bounds: values, broadcasting and min > max") {
  Tensor x = tensor({{-2.0, 0.5, 3.0}, {1.0, -1.0, 0.0}});
  Tensor lo = tensor({-1.0, 0.0, 1.0}), hi = tensor({{2.0}, {0.5}});
  CHECK(clamp(x, lo, hi).to_vector() == V{-1, 0.5, 2, 0.5, 0, 0.5});
  CHECK(clamp(x, lo, Tensor()).to_vector() == V{-1, 0.5, 3, 1, 0, 1});
  CHECK(clamp(x, Tensor(), hi).to_vector() == V{-2, 0.5, 2, 0.5, -1, 0});
  CHECK(clamp_min(x, lo).to_vector() == clamp(x, lo, Tensor()).to_vector());
  CHECK(clamp_max(x, hi).to_vector() == clamp(x, Tensor(), hi).to_vector());
  // Where min > max the result is max, as in PyTorch.
  CHECK(clamp(tensor({0.0, 5.0}), tensor({1.0, 1.0}), tensor({-1.0, -1.0})).to_vector() ==
        V{-1, -1});
  Tensor i = clamp(tensor({-5, 2, 9}, int64), tensor({0, 0, 0}, int64), tensor({4, 4, 4}, int64));
  CHECK(i.dtype() == int64);
  CHECK(i.to_vector() == V{0, 2, 4});
  CHECK(clamp(tensor({-5, 2, 9}, int64), tensor({0.5}), Tensor()).dtype() == float32);
  CHECK(std::isnan(clamp(tensor({NAN}), tensor({0.0}), tensor({1.0})).item()));
  CHECK(clamp(x.t(), lo.reshape({3, 1}), Tensor()).to_vector() ==
        clamp(x.t().contiguous(), lo.reshape({3, 1}), Tensor()).to_vector());
}

TEST_CASE("clamp with tensor bounds passes gradcheck and gradgradcheck") {
  // x in [-1, 1], the bounds near -0.5 and 0.5 (a few elements of min above max), all values
  // apart from each other by more than eps.
  Tensor x = input({3, 4}, -1, 1, 151);
  Tensor lo = input({4}, -0.7, -0.3, 152), hi = input({3, 1}, 0.3, 0.7, 153);
  Tensor crossed_lo = tensor({0.2, -0.8, 0.6, -0.1}, {float64, true});
  Tensor crossed_hi = tensor({{0.1}, {-0.3}, {0.9}}, {float64, true});
  check_grads("both bounds", [](auto& v) { return clamp(v[0] * v[0] - 0.5, v[1], v[2]); },
              {x, lo, hi});
  check_grads("min above max", [](auto& v) { return clamp(v[0] * 1.5, v[1], v[2]); },
              {x, crossed_lo, crossed_hi});
  check_grads("min only", [](auto& v) { return clamp(v[0] * v[0] - 0.5, v[1], Tensor()); },
              {x, lo});
  check_grads("max only", [](auto& v) { return clamp_max(v[0] * v[0], v[1]); }, {x, hi});
}

TEST_CASE("clamp with tensor bounds: gradients in each element") {
  Tensor x = tensor({-2.0, 0.5, 3.0, 0.0}, {float64, true});
  Tensor lo = tensor({-1.0, 0.0, 1.0, 1.0}, {float64, true});
  Tensor hi = tensor({2.0, 1.0, 2.0, -1.0}, {float64, true});
  sum(clamp(x, lo, hi)).backward();
  CHECK(x.grad().to_vector() == V{0, 1, 0, 0});
  CHECK(lo.grad().to_vector() == V{1, 0, 0, 0});
  CHECK(hi.grad().to_vector() == V{0, 0, 1, 1});  // the last: min > max gives max
  CHECK_ERROR_MESSAGE(clamp(x, Tensor(), Tensor()),
                      "clamp: at least one of min and max must be defined");
  CHECK_ERROR_MESSAGE(clamp(x, tensor({1.0, 2.0}), Tensor()),
                      "clamp: cannot broadcast (4,) with (2,)");
}

// ---- flip, roll, repeat, tile ----

TEST_CASE("flip and roll values (PyTorch's documented examples)") {
  Tensor x = reshape(arange(8, int64), {2, 2, 2});
  CHECK(flip(x, {0, 1}).to_vector() == V{6, 7, 4, 5, 2, 3, 0, 1});
  CHECK(flip(x, {-1}).to_vector() == V{1, 0, 3, 2, 5, 4, 7, 6});
  CHECK(flip(x, {}).to_vector() == x.to_vector());
  CHECK(flip(x, {}).is_alias_of(x) == false);
  Tensor m = reshape(arange(6), {2, 3});
  CHECK(flip(m.t(), {0}).to_vector() == V{2, 5, 1, 4, 0, 3});
  CHECK(flip(m.t(), {0, 1}).to_vector() == flip(m.t().contiguous(), {0, 1}).to_vector());
  CHECK(flip(zeros({0, 3}), {0}).shape() == Shape{0, 3});

  Tensor y = reshape(arange(1, 9, 1, int64), {4, 2});
  CHECK(roll(y, {1}).to_vector() == V{8, 1, 2, 3, 4, 5, 6, 7});
  CHECK(roll(y, {1}).shape() == Shape{4, 2});
  CHECK(roll(y, {1}, {0}).to_vector() == V{7, 8, 1, 2, 3, 4, 5, 6});
  CHECK(roll(y, {-1}, {0}).to_vector() == V{3, 4, 5, 6, 7, 8, 1, 2});
  CHECK(roll(y, {2, 1}, {0, 1}).to_vector() == V{6, 5, 8, 7, 2, 1, 4, 3});
  CHECK(roll(y, {9}, {0}).to_vector() == roll(y, {1}, {0}).to_vector());  // modulo the size
  CHECK_FALSE(roll(y, {4}, {0}).is_alias_of(y));
  CHECK(roll(y.t(), {1}, {1}).to_vector() == roll(y.t().contiguous(), {1}, {1}).to_vector());
}

TEST_CASE("repeat and tile values (PyTorch's documented examples)") {
  Tensor x = tensor({1, 2, 3}, int64);
  Tensor r = repeat(x, {4, 2});
  CHECK(r.shape() == Shape{4, 6});
  CHECK(r.dtype() == int64);
  CHECK(slice(r, 0, 3, 4).to_vector() == V{1, 2, 3, 1, 2, 3});
  CHECK(repeat(x, {4, 2, 1}).shape() == Shape{4, 2, 3});
  CHECK(repeat(x, {0}).shape() == Shape{0});
  CHECK_FALSE(repeat(x, {1}).is_alias_of(x));
  CHECK(tile(x, {2}).to_vector() == V{1, 2, 3, 1, 2, 3});
  Tensor y = tensor({{1, 2}, {3, 4}});
  CHECK(tile(y, {2, 2}).to_vector() == V{1, 2, 1, 2, 3, 4, 3, 4, 1, 2, 1, 2, 3, 4, 3, 4});
  CHECK(tile(y, {2}).to_vector() == V{1, 2, 1, 2, 3, 4, 3, 4});  // reps count from the last dim
  CHECK(tile(y.t(), {1, 2}).to_vector() == V{1, 3, 1, 3, 2, 4, 2, 4});
}

TEST_CASE("flip, roll, repeat and tile pass gradcheck and gradgradcheck") {
  Tensor x = input({2, 3, 4}, -1, 1, 161);
  check_grads("flip", [](auto& v) { return flip(v[0] * v[0], {0, 2}); }, {x});
  check_grads("roll", [](auto& v) { return roll(v[0] * v[0], {1, -2}, {2, 1}); }, {x});
  check_grads("roll flattened", [](auto& v) { return roll(v[0] * v[0], {5}); }, {x});
  Tensor y = input({2, 3}, -1, 1, 162);
  check_grads("repeat", [](auto& v) { return repeat(v[0] * v[0], {2, 1, 3}); }, {y});
  check_grads("tile", [](auto& v) { return tile(v[0] * v[0], {2}); }, {y});
  check_grads("flip of a transpose", [](auto& v) { return flip(v[0].t() * v[0].t(), {1}); }, {y});
}

TEST_CASE("flip, roll, repeat and tile errors") {
  Tensor x = zeros({2, 3});
  CHECK_ERROR_MESSAGE(flip(x, {1, -1}), "flip: dim -1 appears twice in dims (1, -1)");
  CHECK_ERROR_MESSAGE(flip(x, {2}), "flip: dim 2 out of range for a tensor with 2 dimensions");
  CHECK_ERROR_MESSAGE(roll(x, {1, 2}),
                      "roll: 2 shifts given without dims; the flattened form takes one shift");
  CHECK_ERROR_MESSAGE(roll(x, {1, 2}, {0}), "roll: 2 shifts for 1 dims");
  CHECK_ERROR_MESSAGE(roll(x, {1}, {3}), "roll: dim 3 out of range for a tensor with 2 dimensions");
  CHECK_ERROR_MESSAGE(repeat(x, {2}),
                      "repeat: 1 repeats (2,) for the 2 dims of (2, 3); give at least one per dim");
  CHECK_ERROR_MESSAGE(repeat(x, {2, -1}), "repeat: negative repeat in (2, -1)");
  CHECK_ERROR_MESSAGE(tile(x, {-1}), "tile: negative repeat in (1, -1)");
  CHECK_ERROR_MESSAGE(repeat(x, {INT64_MAX, 1}),
                      "repeat: (9223372036854775807, 1) repeats of shape (2, 3) are too large");
}

// ---- chunk, split ----

TEST_CASE("chunk and split give views of the right sizes") {
  auto sizes = [](const std::vector<Tensor>& parts, int64_t dim = 0) {
    std::vector<int64_t> s;
    for (const Tensor& p : parts) s.push_back(p.shape()[dim]);
    return s;
  };
  CHECK(sizes(chunk(arange(11), 6)) == std::vector<int64_t>{2, 2, 2, 2, 2, 1});
  CHECK(sizes(chunk(arange(12), 6)) == std::vector<int64_t>{2, 2, 2, 2, 2, 2});
  CHECK(sizes(chunk(arange(13), 6)) == std::vector<int64_t>{3, 3, 3, 3, 1});  // fewer, as PyTorch
  CHECK(sizes(chunk(zeros({0}), 3)) == std::vector<int64_t>{0, 0, 0});
  CHECK(sizes(chunk(arange(2), 5)) == std::vector<int64_t>{1, 1});
  Tensor x = reshape(arange(10), {5, 2});
  std::vector<Tensor> parts = split(x, 2);
  CHECK(sizes(parts) == std::vector<int64_t>{2, 2, 1});
  CHECK(parts[2].to_vector() == V{8, 9});
  CHECK(sizes(split(x, 7)) == std::vector<int64_t>{5});
  CHECK(sizes(split(zeros({0, 2}), 0)) == std::vector<int64_t>{0});
  CHECK(sizes(split(x, {1, 4})) == std::vector<int64_t>{1, 4});
  CHECK(sizes(split(x, {1, 0, 1}, -1), 1) == std::vector<int64_t>{1, 0, 1});
  std::vector<Tensor> cols = chunk(x, 2, 1);
  CHECK(cols[1].to_vector() == V{1, 3, 5, 7, 9});
  // Views: they share x's storage, and writes show through.
  for (const Tensor& p : parts) CHECK(p.is_alias_of(x));
  parts[1].fill_(-1.0);
  CHECK(x.at({2, 0}) == -1);
  Tensor xt = reshape(arange(6, int64), {2, 3}).t();  // strided (3, 2)
  CHECK(split(xt, {2, 1})[1].to_vector() == V{2, 5});
}

TEST_CASE("chunk and split pass gradcheck and gradgradcheck") {
  Tensor x = input({5, 3}, -1, 1, 171);
  check_grads("chunk",
              [](auto& v) {
                std::vector<Tensor> p = chunk(v[0], 3, 0);  // 2, 2, 1 rows
                return concat({p[2] * p[2], p[0] * 3.0, p[1] * p[0]}, 0);
              },
              {x});
  check_grads("split sections",
              [](auto& v) {
                std::vector<Tensor> p = split(v[0], {1, 2}, 1);
                return p[1] * p[0] + p[1];
              },
              {x});
  check_grads("split size", [](auto& v) { return split(v[0] * v[0], 2, 0)[2]; }, {x});
}

TEST_CASE("chunk and split errors") {
  Tensor x = zeros({3, 2});
  CHECK_ERROR_MESSAGE(chunk(x, 0), "chunk: chunks must be positive, got 0");
  CHECK_ERROR_MESSAGE(chunk(scalar_tensor(1.0), 2),
                      "chunk: expected at least a 1-D tensor, got shape ()");
  CHECK_ERROR_MESSAGE(chunk(x, 2, 2), "chunk: dim 2 out of range for a tensor with 2 dimensions");
  CHECK_ERROR_MESSAGE(split(x, -1), "split: split_size must be non-negative, got -1");
  CHECK_ERROR_MESSAGE(split(x, 0),
                      "split: split_size 0 only splits an empty dim, got dim 0 of shape (3, 2)");
  CHECK_ERROR_MESSAGE(split(x, {1, 1}),
                      "split: sections (1, 1) do not sum to 3, the size of dim 0 of shape (3, 2)");
  CHECK_ERROR_MESSAGE(split(x, {4, -1}), "split: negative section in (4, -1)");
  CHECK_ERROR_MESSAGE(split(scalar_tensor(1.0), 1),
                      "split: expected at least a 1-D tensor, got shape ()");
}

// ---- tril, triu, outer ----

TEST_CASE("tril and triu values") {
  Tensor x = reshape(arange(1, 13, 1, int64), {3, 4});
  CHECK(tril(x).dtype() == int64);
  CHECK(tril(x).to_vector() == V{1, 0, 0, 0, 5, 6, 0, 0, 9, 10, 11, 0});
  CHECK(tril(x, 1).to_vector() == V{1, 2, 0, 0, 5, 6, 7, 0, 9, 10, 11, 12});
  CHECK(tril(x, -1).to_vector() == V{0, 0, 0, 0, 5, 0, 0, 0, 9, 10, 0, 0});
  CHECK(triu(x).to_vector() == V{1, 2, 3, 4, 0, 6, 7, 8, 0, 0, 11, 12});
  CHECK(triu(x, 2).to_vector() == V{0, 0, 3, 4, 0, 0, 0, 8, 0, 0, 0, 0});
  CHECK(triu(x, -1).to_vector() == V{1, 2, 3, 4, 5, 6, 7, 8, 0, 10, 11, 12});
  CHECK(triu(x, 10).to_vector() == V(12, 0.0));
  Tensor b = reshape(arange(8), {2, 2, 2});  // batched over the leading dim
  CHECK(tril(b).to_vector() == V{0, 0, 2, 3, 4, 0, 6, 7});
  CHECK(triu(x.t()).to_vector() == triu(x.t().contiguous()).to_vector());
  CHECK_ERROR_MESSAGE(tril(zeros({3})), "tril: expected at least 2 dims, got shape (3,)");
  CHECK_ERROR_MESSAGE(triu(scalar_tensor(1.0)), "triu: expected at least 2 dims, got shape ()");
}

TEST_CASE("tril, triu and outer pass gradcheck and gradgradcheck") {
  Tensor x = input({2, 3, 4}, -1, 1, 181);
  check_grads("tril", [](auto& v) { return tril(v[0] * v[0], 1); }, {x});
  check_grads("triu", [](auto& v) { return triu(v[0] * v[0], -1); }, {x});
  Tensor a = input({3}, -1, 1, 182), b = input({4}, -1, 1, 183);
  check_grads("outer", [](auto& v) { return outer(v[0], v[1]); }, {a, b});
  check_grads("outer with itself", [](auto& v) { return outer(v[0], v[0] * v[0]); }, {a});
}

TEST_CASE("outer values") {
  CHECK(outer(tensor({1.0, 2.0}), tensor({3.0, 4.0, 5.0})).to_vector() == V{3, 4, 5, 6, 8, 10});
  Tensor i = outer(tensor({1, 2}, int64), tensor({3, 4}, int64));
  CHECK(i.dtype() == int64);
  CHECK(i.to_vector() == V{3, 4, 6, 8});
  Tensor m = reshape(arange(6), {2, 3});
  CHECK(outer(select(m, 1, 0), select(m, 0, 1)).to_vector() == V{0, 0, 0, 9, 12, 15});
  CHECK_ERROR_MESSAGE(outer(zeros({2, 2}), zeros({2})),
                      "outer: expected two 1-D tensors, got (2, 2) and (2,)");
}

// ---- einsum ----

TEST_CASE("einsum agrees with the ops it stands for") {
  Tensor a = input({3, 4}, -1, 1, 191), b = input({4, 5}, -1, 1, 192);
  Tensor ba = input({2, 3, 4}, -1, 1, 193), bb = input({2, 4, 5}, -1, 1, 194);
  Tensor v = input({3}, -1, 1, 195), w = input({4}, -1, 1, 196), sq = input({3, 3}, -1, 1, 197);
  Tensor q = input({2, 2, 3, 4}, -1, 1, 198), k = input({2, 2, 5, 4}, -1, 1, 199);
  CHECK(testing::allclose(einsum("ij,jk->ik", {a, b}), matmul(a, b), 1e-12));
  CHECK(testing::allclose(einsum("bij,bjk->bik", {ba, bb}), matmul(ba, bb), 1e-12));
  CHECK(testing::allclose(einsum("i,j->ij", {v, w}), outer(v, w), 1e-12));
  CHECK(testing::allclose(einsum("ij->ji", {a}), a.t(), 0));
  CHECK(testing::allclose(einsum("ii->i", {sq}), diagonal(sq), 0));
  CHECK(testing::allclose(einsum("ii", {sq}), sum(diagonal(sq)), 1e-12));  // trace, implicit
  CHECK(
      testing::allclose(einsum("bhqd,bhkd->bhqk", {q, k}), matmul(q, transpose(k, -1, -2)), 1e-12));
  CHECK(testing::allclose(einsum("i,i->", {w, w}), sum(w * w), 1e-12));
  CHECK(testing::allclose(einsum("ij->", {a}), sum(a), 1e-12));
  CHECK(testing::allclose(einsum("ij->j", {a}), sum(a, {0}), 1e-12));
  CHECK(testing::allclose(einsum("ij,kj->ik", {a, b.t()}), matmul(a, b), 1e-12));
  CHECK(testing::allclose(einsum("ij,jk", {a, b}), matmul(a, b), 1e-12));  // implicit "->ik"
  CHECK(testing::allclose(einsum("ij,jk->ki", {a, b}), matmul(a, b).t(), 1e-12));
  // A letter only one operand has is summed first: sum_j a_ij * sum_k b_kl.
  CHECK(testing::allclose(einsum("ij,kl->il", {a, b}), outer(sum(a, {1}), sum(b, {0})), 1e-12));
  CHECK(
      testing::allclose(einsum("bij,bjk->bki", {ba, bb}), transpose(matmul(ba, bb), 1, 2), 1e-12));
  CHECK(testing::allclose(einsum(" i j , j k -> i k ", {a, b}), matmul(a, b), 1e-12));
  // Strided operands.
  CHECK(testing::allclose(einsum("ij,jk->ik", {b.t(), a.t()}), matmul(b.t(), a.t()), 1e-12));
  // Mixed dtypes promote; integers work without BLAS.
  Tensor ia = reshape(arange(6, int64), {2, 3}), ib = reshape(arange(6, int64), {3, 2});
  Tensor ip = einsum("ij,jk->ik", {ia, ib});
  CHECK(ip.dtype() == int64);
  CHECK(ip.to_vector() == V{10, 13, 28, 40});
  CHECK(einsum("ij,jk->ik", {ia, ib.to(float64)}).dtype() == float64);
  CHECK(einsum("ii->i", {reshape(arange(9, int64), {3, 3})}).to_vector() == V{0, 4, 8});
}

TEST_CASE("einsum passes gradcheck and gradgradcheck") {
  Tensor a = input({3, 4}, -1, 1, 201), b = input({4, 2}, -1, 1, 202);
  Tensor ba = input({2, 3, 4}, -1, 1, 203), bb = input({2, 4, 2}, -1, 1, 204);
  Tensor q = input({2, 2, 3, 2}, -1, 1, 205), k = input({2, 2, 4, 2}, -1, 1, 206);
  Tensor v = input({3}, -1, 1, 207), sq = input({3, 3}, -1, 1, 208);
  auto eq2 = [](const char* e) {
    return [e](const std::vector<Tensor>& x) { return einsum(e, {x[0], x[1]}); };
  };
  auto eq1 = [](const char* e) {
    return [e](const std::vector<Tensor>& x) { return einsum(e, {x[0] * x[0]}); };
  };
  check_grads("ij,jk->ik", eq2("ij,jk->ik"), {a, b});
  check_grads("bij,bjk->bik", eq2("bij,bjk->bik"), {ba, bb});
  check_grads("bhqd,bhkd->bhqk", eq2("bhqd,bhkd->bhqk"), {q, k});
  check_grads("i,j->ij", eq2("i,j->ij"), {v, input({4}, -1, 1, 209)});
  check_grads("ij,kl->li", eq2("ij,kl->li"), {a, b});
  check_grads("ij->ji", eq1("ij->ji"), {a});
  check_grads("ii->i", eq1("ii->i"), {sq});
  check_grads("ij->", eq1("ij->"), {a});
  check_grads("repeated operand", [](auto& x) { return einsum("ij,kj->ik", {x[0], x[0]}); }, {a});
}

TEST_CASE("einsum errors") {
  Tensor a = zeros({2, 3}), b = zeros({4, 5});
  CHECK_ERROR_MESSAGE(einsum("ij,jk->ik", {a, b}),
                      "einsum: subscript 'j' has sizes 3 and 4 in \"ij,jk->ik\"");
  CHECK_ERROR_MESSAGE(einsum("ijk->i", {a}),
                      "einsum: operand 0 of shape (2, 3) has 2 dims, but \"ijk\" names 3 in "
                      "\"ijk->i\"");
  CHECK_ERROR_MESSAGE(einsum("ij,jk->ik", {a}),
                      "einsum: the equation names 2 operands, got 1 in \"ij,jk->ik\"");
  CHECK_ERROR_MESSAGE(einsum("i,i,i->", {zeros({2}), zeros({2}), zeros({2})}),
                      "einsum: only one or two operands are supported, got 3");
  CHECK_ERROR_MESSAGE(einsum("ij->", {}), "einsum: only one or two operands are supported, got 0");
  CHECK_ERROR_MESSAGE(einsum("...ij->...ji", {a}),
                      "einsum: '...' (ellipsis) is not supported in \"...ij->...ji\"");
  CHECK_ERROR_MESSAGE(einsum("ij->ik", {a}),
                      "einsum: output subscript 'k' does not appear in the inputs in \"ij->ik\"");
  CHECK_ERROR_MESSAGE(einsum("ij->ii", {a}),
                      "einsum: output subscript 'i' appears twice in \"ij->ii\"");
  CHECK_ERROR_MESSAGE(einsum("i1->i", {a}), "einsum: invalid subscript '1' in \"i1->i\"");
  CHECK_ERROR_MESSAGE(einsum("ij->i->j", {a}), "einsum: invalid subscript '-' in \"ij->i->j\"");
  CHECK_ERROR_MESSAGE(einsum("ii->i", {a}), "einsum: subscript 'i' has sizes 2 and 3 in \"ii->i\"");
}
