// Strided layout and views: Shape, storage sharing, writes through views, strided kernels,
// reshape's view-or-copy rule, from_blob, and the errors for bad layouts.
#include <numeric>

#include "../helpers.hpp"

using namespace xgrad;

namespace {
Tensor iota(const Shape& shape, Dtype dtype = float64) {
  return reshape(arange(0, static_cast<double>(shape_numel(shape)), 1, dtype), shape);
}
std::vector<double> values(std::initializer_list<double> v) { return v; }
}  // namespace

TEST_CASE("Shape keeps up to 8 dims inline and behaves like a vector beyond") {
  Shape s{1, 2, 3};
  CHECK(s.size() == 3);
  s.insert(s.begin() + 1, 7);
  CHECK(s == Shape{1, 7, 2, 3});
  s.erase(s.begin());
  CHECK(s == Shape{7, 2, 3});
  s.insert(s.end(), {4, 5});
  CHECK(s == Shape{7, 2, 3, 4, 5});
  Shape big(12, 1);  // spills to the heap
  big[11] = 9;
  Shape copy = big;
  CHECK(copy == big);
  Shape moved = std::move(copy);
  CHECK(moved[11] == 9);
  CHECK(moved.size() == 12);
  big.insert(big.begin(), big.begin(), big.begin() + 3);  // from itself
  CHECK(big.size() == 15);
  CHECK(Shape(std::vector<int64_t>{2, 3}) == Shape{2, 3});
  CHECK(zeros(Shape(10, 1)).dim() == 10);
  CHECK(format_shape(Shape{}) == "()");
  CHECK(contiguous_strides({2, 3, 4}) == Shape{12, 4, 1});
  CHECK_ERROR_MESSAGE(zeros({int64_t(1) << 62, 4}),
                      "shape: (4611686018427387904, 4) has more elements than int64 can count");
  // An empty shape whose other sizes multiply past int64 has no representable strides: refused
  // wherever the zero is (found by fuzz/fuzz_idx: one IDX reader took it, another did not).
  CHECK_ERROR_MESSAGE(zeros({0, 3932160075, 3489660928}),
                      "shape: (0, 3932160075, 3489660928) has sizes whose product (the strides) "
                      "int64 cannot hold");
  CHECK_ERROR_MESSAGE(zeros({3932160075, 3489660928, 0}),
                      "shape: (3932160075, 3489660928, 0) has sizes whose product (the strides) "
                      "int64 cannot hold");
  CHECK(zeros({0, int64_t(1) << 31, int64_t(1) << 31}).numel() == 0);  // strides fit int64
  // The element count fits int64 but its bytes do not fit memory: an Error, not a tensor whose
  // storage is smaller than its shape (the byte count used to wrap to 0).
  CHECK_ERROR_MESSAGE(zeros({int64_t(1) << 62}),
                      "tensor: shape (4611686018427387904,) of float32 needs more bytes than "
                      "memory can address");
}

