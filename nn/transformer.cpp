// Transformer encoder / decoder layers and stacks as PyTorch's (children called through their
// hooks), and the positional encodings.
#include "nn/transformer.hpp"

#include <cmath>
#include <limits>
#include <sstream>

#include "nn/functional.hpp"
#include "nn/init.hpp"

namespace xgrad::nn {

namespace {

std::string str(const Tensor& t) { return format_shape(t.shape()); }
std::string num(int64_t n) { return std::to_string(n); }
std::string tensors(std::size_t n) { return std::to_string(n) + (n == 1 ? " tensor" : " tensors"); }

MultiheadAttentionOptions attention_options(const TransformerLayerOptions& o) {
  MultiheadAttentionOptions m;
  m.dropout = o.dropout;
  m.bias = o.bias;
  m.batch_first = o.batch_first;
  m.gen = o.gen;
  return m;
}

void check_options(const std::string& type, int64_t d_model, int64_t nhead,
                   const TransformerLayerOptions& o) {
  if (d_model <= 0 || nhead <= 0 || o.dim_feedforward <= 0)
    throw Error(type + ": d_model, nhead and dim_feedforward must be positive, got d_model=" +
                num(d_model) + ", nhead=" + num(nhead) +
                ", dim_feedforward=" + num(o.dim_feedforward));
  if (d_model % nhead != 0)
    throw Error(type + ": d_model " + num(d_model) + " must be divisible by nhead " + num(nhead));
  if (!(o.dropout >= 0.0 && o.dropout < 1.0))
    throw Error(type + ": dropout must be in [0, 1), got " + std::to_string(o.dropout));
  if (!(o.layer_norm_eps > 0.0))
    throw Error(type + ": layer_norm_eps must be positive, got " +
                std::to_string(o.layer_norm_eps));
}

std::string options_repr(int64_t d_model, int64_t nhead, const TransformerLayerOptions& o) {
  std::ostringstream os;
  os << "d_model=" << d_model << ", nhead=" << nhead << ", dim_feedforward=" << o.dim_feedforward
     << ", dropout=" << o.dropout
     << ", activation=" << (o.activation == TransformerActivation::gelu ? "gelu" : "relu");
  if (o.layer_norm_eps != 1e-5) os << ", layer_norm_eps=" << o.layer_norm_eps;
  if (o.batch_first) os << ", batch_first=true";
  if (o.norm_first) os << ", norm_first=true";
  if (!o.bias) os << ", bias=false";
  return os.str();
}

// "expected src (L, N, 8) or (L, 8)" unless x is such a tensor.
void check_sequence(const std::string& layer, const char* what, const Tensor& x, int64_t d_model,
                    bool batch_first) {
  if ((x.dim() == 2 || x.dim() == 3) && x.shape().back() == d_model) return;
  const std::string e = num(d_model);
  throw Error(layer + ": expected " + what + " " + (batch_first ? "(N, L, " : "(L, N, ") + e +
              ") or (L, " + e + "), got " + (x.defined() ? str(x) : "an undefined tensor"));
}

Tensor activate(const Tensor& x, TransformerActivation a) {
  return a == TransformerActivation::gelu ? gelu(x) : relu(x);
}

Tensor input_or_none(const std::vector<Tensor>& inputs, std::size_t i) {
  return i < inputs.size() ? inputs[i] : Tensor();
}

int64_t seq_len(const Tensor& x, bool batch_first) {
  return x.shape()[x.dim() == 3 && batch_first ? 1 : 0];
}

// `mask`, or when it is undefined and is_causal, the causal float mask (0 where key j <= query
// i, -inf above) for queries `q` and keys `k`.
Tensor causal_or(const Tensor& mask, bool is_causal, const Tensor& q, const Tensor& k,
                 bool batch_first) {
  if (mask.defined() || !is_causal) return mask;
  const double inf = std::numeric_limits<double>::infinity();
  return triu(full({seq_len(q, batch_first), seq_len(k, batch_first)}, -inf, q.dtype()), 1);
}

}  // namespace

// ---------------- TransformerEncoderLayer ----------------

TransformerEncoderLayer::TransformerEncoderLayer(int64_t d_model_, int64_t nhead_,
                                                 TransformerLayerOptions o)
    : d_model(d_model_), nhead(nhead_), options(o) {
  check_options("TransformerEncoderLayer", d_model, nhead, o);
  self_attn = register_module(
      "self_attn", std::make_shared<MultiheadAttention>(d_model, nhead, attention_options(o)));
  linear1 = register_module("linear1",
                            std::make_shared<Linear>(d_model, o.dim_feedforward, o.bias, o.gen));
  dropout = register_module("dropout", std::make_shared<Dropout>(o.dropout, o.gen));
  linear2 = register_module("linear2",
                            std::make_shared<Linear>(o.dim_feedforward, d_model, o.bias, o.gen));
  norm1 = register_module(
      "norm1", std::make_shared<LayerNorm>(Shape{d_model}, o.layer_norm_eps, true, o.bias));
  norm2 = register_module(
      "norm2", std::make_shared<LayerNorm>(Shape{d_model}, o.layer_norm_eps, true, o.bias));
  dropout1 = register_module("dropout1", std::make_shared<Dropout>(o.dropout, o.gen));
  dropout2 = register_module("dropout2", std::make_shared<Dropout>(o.dropout, o.gen));
}

std::string TransformerEncoderLayer::name() const {
  return "TransformerEncoderLayer(d_model=" + num(d_model) + ", nhead=" + num(nhead) + ")";
}

std::string TransformerEncoderLayer::extra_repr() const {
  return options_repr(d_model, nhead, options);
}

std::shared_ptr<Module> TransformerEncoderLayer::clone_empty() const {
  return std::make_shared<TransformerEncoderLayer>(d_model, nhead, options);
}

Tensor TransformerEncoderLayer::forward(const Tensor& src) { return forward(src, Tensor()); }

Tensor TransformerEncoderLayer::forward(const Tensor& src, const Tensor& src_mask,
                                        const Tensor& src_key_padding_mask, bool is_causal) {
  check_sequence(name(), "src", src, d_model, options.batch_first);
  const Tensor mask = causal_or(src_mask, is_causal, src, src, options.batch_first);
  auto sa = [&](const Tensor& h) {
    return (*dropout1)((*self_attn)({h, h, h, src_key_padding_mask, mask})[0]);
  };
  auto ff = [&](const Tensor& h) {
    return (*dropout2)((*linear2)((*dropout)(activate((*linear1)(h), options.activation))));
  };
  Tensor x = src;
  if (options.norm_first) {
    x = add(x, sa((*norm1)(x)));
    x = add(x, ff((*norm2)(x)));
  } else {
    x = (*norm1)(add(x, sa(x)));
    x = (*norm2)(add(x, ff(x)));
  }
  return x;
}

std::vector<Tensor> TransformerEncoderLayer::forward_many(const std::vector<Tensor>& inputs) {
  if (inputs.empty() || inputs.size() > 3)
    throw Error(name() + ": forward_many takes {src [, src_mask [, src_key_padding_mask]]}, got " +
                tensors(inputs.size()));
  return {forward(inputs[0], input_or_none(inputs, 1), input_or_none(inputs, 2))};
}

// ---------------- TransformerDecoderLayer ----------------

TransformerDecoderLayer::TransformerDecoderLayer(int64_t d_model_, int64_t nhead_,
                                                 TransformerLayerOptions o)
    : d_model(d_model_), nhead(nhead_), options(o) {
  check_options("TransformerDecoderLayer", d_model, nhead, o);
  self_attn = register_module(
      "self_attn", std::make_shared<MultiheadAttention>(d_model, nhead, attention_options(o)));
  multihead_attn = register_module(
      "multihead_attn", std::make_shared<MultiheadAttention>(d_model, nhead, attention_options(o)));
  linear1 = register_module("linear1",
                            std::make_shared<Linear>(d_model, o.dim_feedforward, o.bias, o.gen));
  dropout = register_module("dropout", std::make_shared<Dropout>(o.dropout, o.gen));
  linear2 = register_module("linear2",
                            std::make_shared<Linear>(o.dim_feedforward, d_model, o.bias, o.gen));
  for (auto [slot, key] : {std::pair{&norm1, "norm1"}, {&norm2, "norm2"}, {&norm3, "norm3"}})
    *slot = register_module(
        key, std::make_shared<LayerNorm>(Shape{d_model}, o.layer_norm_eps, true, o.bias));
  for (auto [slot, key] :
       {std::pair{&dropout1, "dropout1"}, {&dropout2, "dropout2"}, {&dropout3, "dropout3"}})
    *slot = register_module(key, std::make_shared<Dropout>(o.dropout, o.gen));
}

std::string TransformerDecoderLayer::name() const {
  return "TransformerDecoderLayer(d_model=" + num(d_model) + ", nhead=" + num(nhead) + ")";
}

std::string TransformerDecoderLayer::extra_repr() const {
  return options_repr(d_model, nhead, options);
}

std::shared_ptr<Module> TransformerDecoderLayer::clone_empty() const {
  return std::make_shared<TransformerDecoderLayer>(d_model, nhead, options);
}

Tensor TransformerDecoderLayer::forward(const Tensor& tgt, const Tensor& memory,
                                        const Tensor& tgt_mask, const Tensor& memory_mask,
                                        const Tensor& tgt_key_padding_mask,
                                        const Tensor& memory_key_padding_mask, bool tgt_is_causal,
                                        bool memory_is_causal) {
  const bool bf = options.batch_first;
  check_sequence(name(), "tgt", tgt, d_model, bf);
  check_sequence(name(), "memory", memory, d_model, bf);
  const Tensor self_mask = causal_or(tgt_mask, tgt_is_causal, tgt, tgt, bf);
  const Tensor cross_mask = causal_or(memory_mask, memory_is_causal, tgt, memory, bf);
  auto sa = [&](const Tensor& h) {
    return (*dropout1)((*self_attn)({h, h, h, tgt_key_padding_mask, self_mask})[0]);
  };
  auto mha = [&](const Tensor& h) {
    return (*dropout2)(
        (*multihead_attn)({h, memory, memory, memory_key_padding_mask, cross_mask})[0]);
  };
  auto ff = [&](const Tensor& h) {
    return (*dropout3)((*linear2)((*dropout)(activate((*linear1)(h), options.activation))));
  };
  Tensor x = tgt;
  if (options.norm_first) {
    x = add(x, sa((*norm1)(x)));
    x = add(x, mha((*norm2)(x)));
    x = add(x, ff((*norm3)(x)));
  } else {
    x = (*norm1)(add(x, sa(x)));
    x = (*norm2)(add(x, mha(x)));
    x = (*norm3)(add(x, ff(x)));
  }
  return x;
}

std::vector<Tensor> TransformerDecoderLayer::forward_many(const std::vector<Tensor>& inputs) {
  if (inputs.size() < 2 || inputs.size() > 6)
    throw Error(name() +
                ": forward_many takes {tgt, memory [, tgt_mask [, memory_mask [, "
                "tgt_key_padding_mask [, memory_key_padding_mask]]]]}, got " +
                tensors(inputs.size()));
  return {forward(inputs[0], inputs[1], input_or_none(inputs, 2), input_or_none(inputs, 3),
                  input_or_none(inputs, 4), input_or_none(inputs, 5))};
}

// ---------------- the stacks ----------------

namespace {

template <class Layer>
std::shared_ptr<ModuleList> copies(const char* type, const std::shared_ptr<Layer>& layer,
                                   int64_t num_layers) {
  if (!layer) throw Error(std::string(type) + ": the layer to copy is null");
  if (num_layers <= 0)
    throw Error(std::string(type) + ": num_layers must be positive, got " + num(num_layers));
  auto list = std::make_shared<ModuleList>();
  for (int64_t i = 0; i < num_layers; ++i) list->push_back(layer->clone());
  return list;
}

template <class Layer>
std::shared_ptr<Layer> layer_at(const ModuleList& layers, std::size_t i) {
  return std::static_pointer_cast<Layer>(layers[i]);
}

}  // namespace

TransformerEncoder::TransformerEncoder(
    const std::shared_ptr<TransformerEncoderLayer>& encoder_layer, int64_t num_layers_,
    std::shared_ptr<Module> norm_)
    : num_layers(num_layers_) {
  layers = register_module("layers", copies("TransformerEncoder", encoder_layer, num_layers));
  if (norm_) norm = register_module("norm", std::move(norm_));
}

std::shared_ptr<TransformerEncoderLayer> TransformerEncoder::layer(std::size_t i) const {
  return layer_at<TransformerEncoderLayer>(*layers, i);
}

std::string TransformerEncoder::extra_repr() const { return "num_layers=" + num(num_layers); }

std::shared_ptr<Module> TransformerEncoder::clone_empty() const {
  return std::make_shared<TransformerEncoder>(
      std::static_pointer_cast<TransformerEncoderLayer>(layer(0)->clone_empty()), num_layers,
      norm ? norm->clone_empty() : nullptr);
}

Tensor TransformerEncoder::forward(const Tensor& src) { return forward(src, Tensor()); }

Tensor TransformerEncoder::forward(const Tensor& src, const Tensor& mask,
                                   const Tensor& src_key_padding_mask, bool is_causal) {
  const auto first = layer(0);
  check_sequence("TransformerEncoder(num_layers=" + num(num_layers) + ")", "src", src,
                 first->d_model, first->options.batch_first);
  const Tensor m = causal_or(mask, is_causal, src, src, first->options.batch_first);
  Tensor x = src;
  for (const auto& l : *layers) x = (*l)({x, m, src_key_padding_mask})[0];
  return norm ? (*norm)(x) : x;
}

std::vector<Tensor> TransformerEncoder::forward_many(const std::vector<Tensor>& inputs) {
  if (inputs.empty() || inputs.size() > 3)
    throw Error(
        "TransformerEncoder: forward_many takes {src [, mask [, src_key_padding_mask]]}, "
        "got " +
        tensors(inputs.size()));
  return {forward(inputs[0], input_or_none(inputs, 1), input_or_none(inputs, 2))};
}

TransformerDecoder::TransformerDecoder(
    const std::shared_ptr<TransformerDecoderLayer>& decoder_layer, int64_t num_layers_,
    std::shared_ptr<Module> norm_)
    : num_layers(num_layers_) {
  layers = register_module("layers", copies("TransformerDecoder", decoder_layer, num_layers));
  if (norm_) norm = register_module("norm", std::move(norm_));
}

std::shared_ptr<TransformerDecoderLayer> TransformerDecoder::layer(std::size_t i) const {
  return layer_at<TransformerDecoderLayer>(*layers, i);
}

std::string TransformerDecoder::extra_repr() const { return "num_layers=" + num(num_layers); }

std::shared_ptr<Module> TransformerDecoder::clone_empty() const {
  return std::make_shared<TransformerDecoder>(
      std::static_pointer_cast<TransformerDecoderLayer>(layer(0)->clone_empty()), num_layers,
      norm ? norm->clone_empty() : nullptr);
}

Tensor TransformerDecoder::forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask,
                                   const Tensor& memory_mask, const Tensor& tgt_key_padding_mask,
                                   const Tensor& memory_key_padding_mask, bool tgt_is_causal,
                                   bool memory_is_causal) {
  const auto first = layer(0);
  const bool bf = first->options.batch_first;
  const std::string self = "TransformerDecoder(num_layers=" + num(num_layers) + ")";
  check_sequence(self, "tgt", tgt, first->d_model, bf);
  check_sequence(self, "memory", memory, first->d_model, bf);
  // The causal masks are made once here so that the layers are called through their hooks.
  const Tensor self_mask = causal_or(tgt_mask, tgt_is_causal, tgt, tgt, bf);
  const Tensor cross_mask = causal_or(memory_mask, memory_is_causal, tgt, memory, bf);
  Tensor x = tgt;
  for (const auto& l : *layers)
    x = (*l)({x, memory, self_mask, cross_mask, tgt_key_padding_mask, memory_key_padding_mask})[0];
  return norm ? (*norm)(x) : x;
}

