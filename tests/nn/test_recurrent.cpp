// Recurrent cells and layers against PyTorch's documented formulas computed here with plain
// loops (gate order i, f, g, o and r, z, n), multi-layer and bidirectional stacking, batch_first,
// unbatched input, variable lengths, dropout between layers, parameter names and init,
// gradcheck and gradgradcheck in float64, the module-call forms and the error messages.
#include <cmath>

#include "../helpers.hpp"

using namespace xgrad;
using xgrad::testing::allclose;
using xgrad::testing::input;
using xgrad::testing::with_parameters;
namespace F = xgrad::nn::functional;

namespace {

using Vec = std::vector<double>;

struct RefState {
  Vec h, c;
};

double sigmoid_of(double v) { return 1.0 / (1.0 + std::exp(-v)); }

// W (rows, cols) x + b, or without b when it is undefined.
Vec affine(const Tensor& w, const Vec& x, const Tensor& b) {
  const Vec wv = w.contiguous().to_vector();
  const int64_t rows = w.shape()[0], cols = w.shape()[1];
  Vec out(static_cast<std::size_t>(rows), 0.0);
  const Vec bv = b.defined() ? b.to_vector() : Vec(out.size(), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    double s = bv[static_cast<std::size_t>(r)];
    for (int64_t k = 0; k < cols; ++k)
      s += wv[static_cast<std::size_t>(r * cols + k)] * x[static_cast<std::size_t>(k)];
    out[static_cast<std::size_t>(r)] = s;
  }
  return out;
}

// One step of PyTorch's formulas (torch.nn.RNN / LSTM / GRU docs); w = {w_ih, w_hh, b_ih, b_hh}.
RefState ref_step(nn::RecurrentMode mode, const Vec& x, const RefState& prev,
                  const std::vector<Tensor>& w) {
  const Vec gi = affine(w[0], x, w[2]), gh = affine(w[1], prev.h, w[3]);
  const std::size_t hidden = prev.h.size();
  RefState next{Vec(hidden), Vec(hidden)};
  for (std::size_t j = 0; j < hidden; ++j) {
    switch (mode) {
      case nn::RecurrentMode::rnn_tanh:
        next.h[j] = std::tanh(gi[j] + gh[j]);
        break;
      case nn::RecurrentMode::rnn_relu:
        next.h[j] = std::max(0.0, gi[j] + gh[j]);
        break;
      case nn::RecurrentMode::lstm: {
        const double i = sigmoid_of(gi[j] + gh[j]);
        const double f = sigmoid_of(gi[hidden + j] + gh[hidden + j]);
        const double g = std::tanh(gi[2 * hidden + j] + gh[2 * hidden + j]);
        const double o = sigmoid_of(gi[3 * hidden + j] + gh[3 * hidden + j]);
        next.c[j] = f * prev.c[j] + i * g;
        next.h[j] = o * std::tanh(next.c[j]);
        break;
      }
      case nn::RecurrentMode::gru: {
        const double r = sigmoid_of(gi[j] + gh[j]);
        const double z = sigmoid_of(gi[hidden + j] + gh[hidden + j]);
        const double n = std::tanh(gi[2 * hidden + j] + r * gh[2 * hidden + j]);
        next.h[j] = (1 - z) * n + z * prev.h[j];
        break;
      }
    }
  }
  return next;
}

// Row n of a (N, K) or element n of a (D, N, K) tensor's slice k.
Vec row(const Tensor& t, std::initializer_list<int64_t> at) {
  Tensor r = t;
  for (int64_t i : at) r = select(r, 0, i);
  return r.contiguous().to_vector();
}

// The whole layer for batch element n of a time-major (L, N, in) input, from zero states or
// h0/c0, with a length: outputs (L rows of D·H, zeros past the length) and final states.
struct RefRun {
  std::vector<Vec> output;
  std::vector<RefState> final;
};
RefRun ref_layers(nn::RNNBase& m, nn::RecurrentMode mode, const Tensor& x, int64_t n,
                  int64_t length, const Tensor& h0 = Tensor(), const Tensor& c0 = Tensor()) {
  const int64_t directions = m.options.bidirectional ? 2 : 1, H = m.hidden_size;
  std::vector<Vec> layer_in;
  for (int64_t t = 0; t < x.shape()[0]; ++t) layer_in.push_back(row(x, {t, n}));
  RefRun run;
  for (int64_t l = 0; l < m.options.num_layers; ++l) {
    std::vector<Vec> out(layer_in.size(), Vec(static_cast<std::size_t>(directions * H), 0.0));
    for (int64_t d = 0; d < directions; ++d) {
      const int64_t k = l * directions + d;
      RefState s{h0.defined() ? row(h0, {k, n}) : Vec(static_cast<std::size_t>(H), 0.0),
                 c0.defined() ? row(c0, {k, n}) : Vec(static_cast<std::size_t>(H), 0.0)};
      for (int64_t i = 0; i < length; ++i) {
        const int64_t t = d == 0 ? i : length - 1 - i;
        s = ref_step(mode, layer_in[static_cast<std::size_t>(t)], s, m.layer_parameters(l, d));
        std::copy(s.h.begin(), s.h.end(), out[static_cast<std::size_t>(t)].begin() + d * H);
      }
      run.final.push_back(s);
    }
    layer_in = out;
  }
  run.output = layer_in;
  return run;
}

// Checks a layer's forward against ref_layers for every batch element.
void check_against_reference(nn::RNNBase& m, nn::RecurrentMode mode, const Tensor& x_time_major,
                             const nn::RecurrentOutput& got, const std::vector<int64_t>& lengths,
                             const Tensor& h0 = Tensor(), const Tensor& c0 = Tensor()) {
  const int64_t steps = x_time_major.shape()[0];
  for (int64_t n = 0; n < x_time_major.shape()[1]; ++n) {
    CAPTURE(n);
    const int64_t length = lengths.empty() ? steps : lengths[static_cast<std::size_t>(n)];
    RefRun ref = ref_layers(m, mode, x_time_major, n, length, h0, c0);
    for (int64_t t = 0; t < steps; ++t) {
      CAPTURE(t);
      const Vec y = row(got.output, {t, n});
      for (std::size_t j = 0; j < y.size(); ++j)
        CHECK(y[j] == doctest::Approx(ref.output[static_cast<std::size_t>(t)][j]).epsilon(1e-12));
    }
    for (std::size_t k = 0; k < ref.final.size(); ++k) {
      const Vec h = row(got.h_n, {static_cast<int64_t>(k), n});
      for (std::size_t j = 0; j < h.size(); ++j)
        CHECK(h[j] == doctest::Approx(ref.final[k].h[j]).epsilon(1e-12));
      if (mode == nn::RecurrentMode::lstm) {
        const Vec c = row(got.c_n, {static_cast<int64_t>(k), n});
        for (std::size_t j = 0; j < c.size(); ++j)
          CHECK(c[j] == doctest::Approx(ref.final[k].c[j]).epsilon(1e-12));
      }
    }
  }
}

Tensor lengths_tensor(const std::vector<int64_t>& v) {
  return from_vector(v, {static_cast<int64_t>(v.size())}, Dtype::int64);
}

}  // namespace