TEST_CASE("slice, select, narrow, transpose, permute, expand, diagonal and unfold are views") {
  Tensor a = iota({3, 4});
  Tensor s = slice(a, 1, 1, 4, 2);
  CHECK(s.is_alias_of(a));
  CHECK(s.shape() == Shape{3, 2});
  CHECK(s.strides() == Shape{4, 2});
  CHECK(s.storage_offset() == 1);
  CHECK(!s.is_contiguous());
  CHECK(s.to_vector() == values({1, 3, 5, 7, 9, 11}));
  CHECK(select(a, 0, -1).to_vector() == values({8, 9, 10, 11}));
  CHECK(select(a, 1, 2).to_vector() == values({2, 6, 10}));
  CHECK(narrow(a, 0, 1, 2).to_vector() == values({4, 5, 6, 7, 8, 9, 10, 11}));
  Tensor t = a.t();
  CHECK(t.is_alias_of(a));
  CHECK(t.strides() == Shape{1, 4});
  CHECK(t.at({3, 1}) == 7);
  CHECK(permute(iota({2, 3, 4}), {2, 0, 1}).strides() == Shape{1, 12, 4});
  Tensor e = expand(tensor({1.0, 2.0}, float64), {3, 2});
  CHECK(e.strides() == Shape{0, 1});
  CHECK(e.to_vector() == values({1, 2, 1, 2, 1, 2}));
  CHECK(diagonal(a).to_vector() == values({0, 5, 10}));
  CHECK(diagonal(a, 1).to_vector() == values({1, 6, 11}));
  CHECK(diagonal(a, -1).to_vector() == values({4, 9}));
  CHECK(diagonal(a, 5).numel() == 0);
  Tensor w = unfold(arange(0, 6, 1, float64), 0, 3, 2);  // overlapping windows
  CHECK(w.shape() == Shape{2, 3});
  CHECK(w.to_vector() == values({0, 1, 2, 2, 3, 4}));
  Tensor st = as_strided(a, {2, 2}, {1, 4}, 1);
  CHECK(st.to_vector() == values({1, 5, 2, 6}));
  CHECK(squeeze(unsqueeze(a, 0)).is_alias_of(a));
}

TEST_CASE("writes through a view reach its base, and bump the shared version") {
  Tensor a = zeros({3, 4}, float64);
  const uint64_t v0 = a.version();
  slice(a, 0, 0, 2).fill_(9);
  CHECK(a.to_vector() == values({9, 9, 9, 9, 9, 9, 9, 9, 0, 0, 0, 0}));
  CHECK(a.version() == v0 + 1);
  select(a.t(), 0, 0).fill_(1);  // column 0 through a transposed view
  CHECK(a.at({2, 0}) == 1);
  diagonal(a).add_(100);
  CHECK(a.at({1, 1}) == 109);
  CHECK(a.at({2, 2}) == 100);
  Tensor col = select(a, 1, 3);
  col.copy_(tensor({1.0, 2.0, 3.0}, float64));
  CHECK(a.at({2, 3}) == 3);
  col.mul_(2.0);
  CHECK(a.at({1, 3}) == 4);
  col.mul_(tensor({1.0, 0.0, 1.0}, float64));
  CHECK(a.at({1, 3}) == 0);
  a.t().set({3, 0}, -5);
  CHECK(a.at({0, 3}) == -5);
  Tensor d = a.detach();
  d.zero_();
  CHECK(sum(a).item() == 0);
  CHECK(a.version() == d.version());
  // An in-place op whose other operand overlaps the destination reads the old values.
  Tensor m = iota({2, 2});
  m.add_(m.t());
  CHECK(m.to_vector() == values({0, 3, 3, 6}));
  CHECK_ERROR_MESSAGE(expand(tensor({1.0}), {3}).fill_(0),
                      "fill_: cannot write in place into a tensor of shape (3,) whose elements "
                      "share memory (an expanded view); clone() it first");
}

