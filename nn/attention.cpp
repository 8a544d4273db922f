// Scaled dot-product attention and MultiheadAttention as compositions of batched matmul,
// softmax and masking; MultiheadAttention turns PyTorch's MHA masks (bool true = not allowed)
// into one additive mask, as PyTorch does, before the shared attention.
#include "nn/attention.hpp"

#include <cmath>
#include <limits>
#include <sstream>

#include "nn/functional.hpp"
#include "nn/init.hpp"

namespace xgrad::nn {

namespace {

std::string str(const Tensor& t) { return format_shape(t.shape()); }
std::string str(const Shape& s) { return format_shape(s); }
std::string num(int64_t n) { return std::to_string(n); }
std::string tensors(std::size_t n) { return std::to_string(n) + (n == 1 ? " tensor" : " tensors"); }
constexpr double kInf = std::numeric_limits<double>::infinity();

// Bool (L, S): true where query i may attend to key j (j <= i).
Tensor causal_allowed(int64_t l, int64_t s) {
  Tensor rows = reshape(arange(0, static_cast<double>(l), 1, Dtype::int64), {l, 1});
  Tensor cols = reshape(arange(0, static_cast<double>(s), 1, Dtype::int64), {1, s});
  return ge(rows, cols);
}

// Whether `mask` broadcasts to exactly `target` (numpy's rules, without growing target).
bool broadcasts_to(const Shape& mask, const Shape& target) {
  if (mask.size() > target.size()) return false;
  for (std::size_t i = 1; i <= mask.size(); ++i) {
    const int64_t m = mask[mask.size() - i], t = target[target.size() - i];
    if (m != 1 && m != t) return false;
  }
  return true;
}

Shape leading(const Tensor& t) { return Shape(t.shape().begin(), t.shape().end() - 2); }

}  // namespace

namespace detail {

std::vector<Tensor> attention_with_weights(const char* op, const Tensor& q, const Tensor& k,
                                           const Tensor& v, const Tensor& mask, double dropout_p,
                                           bool is_causal, std::optional<double> scale,
                                           bool training, Generator* gen) {
  const std::string name(op);
  if (q.dim() < 2 || k.dim() < 2 || v.dim() < 2 || q.shape().back() != k.shape().back() ||
      k.shape()[k.dim() - 2] != v.shape()[v.dim() - 2])
    throw Error(name +
                ": expected query (..., L, E), key (..., S, E) and value (..., S, Ev), got " +
                str(q) + ", " + str(k) + " and " + str(v));
  if (!is_floating_point(q.dtype()) || k.dtype() != q.dtype() || v.dtype() != q.dtype())
    throw Error(name + ": expected query, key and value of one floating dtype, got " +
                dtype_name(q.dtype()) + ", " + dtype_name(k.dtype()) + " and " +
                dtype_name(v.dtype()));
  if (!(dropout_p >= 0.0 && dropout_p < 1.0))
    throw Error(name + ": dropout_p must be in [0, 1), got " + std::to_string(dropout_p));
  if (is_causal && mask.defined()) throw Error(name + ": give attn_mask or is_causal, not both");
  const int64_t l = q.shape()[q.dim() - 2], s = k.shape()[k.dim() - 2], e = q.shape().back();
  const double factor = scale.value_or(1.0 / std::sqrt(static_cast<double>(e)));
  // When query, key and value share their leading dims, fold them into one batch of 3-d
  // products with k transposed by flag (no broadcast, no transposed copy).
  const Shape batch = leading(q);
  const bool folded = batch == leading(k) && batch == leading(v) && q.dim() >= 3;
  const int64_t count = shape_numel(batch);
  Tensor scores;
  if (folded) {
    scores = matmul_transposed(reshape(mul(q, factor), {count, l, e}), reshape(k, {count, s, e}),
                               false, true);
    Shape shape = batch;
    shape.insert(shape.end(), {l, s});
    scores = reshape(scores, shape);
  } else {
    scores = matmul(mul(q, factor), transpose(k, -2, -1));
  }
  if (mask.defined()) {
    if (mask.dtype() != Dtype::bool_ && !is_floating_point(mask.dtype()))
      throw Error(name + ": expected a bool or floating attn_mask, got " +
                  dtype_name(mask.dtype()));
    if (!broadcasts_to(mask.shape(), scores.shape()))
      throw Error(name + ": attn_mask " + str(mask) + " does not broadcast to the scores " +
                  str(scores) + " (..., L, S)");
    scores = mask.dtype() == Dtype::bool_ ? masked_fill(scores, logical_not(mask), -kInf)
                                          : add(scores, mask.to(scores.dtype()));
  } else if (is_causal) {
    scores = masked_fill(scores, logical_not(causal_allowed(l, s)), -kInf);
  }
  Tensor weights = functional::dropout(softmax(scores, -1), dropout_p, training, gen);
  Tensor out;
  if (folded) {
    const int64_t ev = v.shape().back();
    out = matmul_transposed(reshape(weights, {count, l, s}), reshape(v, {count, s, ev}), false,
                            false);
    Shape shape = batch;
    shape.insert(shape.end(), {l, ev});
    out = reshape(out, shape);
  } else {
    out = matmul(weights, v);
  }
  return {out, weights};
}

}  // namespace detail

namespace functional {

Tensor scaled_dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                    const Tensor& attn_mask, double dropout_p, bool is_causal,
                                    std::optional<double> scale, bool training, Generator* gen) {
  return detail::attention_with_weights("scaled_dot_product_attention", query, key, value,
                                        attn_mask, dropout_p, is_causal, scale, training, gen)[0];
}

}  // namespace functional

