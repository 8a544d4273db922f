// MultiheadAttention, TransformerEncoderLayer / DecoderLayer and TransformerEncoder in xgrad and
// in libtorch side by side in float64: libtorch's parameters are copied into the xgrad modules by
// name (the names must match both ways), both run the same inputs and masks in eval mode, and
// the outputs, the attention weights and the gradients w.r.t. the inputs and every parameter are
// compared. Prints the largest difference per case; exits 1 if any exceeds 1e-10.
// libtorch 1.13's C++ API has no batch_first, norm_first, layer_norm_eps or bias options on the
// transformer layers, no is_causal, no unbatched MultiheadAttention, and its MultiheadAttention
// adds attn_mask whatever its dtype, fails on 3-d (N * heads, L, S) masks and needs kdim = vdim:
// xgrad's bool masks meet libtorch's float equivalents here, and the rest is covered by the unit
// tests only.
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "xgrad.hpp"

namespace {

using xgrad::Tensor;
constexpr double kTolerance = 1e-10;
bool failed = false;

torch::Tensor to_torch(const Tensor& t) {
  std::vector<double> v = t.to(xgrad::float64).to_vector();
  std::vector<int64_t> shape(t.shape().begin(), t.shape().end());
  return torch::tensor(v, torch::kFloat64).reshape(shape).clone();
}

Tensor to_xgrad(const torch::Tensor& t) {
  torch::Tensor c = t.detach().contiguous().to(torch::kFloat64);
  std::vector<double> v(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
  xgrad::Shape shape(c.sizes().begin(), c.sizes().end());
  return xgrad::from_vector(v, shape, xgrad::float64);
}

// Largest |a - b|; infinity when the shapes differ. -inf entries (masked weights) must agree.
double max_diff(const Tensor& a, const torch::Tensor& b) {
  Tensor bb = to_xgrad(b);
  if (a.shape() != bb.shape()) return INFINITY;
  std::vector<double> x = a.to(xgrad::float64).to_vector(), y = bb.to_vector();
  double worst = 0;
  for (std::size_t i = 0; i < x.size(); ++i)
    if (x[i] != y[i]) worst = std::max(worst, std::abs(x[i] - y[i]));
  return worst;
}

// Copies libtorch's defined parameters into `ours` by name; the two name sets must be equal.
void copy_parameters(torch::nn::Module& theirs, xgrad::nn::Module& ours, const std::string& what) {
  std::set<std::string> their_names, our_names;
  std::map<std::string, torch::Tensor> by_name;
  for (const auto& item : theirs.named_parameters())
    if (item.value().defined()) {
      their_names.insert(item.key());
      by_name[item.key()] = item.value();
    }
  for (const auto& [name, t] : ours.named_parameters()) our_names.insert(name);
  if (their_names != our_names) {
    std::printf("%s: parameter names differ\n  libtorch:", what.c_str());
    for (const auto& n : their_names) std::printf(" %s", n.c_str());
    std::printf("\n  xgrad:   ");
    for (const auto& n : our_names) std::printf(" %s", n.c_str());
    std::printf("\n");
    failed = true;
    return;
  }
  const xgrad::NoGradGuard no_grad;
  for (auto& [name, t] : ours.named_parameters()) {
    Tensor value = to_xgrad(by_name[name]);
    if (value.shape() != t.shape()) {
      std::printf("%s: %s has shape %s in xgrad\n", what.c_str(), name.c_str(),
                  xgrad::format_shape(t.shape()).c_str());
      failed = true;
      return;
    }
    Tensor dst = t;
    dst.copy_(value);
  }
}

// The largest gradient difference over every parameter (by name).
double parameter_grad_diff(torch::nn::Module& theirs, xgrad::nn::Module& ours) {
  std::map<std::string, torch::Tensor> by_name;
  for (const auto& item : theirs.named_parameters())
    if (item.value().defined()) by_name[item.key()] = item.value();
  double worst = 0;
  for (const auto& [name, t] : ours.named_parameters()) {
    const torch::Tensor g = by_name[name].grad();
    if (!t.grad().defined() || !g.defined()) {
      worst = INFINITY;
      continue;
    }
    worst = std::max(worst, max_diff(t.grad(), g));
  }
  return worst;
}

struct Inputs {
  std::vector<Tensor> ours;
  std::vector<torch::Tensor> theirs;
};

// Random float64 leaves, the same values on both sides.
Inputs leaves(const std::vector<xgrad::Shape>& shapes, uint64_t seed) {
  xgrad::Generator gen(seed);
  Inputs in;
  for (const auto& s : shapes) {
    Tensor t = xgrad::uniform(s, -1, 1, xgrad::float64, &gen);
    in.theirs.push_back(to_torch(t).requires_grad_());
    in.ours.push_back(t.requires_grad_());
  }
  return in;
}

// Backpropagates sum(out * w) for one random w on both sides.
void backward_both(const Tensor& ours, const torch::Tensor& theirs, uint64_t seed) {
  xgrad::Generator gen(seed);
  Tensor w = xgrad::uniform(ours.shape(), -1, 1, xgrad::float64, &gen);
  xgrad::sum(xgrad::mul(ours, w)).backward();
  (theirs * to_torch(w)).sum().backward();
}

void report(const std::string& name, const std::vector<std::pair<std::string, double>>& diffs) {
  double worst = 0;
  std::string detail;
  for (const auto& [what, d] : diffs) {
    worst = std::max(worst, d);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s %.1e", what.c_str(), d);
    detail += (detail.empty() ? "" : ", ") + std::string(buf);
  }
  const bool ok = worst <= kTolerance;
  failed = failed || !ok;
  std::printf("%-58s max %.2e  %s  (%s)\n", name.c_str(), worst, ok ? "ok" : "MISMATCH",
              detail.c_str());
}

Tensor bool_mask(const std::vector<std::vector<int>>& rows) {
  std::vector<double> v;
  for (const auto& r : rows)
    for (int x : r) v.push_back(x);
  return xgrad::from_vector(
             v, {static_cast<int64_t>(rows.size()), static_cast<int64_t>(rows[0].size())},
             xgrad::float64)
      .to(xgrad::bool_);
}

torch::Tensor torch_bool(const Tensor& m) {
  return to_torch(m.to(xgrad::float64)).to(torch::kBool);
}

// libtorch 1.13's C++ MultiheadAttention adds attn_mask to the scores whatever its dtype (a bool
// mask adds 1 where PyTorch's Python MHA forbids), so it gets the float form of a bool mask:
// -inf where true.
torch::Tensor torch_additive(const Tensor& m) {
  return to_torch(xgrad::masked_fill(xgrad::zeros(m.shape(), xgrad::float64), m,
                                     -std::numeric_limits<double>::infinity()));
}

// ---- MultiheadAttention ----

struct MhaCase {
  std::string name;
  int64_t e = 8, heads = 2, kdim = 8, vdim = 8, l = 5, s = 4, n = 3;
  bool bias = true, bias_kv = false, zero_attn = false, self = false;
  bool kpm = false, bool_attn = false, float_attn = false, average = true;
};

void mha_case(const MhaCase& c, uint64_t seed) {
  namespace tn = torch::nn;
  auto topts = tn::MultiheadAttentionOptions(c.e, c.heads)
                   .bias(c.bias)
                   .add_bias_kv(c.bias_kv)
                   .add_zero_attn(c.zero_attn)
                   .kdim(c.kdim)
                   .vdim(c.vdim);
  tn::MultiheadAttention theirs(topts);
  theirs->to(torch::kFloat64);
  theirs->eval();
  xgrad::nn::MultiheadAttention ours(c.e, c.heads,
                                     {.bias = c.bias,
                                      .add_bias_kv = c.bias_kv,
                                      .add_zero_attn = c.zero_attn,
                                      .kdim = c.kdim,
                                      .vdim = c.vdim});
  ours.to(xgrad::float64);
  ours.eval();
  copy_parameters(*theirs, ours, c.name);
  const int64_t s = c.self ? c.l : c.s;
  Inputs in = leaves({{c.l, c.n, c.e}, {s, c.n, c.kdim}, {s, c.n, c.vdim}}, seed);
  const Tensor& q = in.ours[0];
  const Tensor& k = c.self ? q : in.ours[1];
  const Tensor& v = c.self ? q : in.ours[2];
  const torch::Tensor& tq = in.theirs[0];
  const torch::Tensor& tk = c.self ? tq : in.theirs[1];
  const torch::Tensor& tv = c.self ? tq : in.theirs[2];
  xgrad::nn::MultiheadAttentionArgs args;
  torch::Tensor tkpm, tattn;
  if (c.kpm) {
    std::vector<std::vector<int>> rows(c.n, std::vector<int>(s, 0));
    rows[0][s - 1] = rows[0][s - 2] = 1;
    rows[c.n - 1][1] = 1;
    args.key_padding_mask = bool_mask(rows);
    tkpm = torch_bool(args.key_padding_mask);
  }
  if (c.bool_attn) {
    std::vector<std::vector<int>> rows(c.l, std::vector<int>(s, 0));
    for (int64_t i = 0; i < c.l; ++i) rows[i][(i + 1) % s] = 1;  // one forbidden key per query
    args.attn_mask = bool_mask(rows);
    tattn = torch_additive(args.attn_mask);
  }
  if (c.float_attn) {
    xgrad::Generator gen(seed + 7);
    args.attn_mask = xgrad::uniform({c.l, s}, -2, 2, xgrad::float64, &gen);
    tattn = to_torch(args.attn_mask);
  }
  args.average_attn_weights = c.average;
  auto r = ours.forward(q, k, v, args);
  auto [tout, tw] = theirs->forward(tq, tk, tv, tkpm, true, tattn, c.average);
  backward_both(r.output, tout, seed + 1);
  std::vector<std::pair<std::string, double>> diffs{{"output", max_diff(r.output, tout)},
                                                    {"weights", max_diff(r.weights, tw)}};
  diffs.push_back({"d query", max_diff(q.grad(), tq.grad())});
  if (!c.self) {
    diffs.push_back({"d key", max_diff(k.grad(), tk.grad())});
    diffs.push_back({"d value", max_diff(v.grad(), tv.grad())});
  }
  diffs.push_back({"d params", parameter_grad_diff(*theirs, ours)});
  report("MultiheadAttention: " + c.name, diffs);
}

// ---- the transformer layers ----

void encoder_case(const std::string& name, bool gelu, bool masks, uint64_t seed) {
  namespace tn = torch::nn;
  const int64_t d = 8, heads = 2, ff = 16, l = 5, n = 3;
  auto topts = tn::TransformerEncoderLayerOptions(d, heads).dim_feedforward(ff).dropout(0.0);
  if (gelu) topts.activation(torch::kGELU);
  tn::TransformerEncoderLayer theirs(topts);
  theirs->to(torch::kFloat64);
  theirs->eval();
  using A = xgrad::nn::TransformerActivation;
  xgrad::nn::TransformerEncoderLayer ours(
      d, heads, {.dim_feedforward = ff, .dropout = 0.0, .activation = gelu ? A::gelu : A::relu});
  ours.to(xgrad::float64);
  ours.eval();
  copy_parameters(*theirs, ours, name);
  Inputs in = leaves({{l, n, d}}, seed);
  Tensor mask, kpm;
  torch::Tensor tmask, tkpm;
  if (masks) {
    mask = xgrad::nn::generate_square_subsequent_mask(l, xgrad::float64);
    tmask = to_torch(mask);
    kpm = bool_mask({{0, 0, 0, 1, 1}, {0, 0, 0, 0, 0}, {0, 1, 0, 0, 0}});
    tkpm = torch_bool(kpm);
  }
  Tensor out = ours.forward(in.ours[0], mask, kpm);
  torch::Tensor tout = theirs->forward(in.theirs[0], tmask, tkpm);
  backward_both(out, tout, seed + 1);
  report("TransformerEncoderLayer: " + name,
         {{"output", max_diff(out, tout)},
          {"d src", max_diff(in.ours[0].grad(), in.theirs[0].grad())},
          {"d params", parameter_grad_diff(*theirs, ours)}});
}

void decoder_case(const std::string& name, bool gelu, uint64_t seed, int masks = 15) {
  namespace tn = torch::nn;
  const int64_t d = 8, heads = 4, ff = 16, t = 5, s = 6, n = 2;
  auto topts = tn::TransformerDecoderLayerOptions(d, heads).dim_feedforward(ff).dropout(0.0);
  if (gelu) topts.activation(torch::kGELU);
  tn::TransformerDecoderLayer theirs(topts);
  theirs->to(torch::kFloat64);
  theirs->eval();
  using A = xgrad::nn::TransformerActivation;
  xgrad::nn::TransformerDecoderLayer ours(
      d, heads, {.dim_feedforward = ff, .dropout = 0.0, .activation = gelu ? A::gelu : A::relu});
  ours.to(xgrad::float64);
  ours.eval();
  copy_parameters(*theirs, ours, name);
  Inputs in = leaves({{t, n, d}, {s, n, d}}, seed);
  Tensor tgt_mask = xgrad::nn::generate_square_subsequent_mask(t, xgrad::float64);
  Tensor memory_mask = bool_mask({{0, 0, 0, 0, 0, 1},
                                  {0, 0, 0, 0, 1, 0},
                                  {0, 0, 0, 1, 0, 0},
                                  {0, 0, 1, 0, 0, 0},
                                  {0, 1, 0, 0, 0, 0}});
  Tensor tgt_kpm = bool_mask({{0, 0, 0, 0, 1}, {0, 0, 0, 0, 0}});
  Tensor mem_kpm = bool_mask({{0, 0, 0, 0, 0, 0}, {1, 0, 0, 0, 0, 0}});
  // masks: bit 0 tgt_mask, 1 memory_mask, 2 tgt_key_padding_mask, 3 memory_key_padding_mask.
  if (!(masks & 1)) tgt_mask = Tensor();
  if (!(masks & 2)) memory_mask = Tensor();
  if (!(masks & 4)) tgt_kpm = Tensor();
  if (!(masks & 8)) mem_kpm = Tensor();
  auto opt = [](const Tensor& m, torch::Tensor (*f)(const Tensor&)) {
    return m.defined() ? f(m) : torch::Tensor();
  };
  Tensor out = ours.forward(in.ours[0], in.ours[1], tgt_mask, memory_mask, tgt_kpm, mem_kpm);
  torch::Tensor tout = theirs->forward(in.theirs[0], in.theirs[1], opt(tgt_mask, to_torch),
                                       opt(memory_mask, torch_additive), opt(tgt_kpm, torch_bool),
                                       opt(mem_kpm, torch_bool));
  backward_both(out, tout, seed + 1);
  report("TransformerDecoderLayer: " + name,
         {{"output", max_diff(out, tout)},
          {"d tgt", max_diff(in.ours[0].grad(), in.theirs[0].grad())},
          {"d memory", max_diff(in.ours[1].grad(), in.theirs[1].grad())},
          {"d params", parameter_grad_diff(*theirs, ours)}});
}

void encoder_stack_case(uint64_t seed) {
  namespace tn = torch::nn;
  const int64_t d = 8, heads = 2, ff = 16, l = 4, n = 2;
  auto layer_opts = tn::TransformerEncoderLayerOptions(d, heads).dim_feedforward(ff).dropout(0.0);
  tn::TransformerEncoder theirs(
      tn::TransformerEncoderOptions(tn::TransformerEncoderLayer(layer_opts), 2)
          .norm(tn::AnyModule(tn::LayerNorm(tn::LayerNormOptions({d})))));
  theirs->to(torch::kFloat64);
  theirs->eval();
  auto layer = std::make_shared<xgrad::nn::TransformerEncoderLayer>(
      d, heads, xgrad::nn::TransformerLayerOptions{.dim_feedforward = ff, .dropout = 0.0});
  xgrad::nn::TransformerEncoder ours(layer, 2,
                                     std::make_shared<xgrad::nn::LayerNorm>(xgrad::Shape{d}));
  ours.to(xgrad::float64);
  ours.eval();
  copy_parameters(*theirs, ours, "TransformerEncoder");
  Inputs in = leaves({{l, n, d}}, seed);
  Tensor mask = xgrad::nn::generate_square_subsequent_mask(l, xgrad::float64);
  Tensor out = ours.forward(in.ours[0], mask);
  torch::Tensor tout = theirs->forward(in.theirs[0], to_torch(mask));
  backward_both(out, tout, seed + 1);
  report("TransformerEncoder: 2 layers + LayerNorm, causal mask",
         {{"output", max_diff(out, tout)},
          {"d src", max_diff(in.ours[0].grad(), in.theirs[0].grad())},
          {"d params", parameter_grad_diff(*theirs, ours)}});
}

}  // namespace

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  torch::manual_seed(0);
  std::printf("xgrad vs libtorch %d.%d, float64, eval mode; tolerance %.0e\n", TORCH_VERSION_MAJOR,
              TORCH_VERSION_MINOR, kTolerance);
  uint64_t seed = 100;
  mha_case({.name = "self-attention, no masks", .self = true}, seed += 10);
  mha_case({.name = "cross-attention, bool key_padding_mask and attn_mask",
            .kpm = true,
            .bool_attn = true},
           seed += 10);
  mha_case(
      {.name = "float attn_mask (L, S), per-head weights", .float_attn = true, .average = false},
      seed += 10);
  mha_case({.name = "kdim = vdim = 5, add_bias_kv, add_zero_attn, key_padding_mask",
            .kdim = 5,
            .vdim = 5,
            .bias_kv = true,
            .zero_attn = true,
            .kpm = true},
           seed += 10);
  mha_case(
      {.name = "no bias, 4 heads, bool attn_mask", .heads = 4, .bias = false, .bool_attn = true},
      seed += 10);
  encoder_case("relu, no masks", false, false, seed += 10);
  encoder_case("relu, causal float src_mask, key padding", false, true, seed += 10);
  encoder_case("gelu, causal float src_mask, key padding", true, true, seed += 10);
  decoder_case("relu, no masks", false, seed += 10, 0);
  decoder_case("relu, all four masks", false, seed += 10);
  decoder_case("gelu, all four masks", true, seed += 10);
  encoder_stack_case(seed += 10);
  std::printf(failed ? "FAILED\n" : "all cases agree\n");
  return failed ? 1 : 0;
}