TEST_CASE("kernels read strided operands") {
  Tensor a = iota({3, 4}), b = iota({4, 3});
  Tensor at = a.t(), bt = b.t();
  Tensor dense_at = at.contiguous();
  CHECK(dense_at.is_contiguous());
  CHECK(!dense_at.is_alias_of(a));
  CHECK(testing::allclose(add(at, b), add(dense_at, b)));
  CHECK(testing::allclose(mul(at, slice(b, 0, 0, 4)), mul(dense_at, b)));
  CHECK(testing::allclose(exp(at), exp(dense_at)));
  CHECK(testing::allclose(sum(at, {0}), sum(dense_at, {0})));
  CHECK(testing::allclose(max(at, 1), max(dense_at, 1)));
  CHECK(testing::allclose(matmul(at, bt), matmul(dense_at, bt.contiguous())));
  CHECK(testing::allclose(index_select(at, 0, std::vector<int64_t>{3, 0}),
                          index_select(dense_at, 0, std::vector<int64_t>{3, 0})));
  CHECK(testing::allclose(concat({at, b}, 0), concat({dense_at, b}, 0)));
  // Index kernels read views through their strides.
  for (int64_t d : {0, 1}) {
    CHECK(index_select(at, d, std::vector<int64_t>{2, 0, 2}).to_vector() ==
          index_select(dense_at, d, std::vector<int64_t>{2, 0, 2}).to_vector());
    CHECK(concat({at, slice(at, d, 1, 3)}, d).to_vector() ==
          concat({dense_at, slice(dense_at, d, 1, 3)}, d).to_vector());
  }
  Tensor idx = tensor({2, 0, 1, 1, 0, 2, 0, 0}, int64).reshape({4, 2});
  CHECK(gather(at, 1, idx).to_vector() == gather(dense_at, 1, idx).to_vector());
  CHECK(gather(slice(iota({4, 7}), 1, 1, 7, 2), 1, idx).to_vector() ==
        gather(slice(iota({4, 7}), 1, 1, 7, 2).contiguous(), 1, idx).to_vector());
  CHECK(testing::allclose(where(gt(at, 5.0), at, b), where(gt(dense_at, 5.0), dense_at, b)));
  CHECK(testing::allclose(at.to(float32), dense_at.to(float32)));
  CHECK(testing::allclose(clamp(at, 2, 5), clamp(dense_at, 2, 5)));
  // Broadcasting against a view with stride-0 dims.
  Tensor e = expand(tensor({1.0, 2.0, 3.0}, float64), {4, 3});
  CHECK(testing::allclose(add(at, e), add(dense_at, e.contiguous())));
  CHECK(at.sum().item() == 66);
}

TEST_CASE("reshape aliases when the strides allow, copies otherwise; view never copies") {
  Tensor a = iota({2, 3, 4});
  CHECK(reshape(a, {6, 4}).is_alias_of(a));
  Tensor s = slice(a, 2, 0, 2);  // (2, 3, 2), rows of 2 with gaps
  Tensor r = reshape(s, {6, 2});
  CHECK(r.is_alias_of(a));  // merging dims 0 and 1 keeps strides
  CHECK(r.strides() == Shape{4, 1});
  Tensor c = reshape(s, {12});
  CHECK(!c.is_alias_of(a));
  CHECK(c.to_vector() == reshape(s.contiguous(), {12}).to_vector());
  Tensor p = permute(a, {1, 0, 2});
  CHECK(view(p, {3, 2, 2, 2}).is_alias_of(a));
  CHECK_ERROR_MESSAGE(view(transpose(a, 0, 2), {24}),
                      "view: shape (24,) is not compatible with the input's shape (4, 3, 2) and "
                      "strides (1, 4, 12); use reshape() or contiguous()");
  CHECK(reshape(transpose(a, 0, 2), {24}).at({1}) == 12);
  CHECK(view(zeros({0, 3}), {3, 0}).numel() == 0);
  CHECK(view(scalar_tensor(2.0), {1, 1}).item() == 2);
}

TEST_CASE("from_blob wraps a user buffer without copying") {
  std::vector<double> buffer{1, 2, 3, 4, 5, 6};
  int released = 0;
  {
    Tensor t = from_blob(buffer.data(), {2, 3}, float64, [&](void*) { ++released; });
    CHECK(t.at({1, 2}) == 6);
    t.set({0, 0}, 10);
    CHECK(buffer[0] == 10);
    Tensor col = from_blob(buffer.data(), {2}, {3}, float64);
    CHECK(col.to_vector() == values({10, 4}));
    Tensor view_of_t = t.t();
    CHECK(released == 0);
  }
  CHECK(released == 1);
  CHECK_ERROR_MESSAGE(from_blob(nullptr, {2}), "from_blob: null data pointer");
}

