// Recurrent layers and Embedding beside libtorch: the same float64 weights (copied by name, so
// the names and layouts must match PyTorch's), the same inputs; outputs, final states and the
// gradients of the input and of every parameter must agree to 1e-10, with and without packed
// (variable-length) batches. Prints the largest difference per case; exits 1 on a mismatch.
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "xgrad.hpp"

namespace {

int failures = 0;

torch::Tensor to_torch(const xgrad::Tensor& t) {
  xgrad::Tensor c = t.contiguous();
  std::vector<int64_t> shape(c.shape().begin(), c.shape().end());
  return torch::from_blob(const_cast<double*>(c.data<double>()), shape, torch::kFloat64).clone();
}

double max_diff(const xgrad::Tensor& ours, const torch::Tensor& theirs, const std::string& what) {
  torch::Tensor a = to_torch(ours);
  if (a.sizes() != theirs.sizes()) {
    std::printf("  %s: shapes differ\n", what.c_str());
    ++failures;
    return INFINITY;
  }
  return (a - theirs.to(torch::kFloat64)).abs().max().item<double>();
}

// Copies every torch parameter into the xgrad module's parameter of the same name.
void copy_parameters(xgrad::nn::Module& ours, torch::nn::Module& theirs) {
  auto named = theirs.named_parameters();
  xgrad::NoGradGuard no_grad;
  int copied = 0;
  for (auto& [name, p] : ours.named_parameters()) {
    const torch::Tensor* src = named.find(name);
    if (!src) {
      std::printf("  libtorch has no parameter named %s\n", name.c_str());
      ++failures;
      continue;
    }
    torch::Tensor c = src->detach().contiguous();
    xgrad::Tensor view = xgrad::from_blob(c.data_ptr<double>(), p.shape(), xgrad::float64);
    xgrad::Tensor target = p;
    target.copy_(view);
    ++copied;
  }
  if (copied != static_cast<int>(named.size())) {
    std::printf("  parameter counts differ: %d copied of libtorch's %zu\n", copied, named.size());
    ++failures;
  }
}

void report(const std::string& name, double worst) {
  const bool ok = worst <= 1e-10;
  if (!ok) ++failures;
  std::printf("%-58s max |xgrad - libtorch| = %.2e  %s\n", name.c_str(), worst, ok ? "ok" : "FAIL");
}

enum class Kind { rnn, lstm, gru };

// Runs one configuration; lengths empty means full-length sequences.
void compare(Kind kind, int64_t layers, bool bidirectional, bool batch_first,
             std::vector<int64_t> lengths) {
  using namespace xgrad;
  const int64_t in = 5, hidden = 4, steps = 6, batch = 3, D = bidirectional ? 2 : 1;
  nn::RecurrentOptions o{
      .num_layers = layers, .batch_first = batch_first, .bidirectional = bidirectional};
  std::shared_ptr<nn::RNNBase> ours;
  std::shared_ptr<torch::nn::Module> theirs;
  torch::nn::LSTM tl{nullptr};
  torch::nn::GRU tg{nullptr};
  torch::nn::RNN tr{nullptr};
  std::string name;
  if (kind == Kind::lstm) {
    ours = std::make_shared<nn::LSTM>(in, hidden, o);
    tl = torch::nn::LSTM(torch::nn::LSTMOptions(in, hidden)
                             .num_layers(layers)
                             .bidirectional(bidirectional)
                             .batch_first(batch_first));
    theirs = tl.ptr();
    name = "LSTM";
  } else if (kind == Kind::gru) {
    ours = std::make_shared<nn::GRU>(in, hidden, o);
    tg = torch::nn::GRU(torch::nn::GRUOptions(in, hidden)
                            .num_layers(layers)
                            .bidirectional(bidirectional)
                            .batch_first(batch_first));
    theirs = tg.ptr();
    name = "GRU";
  } else {
    ours = std::make_shared<nn::RNN>(in, hidden, o);
    tr = torch::nn::RNN(torch::nn::RNNOptions(in, hidden)
                            .num_layers(layers)
                            .bidirectional(bidirectional)
                            .batch_first(batch_first));
    theirs = tr.ptr();
    name = "RNN";
  }
  theirs->to(torch::kFloat64);
  ours->to(float64);
  copy_parameters(*ours, *theirs);
  Generator gen(11);
  const Shape xshape = batch_first ? Shape{batch, steps, in} : Shape{steps, batch, in};
  Tensor x = uniform(xshape, -1, 1, {float64, true}, &gen);
  Tensor h0 = uniform({D * layers, batch, hidden}, -1, 1, {float64, true}, &gen);
  Tensor c0 = uniform({D * layers, batch, hidden}, -1, 1, {float64, true}, &gen);
  torch::Tensor tx = to_torch(x).requires_grad_(), th0 = to_torch(h0).requires_grad_(),
                tc0 = to_torch(c0).requires_grad_();

  Tensor len = lengths.empty() ? Tensor() : from_vector(lengths, {batch}, Dtype::int64);
  nn::RecurrentOutput out = ours->forward(x, {h0, kind == Kind::lstm ? c0 : Tensor()}, len);
  torch::Tensor ty, thn, tcn;
  namespace rnn_utils = torch::nn::utils::rnn;
  if (lengths.empty()) {
    if (kind == Kind::lstm) {
      auto r = tl->forward(tx, std::make_tuple(th0, tc0));
      ty = std::get<0>(r);
      thn = std::get<0>(std::get<1>(r));
      tcn = std::get<1>(std::get<1>(r));
    } else if (kind == Kind::gru) {
      std::tie(ty, thn) = tg->forward(tx, th0);
    } else {
      std::tie(ty, thn) = tr->forward(tx, th0);
    }
  } else {
    torch::Tensor tlen = torch::tensor(lengths, torch::kLong);
    auto packed = rnn_utils::pack_padded_sequence(tx, tlen, batch_first, false);
    auto pad = [&](const rnn_utils::PackedSequence& py) {
      return std::get<0>(rnn_utils::pad_packed_sequence(py, batch_first, 0.0, steps));
    };
    if (kind == Kind::lstm) {
      auto r = tl->forward_with_packed_input(packed, std::make_tuple(th0, tc0));
      ty = pad(std::get<0>(r));
      thn = std::get<0>(std::get<1>(r));
      tcn = std::get<1>(std::get<1>(r));
    } else if (kind == Kind::gru) {
      auto r = tg->forward_with_packed_input(packed, th0);
      ty = pad(std::get<0>(r));
      thn = std::get<1>(r);
    } else {
      auto r = tr->forward_with_packed_input(packed, th0);
      ty = pad(std::get<0>(r));
      thn = std::get<1>(r);
    }
  }
  double worst = 0;
  worst = std::max(worst, max_diff(out.output, ty, "output"));
  worst = std::max(worst, max_diff(out.h_n, thn, "h_n"));
  if (kind == Kind::lstm) worst = std::max(worst, max_diff(out.c_n, tcn, "c_n"));
  // Gradients of the same scalar: Σ output² + Σ h_n (+ Σ c_n).
  Tensor loss = add(sum(mul(out.output, out.output)), sum(out.h_n));
  if (kind == Kind::lstm) loss = add(loss, sum(out.c_n));
  loss.backward();
  torch::Tensor tloss = (ty * ty).sum() + thn.sum();
  if (kind == Kind::lstm) tloss = tloss + tcn.sum();
  tloss.backward();
  worst = std::max(worst, max_diff(x.grad(), tx.grad(), "dx"));
  worst = std::max(worst, max_diff(h0.grad(), th0.grad(), "dh0"));
  if (kind == Kind::lstm) worst = std::max(worst, max_diff(c0.grad(), tc0.grad(), "dc0"));
  auto named = theirs->named_parameters();
  for (auto& [pname, p] : ours->named_parameters())
    worst = std::max(worst, max_diff(p.grad(), named.find(pname)->grad(), pname));
  std::string label =
      name + " layers=" + std::to_string(layers) + (bidirectional ? " bidirectional" : "") +
      (batch_first ? " batch_first" : "") + (lengths.empty() ? "" : " packed lengths");
  report(label, worst);
}

void compare_cells() {
  using namespace xgrad;
  Generator gen(5);
  Tensor x = uniform({3, 5}, -1, 1, {float64, true}, &gen);
  Tensor h = uniform({3, 4}, -1, 1, {float64, true}, &gen);
  Tensor c = uniform({3, 4}, -1, 1, {float64, true}, &gen);
  torch::Tensor tx = to_torch(x).requires_grad_(), th = to_torch(h).requires_grad_(),
                tc = to_torch(c).requires_grad_();
  {
    nn::LSTMCell ours(5, 4);
    torch::nn::LSTMCell theirs(5, 4);
    theirs->to(torch::kFloat64);
    ours.to(float64);
    copy_parameters(ours, *theirs);
    auto [h1, c1] = ours.forward(x, h, c);
    auto [th1, tc1] = theirs->forward(tx, std::make_tuple(th, tc));
    report("LSTMCell", std::max(max_diff(h1, th1, "h"), max_diff(c1, tc1, "c")));
  }
  {
    nn::GRUCell ours(5, 4);
    torch::nn::GRUCell theirs(5, 4);
    theirs->to(torch::kFloat64);
    ours.to(float64);
    copy_parameters(ours, *theirs);
    report("GRUCell", max_diff(ours.forward(x, h), theirs->forward(tx, th), "h"));
  }
  {
    nn::RNNCell ours(5, 4, true, true);
    torch::nn::RNNCell theirs(torch::nn::RNNCellOptions(5, 4).nonlinearity(torch::kReLU));
    theirs->to(torch::kFloat64);
    ours.to(float64);
    copy_parameters(ours, *theirs);
    report("RNNCell (relu)", max_diff(ours.forward(x, h), theirs->forward(tx, th), "h"));
  }
}

void compare_embedding() {
  using namespace xgrad;
  nn::Embedding ours(10, 3, {.padding_idx = 2});
  torch::nn::Embedding theirs(torch::nn::EmbeddingOptions(10, 3).padding_idx(2));
  theirs->to(torch::kFloat64);
  ours.to(float64);
  copy_parameters(ours, *theirs);
  std::vector<int64_t> idx{1, 2, 9, 1, 0, 2};
  Tensor out = ours(from_vector(idx, {2, 3}, Dtype::int64));
  torch::Tensor tout = theirs->forward(torch::tensor(idx, torch::kLong).reshape({2, 3}));
  Generator gen(3);
  Tensor up = uniform({2, 3, 3}, -1, 1, float64, &gen);
  sum(mul(out, up)).backward();
  (tout * to_torch(up)).sum().backward();
  report("Embedding padding_idx=2",
         std::max(max_diff(out, tout, "out"),
                  max_diff(ours.weight.grad(), theirs->weight.grad(), "dW")));
  nn::EmbeddingBag bag(10, 3, {.mode = nn::functional::BagMode::mean});
  torch::nn::EmbeddingBag tbag(torch::nn::EmbeddingBagOptions(10, 3).mode(torch::kMean));
  tbag->to(torch::kFloat64);
  bag.to(float64);
  copy_parameters(bag, *tbag);
  std::vector<int64_t> offsets{0, 2, 2};
  Tensor bout =
      bag.forward(from_vector(idx, {6}, Dtype::int64), from_vector(offsets, {3}, Dtype::int64));
  torch::Tensor tbout =
      tbag->forward(torch::tensor(idx, torch::kLong), torch::tensor(offsets, torch::kLong));
  report("EmbeddingBag mean with offsets (an empty bag)", max_diff(bout, tbout, "out"));
}

}  // namespace

int main() {
  torch::manual_seed(0);
  xgrad::manual_seed(0);
  for (Kind kind : {Kind::rnn, Kind::lstm, Kind::gru}) {
    compare(kind, 1, false, false, {});
    compare(kind, 2, true, false, {});
    compare(kind, 2, true, true, {});
    compare(kind, 2, true, false, {4, 6, 1});
    compare(kind, 1, false, true, {2, 6, 5});
  }
  compare_cells();
  compare_embedding();
  std::printf("%s\n", failures == 0 ? "all cases agree" : "MISMATCH");
  return failures == 0 ? 0 : 1;
}