TEST_CASE("cells: one step of each against PyTorch's formulas") {
  manual_seed(3);
  Tensor x = input({2, 3}, -1, 1, 4), h = input({2, 2}, -1, 1, 5), c = input({2, 2}, -1, 1, 6);
  nn::RNNCell rnn(3, 2);
  nn::RNNCell rnn_relu(3, 2, true, true);
  nn::LSTMCell lstm(3, 2);
  nn::GRUCell gru(3, 2, false);  // no biases
  for (nn::Module* m : std::vector<nn::Module*>{&rnn, &rnn_relu, &lstm, &gru}) m->to(float64);
  auto params = [](nn::RecurrentCellBase& m) {
    return std::vector<Tensor>{m.weight_ih, m.weight_hh, m.bias_ih, m.bias_hh};
  };
  for (int64_t n = 0; n < 2; ++n) {
    const Vec xn = row(x, {n});
    const RefState prev{row(h, {n}), row(c, {n})};
    RefState r = ref_step(nn::RecurrentMode::rnn_tanh, xn, prev, params(rnn));
    CHECK(allclose(select(rnn.forward(x, h), 0, n), from_vector(r.h, {2}, float64), 1e-14, 0));
    r = ref_step(nn::RecurrentMode::rnn_relu, xn, prev, params(rnn_relu));
    CHECK(allclose(select(rnn_relu.forward(x, h), 0, n), from_vector(r.h, {2}, float64), 1e-14, 0));
    r = ref_step(nn::RecurrentMode::lstm, xn, prev, params(lstm));
    auto [h1, c1] = lstm.forward(x, h, c);
    CHECK(allclose(select(h1, 0, n), from_vector(r.h, {2}, float64), 1e-14, 0));
    CHECK(allclose(select(c1, 0, n), from_vector(r.c, {2}, float64), 1e-14, 0));
    r = ref_step(nn::RecurrentMode::gru, xn, prev, params(gru));
    CHECK(allclose(select(gru.forward(x, h), 0, n), from_vector(r.h, {2}, float64), 1e-14, 0));
  }
  // Undefined states are zeros; unbatched input gives unbatched states.
  CHECK(allclose(gru.forward(x), gru.forward(x, zeros({2, 2}, float64)), 0, 0));
  auto [hu, cu] = lstm.forward(select(x, 0, 1), select(h, 0, 1), select(c, 0, 1));
  CHECK(hu.shape() == Shape{2});
  CHECK(allclose(hu, select(lstm.forward(x, h, c).first, 0, 1), 1e-15, 0));
  // The functional forms are the same step.
  auto [fh, fc] = F::lstm_cell(x, h, c, lstm.weight_ih, lstm.weight_hh, lstm.bias_ih, lstm.bias_hh);
  CHECK(allclose(fh, lstm.forward(x, h, c).first, 0, 0));
  CHECK(allclose(F::gru_cell(x, h, gru.weight_ih, gru.weight_hh), gru.forward(x, h), 0, 0));
}