TEST_CASE("bad layouts are errors") {
  Tensor a = zeros({2, 3});
  CHECK_ERROR_MESSAGE(make_view(a, {3, 3}, {3, 1}, 0),
                      "as_strided: shape (3, 3), strides (3, 1) and offset 0 reach outside a "
                      "storage of 6 elements");
  CHECK_ERROR_MESSAGE(make_view(a, {2}, {-1}, 1), "as_strided: negative stride in (-1,)");
  CHECK_ERROR_MESSAGE(make_view(a, {2}, {1, 1}, 0),
                      "as_strided: shape (2,) and strides (1, 1) differ in length");
  CHECK_ERROR_MESSAGE(select(a, 0, 2), "select: index 2 out of range for dim 0 of shape (2, 3)");
  CHECK_ERROR_MESSAGE(narrow(a, 1, 2, 2),
                      "narrow: start 2 and length 2 do not fit dim 1 of shape (2, 3)");
  CHECK_ERROR_MESSAGE(diagonal(a, 0, 1, 1), "diagonal: dim1 and dim2 are the same dim 1");
  CHECK_ERROR_MESSAGE(unfold(a, 1, 4, 1), "unfold: size 4 exceeds dim 1 of shape (2, 3)");
  CHECK_ERROR_MESSAGE(unfold(a, 1, 2, 0), "unfold: step must be positive, got 0");
  CHECK_ERROR_MESSAGE(alias_with_shape(a.t(), {6}),
                      "alias_with_shape: base of shape (3, 2) is not contiguous");
}

TEST_CASE("printing a view prints its elements in order") {
  std::ostringstream os;
  os << iota({2, 2}).t();
  CHECK(os.str() == "tensor([[0, 2],\n[1, 3]], shape=(2, 2), dtype=float64)");
}

TEST_CASE("reductions and scans of permuted views run on the dense block underneath") {
  Tensor a = iota({2, 3, 4});
  Tensor p = permute(a, {2, 0, 1});  // (4, 2, 3), not contiguous
  Tensor dense = p.contiguous();
  for (std::vector<int64_t> dims : {std::vector<int64_t>{0}, {1}, {2}, {0, 2}, {1, 2}, {0, 1, 2}})
    for (bool keepdim : {false, true}) {
      INFO(dims.size(), keepdim);
      Tensor got = sum(p, dims, keepdim), want = sum(dense, dims, keepdim);
      CHECK(got.shape() == want.shape());
      CHECK(got.is_contiguous());
      CHECK(got.to_vector() == want.to_vector());
    }
  CHECK(sum(p).item() == sum(dense).item());
  Tensor mp = permute(iota({2, 3, 4}) * -0.5 + 2.0, {2, 0, 1});
  for (int64_t d = 0; d < 3; ++d)
    for (bool keepdim : {false, true}) {
      INFO(d, keepdim);
      const Tensor md = mp.contiguous();
      CHECK(argmax(mp, d, keepdim).to_vector() == argmax(md, d, keepdim).to_vector());
      CHECK(argmin(mp, d, keepdim).to_vector() == argmin(md, d, keepdim).to_vector());
      CHECK(max(mp, d, keepdim).to_vector() == max(md, d, keepdim).to_vector());
      CHECK(prod(mp, d, keepdim).to_vector() == prod(md, d, keepdim).to_vector());
      Tensor c = cumsum(mp, d);
      CHECK(c.strides() == mp.strides());  // a scan keeps the layout of a permuted view
      CHECK(c.to_vector() == cumsum(md, d).to_vector());
      CHECK(cumprod(mp, d).to_vector() == cumprod(md, d).to_vector());
    }
  Tensor s = slice(a, 2, 0, 4, 2);  // gaps: not a permutation of a dense block, so it is copied
  CHECK(sum(s, {2}).to_vector() == sum(s.contiguous(), {2}).to_vector());
  CHECK(sum(tensor({1, 2, 3, 4}, int64).reshape({2, 2}).t(), {0}).dtype() == int64);
}

