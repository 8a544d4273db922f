// Transformer layers with PyTorch's child names and forward semantics: encoder and decoder
// layers (post- or pre-norm, ReLU or GELU), their stacks, and positional encodings (the
// sinusoidal table of "Attention is all you need" and a learned table).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "attention.hpp"
#include "layers.hpp"
#include "normalization.hpp"

namespace xgrad::nn {

enum class TransformerActivation { relu, gelu };

// PyTorch's TransformerEncoderLayer / TransformerDecoderLayer arguments after nhead.
struct TransformerLayerOptions {
  int64_t dim_feedforward = 2048;
  double dropout = 0.1;  // after attention, inside and after the feed-forward block
  TransformerActivation activation = TransformerActivation::relu;
  double layer_norm_eps = 1e-5;
  bool batch_first = false;  // (N, L, E) instead of (L, N, E)
  bool norm_first = false;   // pre-norm: x + block(norm(x)); else post-norm: norm(x + block(x))
  bool bias = true;          // in the linear layers, the attention and the layer norms
  Generator* gen = nullptr;  // for the initialisation and the dropouts
};
using TransformerEncoderLayerOptions = TransformerLayerOptions;
using TransformerDecoderLayerOptions = TransformerLayerOptions;

// Self-attention and a feed-forward block (d_model -> dim_feedforward -> d_model), each with a
// residual connection and a LayerNorm. src (L, N, E), (N, L, E) with batch_first, or (L, E);
// the output has src's shape. Masks as MultiheadAttention's (bool true = not allowed):
// src_mask (L, L) or (N * nhead, L, L), src_key_padding_mask (N, L) or (L). Children, as
// PyTorch's: self_attn, linear1, dropout, linear2, norm1, norm2, dropout1, dropout2.
class TransformerEncoderLayer : public Module {
 public:
  TransformerEncoderLayer(int64_t d_model, int64_t nhead, TransformerLayerOptions options = {});
  Tensor forward(const Tensor& src) override;
  // is_causal without src_mask makes the causal mask; with it, src_mask is used (PyTorch's hint).
  Tensor forward(const Tensor& src, const Tensor& src_mask,
                 const Tensor& src_key_padding_mask = Tensor(), bool is_causal = false);
  // {src [, src_mask [, src_key_padding_mask]]} -> {output}.
  std::vector<Tensor> forward_many(const std::vector<Tensor>& inputs) override;
  std::string extra_repr() const override;
  std::shared_ptr<Module> clone_empty() const override;

  int64_t d_model, nhead;
  TransformerLayerOptions options;
  std::shared_ptr<MultiheadAttention> self_attn;
  std::shared_ptr<Linear> linear1, linear2;
  std::shared_ptr<Dropout> dropout, dropout1, dropout2;
  std::shared_ptr<LayerNorm> norm1, norm2;

 private:
  std::string name() const;
};

// Self-attention over tgt, attention from tgt to memory, and the feed-forward block, each with
// a residual connection and a LayerNorm. tgt (T, N, E), memory (S, N, E) ((N, T, E), (N, S, E)
// with batch_first; (T, E), (S, E) unbatched); tgt_mask (T, T) or (N * nhead, T, T),
// memory_mask (T, S) or (N * nhead, T, S), key padding masks (N, T) and (N, S). Children, as
// PyTorch's: self_attn, multihead_attn, linear1, dropout, linear2, norm1, norm2, norm3,
// dropout1, dropout2, dropout3.
class TransformerDecoderLayer : public Module {
 public:
  TransformerDecoderLayer(int64_t d_model, int64_t nhead, TransformerLayerOptions options = {});
  using Module::forward;
  Tensor forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask = Tensor(),
                 const Tensor& memory_mask = Tensor(),
                 const Tensor& tgt_key_padding_mask = Tensor(),
                 const Tensor& memory_key_padding_mask = Tensor(), bool tgt_is_causal = false,
                 bool memory_is_causal = false);
  // {tgt, memory [, tgt_mask [, memory_mask [, tgt_key_padding_mask [,
  // memory_key_padding_mask]]]]} -> {output}.
  std::vector<Tensor> forward_many(const std::vector<Tensor>& inputs) override;
  std::string extra_repr() const override;
  std::shared_ptr<Module> clone_empty() const override;