TEST_CASE("layers: multi-layer, bidirectional, batch_first against the formulas") {
  manual_seed(5);
  Tensor x = input({4, 3, 3}, -1, 1, 7);  // (L, N, in)
  nn::RecurrentOptions two_way{.num_layers = 2, .bidirectional = true};
  nn::RNN rnn(3, 2, two_way);
  nn::RNN rnn_relu(3, 2, {.num_layers = 2}, true);
  nn::LSTM lstm(3, 2, two_way);
  nn::GRU gru(3, 2, two_way);
  nn::LSTM lstm_nobias(3, 2, {.bias = false});
  struct Case {
    nn::RNNBase* m;
    nn::RecurrentMode mode;
  };
  for (Case k : {Case{&rnn, nn::RecurrentMode::rnn_tanh},
                 Case{&rnn_relu, nn::RecurrentMode::rnn_relu}, Case{&lstm, nn::RecurrentMode::lstm},
                 Case{&gru, nn::RecurrentMode::gru}, Case{&lstm_nobias, nn::RecurrentMode::lstm}}) {
    INFO(k.m->repr());
    k.m->to(float64);
    nn::RecurrentOutput out = k.m->forward(x, {});
    const int64_t D = k.m->options.bidirectional ? 2 : 1, layers = k.m->options.num_layers;
    CHECK(out.output.shape() == Shape{4, 3, D * 2});
    CHECK(out.h_n.shape() == Shape{D * layers, 3, 2});
    check_against_reference(*k.m, k.mode, x, out, {});
  }
  // Given initial states.
  Tensor h0 = input({4, 3, 2}, -1, 1, 8), c0 = input({4, 3, 2}, -1, 1, 9);
  check_against_reference(lstm, nn::RecurrentMode::lstm, x, lstm.forward(x, {h0, c0}), {}, h0, c0);
  check_against_reference(gru, nn::RecurrentMode::gru, x, gru.forward(x, {h0}), {}, h0);
  // batch_first: the same layer on (N, L, in) gives the transposed output, the same states.
  nn::GRU gru_bf(3, 2, {.num_layers = 2, .batch_first = true, .bidirectional = true});
  gru_bf.to(float64);
  gru_bf.load_state_dict(gru.state_dict());
  nn::RecurrentOutput bf = gru_bf.forward(transpose(x, 0, 1).contiguous(), {h0});
  nn::RecurrentOutput tm = gru.forward(x, {h0});
  CHECK(bf.output.shape() == Shape{3, 4, 4});
  CHECK(allclose(bf.output, transpose(tm.output, 0, 1), 1e-15, 0));
  CHECK(allclose(bf.h_n, tm.h_n, 1e-15, 0));
  // Unbatched (L, in).
  nn::RecurrentOutput one = lstm.forward(select(x, 1, 2), {select(h0, 1, 2), select(c0, 1, 2)});
  nn::RecurrentOutput all = lstm.forward(x, {h0, c0});
  CHECK(one.output.shape() == Shape{4, 4});
  CHECK(one.h_n.shape() == Shape{4, 2});
  CHECK(allclose(one.output, select(all.output, 1, 2), 1e-15, 0));
  CHECK(allclose(one.c_n, select(all.c_n, 1, 2), 1e-15, 0));
}