Tensor generate_square_subsequent_mask(int64_t sz, Dtype dtype) {
  if (sz < 0) throw Error("generate_square_subsequent_mask: size must be >= 0, got " + num(sz));
  if (!is_floating_point(dtype))
    throw Error(std::string("generate_square_subsequent_mask: expected a floating dtype, got ") +
                dtype_name(dtype));
  return masked_fill(zeros({sz, sz}, dtype), logical_not(causal_allowed(sz, sz)), -kInf);
}

MultiheadAttention::MultiheadAttention(int64_t embed_dim_, int64_t num_heads_,
                                       MultiheadAttentionOptions o)
    : embed_dim(embed_dim_), num_heads(num_heads_), options(o) {
  const std::string type = "MultiheadAttention";
  if (embed_dim <= 0 || num_heads <= 0)
    throw Error(type + ": embed_dim and num_heads must be positive, got embed_dim=" +
                num(embed_dim) + ", num_heads=" + num(num_heads));
  if (embed_dim % num_heads != 0)
    throw Error(type + ": embed_dim " + num(embed_dim) + " must be divisible by num_heads " +
                num(num_heads));
  kdim = o.kdim.value_or(embed_dim);
  vdim = o.vdim.value_or(embed_dim);
  if (kdim <= 0 || vdim <= 0)
    throw Error(type + ": kdim and vdim must be positive, got kdim=" + num(kdim) +
                ", vdim=" + num(vdim));
  if (!(o.dropout >= 0.0 && o.dropout < 1.0))
    throw Error(type + ": dropout must be in [0, 1), got " + std::to_string(o.dropout));
  head_dim = embed_dim / num_heads;
  Generator* gen = o.gen;
  // One unit of the default generator's stream, also across threads (as Linear).
  const auto lock = gen ? std::unique_lock<std::recursive_mutex>() : lock_default_generator();
  // PyTorch's registration order: the projections, in_proj_bias, out_proj, bias_k, bias_v.
  auto xavier = [gen](Shape shape) {
    Tensor w = empty(shape);
    init::xavier_uniform_(w, 1.0, gen);
    return w;
  };
  if (kdim == embed_dim && vdim == embed_dim) {
    in_proj_weight = register_parameter("in_proj_weight", xavier({3 * embed_dim, embed_dim}));
  } else {
    q_proj_weight = register_parameter("q_proj_weight", xavier({embed_dim, embed_dim}));
    k_proj_weight = register_parameter("k_proj_weight", xavier({embed_dim, kdim}));
    v_proj_weight = register_parameter("v_proj_weight", xavier({embed_dim, vdim}));
  }
  if (o.bias) in_proj_bias = register_parameter("in_proj_bias", zeros({3 * embed_dim}));
  out_proj =
      register_module("out_proj", std::make_shared<Linear>(embed_dim, embed_dim, o.bias, gen));
  if (o.bias) init::zeros_(out_proj->bias);
  if (o.add_bias_kv) {
    for (Tensor* b : {&bias_k, &bias_v}) {
      Tensor t = empty({1, 1, embed_dim});
      init::xavier_normal_(t, 1.0, gen);
      *b = t;
    }
    bias_k = register_parameter("bias_k", bias_k);
    bias_v = register_parameter("bias_v", bias_v);
  }
}

std::string MultiheadAttention::name() const {
  return "MultiheadAttention(embed_dim=" + num(embed_dim) + ", num_heads=" + num(num_heads) + ")";
}