  int64_t d_model, nhead;
  TransformerLayerOptions options;
  std::shared_ptr<MultiheadAttention> self_attn, multihead_attn;
  std::shared_ptr<Linear> linear1, linear2;
  std::shared_ptr<Dropout> dropout, dropout1, dropout2, dropout3;
  std::shared_ptr<LayerNorm> norm1, norm2, norm3;

 private:
  std::string name() const;
};

// num_layers deep copies (Module::clone) of encoder_layer as children layers.0, layers.1, ...,
// then the optional norm (e.g. a LayerNorm for pre-norm stacks). Masks as the layer's.
class TransformerEncoder : public Module {
 public:
  TransformerEncoder(const std::shared_ptr<TransformerEncoderLayer>& encoder_layer,
                     int64_t num_layers, std::shared_ptr<Module> norm = nullptr);
  Tensor forward(const Tensor& src) override;
  Tensor forward(const Tensor& src, const Tensor& mask,
                 const Tensor& src_key_padding_mask = Tensor(), bool is_causal = false);
  // {src [, mask [, src_key_padding_mask]]} -> {output}.
  std::vector<Tensor> forward_many(const std::vector<Tensor>& inputs) override;
  std::string extra_repr() const override;
  std::shared_ptr<Module> clone_empty() const override;
  std::shared_ptr<TransformerEncoderLayer> layer(std::size_t i) const;

  int64_t num_layers;
  std::shared_ptr<ModuleList> layers;
  std::shared_ptr<Module> norm;  // null without a final norm
};

// num_layers deep copies of decoder_layer as layers.0, layers.1, ..., then the optional norm.
class TransformerDecoder : public Module {
 public:
  TransformerDecoder(const std::shared_ptr<TransformerDecoderLayer>& decoder_layer,
                     int64_t num_layers, std::shared_ptr<Module> norm = nullptr);
  using Module::forward;
  Tensor forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask = Tensor(),
                 const Tensor& memory_mask = Tensor(),
                 const Tensor& tgt_key_padding_mask = Tensor(),
                 const Tensor& memory_key_padding_mask = Tensor(), bool tgt_is_causal = false,
                 bool memory_is_causal = false);
  // As TransformerDecoderLayer's.
  std::vector<Tensor> forward_many(const std::vector<Tensor>& inputs) override;
  std::string extra_repr() const override;
  std::shared_ptr<Module> clone_empty() const override;
  std::shared_ptr<TransformerDecoderLayer> layer(std::size_t i) const;

  int64_t num_layers;
  std::shared_ptr<ModuleList> layers;
  std::shared_ptr<Module> norm;
};

struct PositionalEncodingOptions {
  double dropout = 0.0;      // applied after adding the positions, while training
  bool batch_first = false;  // input (N, L, E) instead of (L, N, E)
  Generator* gen = nullptr;  // for the dropout (and LearnedPositionalEmbedding's init)
};

// Adds pe[pos] to the input at position pos, then dropout, with the fixed table
//   pe[pos, 2i] = sin(pos / 10000^(2i / d_model)),  pe[pos, 2i + 1] = cos(pos / 10000^(2i /
//   d_model))
// of Vaswani et al., held as the non-persistent buffer `pe` (max_len, d_model) (not in the state
// dict). Input (L, N, d_model), (N, L, d_model) with batch_first, or (L, d_model), L <= max_len.
class SinusoidalPositionalEncoding : public Module {
 public:
  explicit SinusoidalPositionalEncoding(int64_t d_model, int64_t max_len = 5000,
                                        PositionalEncodingOptions options = {});
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  std::shared_ptr<Module> clone_empty() const override;

  int64_t d_model, max_len;
  PositionalEncodingOptions options;
  Tensor pe;
};

// Adds weight[pos] to the input at position pos, then dropout: a learned parameter `weight`
// (max_len, d_model), initialised N(0, 1) as nn.Embedding's. Layouts as
// SinusoidalPositionalEncoding's.
class LearnedPositionalEmbedding : public Module {
 public:
  LearnedPositionalEmbedding(int64_t max_len, int64_t d_model,
                             PositionalEncodingOptions options = {});
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  std::shared_ptr<Module> clone_empty() const override;

  int64_t max_len, d_model;
  PositionalEncodingOptions options;
  Tensor weight;
};

}  // namespace xgrad::nn
