// Attention: scaled_dot_product_attention against hand-computed 2×2 cases (masks, causal,
// scale), MultiheadAttention against a manual per-head computation and identity weights, its
// parameters under PyTorch's names, gradcheck and gradgradcheck in float64 for every option
// that changes the math, hooks through m({q, k, v}), errors word for word.
#include "../helpers.hpp"

using namespace xgrad;
using xgrad::testing::allclose;
using xgrad::testing::input;
using xgrad::testing::randomize;
using xgrad::testing::with_parameters;
namespace F = xgrad::nn::functional;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<std::string> names(const nn::Module& m) {
  std::vector<std::string> out;
  for (const auto& [name, t] : m.named_parameters())
    out.push_back(name + " " + format_shape(t.shape()));
  return out;
}

}  // namespace

TEST_CASE("scaled_dot_product_attention: a 2×2 case by hand") {
  Tensor q = tensor({{1.0, 0.0}, {0.0, 1.0}}, float64), k = q;
  Tensor v = tensor({{1.0, 2.0}, {3.0, 4.0}}, float64);
  // scores = q kᵀ / √2 = I / √2: each row attends to "its" key with weight e^a / (e^a + 1).
  const double a = 1.0 / std::sqrt(2.0), w0 = std::exp(a) / (std::exp(a) + 1), w1 = 1 - w0;
  Tensor expected =
      tensor({{w0 * 1 + w1 * 3, w0 * 2 + w1 * 4}, {w1 * 1 + w0 * 3, w1 * 2 + w0 * 4}}, float64);
  CHECK(allclose(F::scaled_dot_product_attention(q, k, v), expected, 1e-14, 0));
  // Query 0 may see key 0 only: row 0 is v[0]; row 1 is unchanged. Four ways to say so.
  Tensor causal = concat({tensor({{1.0, 2.0}}, float64), narrow(expected, 0, 1, 1)}, 0);
  Tensor allowed = tensor({{1.0, 0.0}, {1.0, 1.0}}).to(bool_);
  CHECK(allclose(F::scaled_dot_product_attention(q, k, v, allowed), causal, 1e-14, 0));
  CHECK(allclose(F::scaled_dot_product_attention(q, k, v, {}, 0, true), causal, 1e-14, 0));
  Tensor additive = tensor({{0.0, -kInf}, {0.0, 0.0}}, float64);
  CHECK(allclose(F::scaled_dot_product_attention(q, k, v, additive), causal, 1e-14, 0));
  CHECK(allclose(
      F::scaled_dot_product_attention(q, k, v, nn::generate_square_subsequent_mask(2, float64)),
      causal, 1e-14, 0));
  // A float mask is added to the scores: + log 3 on (0, 1) makes row 0's weights e^a : 3.
  Tensor bias = tensor({{0.0, std::log(3.0)}, {0.0, 0.0}}, float64);
  const double u0 = std::exp(a) / (std::exp(a) + 3), u1 = 1 - u0;
  Tensor row0 = tensor({{u0 * 1 + u1 * 3, u0 * 2 + u1 * 4}}, float64);
  CHECK(allclose(narrow(F::scaled_dot_product_attention(q, k, v, bias), 0, 0, 1), row0, 1e-14, 0));
  // scale = 0: uniform weights, every row the mean of v; scale = 1: e / (e + 1).
  CHECK(allclose(F::scaled_dot_product_attention(q, k, v, {}, 0, false, 0.0),
                 tensor({{2.0, 3.0}, {2.0, 3.0}}, float64), 1e-14, 0));
  const double s0 = std::exp(1.0) / (std::exp(1.0) + 1);
  CHECK(F::scaled_dot_product_attention(q, k, v, {}, 0, false, 1.0).to_vector()[0] ==
        doctest::Approx(s0 * 1 + (1 - s0) * 3).epsilon(1e-14));
}