std::string MultiheadAttention::extra_repr() const {
  std::ostringstream os;
  os << "embed_dim=" << embed_dim << ", num_heads=" << num_heads;
  if (options.dropout != 0.0) os << ", dropout=" << options.dropout;
  if (!options.bias) os << ", bias=false";
  if (options.add_bias_kv) os << ", add_bias_kv=true";
  if (options.add_zero_attn) os << ", add_zero_attn=true";
  if (kdim != embed_dim) os << ", kdim=" << kdim;
  if (vdim != embed_dim) os << ", vdim=" << vdim;
  if (options.batch_first) os << ", batch_first=true";
  return os.str();
}

std::shared_ptr<Module> MultiheadAttention::clone_empty() const {
  // The copy draws its dropout from the same generator.
  return std::make_shared<MultiheadAttention>(embed_dim, num_heads, options);
}

namespace {

// A mask in MultiheadAttention's convention as an additive floating mask: bool true -> -inf.
Tensor additive(const Tensor& mask, Dtype dtype) {
  if (mask.dtype() == Dtype::bool_) return masked_fill(zeros(mask.shape(), dtype), mask, -kInf);
  return mask.to(dtype);
}

// mask with `extra` zero columns appended to its last dim (the bias_k / zero-attention keys).
Tensor pad_keys(const Tensor& mask, int64_t extra) {
  if (extra == 0) return mask;
  Shape shape = mask.shape();
  shape.back() = extra;
  return concat({mask, zeros(shape, mask.dtype())}, -1);
}

}  // namespace