std::vector<Tensor> TransformerDecoder::forward_many(const std::vector<Tensor>& inputs) {
  if (inputs.size() < 2 || inputs.size() > 6)
    throw Error(
        "TransformerDecoder: forward_many takes {tgt, memory [, tgt_mask [, memory_mask "
        "[, tgt_key_padding_mask [, memory_key_padding_mask]]]]}, got " +
        tensors(inputs.size()));
  return {forward(inputs[0], inputs[1], input_or_none(inputs, 2), input_or_none(inputs, 3),
                  input_or_none(inputs, 4), input_or_none(inputs, 5))};
}

// ---------------- positional encodings ----------------

namespace {

// x plus table[0:L] along x's sequence dim.
Tensor add_positions(const std::string& layer, const Tensor& x, const Tensor& table,
                     int64_t d_model, int64_t max_len, bool batch_first) {
  if ((x.dim() != 2 && x.dim() != 3) || x.shape().back() != d_model) {
    const std::string e = num(d_model);
    throw Error(layer + ": expected input " + (batch_first ? "(N, L, " : "(L, N, ") + e +
                ") or (L, " + e + "), got " + str(x));
  }
  const bool bf = x.dim() == 3 && batch_first;
  const int64_t len = x.shape()[bf ? 1 : 0];
  if (len > max_len)
    throw Error(layer + ": sequence length " + num(len) + " of input " + str(x) +
                " exceeds max_len " + num(max_len));
  Tensor rows = narrow(table, 0, 0, len);  // (L, E): broadcasts over (N, L, E) and (L, E)
  if (x.dim() == 3 && !batch_first) rows = reshape(rows, {len, 1, d_model});
  return add(x, rows.to(x.dtype()));
}

void check_table(const char* type, int64_t d_model, int64_t max_len, double dropout) {
  if (d_model <= 0 || max_len <= 0)
    throw Error(std::string(type) + ": d_model and max_len must be positive, got d_model=" +
                num(d_model) + ", max_len=" + num(max_len));
  if (!(dropout >= 0.0 && dropout < 1.0))
    throw Error(std::string(type) + ": dropout must be in [0, 1), got " + std::to_string(dropout));
}

std::string table_repr(int64_t d_model, int64_t max_len, const PositionalEncodingOptions& o) {
  std::ostringstream os;
  os << "d_model=" << d_model << ", max_len=" << max_len;
  if (o.dropout != 0.0) os << ", dropout=" << o.dropout;
  if (o.batch_first) os << ", batch_first=true";
  return os.str();
}

}  // namespace