TEST_CASE("scaled_dot_product_attention: batches, broadcasting, L != S, Ev != E") {
  Tensor q = input({2, 3, 4, 5}, -1, 1, 1).detach(), k = input({3, 6, 5}, -1, 1, 2).detach();
  Tensor v = input({2, 1, 6, 7}, -1, 1, 3).detach();
  Tensor out = F::scaled_dot_product_attention(q, k, v);
  CHECK(out.shape() == Shape{2, 3, 4, 7});
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t h = 0; h < 3; ++h) {
      Tensor qi = select(select(q, 0, b), 0, h), ki = select(k, 0, h),
             vi = select(select(v, 0, b), 0, 0);
      Tensor w = softmax(div(matmul(qi, transpose(ki, 0, 1)), std::sqrt(5.0)), -1);
      CHECK(allclose(select(select(out, 0, b), 0, h), matmul(w, vi), 1e-14, 0));
    }
  // Causal with L < S: query i sees keys 0..i (top-left aligned, as PyTorch).
  Tensor qs = narrow(q, 2, 0, 2), ks = narrow(k, 1, 0, 3), vs = narrow(v, 2, 0, 3);
  Tensor c = F::scaled_dot_product_attention(qs, ks, vs, {}, 0, true);
  Tensor m = tensor({{1.0, 0.0, 0.0}, {1.0, 1.0, 0.0}}).to(bool_);
  CHECK(allclose(c, F::scaled_dot_product_attention(qs, ks, vs, m), 0, 0));
  // Dropout on the weights: with training off it is the identity; on, the rows change.
  CHECK(allclose(F::scaled_dot_product_attention(q, k, v, {}, 0.5, false, {}, false), out, 0, 0));
  Generator gen(3);
  CHECK(!allclose(F::scaled_dot_product_attention(q, k, v, {}, 0.5, false, {}, true, &gen), out));
}

TEST_CASE("scaled_dot_product_attention: gradcheck and gradgradcheck") {
  Tensor q = input({2, 3, 4}, -1, 1, 11), k = input({2, 5, 4}, -1, 1, 12),
         v = input({2, 5, 3}, -1, 1, 13);
  auto plain = [](const std::vector<Tensor>& t) {
    return F::scaled_dot_product_attention(t[0], t[1], t[2]);
  };
  Tensor allowed =
      tensor({{1.0, 0.0, 1.0, 1.0, 0.0}, {0.0, 1.0, 1.0, 0.0, 0.0}, {1.0, 1.0, 1.0, 1.0, 1.0}})
          .to(bool_);
  auto boolean = [&](const std::vector<Tensor>& t) {
    return F::scaled_dot_product_attention(t[0], t[1], t[2], allowed);
  };
  // A float mask (-inf entries and finite ones) that is differentiated too.
  Tensor fm = input({2, 1, 5}, -1, 1, 14);
  auto floating = [](const std::vector<Tensor>& t) {
    Tensor m = masked_fill(t[3], tensor({{{0.0, 0.0, 1.0, 0.0, 0.0}}}).to(bool_), -kInf);
    return F::scaled_dot_product_attention(t[0], t[1], t[2], m);
  };
  auto causal = [](const std::vector<Tensor>& t) {
    return F::scaled_dot_product_attention(t[0], t[1], t[2], {}, 0, true, 0.7);
  };
  // Broadcast leading dims: one key/value set for both batches (the matmul path).
  Tensor k1 = input({1, 5, 4}, -1, 1, 15), v1 = input({5, 3}, -1, 1, 16);
  CHECK(gradcheck(plain, {q, k, v}));
  CHECK(gradgradcheck(plain, {q, k, v}));
  CHECK(gradcheck(boolean, {q, k, v}));
  CHECK(gradgradcheck(boolean, {q, k, v}));
  CHECK(gradcheck(floating, {q, k, v, fm}));
  CHECK(gradgradcheck(floating, {q, k, v, fm}));
  CHECK(gradcheck(causal, {q, k, v}));
  CHECK(gradgradcheck(causal, {q, k, v}));
  CHECK(gradcheck(plain, {q, k1, v1}));
  CHECK(gradgradcheck(plain, {q, k1, v1}));
  // Repeated inputs: self-attention of one tensor.
  auto self = [](const std::vector<Tensor>& t) {
    return F::scaled_dot_product_attention(t[0], t[0], t[0]);
  };
  CHECK(gradcheck(self, {q}));
  CHECK(gradgradcheck(self, {q}));
}