TEST_CASE("layers: variable lengths act as pack_padded_sequence") {
  manual_seed(6);
  Tensor x = input({5, 3, 2}, -1, 1, 10);
  const std::vector<int64_t> lengths{3, 5, 1};  // not sorted
  nn::LSTM lstm(2, 3, {.num_layers = 2, .bidirectional = true});
  nn::GRU gru(2, 3, {.bidirectional = true});
  nn::RNN rnn(2, 3);
  lstm.to(float64);
  gru.to(float64);
  rnn.to(float64);
  nn::RecurrentOutput out = lstm.forward(x, {}, lengths_tensor(lengths));
  check_against_reference(lstm, nn::RecurrentMode::lstm, x, out, lengths);
  // Past its length a sequence's outputs are zeros, in both directions.
  CHECK(allclose(select(select(out.output, 0, 3), 0, 0), zeros({6}, float64), 0, 0));
  CHECK(allclose(select(select(out.output, 0, 1), 0, 2), zeros({6}, float64), 0, 0));
  check_against_reference(gru, nn::RecurrentMode::gru, x,
                          gru.forward(x, {}, lengths_tensor(lengths)), lengths);
  check_against_reference(rnn, nn::RecurrentMode::rnn_tanh, x,
                          rnn.forward(x, {}, lengths_tensor(lengths)), lengths);
  // Every sequence full length: the same as no lengths.
  CHECK(allclose(gru.forward(x, {}, lengths_tensor({5, 5, 5})).output, gru.forward(x, {}).output, 0,
                 0));
}

TEST_CASE("layers: parameter names, shapes and initialisation as PyTorch's") {
  nn::LSTM lstm(10, 20, {.num_layers = 2, .bidirectional = true});
  std::vector<std::string> names;
  for (const auto& [name, p] : lstm.named_parameters()) names.push_back(name);
  CHECK(names == std::vector<std::string>{
                     "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                     "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse",
                     "bias_hh_l0_reverse", "weight_ih_l1", "weight_hh_l1", "bias_ih_l1",
                     "bias_hh_l1", "weight_ih_l1_reverse", "weight_hh_l1_reverse",
                     "bias_ih_l1_reverse", "bias_hh_l1_reverse"});
  CHECK(lstm.layer_parameters(0, 0)[0].shape() == Shape{80, 10});
  CHECK(lstm.layer_parameters(1, 1)[0].shape() == Shape{80, 40});  // input: both directions
  CHECK(lstm.layer_parameters(1, 1)[1].shape() == Shape{80, 20});
  nn::GRU gru(10, 20);
  CHECK(gru.layer_parameters(0, 0)[0].shape() == Shape{60, 10});
  nn::GRUCell cell(10, 20);
  names.clear();
  for (const auto& [name, p] : cell.named_parameters()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"weight_ih", "weight_hh", "bias_ih", "bias_hh"});
  // U(-1/√H, 1/√H) for every weight and bias, spread over the whole range.
  nn::RNN rnn(50, 400);
  const double bound = 1.0 / std::sqrt(400.0);
  for (const Tensor& p : rnn.parameters()) {
    CHECK(amax(p).item() <= bound);
    CHECK(amin(p).item() >= -bound);
    CHECK(amax(p).item() > 0.9 * bound);
  }
  nn::LSTM no_bias(3, 4, {.bias = false});
  CHECK(no_bias.named_parameters().size() == 2);
  CHECK(lstm.extra_repr() == "10, 20, num_layers=2, bidirectional=true");
}