SinusoidalPositionalEncoding::SinusoidalPositionalEncoding(int64_t d_model_, int64_t max_len_,
                                                           PositionalEncodingOptions o)
    : d_model(d_model_), max_len(max_len_), options(o) {
  check_table("SinusoidalPositionalEncoding", d_model, max_len, o.dropout);
  // Computed in double, stored as float32 (to(dtype) converts it with the module).
  std::vector<double> table(static_cast<std::size_t>(max_len * d_model));
  for (int64_t pos = 0; pos < max_len; ++pos)
    for (int64_t i = 0; i < d_model; i += 2) {
      const double angle =
          static_cast<double>(pos) *
          std::exp(-std::log(10000.0) * static_cast<double>(i) / static_cast<double>(d_model));
      table[pos * d_model + i] = std::sin(angle);
      if (i + 1 < d_model) table[pos * d_model + i + 1] = std::cos(angle);
    }
  pe = register_buffer("pe", from_vector(table, {max_len, d_model}).to(Dtype::float32), false);
}

Tensor SinusoidalPositionalEncoding::forward(const Tensor& x) {
  const std::string layer = "SinusoidalPositionalEncoding(" + extra_repr() + ")";
  return functional::dropout(add_positions(layer, x, pe, d_model, max_len, options.batch_first),
                             options.dropout, is_training(), options.gen);
}