TEST_CASE("scaled_dot_product_attention: errors") {
  Tensor q = zeros({2, 3, 4}), k = zeros({2, 5, 4}), v = zeros({2, 5, 3});
  CHECK_ERROR_MESSAGE(F::scaled_dot_product_attention(q, zeros({2, 5, 3}), v),
                      "scaled_dot_product_attention: expected query (..., L, E), key (..., S, E) "
                      "and value (..., S, Ev), got (2, 3, 4), (2, 5, 3) and (2, 5, 3)");
  CHECK_ERROR_MESSAGE(F::scaled_dot_product_attention(q, k, zeros({2, 4, 3})),
                      "scaled_dot_product_attention: expected query (..., L, E), key (..., S, E) "
                      "and value (..., S, Ev), got (2, 3, 4), (2, 5, 4) and (2, 4, 3)");
  CHECK_ERROR_MESSAGE(F::scaled_dot_product_attention(q, k, v, zeros({3, 4})),
                      "scaled_dot_product_attention: attn_mask (3, 4) does not broadcast to the "
                      "scores (2, 3, 5) (..., L, S)");
  CHECK_ERROR_MESSAGE(F::scaled_dot_product_attention(q, k, v, zeros({3, 5}, int64)),
                      "scaled_dot_product_attention: expected a bool or floating attn_mask, got "
                      "int64");
  CHECK_ERROR_MESSAGE(F::scaled_dot_product_attention(q, k, v, zeros({3, 5}), 0, true),
                      "scaled_dot_product_attention: give attn_mask or is_causal, not both");
  CHECK_ERROR_MESSAGE(F::scaled_dot_product_attention(q, k, v, {}, 1.0),
                      "scaled_dot_product_attention: dropout_p must be in [0, 1), got 1.000000");
  CHECK_ERROR_MESSAGE(F::scaled_dot_product_attention(q, k.to(float64), v),
                      "scaled_dot_product_attention: expected query, key and value of one "
                      "floating dtype, got float32, float64 and float32");
}

TEST_CASE("MultiheadAttention: parameters under PyTorch's names, initialisation") {
  nn::MultiheadAttention m(8, 2);
  CHECK(names(m) == std::vector<std::string>{"in_proj_weight (24, 8)", "in_proj_bias (24,)",
                                             "out_proj.weight (8, 8)", "out_proj.bias (8,)"});
  CHECK(m.head_dim == 4);
  CHECK(m.in_proj_bias.abs().max().item() == 0.0);
  CHECK(m.out_proj->bias.abs().max().item() == 0.0);
  // xavier_uniform_ on (24, 8): bound √(6 / 32); Linear's default on out_proj: 1/√8.
  const double bound = std::sqrt(6.0 / 32.0);
  CHECK(m.in_proj_weight.abs().max().item() <= bound);
  CHECK(m.in_proj_weight.abs().max().item() > 0.8 * bound);
  CHECK(m.out_proj->weight.abs().max().item() <= 1 / std::sqrt(8.0));
  nn::MultiheadAttention kv(8, 2, {.add_bias_kv = true, .kdim = 3, .vdim = 5});
  CHECK(names(kv) == std::vector<std::string>{"q_proj_weight (8, 8)", "k_proj_weight (8, 3)",
                                              "v_proj_weight (8, 5)", "in_proj_bias (24,)",
                                              "bias_k (1, 1, 8)", "bias_v (1, 1, 8)",
                                              "out_proj.weight (8, 8)", "out_proj.bias (8,)"});
  nn::MultiheadAttention nobias(8, 4, {.bias = false});
  CHECK(names(nobias) ==
        std::vector<std::string>{"in_proj_weight (24, 8)", "out_proj.weight (8, 8)"});
  CHECK(m.extra_repr() == "embed_dim=8, num_heads=2");
  CHECK(kv.extra_repr() == "embed_dim=8, num_heads=2, add_bias_kv=true, kdim=3, vdim=5");
  nn::MultiheadAttention bf(8, 2, {.dropout = 0.25, .batch_first = true});
  CHECK(bf.extra_repr() == "embed_dim=8, num_heads=2, dropout=0.25, batch_first=true");
  // The state dict round-trips into a fresh module (what PyTorch's files hold).
  nn::MultiheadAttention copy(8, 2);
  copy.load_state_dict(m.state_dict());
  CHECK(allclose(copy.in_proj_weight, m.in_proj_weight, 0, 0));
}

