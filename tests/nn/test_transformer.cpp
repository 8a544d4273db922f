// Transformer layers: PyTorch's child and parameter names, encoder / decoder layers against
// their formulas (post- and pre-norm, ReLU and GELU), gradcheck and gradgradcheck in float64 for
// the options that change the math, stacks as deep copies (and their clone), causal masks,
// positional encodings, errors word for word.
#include "../helpers.hpp"

using namespace xgrad;
using xgrad::testing::allclose;
using xgrad::testing::input;
using xgrad::testing::randomize;
using xgrad::testing::with_parameters;
namespace F = xgrad::nn::functional;

namespace {

std::vector<std::string> child_names(const nn::Module& m) {
  std::vector<std::string> out;
  for (const auto& [name, child] : m.named_children()) out.push_back(name);
  return out;
}

std::vector<std::string> param_names(const nn::Module& m) {
  std::vector<std::string> out;
  for (const auto& [name, t] : m.named_parameters()) out.push_back(name);
  return out;
}

nn::TransformerLayerOptions small(nn::TransformerActivation a = nn::TransformerActivation::relu,
                                  bool norm_first = false, bool batch_first = false) {
  return {.dim_feedforward = 6,
          .dropout = 0.0,
          .activation = a,
          .batch_first = batch_first,
          .norm_first = norm_first};
}

Tensor act(const Tensor& x, nn::TransformerActivation a) {
  return a == nn::TransformerActivation::gelu ? gelu(x) : relu(x);
}

Tensor feed_forward(const nn::Linear& l1, const nn::Linear& l2, const Tensor& x,
                    nn::TransformerActivation a) {
  return linear(act(linear(x, l1.weight, l1.bias), a), l2.weight, l2.bias);
}

Tensor ln(const nn::LayerNorm& n, const Tensor& x) {
  return F::layer_norm(x, n.normalized_shape, n.weight, n.bias, n.eps);
}

constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace

TEST_CASE("TransformerEncoderLayer: PyTorch's children and parameter names") {
  nn::TransformerEncoderLayer layer(8, 2);
  CHECK(child_names(layer) == std::vector<std::string>{"self_attn", "linear1", "dropout", "linear2",
                                                       "norm1", "norm2", "dropout1", "dropout2"});
  CHECK(param_names(layer) ==
        std::vector<std::string>{"self_attn.in_proj_weight", "self_attn.in_proj_bias",
                                 "self_attn.out_proj.weight", "self_attn.out_proj.bias",
                                 "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
                                 "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"});
  CHECK(layer.linear1->weight.shape() == Shape{2048, 8});
  CHECK(layer.extra_repr() ==
        "d_model=8, nhead=2, dim_feedforward=2048, dropout=0.1, activation=relu");
  nn::TransformerEncoderLayer nobias(8, 2, {.dim_feedforward = 16, .bias = false});
  CHECK(param_names(nobias) == std::vector<std::string>{"self_attn.in_proj_weight",
                                                        "self_attn.out_proj.weight",
                                                        "linear1.weight", "linear2.weight",
                                                        "norm1.weight", "norm2.weight"});
  nn::TransformerDecoderLayer dec(8, 2, {.dim_feedforward = 16});
  CHECK(child_names(dec) == std::vector<std::string>{"self_attn", "multihead_attn", "linear1",
                                                     "dropout", "linear2", "norm1", "norm2",
                                                     "norm3", "dropout1", "dropout2", "dropout3"});
  CHECK(dec.named_parameters().size() == 18);
  CHECK(dec.extra_repr() == "d_model=8, nhead=2, dim_feedforward=16, dropout=0.1, activation=relu");
}

TEST_CASE("TransformerEncoderLayer: post-norm and pre-norm against their formulas") {
  using A = nn::TransformerActivation;
  Tensor x = input({3, 2, 4}, -1, 1, 1).detach();
  Tensor kpm = tensor({{0.0, 0.0, 1.0}, {0.0, 0.0, 0.0}}).to(bool_);
  for (A a : {A::relu, A::gelu})
    for (bool pre : {false, true}) {
      CAPTURE(pre);
      nn::TransformerEncoderLayer layer(4, 2, small(a, pre));
      layer.to(float64);
      randomize(layer, 2);
      auto sa = [&](const Tensor& h) {
        return layer.self_attn->forward(h, h, h, {.key_padding_mask = kpm}).output;
      };
      Tensor expected;
      if (pre) {
        Tensor y = add(x, sa(ln(*layer.norm1, x)));
        expected = add(y, feed_forward(*layer.linear1, *layer.linear2, ln(*layer.norm2, y), a));
      } else {
        Tensor y = ln(*layer.norm1, add(x, sa(x)));
        expected = ln(*layer.norm2, add(y, feed_forward(*layer.linear1, *layer.linear2, y, a)));
      }
      CHECK(allclose(layer.forward(x, Tensor(), kpm), expected, 1e-13, 0));
    }
}

TEST_CASE("TransformerDecoderLayer: post-norm and pre-norm against their formulas") {
  using A = nn::TransformerActivation;
  Tensor tgt = input({3, 2, 4}, -1, 1, 3).detach(), memory = input({5, 2, 4}, -1, 1, 4).detach();
  Tensor tgt_mask = nn::generate_square_subsequent_mask(3, float64);
  Tensor mkpm = tensor({{0.0, 0.0, 0.0, 1.0, 1.0}, {0.0, 1.0, 0.0, 0.0, 0.0}}).to(bool_);
  for (A a : {A::relu, A::gelu})
    for (bool pre : {false, true}) {
      CAPTURE(pre);
      nn::TransformerDecoderLayer layer(4, 2, small(a, pre));
      layer.to(float64);
      randomize(layer, 5);
      auto sa = [&](const Tensor& h) {
        return layer.self_attn->forward(h, h, h, {.attn_mask = tgt_mask}).output;
      };
      auto mha = [&](const Tensor& h) {
        return layer.multihead_attn->forward(h, memory, memory, {.key_padding_mask = mkpm}).output;
      };
      auto ff = [&](const Tensor& h) { return feed_forward(*layer.linear1, *layer.linear2, h, a); };
      Tensor expected;
      if (pre) {
        Tensor y = add(tgt, sa(ln(*layer.norm1, tgt)));
        y = add(y, mha(ln(*layer.norm2, y)));
        expected = add(y, ff(ln(*layer.norm3, y)));
      } else {
        Tensor y = ln(*layer.norm1, add(tgt, sa(tgt)));
        y = ln(*layer.norm2, add(y, mha(y)));
        expected = ln(*layer.norm3, add(y, ff(y)));
      }
      CHECK(allclose(layer.forward(tgt, memory, tgt_mask, Tensor(), Tensor(), mkpm), expected,
                     1e-13, 0));
      // tgt_is_causal makes the same mask; m({...}) is the same call.
      CHECK(allclose(layer.forward(tgt, memory, {}, {}, {}, mkpm, true), expected, 0, 0));
      CHECK(allclose(layer({tgt, memory, tgt_mask, Tensor(), Tensor(), mkpm})[0], expected, 0, 0));
    }
}

TEST_CASE("Transformer layers: gradcheck and gradgradcheck for each option") {
  using A = nn::TransformerActivation;
  Tensor x = input({3, 2, 4}, -1, 1, 11);
  Tensor src_mask = tensor({{0.0, 1.0, 0.0}, {0.0, 0.0, 0.0}, {1.0, 0.0, 0.0}}).to(bool_);
  Tensor kpm = tensor({{0.0, 0.0, 1.0}, {0.0, 0.0, 0.0}}).to(bool_);
  SUBCASE("encoder, post-norm, relu, bool masks") {
    nn::TransformerEncoderLayer layer(4, 2, small(A::relu, false));
    layer.to(float64);
    randomize(layer, 12);
    auto f = [&](const std::vector<Tensor>& t) { return layer.forward(t[0], src_mask, kpm); };
    CHECK(gradcheck(f, with_parameters(layer, {x})));
    CHECK(gradgradcheck(f, with_parameters(layer, {x})));
  }
  SUBCASE("encoder, pre-norm, gelu, causal float mask") {
    nn::TransformerEncoderLayer layer(4, 2, small(A::gelu, true));
    layer.to(float64);
    randomize(layer, 13);
    auto f = [&](const std::vector<Tensor>& t) {
      return layer.forward(t[0], Tensor(), Tensor(), true);
    };
    CHECK(gradcheck(f, with_parameters(layer, {x})));
    CHECK(gradgradcheck(f, with_parameters(layer, {x})));
  }
  SUBCASE("encoder, batch_first and unbatched") {
    nn::TransformerEncoderLayer layer(4, 2, small(A::relu, false, true));
    layer.to(float64);
    randomize(layer, 14);
    Tensor kpm_bf = tensor({{0.0, 1.0}, {0.0, 0.0}, {1.0, 0.0}}).to(bool_);  // (N = 3, L = 2)
    auto f = [&](const std::vector<Tensor>& t) { return layer.forward(t[0], Tensor(), kpm_bf); };
    CHECK(gradcheck(f, with_parameters(layer, {x})));
    CHECK(gradgradcheck(f, {x}));
    Tensor u = input({3, 4}, -1, 1, 15);
    auto g = [&](const std::vector<Tensor>& t) { return layer(t[0]); };
    CHECK(gradcheck(g, with_parameters(layer, {u})));
    CHECK(gradgradcheck(g, {u}));
  }
  SUBCASE("decoder, post-norm relu and pre-norm gelu, masks") {
    Tensor memory = input({2, 2, 4}, -1, 1, 16);
    Tensor mkpm = tensor({{0.0, 1.0}, {0.0, 0.0}}).to(bool_);
    Tensor memory_mask = input({3, 2}, -1, 1, 17);
    for (bool pre : {false, true}) {
      CAPTURE(pre);
      nn::TransformerDecoderLayer layer(4, 2, small(pre ? A::gelu : A::relu, pre));
      layer.to(float64);
      randomize(layer, 18);
      auto f = [&](const std::vector<Tensor>& t) {
        return layer.forward(t[0], t[1], Tensor(), t[2], kpm, mkpm, true);
      };
      CHECK(gradcheck(f, with_parameters(layer, {x, memory, memory_mask})));
      CHECK(gradgradcheck(f, with_parameters(layer, {x, memory, memory_mask})));
    }
  }
}

TEST_CASE("TransformerEncoder: deep copies of the layer, the final norm, clone") {
  auto layer = std::make_shared<nn::TransformerEncoderLayer>(4, 2, small());
  auto encoder =
      std::make_shared<nn::TransformerEncoder>(layer, 2, std::make_shared<nn::LayerNorm>(Shape{4}));
  encoder->to(float64);
  layer->to(float64);
  const auto names = param_names(*encoder);
  CHECK(names.size() == 2 * 12 + 2);
  CHECK(names.front() == "layers.0.self_attn.in_proj_weight");
  CHECK(names[12] == "layers.1.self_attn.in_proj_weight");
  CHECK(names.back() == "norm.bias");
  // The copies start equal to the layer but own their storage.
  CHECK(allclose(encoder->layer(0)->linear1->weight, layer->linear1->weight, 0, 0));
  CHECK(!encoder->layer(0)->linear1->weight.is_alias_of(layer->linear1->weight));
  CHECK(!encoder->layer(0)->linear1->weight.is_alias_of(encoder->layer(1)->linear1->weight));
  randomize(*encoder, 21);
  Tensor x = input({3, 2, 4}, -1, 1, 22).detach();
  Tensor kpm = tensor({{0.0, 0.0, 1.0}, {0.0, 0.0, 0.0}}).to(bool_);
  Tensor mask = nn::generate_square_subsequent_mask(3, float64);
  Tensor manual = encoder->layer(1)->forward(encoder->layer(0)->forward(x, mask, kpm), mask, kpm);
  manual = (*encoder->norm)(manual);
  CHECK(allclose(encoder->forward(x, mask, kpm), manual, 0, 0));
  CHECK(allclose(encoder->forward(x, Tensor(), kpm, true), manual, 0, 0));
  CHECK(allclose((*encoder)({x, mask, kpm})[0], manual, 0, 0));
  // A deep clone: the same outputs, its own storage, the same structure.
  auto copy = std::dynamic_pointer_cast<nn::TransformerEncoder>(encoder->clone());
  REQUIRE(copy);
  CHECK(param_names(*copy) == names);
  CHECK(allclose(copy->forward(x, mask, kpm), manual, 0, 0));
  CHECK(!copy->layer(1)->self_attn->in_proj_weight.is_alias_of(
      encoder->layer(1)->self_attn->in_proj_weight));
  {
    const NoGradGuard no_grad;
    copy->layer(0)->linear2->weight.mul_(2.0);  // (a constant shift would vanish in the norm)
  }
  CHECK(allclose(encoder->forward(x, mask, kpm), manual, 0, 0));
  CHECK(!allclose(copy->forward(x, mask, kpm), manual));
  // A stack without a norm, and the decoder stack.
  nn::TransformerEncoder bare(layer, 3);
  CHECK(bare.named_parameters().size() == 36);
  CHECK(bare.extra_repr() == "num_layers=3");
  auto dec_layer = std::make_shared<nn::TransformerDecoderLayer>(4, 2, small());
  nn::TransformerDecoder decoder(dec_layer, 2, std::make_shared<nn::LayerNorm>(Shape{4}));
  decoder.to(float64);
  randomize(decoder, 23);
  Tensor memory = input({5, 2, 4}, -1, 1, 24).detach();
  Tensor d = decoder.layer(1)->forward(decoder.layer(0)->forward(x, memory, mask), memory, mask);
  CHECK(allclose(decoder.forward(x, memory, mask), (*decoder.norm)(d), 0, 0));
  CHECK(allclose(decoder.forward(x, memory, {}, {}, {}, {}, true), (*decoder.norm)(d), 0, 0));
  auto dcopy = std::dynamic_pointer_cast<nn::TransformerDecoder>(decoder.clone());
  REQUIRE(dcopy);
  CHECK(allclose(dcopy->forward(x, memory, mask), (*decoder.norm)(d), 0, 0));
}

TEST_CASE("Transformer layers: dropout while training only") {
  nn::TransformerEncoderLayer layer(4, 2, {.dim_feedforward = 8, .dropout = 0.5});
  Tensor x = randn({3, 2, 4});
  layer.eval();
  CHECK(allclose(layer(x), layer(x), 0, 0));
  layer.train();
  CHECK(!allclose(layer(x), layer(x)));
}

TEST_CASE("positional encodings: the sinusoidal table and the learned one") {
  nn::SinusoidalPositionalEncoding pe(6, 10);
  CHECK(pe.pe.shape() == Shape{10, 6});
  CHECK(pe.pe.dtype() == float32);
  CHECK(pe.state_dict().empty());  // non-persistent
  CHECK(pe.named_buffers().size() == 1);
  pe.to(float64);
  // pe[pos, 2i] = sin(pos / 10000^(2i/6)), pe[pos, 2i+1] = cos(...); float32-rounded values.
  auto at = [&](int64_t pos, int64_t j) { return select(select(pe.pe, 0, pos), 0, j).item(); };
  CHECK(at(0, 0) == 0.0);
  CHECK(at(0, 1) == 1.0);
  CHECK(at(1, 0) == doctest::Approx(std::sin(1.0)).epsilon(1e-7));
  CHECK(at(1, 1) == doctest::Approx(std::cos(1.0)).epsilon(1e-7));
  CHECK(at(3, 2) == doctest::Approx(std::sin(3.0 / std::pow(10000.0, 2.0 / 6))).epsilon(1e-7));
  CHECK(at(7, 5) == doctest::Approx(std::cos(7.0 / std::pow(10000.0, 4.0 / 6))).epsilon(1e-7));
  Tensor x = input({4, 2, 6}, -1, 1, 31).detach();
  Tensor rows = narrow(pe.pe, 0, 0, 4);
  CHECK(allclose(pe(x), add(x, unsqueeze(rows, 1)), 0, 0));
  CHECK(allclose(pe(select(x, 1, 0)), add(select(x, 1, 0), rows), 0, 0));  // unbatched
  nn::SinusoidalPositionalEncoding bf(6, 10, {.batch_first = true});
  bf.to(float64);
  CHECK(allclose(bf(transpose(x, 0, 1)), transpose(pe(x), 0, 1), 0, 0));
  // An odd d_model keeps its last sine column.
  CHECK(nn::SinusoidalPositionalEncoding(5, 3).pe.shape() == Shape{3, 5});
  CHECK_ERROR_MESSAGE(pe(zeros({11, 2, 6}, float64)),
                      "SinusoidalPositionalEncoding(d_model=6, max_len=10): sequence length 11 of "
                      "input (11, 2, 6) exceeds max_len 10");
  CHECK_ERROR_MESSAGE(pe(zeros({4, 2, 5}, float64)),
                      "SinusoidalPositionalEncoding(d_model=6, max_len=10): expected input (L, N, "
                      "6) or (L, 6), got (4, 2, 5)");
  // Learned: weight (max_len, d_model), added by position, differentiable in both.
  nn::LearnedPositionalEmbedding learned(10, 6, {.batch_first = true});
  CHECK(learned.named_parameters().size() == 1);
  CHECK(learned.weight.shape() == Shape{10, 6});
  learned.to(float64);
  Tensor xb = input({2, 4, 6}, -1, 1, 32);
  CHECK(allclose(learned(xb), add(xb, narrow(learned.weight, 0, 0, 4)), 0, 0));
  auto f = [&](const std::vector<Tensor>& t) { return learned(t[0]); };
  CHECK(gradcheck(f, {xb, learned.weight}));
  CHECK(gradgradcheck(f, {xb, learned.weight}));
  CHECK(learned.extra_repr() == "max_len=10, d_model=6, batch_first=true");
  CHECK(std::dynamic_pointer_cast<nn::LearnedPositionalEmbedding>(learned.clone()));
  CHECK_ERROR_MESSAGE(nn::LearnedPositionalEmbedding(0, 6),
                      "LearnedPositionalEmbedding: d_model and max_len must be positive, got "
                      "d_model=6, max_len=0");
}

TEST_CASE("Transformer layers: errors name the layer and the shapes") {
  CHECK_ERROR_MESSAGE(nn::TransformerEncoderLayer(8, 3),
                      "TransformerEncoderLayer: d_model 8 must be divisible by nhead 3");
  CHECK_ERROR_MESSAGE(nn::TransformerDecoderLayer(8, 2, {.dim_feedforward = 0}),
                      "TransformerDecoderLayer: d_model, nhead and dim_feedforward must be "
                      "positive, got d_model=8, nhead=2, dim_feedforward=0");
  CHECK_ERROR_MESSAGE(nn::TransformerEncoderLayer(8, 2, {.dropout = 1.0}),
                      "TransformerEncoderLayer: dropout must be in [0, 1), got 1.000000");
  nn::TransformerEncoderLayer layer(8, 2, {.dim_feedforward = 16});
  CHECK_ERROR_MESSAGE(layer(zeros({5, 3, 7})),
                      "TransformerEncoderLayer(d_model=8, nhead=2): expected src (L, N, 8) or (L, "
                      "8), got (5, 3, 7)");
  CHECK_ERROR_MESSAGE(layer.forward(zeros({5, 3, 8}), zeros({5, 4}, bool_)),
                      "MultiheadAttention(embed_dim=8, num_heads=2): expected attn_mask (L, S) = "
                      "(5, 5) or (N * num_heads, L, S) = (6, 5, 5), got (5, 4)");
  nn::TransformerDecoderLayer dec(8, 2, {.dim_feedforward = 16, .batch_first = true});
  CHECK_ERROR_MESSAGE(dec.forward(zeros({3, 5, 8}), zeros({3, 4, 6})),
                      "TransformerDecoderLayer(d_model=8, nhead=2): expected memory (N, L, 8) or "
                      "(L, 8), got (3, 4, 6)");
  CHECK_ERROR_MESSAGE(dec(zeros({3, 5, 8})),
                      "TransformerDecoderLayer(d_model=8, nhead=2): forward_many takes {tgt, "
                      "memory [, tgt_mask [, memory_mask [, tgt_key_padding_mask [, "
                      "memory_key_padding_mask]]]]}, got 1 tensor");
  auto shared = std::make_shared<nn::TransformerEncoderLayer>(
      8, 2, nn::TransformerLayerOptions{.dim_feedforward = 16});
  CHECK_ERROR_MESSAGE(nn::TransformerEncoder(shared, 0),
                      "TransformerEncoder: num_layers must be positive, got 0");
  CHECK_ERROR_MESSAGE(nn::TransformerEncoder(nullptr, 2),
                      "TransformerEncoder: the layer to copy is null");
}