std::string SinusoidalPositionalEncoding::extra_repr() const {
  return table_repr(d_model, max_len, options);
}

std::shared_ptr<Module> SinusoidalPositionalEncoding::clone_empty() const {
  return std::make_shared<SinusoidalPositionalEncoding>(d_model, max_len, options);
}

LearnedPositionalEmbedding::LearnedPositionalEmbedding(int64_t max_len_, int64_t d_model_,
                                                       PositionalEncodingOptions o)
    : max_len(max_len_), d_model(d_model_), options(o) {
  check_table("LearnedPositionalEmbedding", d_model, max_len, o.dropout);
  Tensor w = empty({max_len, d_model});
  init::normal_(w, 0.0, 1.0, o.gen);
  weight = register_parameter("weight", w);
}

Tensor LearnedPositionalEmbedding::forward(const Tensor& x) {
  const std::string layer = "LearnedPositionalEmbedding(" + extra_repr() + ")";
  return functional::dropout(add_positions(layer, x, weight, d_model, max_len, options.batch_first),
                             options.dropout, is_training(), options.gen);
}

std::string LearnedPositionalEmbedding::extra_repr() const {
  return "max_len=" + num(max_len) + ", d_model=" + num(d_model) +
         (options.dropout != 0.0 ? ", dropout=" + std::to_string(options.dropout) : "") +
         (options.batch_first ? ", batch_first=true" : "");
}

std::shared_ptr<Module> LearnedPositionalEmbedding::clone_empty() const {
  return std::make_shared<LearnedPositionalEmbedding>(max_len, d_model, options);
}

}  // namespace xgrad::nn