TEST_CASE("MultiheadAttention: identity weights give scaled_dot_product_attention") {
  // One head, E = 2, every projection the identity and no bias: the output is attention of the
  // raw inputs (the 2×2 case by hand of the first test), the weights its softmax.
  nn::MultiheadAttention m(2, 1);
  m.to(float64);
  {
    const NoGradGuard no_grad;
    Tensor eye2 = eye(2, float64);
    m.in_proj_weight.copy_(concat({eye2, eye2, eye2}, 0));
    m.out_proj->weight.copy_(eye2);
  }
  Tensor x = tensor({{1.0, 0.0}, {0.0, 1.0}}, float64),
         v = tensor({{1.0, 2.0}, {3.0, 4.0}}, float64);
  auto r = m.forward(x, x, v);
  const double a = 1.0 / std::sqrt(2.0), w0 = std::exp(a) / (std::exp(a) + 1), w1 = 1 - w0;
  CHECK(allclose(
      r.output,
      tensor({{w0 * 1 + w1 * 3, w0 * 2 + w1 * 4}, {w1 * 1 + w0 * 3, w1 * 2 + w0 * 4}}, float64),
      1e-14, 0));
  CHECK(allclose(r.weights, tensor({{w0, w1}, {w1, w0}}, float64), 1e-14, 0));
  // MHA's bool mask means "not allowed": masking key 1 for query 0.
  Tensor forbid = tensor({{0.0, 1.0}, {0.0, 0.0}}).to(bool_);
  auto masked = m.forward(x, x, v, {.attn_mask = forbid});
  CHECK(allclose(narrow(masked.output, 0, 0, 1), tensor({{1.0, 2.0}}, float64), 1e-14, 0));
  CHECK(allclose(masked.weights, tensor({{1.0, 0.0}, {w1, w0}}, float64), 1e-14, 0));
  // need_weights = false: no weights.
  CHECK(!m.forward(x, x, v, {.need_weights = false}).weights.defined());
}

namespace {

// MultiheadAttention computed head by head with plain 2-d ops, for query (L, N, E) and key /
// value (S, N, E): the additive mask (L, S) per batch row from `mask(n)`.
std::pair<Tensor, Tensor> manual_mha(const nn::MultiheadAttention& m, const Tensor& query,
                                     const Tensor& key, const Tensor& value,
                                     const std::function<Tensor(int64_t)>& mask) {
  const int64_t e = m.embed_dim, h = m.num_heads, d = m.head_dim, n = query.shape()[1];
  std::vector<Tensor> outs, weights;
  for (int64_t b = 0; b < n; ++b) {
    Tensor qb = select(query, 1, b), kb = select(key, 1, b), vb = select(value, 1, b);
    Tensor qp = linear(qb, narrow(m.in_proj_weight, 0, 0, e), narrow(m.in_proj_bias, 0, 0, e));
    Tensor kp = linear(kb, narrow(m.in_proj_weight, 0, e, e), narrow(m.in_proj_bias, 0, e, e));
    Tensor vp =
        linear(vb, narrow(m.in_proj_weight, 0, 2 * e, e), narrow(m.in_proj_bias, 0, 2 * e, e));
    std::vector<Tensor> heads, ws;
    for (int64_t i = 0; i < h; ++i) {
      Tensor qi = narrow(qp, 1, i * d, d), ki = narrow(kp, 1, i * d, d),
             vi = narrow(vp, 1, i * d, d);
      Tensor s = div(matmul(qi, transpose(ki, 0, 1)), std::sqrt(static_cast<double>(d)));
      Tensor w = softmax(add(s, mask(b)), -1);
      heads.push_back(matmul(w, vi));
      ws.push_back(w);
    }
    outs.push_back(linear(concat(heads, 1), m.out_proj->weight, m.out_proj->bias));
    weights.push_back(mean(stack(ws, 0), {0}));
  }
  return {stack(outs, 1), stack(weights, 0)};
}

}  // namespace