TEST_CASE("layers: dropout between layers only while training") {
  manual_seed(7);
  Tensor x = randn({4, 2, 3});
  nn::LSTM with(3, 5, {.num_layers = 2, .dropout = 0.5});
  nn::LSTM without(3, 5, {.num_layers = 2});
  without.load_state_dict(with.state_dict());
  CHECK(!allclose(with.forward(x, {}).output, without.forward(x, {}).output, 1e-6, 0));
  with.eval();
  CHECK(allclose(with.forward(x, {}).output, without.forward(x, {}).output, 0, 0));
  // One layer: nothing to drop between.
  nn::GRU single(3, 5, {.dropout = 0.5});
  Tensor a = single.forward(x, {}).output, b = single.forward(x, {}).output;
  CHECK(allclose(a, b, 0, 0));
}

TEST_CASE("cells and layers: gradcheck and gradgradcheck in float64") {
  manual_seed(8);
  Tensor x = input({3, 2, 3}, -1, 1, 12), h0 = input({2, 2, 2}, -1, 1, 13),
         c0 = input({2, 2, 2}, -1, 1, 14);
  SUBCASE("cells") {
    nn::RNNCell rnn(3, 2);
    nn::LSTMCell lstm(3, 2);
    nn::GRUCell gru(3, 2);
    for (nn::Module* m : std::vector<nn::Module*>{&rnn, &lstm, &gru}) m->to(float64);
    Tensor xc = select(x, 0, 0), hc = select(h0, 0, 0), cc = select(c0, 0, 0);
    auto f_rnn = [&](const std::vector<Tensor>& v) { return rnn.forward(v[0], v[1]); };
    auto f_lstm = [&](const std::vector<Tensor>& v) {
      auto [h, c] = lstm.forward(v[0], v[1], v[2]);
      return add(h, mul(c, 0.5));
    };
    auto f_gru = [&](const std::vector<Tensor>& v) { return gru.forward(v[0], v[1]); };
    CHECK(gradcheck(f_rnn, with_parameters(rnn, {xc, hc})));
    CHECK(gradgradcheck(f_rnn, with_parameters(rnn, {xc, hc})));
    CHECK(gradcheck(f_lstm, with_parameters(lstm, {xc, hc, cc})));
    CHECK(gradgradcheck(f_lstm, with_parameters(lstm, {xc, hc, cc})));
    CHECK(gradcheck(f_gru, with_parameters(gru, {xc, hc})));
    CHECK(gradgradcheck(f_gru, with_parameters(gru, {xc, hc})));
  }
  SUBCASE("layers") {
    nn::RNN rnn(3, 2, {.bidirectional = true});
    nn::LSTM lstm(3, 2, {.bidirectional = true});
    nn::GRU gru(3, 2, {.num_layers = 2});
    nn::LSTM lstm_bf(3, 2, {.num_layers = 2, .batch_first = true});
    for (nn::Module* m : std::vector<nn::Module*>{&rnn, &lstm, &gru, &lstm_bf}) m->to(float64);
    // The output and the final states all take part in the checked function.
    auto total = [](const nn::RecurrentOutput& o) {
      Tensor s = add(sum(mul(o.output, o.output)), sum(o.h_n));
      return o.c_n.defined() ? add(s, sum(o.c_n)) : s;
    };
    auto f_rnn = [&](const std::vector<Tensor>& v) { return total(rnn.forward(v[0], {v[1]})); };
    auto f_lstm = [&](const std::vector<Tensor>& v) {
      return total(lstm.forward(v[0], {v[1], v[2]}));
    };
    auto f_gru = [&](const std::vector<Tensor>& v) { return total(gru.forward(v[0], {v[1]})); };
    auto f_bf = [&](const std::vector<Tensor>& v) { return total(lstm_bf.forward(v[0], {})); };
    CHECK(gradcheck(f_rnn, with_parameters(rnn, {x, h0})));
    CHECK(gradgradcheck(f_rnn, with_parameters(rnn, {x, h0})));
    CHECK(gradcheck(f_lstm, with_parameters(lstm, {x, h0, c0})));
    CHECK(gradgradcheck(f_lstm, with_parameters(lstm, {x, h0, c0})));
    CHECK(gradcheck(f_gru, with_parameters(gru, {x, h0})));
    CHECK(gradgradcheck(f_gru, with_parameters(gru, {x, h0})));
    CHECK(gradcheck(f_bf, with_parameters(lstm_bf, {x})));
    CHECK(gradgradcheck(f_bf, with_parameters(lstm_bf, {x})));
  }
  SUBCASE("variable lengths") {
    nn::LSTM lstm(3, 2, {.bidirectional = true});
    nn::GRU gru(3, 2);
    lstm.to(float64);
    gru.to(float64);
    Tensor len = lengths_tensor({2, 3});
    auto f_lstm = [&](const std::vector<Tensor>& v) {
      nn::RecurrentOutput o = lstm.forward(v[0], {}, len);
      return add(sum(mul(o.output, o.output)), add(sum(o.h_n), sum(o.c_n)));
    };
    auto f_gru = [&](const std::vector<Tensor>& v) {
      nn::RecurrentOutput o = gru.forward(v[0], {v[1]}, len);
      return add(sum(mul(o.output, o.output)), sum(o.h_n));
    };
    CHECK(gradcheck(f_lstm, with_parameters(lstm, {x})));
    CHECK(gradgradcheck(f_lstm, with_parameters(lstm, {x})));
    Tensor h1 = select(h0, 0, 0).unsqueeze(0);
    CHECK(gradcheck(f_gru, with_parameters(gru, {x, h1})));
    CHECK(gradgradcheck(f_gru, with_parameters(gru, {x, h1})));
  }
}

