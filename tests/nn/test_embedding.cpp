// Embedding and EmbeddingBag: lookups of any index shape, padding_idx (no gradient, zero row at
// init), scale_grad_by_freq, max_norm's in-place renormalisation, from_pretrained, bags by
// offsets or rows (sum, mean, max, per-sample weights), gradcheck and gradgradcheck, errors.
#include "../helpers.hpp"

using namespace xgrad;
using xgrad::testing::allclose;
using xgrad::testing::input;
namespace F = xgrad::nn::functional;

namespace {
Tensor ids(std::initializer_list<int64_t> v, Shape shape) {
  return from_vector(std::vector<int64_t>(v), shape, Dtype::int64);
}
}  // namespace

TEST_CASE("Embedding: rows picked for indices of any shape, PyTorch's names and init") {
  Generator gen(4);
  nn::Embedding emb(5, 3, {}, &gen);
  CHECK(emb.weight.shape() == Shape{5, 3});
  CHECK(emb.named_parameters().size() == 1);
  CHECK(emb.named_parameters()[0].first == "weight");
  Tensor out = emb(ids({4, 0, 4, 2, 1, 3}, {2, 3}));
  CHECK(out.shape() == Shape{2, 3, 3});
  CHECK(allclose(select(select(out, 0, 0), 0, 0), select(emb.weight, 0, 4), 0, 0));
  CHECK(allclose(select(select(out, 0, 1), 0, 1), select(emb.weight, 0, 1), 0, 0));
  CHECK(emb(ids({1}, {})).shape() == Shape{3});  // a 0-d index gives one row
  // N(0, 1): over a large table the mean is near 0 and the variance near 1.
  nn::Embedding big(1000, 100, {}, &gen);
  const double m = mean(big.weight).item(), v = var(big.weight, {0, 1}).item();
  CHECK(std::abs(m) < 0.01);
  CHECK(std::abs(v - 1.0) < 0.02);
}

TEST_CASE("Embedding: the gradient sums the rows' uses; padding_idx gets none") {
  nn::Embedding emb(4, 2, {.padding_idx = 1});
  emb.to(float64);
  CHECK(allclose(select(emb.weight, 0, 1), zeros({2}, float64), 0, 0));  // zeroed at init
  {
    NoGradGuard g;
    select(emb.weight, 0, 1).fill_(5.0);  // a padding row that is not zero is still returned
  }
  Tensor out = emb(ids({0, 1, 0, 3, 1}, {5}));
  CHECK(allclose(select(out, 0, 1), tensor({5.0, 5.0}, float64), 0, 0));
  Tensor upstream = arange(10.0, float64).reshape({5, 2});
  sum(mul(out, upstream)).backward();
  // row 0: positions 0 and 2 -> (0+4, 1+5); row 1 (padding): none; row 3: position 3.
  CHECK(allclose(emb.weight.grad(),
                 tensor({{4.0, 6.0}, {0.0, 0.0}, {0.0, 0.0}, {6.0, 7.0}}, float64), 0, 0));
  // Negative padding_idx counts from the end; scale_grad_by_freq divides by the count.
  nn::Embedding scaled(4, 2, {.padding_idx = -1, .scale_grad_by_freq = true});
  scaled.to(float64);
  CHECK(allclose(select(scaled.weight, 0, 3), zeros({2}, float64), 0, 0));
  sum(mul(scaled(ids({0, 0, 2, 3}, {4})), arange(8.0, float64).reshape({4, 2}))).backward();
  CHECK(allclose(scaled.weight.grad(),
                 tensor({{1.0, 2.0}, {0.0, 0.0}, {4.0, 5.0}, {0.0, 0.0}}, float64), 0, 0));
}