TEST_CASE("MultiheadAttention: equals a manual per-head computation, with masks") {
  nn::MultiheadAttention m(6, 3);
  m.to(float64);
  randomize(m, 4);
  Tensor q = input({4, 2, 6}, -1, 1, 21).detach(), k = input({5, 2, 6}, -1, 1, 22).detach();
  Tensor v = input({5, 2, 6}, -1, 1, 23).detach();
  auto no_mask = [](int64_t) { return zeros({1}, float64); };
  auto [out, w] = manual_mha(m, q, k, v, no_mask);
  auto r = m.forward(q, k, v);
  CHECK(r.output.shape() == Shape{4, 2, 6});
  CHECK(r.weights.shape() == Shape{2, 4, 5});
  CHECK(allclose(r.output, out, 1e-13, 0));
  CHECK(allclose(r.weights, w, 1e-13, 0));
  // key_padding_mask (true = ignore) and a bool attn_mask (true = not allowed) together.
  Tensor kpm = tensor({{0.0, 0.0, 0.0, 1.0, 1.0}, {0.0, 1.0, 0.0, 0.0, 0.0}}).to(bool_);
  Tensor am = tensor({{0.0, 1.0, 0.0, 0.0, 0.0},
                      {0.0, 0.0, 0.0, 0.0, 0.0},
                      {1.0, 0.0, 0.0, 0.0, 1.0},
                      {0.0, 0.0, 1.0, 0.0, 0.0}})
                  .to(bool_);
  auto both = [&](int64_t b) {
    Tensor forbid = logical_or(am, unsqueeze(select(kpm, 0, b), 0));
    return masked_fill(zeros({4, 5}, float64), forbid, -kInf);
  };
  auto [mout, mw] = manual_mha(m, q, k, v, both);
  auto masked = m.forward(q, k, v, {.key_padding_mask = kpm, .attn_mask = am});
  CHECK(allclose(masked.output, mout, 1e-13, 0));
  CHECK(allclose(masked.weights, mw, 1e-13, 0));
  // The same masks as floats (-inf where forbidden) give the same result.
  Tensor fkpm = masked_fill(zeros({2, 5}, float64), kpm, -kInf);
  Tensor fam = masked_fill(zeros({4, 5}, float64), am, -kInf);
  CHECK(allclose(m.forward(q, k, v, {.key_padding_mask = fkpm, .attn_mask = fam}).output, mout,
                 1e-13, 0));
  // A per-head 3-d mask (N * heads, L, S): batch row b, head i is entry b * heads + i.
  Tensor am3 = expand(unsqueeze(am, 0), {6, 4, 5}).contiguous();
  CHECK(allclose(m.forward(q, k, v, {.attn_mask = am3}).output,
                 m.forward(q, k, v, {.attn_mask = am}).output, 1e-14, 0));
  // Weights per head, not averaged: (N, heads, L, S) whose mean is the averaged one.
  auto per_head = m.forward(q, k, v, {.average_attn_weights = false});
  CHECK(per_head.weights.shape() == Shape{2, 3, 4, 5});
  CHECK(allclose(mean(per_head.weights, {1}), w, 1e-14, 0));
  // is_causal without a mask: the causal mask.
  Tensor kq = narrow(k, 0, 0, 4), vq = narrow(v, 0, 0, 4);
  CHECK(allclose(
      m.forward(q, kq, vq, {.is_causal = true}).output,
      m.forward(q, kq, vq, {.attn_mask = nn::generate_square_subsequent_mask(4, float64)}).output,
      0, 0));
  // batch_first and unbatched inputs are the same computation in other layouts.
  nn::MultiheadAttention bf(6, 3, {.batch_first = true});
  bf.to(float64);
  bf.load_state_dict(m.state_dict());
  auto rb = bf.forward(transpose(q, 0, 1), transpose(k, 0, 1), transpose(v, 0, 1),
                       {.key_padding_mask = kpm});
  CHECK(allclose(transpose(rb.output, 0, 1), m.forward(q, k, v, {.key_padding_mask = kpm}).output,
                 1e-14, 0));
  auto ru = m.forward(select(q, 1, 1), select(k, 1, 1), select(v, 1, 1),
                      {.key_padding_mask = select(kpm, 0, 1)});
  CHECK(ru.output.shape() == Shape{4, 6});
  CHECK(ru.weights.shape() == Shape{4, 5});
  auto padding_only = [&](int64_t b) {
    return masked_fill(zeros({4, 5}, float64), unsqueeze(select(kpm, 0, b), 0), -kInf);
  };
  CHECK(allclose(ru.output, select(manual_mha(m, q, k, v, padding_only).first, 1, 1), 1e-13, 0));
}