TEST_CASE("layers: module calls with several tensors, hooks, clone, in a model") {
  manual_seed(9);
  auto lstm = std::make_shared<nn::LSTM>(3, 4);
  Tensor x = randn({5, 2, 3});
  Tensor h0 = randn({1, 2, 4}), c0 = randn({1, 2, 4});
  std::vector<Tensor> outs = (*lstm)({x, h0, c0});
  REQUIRE(outs.size() == 3);
  nn::RecurrentOutput direct = lstm->forward(x, {h0, c0});
  CHECK(allclose(outs[0], direct.output, 0, 0));
  CHECK(allclose(outs[2], direct.c_n, 0, 0));
  CHECK(allclose((*lstm)(x), lstm->forward(x, {}).output, 0, 0));  // one tensor: the output
  int calls = 0;
  auto handle = lstm->register_forward_many_hook(
      [&](nn::Module&, const std::vector<Tensor>&, const std::vector<Tensor>& o) {
        ++calls;
        CHECK(o.size() == 3);
        return std::vector<Tensor>{};
      });
  (*lstm)({x, h0, c0});
  CHECK(calls == 1);
  handle.remove();
  auto copy = std::dynamic_pointer_cast<nn::LSTM>(lstm->clone());
  REQUIRE(copy);
  CHECK(allclose(copy->forward(x, {h0, c0}).output, direct.output, 0, 0));
  CHECK(copy->layer_parameters(0, 0)[0].data<float>() !=
        lstm->layer_parameters(0, 0)[0].data<float>());
  // An embedding + GRU + linear model trains: the loss falls on a copy task.
  auto emb = std::make_shared<nn::Embedding>(6, 8);
  auto gru = std::make_shared<nn::GRU>(8, 16, nn::RecurrentOptions{.batch_first = true});
  auto head = std::make_shared<nn::Linear>(16, 6);
  std::vector<Tensor> params;
  for (nn::Module* m : std::vector<nn::Module*>{emb.get(), gru.get(), head.get()})
    for (const Tensor& p : m->parameters()) params.push_back(p);
  Tensor tokens = randint(0, 6, {8, 5});
  auto loss_of = [&] {
    Tensor logits = (*head)((*gru)((*emb)(tokens)));
    return nn::functional::cross_entropy(reshape(logits, {-1, 6}), reshape(tokens, {-1}));
  };
  optim::Adam adam(params, {.lr = 0.01});
  const double first = loss_of().item();
  for (int i = 0; i < 60; ++i) {
    adam.zero_grad();
    Tensor loss = loss_of();
    loss.backward();
    adam.step();
  }
  CHECK(loss_of().item() < 0.2 * first);
}