TEST_CASE("Embedding: gradcheck and gradgradcheck w.r.t. the table") {
  Tensor w = input({5, 3}, -1, 1, 3);
  Tensor index = ids({0, 2, 2, 4, 1, 0}, {2, 3});
  CHECK(gradcheck([&](const std::vector<Tensor>& v) { return F::embedding(index, v[0]); }, {w}));
  CHECK(
      gradgradcheck([&](const std::vector<Tensor>& v) { return F::embedding(index, v[0]); }, {w}));
  // padding_idx and scale_grad_by_freq change the gradient on purpose (it is no longer the
  // derivative), so they are checked against the true gradient: the padding row zeroed, each
  // row divided by its count (index 0 and 2 occur twice).
  Tensor up = input({2, 3, 3}, -1, 1, 4).detach();
  Tensor plain = xgrad::grad({sum(mul(F::embedding(index, w), up))}, {w})[0];
  Tensor changed = xgrad::grad(
      {sum(mul(F::embedding(index, w, {.padding_idx = 2, .scale_grad_by_freq = true}), up))},
      {w})[0];
  Tensor factor = tensor({{0.5}, {1.0}, {0.0}, {1.0}, {1.0}}, float64);
  CHECK(allclose(changed, mul(plain, factor), 1e-15, 0));
}

TEST_CASE("Embedding: max_norm renormalises the rows read, in place") {
  Tensor w = tensor({{3.0, 4.0}, {0.3, 0.4}, {6.0, 8.0}}, float64);
  auto emb = nn::Embedding::from_pretrained(w, true, {.max_norm = 1.0});
  CHECK(!emb->weight.requires_grad());  // frozen
  Tensor out = (*emb)(ids({0, 1}, {2}));
  const double s = 1.0 / (5.0 + 1e-7);
  CHECK(allclose(out, tensor({{3 * s, 4 * s}, {0.3, 0.4}}, float64), 1e-15, 0));
  // Row 0 changed in the table; row 2, not read, did not.
  CHECK(allclose(emb->weight, tensor({{3 * s, 4 * s}, {0.3, 0.4}, {6.0, 8.0}}, float64), 1e-15, 0));
  CHECK(w.data<double>()[0] == 3.0);  // from_pretrained copied the table
  auto trainable = nn::Embedding::from_pretrained(w, false);
  CHECK(trainable->weight.requires_grad());
  // L1 norm with max_norm 2: row 2 (|6| + |8| = 14) scaled to 2/14.
  Tensor l1 = F::embedding(ids({2}, {1}), clone(w), {.max_norm = 2.0, .norm_type = 1.0});
  CHECK(allclose(l1, tensor({{6 * 2 / (14 + 1e-7), 8 * 2 / (14 + 1e-7)}}, float64), 1e-15, 0));
}

TEST_CASE("EmbeddingBag: sum, mean and max over offsets or rows") {
  Tensor w = tensor({{1.0, 2.0}, {3.0, 5.0}, {-1.0, 7.0}, {4.0, 0.0}}, float64);
  Tensor index = ids({0, 1, 2, 3, 3}, {5});
  Tensor offsets = ids({0, 2, 2}, {3});  // bags {0, 1}, {}, {2, 3, 3}
  F::EmbeddingBagOptions sum_opts{.mode = F::BagMode::sum};
  CHECK(allclose(F::embedding_bag(index, w, offsets, sum_opts),
                 tensor({{4.0, 7.0}, {0.0, 0.0}, {7.0, 7.0}}, float64), 0, 0));
  CHECK(allclose(F::embedding_bag(index, w, offsets),  // mean by default
                 tensor({{2.0, 3.5}, {0.0, 0.0}, {7.0 / 3, 7.0 / 3}}, float64), 1e-15, 0));
  CHECK(allclose(F::embedding_bag(index, w, offsets, {.mode = F::BagMode::max}),
                 tensor({{3.0, 5.0}, {0.0, 0.0}, {4.0, 7.0}}, float64), 0, 0));
  // include_last_offset: the last entry is the end.
  CHECK(allclose(F::embedding_bag(index, w, ids({0, 2, 5}, {3}),
                                  {.mode = F::BagMode::sum, .include_last_offset = true}),
                 tensor({{4.0, 7.0}, {7.0, 7.0}}, float64), 0, 0));
  // 2-D indices: a bag per row; padding_idx is left out of the bag and of the mean's count.
  Tensor rows = ids({0, 1, 3, 3, 2, 1}, {2, 3});
  CHECK(allclose(F::embedding_bag(rows, w, Tensor(), {.padding_idx = 1}),
                 tensor({{2.5, 1.0}, {1.5, 3.5}}, float64), 1e-15, 0));
  // Per-sample weights scale each row (sum mode).
  Tensor psw = tensor({2.0, 0.5, 1.0, -1.0, 1.0}, float64);
  CHECK(allclose(F::embedding_bag(index, w, offsets, sum_opts, psw),
                 tensor({{3.5, 6.5}, {0.0, 0.0}, {-1.0, 7.0}}, float64), 1e-15, 0));
  nn::EmbeddingBag bag(4, 2, {.mode = F::BagMode::sum});
  bag.to(float64);
  {
    NoGradGuard g;
    bag.weight.copy_(w);
  }
  CHECK(allclose(bag.forward(index, offsets), F::embedding_bag(index, w, offsets, sum_opts), 0, 0));
  CHECK(bag(rows).shape() == Shape{2, 2});
}