TEST_CASE("MultiheadAttention: add_bias_kv and add_zero_attn append one key position each") {
  nn::MultiheadAttention m(4, 2, {.add_bias_kv = true, .add_zero_attn = true});
  m.to(float64);
  randomize(m, 5);
  Tensor q = input({3, 2, 4}, -1, 1, 31).detach(), k = input({5, 2, 4}, -1, 1, 32).detach();
  Tensor v = input({5, 2, 4}, -1, 1, 33).detach();
  auto r = m.forward(q, k, v);
  CHECK(r.weights.shape() == Shape{2, 3, 7});
  // bias_k and bias_v enter after the projection (the projected key is the bias itself), the
  // zero position after the projection too (its score is 0).
  // Manual: project, append bias_k / zeros, attend with all heads at once.
  const int64_t e = 4;
  Tensor qp = linear(q, narrow(m.in_proj_weight, 0, 0, e), narrow(m.in_proj_bias, 0, 0, e));
  Tensor kp = linear(k, narrow(m.in_proj_weight, 0, e, e), narrow(m.in_proj_bias, 0, e, e));
  Tensor vp = linear(v, narrow(m.in_proj_weight, 0, 2 * e, e), narrow(m.in_proj_bias, 0, 2 * e, e));
  kp = concat({kp, expand(m.bias_k, {1, 2, 4}), zeros({1, 2, 4}, float64)}, 0);
  vp = concat({vp, expand(m.bias_v, {1, 2, 4}), zeros({1, 2, 4}, float64)}, 0);
  auto heads = [](const Tensor& t) {
    return permute(reshape(t, {t.shape()[0], 2, 2, 2}), {1, 2, 0, 3});
  };
  Tensor o = F::scaled_dot_product_attention(heads(qp), heads(kp), heads(vp));
  Tensor expected =
      linear(reshape(permute(o, {2, 0, 1, 3}), {3, 2, 4}), m.out_proj->weight, m.out_proj->bias);
  CHECK(allclose(r.output, expected, 1e-13, 0));
  // A key padding mask covers the original keys only; the appended positions stay visible.
  Tensor kpm = tensor({{1.0, 1.0, 1.0, 1.0, 1.0}, {0.0, 0.0, 0.0, 0.0, 0.0}}).to(bool_);
  auto padded = m.forward(q, k, v, {.key_padding_mask = kpm});
  CHECK(allclose(narrow(select(padded.weights, 0, 0), 1, 0, 5), zeros({3, 5}, float64), 0, 0));
  CHECK(allclose(sum(select(padded.weights, 0, 0), {1}), ones({3}, float64), 1e-14, 0));
}