AttentionOutput MultiheadAttention::forward(const Tensor& query, const Tensor& key,
                                            const Tensor& value, const MultiheadAttentionArgs& a) {
  const bool bf = options.batch_first;
  // ---- shapes: query (L, N, E) / (N, L, E) / (L, E); key and value alike ----
  if ((query.dim() != 2 && query.dim() != 3) || query.shape().back() != embed_dim)
    throw Error(name() + ": expected query " + (bf ? "(N, L, " : "(L, N, ") + num(embed_dim) +
                ") or (L, " + num(embed_dim) + "), got " + str(query));
  const bool batched = query.dim() == 3;
  // Unbatched input is (L, 1, E) from the projections on, whatever batch_first says.
  const bool bfl = batched && bf;
  const int64_t seq_dim = bfl ? 1 : 0;
  const int64_t n = batched ? query.shape()[bf ? 0 : 1] : 1;
  const int64_t l = query.shape()[seq_dim];
  {
    std::string want =
        batched ? (bf ? "(" + num(n) + ", S, " : "(S, " + num(n) + ", ") + num(kdim) + ")"
                : "(S, " + num(kdim) + ")";
    const bool ok = key.defined() && key.dim() == query.dim() && key.shape().back() == kdim &&
                    (!batched || key.shape()[bf ? 0 : 1] == n);
    if (!ok)
      throw Error(name() + ": expected key " + want + " for query " + str(query) + ", got " +
                  (key.defined() ? str(key) : std::string("an undefined tensor")));
  }
  const int64_t s0 = key.shape()[seq_dim];
  {
    Shape want = key.shape();
    want.back() = vdim;
    if (!value.defined() || value.shape() != want)
      throw Error(name() + ": expected value " + str(want) + " for key " + str(key) + ", got " +
                  (value.defined() ? str(value) : std::string("an undefined tensor")));
  }
  if (query.dtype() != key.dtype() || query.dtype() != value.dtype())
    throw Error(name() + ": query, key and value must have one dtype, got " +
                dtype_name(query.dtype()) + ", " + dtype_name(key.dtype()) + " and " +
                dtype_name(value.dtype()));
  const Dtype dtype = query.dtype();
  const Tensor& kpm = a.key_padding_mask;
  if (kpm.defined()) {
    const Shape want = batched ? Shape{n, s0} : Shape{s0};
    if (kpm.shape() != want)
      throw Error(name() + ": expected key_padding_mask " + (batched ? "(N, S) = " : "(S) = ") +
                  str(want) + ", got " + str(kpm));
    if (kpm.dtype() != Dtype::bool_ && !is_floating_point(kpm.dtype()))
      throw Error(name() + ": expected a bool or floating key_padding_mask, got " +
                  dtype_name(kpm.dtype()));
  }
  const Tensor& am = a.attn_mask;
  if (am.defined()) {
    const Shape two{l, s0}, three{n * num_heads, l, s0};
    if (am.shape() != two && am.shape() != three)
      throw Error(name() + ": expected attn_mask (L, S) = " + str(two) +
                  " or (N * num_heads, L, S) = " + str(three) + ", got " + str(am));
    if (am.dtype() != Dtype::bool_ && !is_floating_point(am.dtype()))
      throw Error(name() + ": expected a bool or floating attn_mask, got " +
                  dtype_name(am.dtype()));
  }

  // ---- projections, in the input's own layout (a contiguous GEMM each) ----
  const Tensor q_in = batched ? query : unsqueeze(query, 1);
  const Tensor k_in = batched ? key : unsqueeze(key, 1);
  const Tensor v_in = batched ? value : unsqueeze(value, 1);
  const int64_t e = embed_dim;
  auto bias_part = [&](int64_t i) {
    return in_proj_bias.defined() ? narrow(in_proj_bias, 0, i * e, e) : Tensor();
  };
  Tensor q, k, v;
  if (in_proj_weight.defined() && query.is_same(key) && key.is_same(value)) {
    // Self-attention: one GEMM for the three projections.
    std::vector<Tensor> qkv = chunk(linear(q_in, in_proj_weight, in_proj_bias), 3, -1);
    q = qkv[0], k = qkv[1], v = qkv[2];
  } else if (in_proj_weight.defined()) {
    q = linear(q_in, narrow(in_proj_weight, 0, 0, e), bias_part(0));
    k = linear(k_in, narrow(in_proj_weight, 0, e, e), bias_part(1));
    v = linear(v_in, narrow(in_proj_weight, 0, 2 * e, e), bias_part(2));
  } else {
    q = linear(q_in, q_proj_weight, bias_part(0));
    k = linear(k_in, k_proj_weight, bias_part(1));
    v = linear(v_in, v_proj_weight, bias_part(2));
  }
  int64_t s = s0;
  if (bias_k.defined()) {
    // One more key and value position at the end of the sequence.
    Shape one = k.shape();
    one[seq_dim] = 1;
    k = concat({k, expand(bias_k, one)}, seq_dim);
    v = concat({v, expand(bias_v, one)}, seq_dim);
    s += 1;
  }
  // ---- heads: (N, H, L, head_dim) views ----
  auto heads = [&](const Tensor& t) {
    const int64_t len = t.shape()[seq_dim];
    return bfl ? permute(reshape(t, {n, len, num_heads, head_dim}), {0, 2, 1, 3})
               : permute(reshape(t, {len, n, num_heads, head_dim}), {1, 2, 0, 3});
  };
  Tensor qh = heads(q), kh = heads(k), vh = heads(v);
  if (options.add_zero_attn) {
    Tensor zero = zeros({n, num_heads, 1, head_dim}, dtype);
    kh = concat({kh, zero}, 2);
    vh = concat({vh, zero}, 2);
    s += 1;
  }

  // ---- one additive mask (N or 1, H or 1, L, S), as PyTorch merges them ----
  Tensor mask;
  if (am.defined()) {
    mask = pad_keys(additive(am, dtype), s - s0);
    if (am.dim() == 3) mask = reshape(mask, {n, num_heads, l, s});
  } else if (a.is_causal) {
    mask = pad_keys(additive(logical_not(causal_allowed(l, s0)), dtype), s - s0);
  }
  if (kpm.defined()) {
    Tensor pad = reshape(pad_keys(additive(kpm, dtype), s - s0), {n, 1, 1, s});
    mask = mask.defined() ? add(mask, pad) : pad;
  }
  const std::vector<Tensor> att = detail::attention_with_weights(
      "MultiheadAttention", qh, kh, vh, mask, is_training() ? options.dropout : 0.0, false,
      std::nullopt, is_training(), options.gen);

  // ---- back to the input's layout, then out_proj ----
  Tensor out = bfl ? reshape(permute(att[0], {0, 2, 1, 3}), {n, l, e})
                   : reshape(permute(att[0], {2, 0, 1, 3}), {l, n, e});
  out = (*out_proj)(out);
  AttentionOutput result;
  result.output = batched ? out : squeeze(out, 1);
  if (a.need_weights) {
    Tensor w = a.average_attn_weights ? mean(att[1], {1}) : att[1];
    result.weights = batched ? w : squeeze(w, 0);
  }
  return result;
}

Tensor MultiheadAttention::forward(const Tensor& x) {
  return forward(x, x, x, {.need_weights = false}).output;
}

std::vector<Tensor> MultiheadAttention::forward_many(const std::vector<Tensor>& inputs) {
  if (inputs.size() < 3 || inputs.size() > 5)
    throw Error(name() +
                ": forward_many takes {query, key, value [, key_padding_mask [, "
                "attn_mask]]}, got " +
                tensors(inputs.size()));
  MultiheadAttentionArgs args;
  if (inputs.size() > 3) args.key_padding_mask = inputs[3];
  if (inputs.size() > 4) args.attn_mask = inputs[4];
  AttentionOutput r = forward(inputs[0], inputs[1], inputs[2], args);
  return {r.output, r.weights};
}

}  // namespace xgrad::nn