TEST_CASE("EmbeddingBag: gradcheck and gradgradcheck for each mode") {
  Tensor w = input({4, 3}, -1, 1, 9), psw = input({5}, 0.5, 1.5, 10);
  Tensor index = ids({0, 1, 2, 3, 3}, {5}), offsets = ids({0, 2, 2}, {3});
  for (F::BagMode mode : {F::BagMode::sum, F::BagMode::mean, F::BagMode::max}) {
    auto f = [&](const std::vector<Tensor>& v) {
      return F::embedding_bag(index, v[0], offsets, {.mode = mode});
    };
    CHECK(gradcheck(f, {w}));
    CHECK(gradgradcheck(f, {w}));
  }
  auto weighted = [&](const std::vector<Tensor>& v) {
    return F::embedding_bag(index, v[0], offsets, {.mode = F::BagMode::sum}, v[1]);
  };
  CHECK(gradcheck(weighted, {w, psw}));
  CHECK(gradgradcheck(weighted, {w, psw}));
}

TEST_CASE("Embedding and EmbeddingBag: errors name the layer and what was wrong") {
  nn::Embedding emb(5, 3);
  CHECK_ERROR_MESSAGE(emb(tensor({1.0, 2.0})),
                      "Embedding(5, 3): expected int64 or int32 indices, got float32 (2,)");
  CHECK_ERROR_MESSAGE(emb(ids({1, 5}, {2})), "embedding: index 5 is out of range [0, 5)");
  CHECK_ERROR_MESSAGE(emb(ids({-1}, {1})), "embedding: index -1 is out of range [0, 5)");
  CHECK_ERROR_MESSAGE(nn::Embedding(5, 3, {.padding_idx = 5}),
                      "Embedding: padding_idx 5 is out of range for 5 embeddings");
  CHECK_ERROR_MESSAGE(nn::Embedding(0, 3),
                      "Embedding: num_embeddings and embedding_dim must be positive, got 0 and 3");
  CHECK_ERROR_MESSAGE(F::embedding(ids({0}, {1}), zeros({3})),
                      "embedding: weight must be 2-D (num_embeddings, embedding_dim), got (3,)");
  Tensor w = zeros({4, 2});
  CHECK_ERROR_MESSAGE(F::embedding_bag(ids({0, 1}, {1, 2}), w, ids({0}, {1})),
                      "embedding_bag: offsets must be undefined when indices are 2-D (B, n), got "
                      "offsets of shape (1,)");
  CHECK_ERROR_MESSAGE(F::embedding_bag(ids({0, 1}, {2}), w, ids({1}, {1})),
                      "embedding_bag: the first offset must be 0, got 1");
  CHECK_ERROR_MESSAGE(F::embedding_bag(ids({0, 1}, {2}), w, ids({0, 2, 1}, {3})),
                      "embedding_bag: offsets must not decrease, got 2 then 1");
  CHECK_ERROR_MESSAGE(F::embedding_bag(ids({0, 1}, {2}), w, ids({0}, {1}), {}, ones({2})),
                      "embedding_bag: per_sample_weights are only supported with mode sum");
  CHECK_ERROR_MESSAGE(F::embedding_bag(ids({0, 1}, {2}), w),
                      "embedding_bag: 1-D indices need 1-D offsets (one start per bag)");
}