TEST_CASE("MultiheadAttention: gradcheck and gradgradcheck for each option") {
  Tensor q = input({3, 2, 4}, -1, 1, 41), k = input({2, 2, 4}, -1, 1, 42),
         v = input({2, 2, 4}, -1, 1, 43);
  SUBCASE("self-attention, weights output, bool masks") {
    nn::MultiheadAttention m(4, 2);
    m.to(float64);
    randomize(m, 6);
    Tensor kpm = tensor({{0.0, 0.0, 1.0}, {0.0, 0.0, 0.0}}).to(bool_);
    Tensor am = tensor({{0.0, 1.0, 0.0}, {0.0, 0.0, 1.0}, {1.0, 0.0, 0.0}}).to(bool_);
    auto out = [&](const std::vector<Tensor>& t) {
      return m.forward(t[0], t[0], t[0], {.key_padding_mask = kpm, .attn_mask = am}).output;
    };
    auto weights = [&](const std::vector<Tensor>& t) {
      return m.forward(t[0], t[0], t[0], {.key_padding_mask = kpm, .attn_mask = am}).weights;
    };
    auto per_head = [&](const std::vector<Tensor>& t) {
      return m.forward(t[0], t[0], t[0], {.average_attn_weights = false}).weights;
    };
    const auto inputs = with_parameters(m, {q});
    CHECK(gradcheck(out, inputs));
    CHECK(gradgradcheck(out, inputs));
    CHECK(gradcheck(weights, inputs));
    CHECK(gradgradcheck(weights, inputs));
    CHECK(gradcheck(per_head, {q}));
  }
  SUBCASE("cross-attention, float masks, causal") {
    nn::MultiheadAttention m(4, 2);
    m.to(float64);
    randomize(m, 7);
    Tensor fam = input({3, 2}, -1, 1, 44), fkpm = input({2, 2}, -1, 1, 45);
    auto out = [&](const std::vector<Tensor>& t) {
      return m.forward(t[0], t[1], t[2], {.key_padding_mask = t[4], .attn_mask = t[3]}).output;
    };
    auto causal = [&](const std::vector<Tensor>& t) {
      return m.forward(t[0], t[1], t[2], {.is_causal = true}).output;
    };
    CHECK(gradcheck(out, with_parameters(m, {q, k, v, fam, fkpm})));
    CHECK(gradgradcheck(out, with_parameters(m, {q, k, v, fam, fkpm})));
    CHECK(gradcheck(causal, with_parameters(m, {q, k, v})));
    CHECK(gradgradcheck(causal, {q, k, v}));
  }
  SUBCASE("kdim / vdim, add_bias_kv, add_zero_attn") {
    nn::MultiheadAttention m(4, 2,
                             {.add_bias_kv = true, .add_zero_attn = true, .kdim = 3, .vdim = 5});
    m.to(float64);
    randomize(m, 8);
    Tensor kk = input({2, 2, 3}, -1, 1, 46), vv = input({2, 2, 5}, -1, 1, 47);
    Tensor kpm = tensor({{0.0, 1.0}, {0.0, 0.0}}).to(bool_);
    auto out = [&](const std::vector<Tensor>& t) {
      return m.forward(t[0], t[1], t[2], {.key_padding_mask = kpm}).output;
    };
    CHECK(gradcheck(out, with_parameters(m, {q, kk, vv})));
    CHECK(gradgradcheck(out, with_parameters(m, {q, kk, vv})));
  }
  SUBCASE("batch_first, unbatched, no bias") {
    nn::MultiheadAttention m(4, 2, {.bias = false, .batch_first = true});
    m.to(float64);
    randomize(m, 9);
    auto out = [&](const std::vector<Tensor>& t) { return m.forward(t[0], t[1], t[2]).output; };
    // (N = 3, L = 2, E) and (N = 3, S = 4, E), batch first.
    Tensor kb = input({3, 4, 4}, -1, 1, 50), vb = input({3, 4, 4}, -1, 1, 51);
    CHECK(gradcheck(out, with_parameters(m, {q, kb, vb})));
    CHECK(gradgradcheck(out, with_parameters(m, {q, kb, vb})));
    Tensor q2 = input({3, 4}, -1, 1, 48), k2 = input({2, 4}, -1, 1, 49);
    auto weights = [&](const std::vector<Tensor>& t) {
      return m.forward(t[0], t[1], t[1]).weights;
    };
    CHECK(gradcheck(out, with_parameters(m, {q2, k2, k2})));
    CHECK(gradgradcheck(out, {q2, k2, k2}));
    CHECK(gradcheck(weights, {q2, k2}));
  }
}

TEST_CASE("MultiheadAttention: m({q, k, v}) runs the hooks, m(x) is self-attention") {
  nn::MultiheadAttention m(4, 2);
  Tensor x = randn({3, 2, 4});
  std::vector<std::size_t> seen;  // inputs, outputs per call
  m.register_forward_many_hook(
      [&](nn::Module&, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        seen.insert(seen.end(), {in.size(), out.size()});
        return std::vector<Tensor>{};
      });
  auto out = m({x, x, x});
  CHECK(seen == std::vector<std::size_t>{3, 2});
  CHECK(out[1].shape() == Shape{2, 3, 3});
  CHECK(allclose(out[0], m.forward(x, x, x).output, 0, 0));
  CHECK(allclose(m.forward(x), out[0], 0, 0));
  // With masks: {q, k, v, key_padding_mask, attn_mask}.
  Tensor kpm = tensor({{0.0, 0.0, 1.0}, {0.0, 0.0, 0.0}}).to(bool_);
  CHECK(allclose(m({x, x, x, kpm, Tensor()})[0],
                 m.forward(x, x, x, {.key_padding_mask = kpm}).output, 0, 0));
  // Dropout on the weights while training only.
  nn::MultiheadAttention d(4, 2, {.dropout = 0.5});
  d.eval();
  CHECK(allclose(d.forward(x, x, x).output, d.forward(x, x, x).output, 0, 0));
  d.train();
  CHECK(!allclose(d.forward(x, x, x).output, d.forward(x, x, x).output));
}

