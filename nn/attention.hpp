// Attention: scaled dot-product attention as a function (PyTorch 2.x semantics) and
// MultiheadAttention with PyTorch's parameter names, layouts and mask conventions, composed of
// batched matmul and softmax (all heads in one product, no per-head loops).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "layers.hpp"
#include "module.hpp"
#include "../tensor/generator.hpp"

namespace xgrad::nn {

namespace functional {

// softmax(q kᵀ · scale + mask) v, with dropout on the attention weights while training:
// q (..., L, E), k (..., S, E), v (..., S, Ev) -> (..., L, Ev); the leading dims broadcast.
// attn_mask broadcasts to (..., L, S) and is either bool (true = the query may attend to that
// key, PyTorch's convention for this function) or floating (added to the scores, -inf to
// forbid). is_causal lets query i see keys j <= i (a top-left aligned lower triangle) and may
// not be combined with attn_mask. scale defaults to 1/√E. A query that may attend to no key
// gets NaN, as in PyTorch.
Tensor scaled_dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                    const Tensor& attn_mask = Tensor(), double dropout_p = 0.0,
                                    bool is_causal = false,
                                    std::optional<double> scale = std::nullopt,
                                    bool training = true, Generator* gen = nullptr);

}  // namespace functional

namespace detail {
// scaled_dot_product_attention that also returns the attention weights (after dropout, as
// MultiheadAttention returns them): {output, weights (..., L, S)}.
std::vector<Tensor> attention_with_weights(const char* op, const Tensor& query, const Tensor& key,
                                           const Tensor& value, const Tensor& attn_mask,
                                           double dropout_p, bool is_causal,
                                           std::optional<double> scale, bool training,
                                           Generator* gen);
}  // namespace detail

// The lower-triangular causal mask for a sequence of sz as PyTorch's
// Transformer.generate_square_subsequent_mask: floating (sz, sz), 0 on and below the diagonal,
// -inf above (query i may not see keys after i).
Tensor generate_square_subsequent_mask(int64_t sz, Dtype dtype = Dtype::float32);

struct MultiheadAttentionOptions {
  double dropout = 0.0;  // on the attention weights, while training
  bool bias = true;      // in_proj_bias and out_proj.bias
  // Learned bias_k, bias_v (1, 1, E) appended to the keys and values as one more position.
  bool add_bias_kv = false;
  // One more all-zero key and value position (after the projections, per head).
  bool add_zero_attn = false;
  std::optional<int64_t> kdim, vdim;  // key / value feature sizes, embed_dim by default
  bool batch_first = false;           // (N, L, E) instead of (L, N, E)
  Generator* gen = nullptr;           // for the initialisation and the dropout
};

// What MultiheadAttention::forward takes besides query, key and value (PyTorch's keyword
// arguments). The masks follow PyTorch's MultiheadAttention convention: a bool true means
// "may NOT attend" (the opposite of scaled_dot_product_attention's), a floating mask is added
// to the scores.
struct MultiheadAttentionArgs {
  Tensor key_padding_mask;  // (N, S) or (S) unbatched: true = ignore that key
  bool need_weights = true;
  Tensor attn_mask;  // (L, S) or (N * num_heads, L, S)
  bool average_attn_weights = true;
  // Causal self-attention: query i attends to keys j <= i. With attn_mask given it is a hint
  // that attn_mask is that mask (PyTorch's meaning), and attn_mask is used; without attn_mask
  // the causal mask is made here (PyTorch raises "Need attn_mask if specifying the is_causal
  // hint").
  bool is_causal = false;
};

struct AttentionOutput {
  Tensor output;   // as the query: (L, N, E), (N, L, E) with batch_first, or (L, E)
  Tensor weights;  // (N, L, S) averaged over heads, or (N, num_heads, L, S); (L, S) or
                   // (num_heads, L, S) unbatched; undefined unless need_weights
};

// Multi-head attention (Vaswani et al.) with PyTorch's parameters and layout, so that state
// dicts load both ways:
//   in_proj_weight (3E, E) = [W_q; W_k; W_v]  (when kdim = vdim = E)
//   q_proj_weight (E, E), k_proj_weight (E, kdim), v_proj_weight (E, vdim)  (otherwise)
//   in_proj_bias (3E), bias_k, bias_v (1, 1, E) (add_bias_kv), out_proj (Linear E -> E)
// query (L, N, E), key (S, N, kdim), value (S, N, vdim); (N, L, E) ... with batch_first;
// (L, E), (S, kdim), (S, vdim) unbatched. Each of the num_heads heads attends with E / num_heads
// features; all heads go through one batched matmul as (N, num_heads, L, E / num_heads).
// Initialised as PyTorch: xavier_uniform_ projections, zero biases, out_proj.weight as Linear's.
class MultiheadAttention : public Module {
 public:
  MultiheadAttention(int64_t embed_dim, int64_t num_heads, MultiheadAttentionOptions options = {});
  AttentionOutput forward(const Tensor& query, const Tensor& key, const Tensor& value,
                          const MultiheadAttentionArgs& args = {});
  // Self-attention's output, forward(x, x, x) without weights.
  Tensor forward(const Tensor& x) override;
  // {query, key, value [, key_padding_mask [, attn_mask]]} (an undefined mask is none) ->
  // {output, weights}, so that m({q, k, v}) runs the module's hooks.
  std::vector<Tensor> forward_many(const std::vector<Tensor>& inputs) override;
  std::string extra_repr() const override;
  std::shared_ptr<Module> clone_empty() const override;

  int64_t embed_dim, num_heads, head_dim, kdim, vdim;
  MultiheadAttentionOptions options;
  // Undefined when not used: in_proj_weight when kdim or vdim differs from embed_dim, the
  // q/k/v_proj_weight otherwise; the biases without bias / add_bias_kv.
  Tensor in_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight, in_proj_bias;
  Tensor bias_k, bias_v;
  std::shared_ptr<Linear> out_proj;

 private:
  std::string name() const;  // "MultiheadAttention(embed_dim=8, num_heads=2)" for errors
};

}  // namespace xgrad::nn