TEST_CASE("recurrent layers: errors name the layer and the shapes") {
  nn::LSTM lstm(10, 20, {.num_layers = 2});
  CHECK_ERROR_MESSAGE(lstm.forward(zeros({5, 3, 7}), {}),
                      "LSTM(10, 20): expected input (L, N, 10) or (L, 10), got (5, 3, 7)");
  nn::GRU gru_bf(10, 20, {.batch_first = true});
  CHECK_ERROR_MESSAGE(gru_bf.forward(zeros({3, 5, 7}), {}),
                      "GRU(10, 20): expected input (N, L, 10) or (L, 10), got (3, 5, 7)");
  CHECK_ERROR_MESSAGE(lstm.forward(zeros({5, 3, 10}), {zeros({1, 3, 20})}),
                      "LSTM(10, 20): expected h0 of shape (2, 3, 20), got (1, 3, 20)");
  CHECK_ERROR_MESSAGE(lstm.forward(zeros({5, 3, 10}), {Tensor(), zeros({2, 3, 21})}),
                      "LSTM(10, 20): expected c0 of shape (2, 3, 20), got (2, 3, 21)");
  CHECK_ERROR_MESSAGE(gru_bf.forward(zeros({3, 5, 10}), {Tensor(), zeros({1, 3, 20})}),
                      "GRU(10, 20): only an LSTM takes a cell state c0");
  CHECK_ERROR_MESSAGE(lstm.forward(zeros({5, 3, 10}), {}, lengths_tensor({5, 6, 1})),
                      "LSTM(10, 20): lengths[1] = 6 is outside [1, 5]");
  CHECK_ERROR_MESSAGE(
      lstm.forward(zeros({5, 3, 10}), {}, lengths_tensor({5, 1})),
      "LSTM(10, 20): expected lengths of shape (3,) and dtype int64, got (2,) int64");
  CHECK_ERROR_MESSAGE(
      lstm.forward(zeros({5, 3, 10}), {}, tensor({5.0, 1.0, 2.0})),
      "LSTM(10, 20): expected lengths of shape (3,) and dtype int64, got (3,) float32");
  CHECK_ERROR_MESSAGE(
      (lstm({zeros({5, 3, 10}), zeros({2, 3, 20}), zeros({2, 3, 20}), zeros({1})})),
      "LSTM(10, 20): expected {input}, {input, h0} or {input, h0, c0}, got 4 tensors");
  CHECK_ERROR_MESSAGE(nn::LSTM(10, 0),
                      "LSTM: input_size and hidden_size must be positive, got 10 and 0");
  CHECK_ERROR_MESSAGE(nn::GRU(10, 20, {.num_layers = 0}),
                      "GRU: num_layers must be at least 1, got 0");
  CHECK_ERROR_MESSAGE(nn::RNN(10, 20, {.dropout = 1.5}),
                      "RNN: dropout must be in [0, 1], got 1.500000");
  nn::LSTMCell cell(4, 3);
  CHECK_ERROR_MESSAGE(cell.forward(zeros({2, 5}), Tensor(), Tensor()),
                      "LSTMCell(4, 3): expected input (N, 4) or (4), got (2, 5)");
  CHECK_ERROR_MESSAGE(cell.forward(zeros({2, 4}), zeros({3, 3}), Tensor()),
                      "LSTMCell(4, 3): expected h of shape (2, 3), got (3, 3)");
  CHECK_ERROR_MESSAGE(F::gru_cell(zeros({2, 4}), zeros({2, 3}), zeros({9, 4}), zeros({6, 3})),
                      "GRUCell: expected w_ih (3·H, in) and w_hh (3·H, H), got (9, 4) and (6, 3)");
}