TEST_CASE("MultiheadAttention: errors name the layer and the shapes") {
  CHECK_ERROR_MESSAGE(nn::MultiheadAttention(8, 3),
                      "MultiheadAttention: embed_dim 8 must be divisible by num_heads 3");
  CHECK_ERROR_MESSAGE(nn::MultiheadAttention(8, 0),
                      "MultiheadAttention: embed_dim and num_heads must be positive, got "
                      "embed_dim=8, num_heads=0");
  CHECK_ERROR_MESSAGE(nn::MultiheadAttention(8, 2, {.dropout = 1.5}),
                      "MultiheadAttention: dropout must be in [0, 1), got 1.500000");
  CHECK_ERROR_MESSAGE(nn::MultiheadAttention(8, 2, {.kdim = 0}),
                      "MultiheadAttention: kdim and vdim must be positive, got kdim=0, vdim=8");
  nn::MultiheadAttention m(8, 2);
  Tensor q = zeros({5, 3, 8}), k = zeros({4, 3, 8});
  CHECK_ERROR_MESSAGE(m.forward(zeros({5, 3, 7}), k, k),
                      "MultiheadAttention(embed_dim=8, num_heads=2): expected query (L, N, 8) or "
                      "(L, 8), got (5, 3, 7)");
  CHECK_ERROR_MESSAGE(m.forward(q, zeros({4, 2, 8}), k),
                      "MultiheadAttention(embed_dim=8, num_heads=2): expected key (S, 3, 8) for "
                      "query (5, 3, 8), got (4, 2, 8)");
  CHECK_ERROR_MESSAGE(m.forward(q, k, zeros({3, 3, 8})),
                      "MultiheadAttention(embed_dim=8, num_heads=2): expected value (4, 3, 8) for "
                      "key (4, 3, 8), got (3, 3, 8)");
  CHECK_ERROR_MESSAGE(m.forward(q, k, k, {.key_padding_mask = zeros({4, 3}, bool_)}),
                      "MultiheadAttention(embed_dim=8, num_heads=2): expected key_padding_mask (N, "
                      "S) = (3, 4), got (4, 3)");
  CHECK_ERROR_MESSAGE(m.forward(q, k, k, {.attn_mask = zeros({4, 5}, bool_)}),
                      "MultiheadAttention(embed_dim=8, num_heads=2): expected attn_mask (L, S) = "
                      "(5, 4) or (N * num_heads, L, S) = (6, 5, 4), got (4, 5)");
  CHECK_ERROR_MESSAGE(m.forward(q, k, k, {.attn_mask = zeros({5, 4}, int64)}),
                      "MultiheadAttention(embed_dim=8, num_heads=2): expected a bool or floating "
                      "attn_mask, got int64");
  CHECK_ERROR_MESSAGE(m({q, k}),
                      "MultiheadAttention(embed_dim=8, num_heads=2): forward_many "
                      "takes {query, key, value [, key_padding_mask [, attn_mask]]}, "
                      "got 2 tensors");
  nn::MultiheadAttention bf(8, 2, {.kdim = 6, .batch_first = true});
  CHECK_ERROR_MESSAGE(bf.forward(zeros({3, 5, 8}), zeros({3, 4, 8}), zeros({3, 4, 8})),
                      "MultiheadAttention(embed_dim=8, num_heads=2): expected key (3, S, 6) for "
                      "query (3, 5, 8), got (3, 4, 8)");
  CHECK_ERROR_MESSAGE(bf.forward(zeros({3, 5, 4}), zeros({3, 4, 6}), zeros({3, 4, 8})),
                      "MultiheadAttention(embed_dim=8, num_heads=2): expected query (N, L, 8) or "
                      "(L, 8), got (3, 5, 4)");
}