TEST_CASE("matmul reads transposed views and column slices without copying, and copies the rest") {
  Tensor a = iota({5, 4}), b = iota({4, 6});
  auto same = [](const Tensor& x, const Tensor& y) {
    return testing::allclose(matmul(x, y), matmul(x.contiguous(), y.contiguous()), 0, 0);
  };
  CHECK(same(a.t().t(), b));
  CHECK(same(iota({4, 5}).t(), b));                   // transposed: a flag
  CHECK(same(slice(iota({5, 7}), 1, 1, 5), b));       // column slice: a leading dimension
  CHECK(same(a, slice(iota({9, 6}), 0, 2, 6)));       // row slice
  CHECK(same(a, slice(iota({4, 12}), 1, 0, 12, 2)));  // stepped columns: copied
  Tensor batch = iota({3, 4, 5});
  CHECK(same(transpose(batch, 1, 2), iota({4, 2})));              // a batch of transposed matrices
  CHECK(same(expand(iota({1, 5, 4}), {3, 5, 4}), iota({4, 2})));  // an expanded batch: copied
  CHECK(same(select(iota({2, 5, 4}), 0, 1), b));
  CHECK(same(iota({1, 4}), b));
  CHECK(same(iota({5, 1}), iota({1, 6})));
}

TEST_CASE("unary ops keep a transposed view's layout and read other views without copying") {
  Tensor a = iota({3, 5}) * 0.1 - 0.7;
  Tensor t = a.t();  // a permutation of a dense block: the result takes its strides
  for (const auto& op :
       std::vector<std::pair<const char*, Tensor (*)(const Tensor&)>>{{"exp", exp},
                                                                      {"tanh", tanh},
                                                                      {"sigmoid", sigmoid},
                                                                      {"relu", relu},
                                                                      {"abs", abs},
                                                                      {"neg", neg},
                                                                      {"square", square}}) {
    // (Named variables, not a structured binding: INFO and the lambda below capture them, which
    // clang 14 does not allow for bindings.)
    const char* const name = op.first;
    Tensor (*const f)(const Tensor&) = op.second;
    INFO(std::string(name));
    // Vectorised and scalar code differ in the last bit of exp and tanh: where an element
    // falls relative to the SIMD width depends on the layout.
    auto same = [&](const Tensor& view) {
      return testing::allclose(f(view), f(view.contiguous()), 0, 1e-15);
    };
    Tensor got = f(t);
    CHECK(got.strides() == t.strides());
    CHECK_FALSE(got.is_contiguous());
    CHECK(same(t));
    Tensor cols = slice(a, 1, 1, 4);  // rows with gaps: walked row by row into a contiguous result
    CHECK(f(cols).is_contiguous());
    CHECK(same(cols));
    CHECK(same(slice(iota({1000}) * 0.001, 0, 0, 1000, 3)));  // a strided row, gathered
    CHECK(same(expand(iota({1, 4}) * 0.2, {3, 4})));          // a broadcast dim
  }
  CHECK(isnan(t).dtype() == Dtype::bool_);
  CHECK(isnan(t).strides() == t.strides());
  CHECK(testing::allclose(softplus(t, 2.0), softplus(t.contiguous(), 2.0), 0, 1e-15));
  CHECK(clamp(slice(a, 1, 0, 5, 2), -0.2, 0.3).to_vector() ==
        clamp(slice(a, 1, 0, 5, 2).contiguous(), -0.2, 0.3).to_vector());
  Tensor empty_view = slice(iota({3, 4}), 1, 0, 0);
  CHECK(exp(empty_view).shape() == Shape{3, 0});
}

TEST_CASE("linear reads a transposed weight and a column slice of its input without copying") {
  Tensor x = slice(iota({4, 9}) * 0.1, 1, 2, 7), w = iota({5, 6}).t() * 0.01;  // (4,5), (6,5)
  Tensor b = iota({6});
  CHECK(testing::allclose(linear(x, w, b), linear(x.contiguous(), w.contiguous(), b), 0, 0));
  CHECK(testing::allclose(linear(x, w), matmul(x, w.t()), 0, 0));
  Tensor stepped = slice(iota({4, 10}), 1, 0, 10, 2);  // stepped columns: copied
  CHECK(testing::allclose(linear(stepped, w), linear(stepped.contiguous(), w), 0, 0));
}
