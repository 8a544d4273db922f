// RNN, LSTM and GRU cells and layers. One step function serves the cells and the layers; the
// layers project the input of every time step in one product and run only h·W_hhᵀ per step.
#include "nn/recurrent.hpp"

#include <cmath>
#include <mutex>

#include "nn/functional.hpp"
#include "nn/init.hpp"

namespace xgrad::nn {

namespace {

int64_t gate_count(RecurrentMode mode) {
  switch (mode) {
    case RecurrentMode::lstm:
      return 4;
    case RecurrentMode::gru:
      return 3;
    default:
      return 1;
  }
}

const char* mode_name(RecurrentMode mode, bool cell) {
  switch (mode) {
    case RecurrentMode::lstm:
      return cell ? "LSTMCell" : "LSTM";
    case RecurrentMode::gru:
      return cell ? "GRUCell" : "GRU";
    default:
      return cell ? "RNNCell" : "RNN";
  }
}

CellState cell_step(RecurrentMode mode, const Tensor& x, const CellState& prev, const Tensor& w_ih,
                    const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh) {
  const char* name = mode_name(mode, true);
  const int64_t gates = gate_count(mode);
  if (w_ih.dim() != 2 || w_hh.dim() != 2 || w_hh.shape()[0] != gates * w_hh.shape()[1] ||
      w_ih.shape()[0] != w_hh.shape()[0])
    throw Error(std::string(name) + ": expected w_ih (" + std::to_string(gates) +
                "·H, in) and w_hh (" + std::to_string(gates) + "·H, H), got " +
                format_shape(w_ih.shape()) + " and " + format_shape(w_hh.shape()));
  const int64_t hidden = w_hh.shape()[1];
  if (x.dim() != 2 || x.shape()[1] != w_ih.shape()[1])
    throw Error(std::string(name) + ": expected input (N, " + std::to_string(w_ih.shape()[1]) +
                "), got " + format_shape(x.shape()));
  const Shape state_shape{x.shape()[0], hidden};
  if (prev.h.shape() != state_shape || (prev.c.defined() && prev.c.shape() != state_shape))
    throw Error(std::string(name) + ": expected states of shape " + format_shape(state_shape) +
                ", got " + format_shape(prev.h.shape()) +
                (prev.c.defined() ? " and " + format_shape(prev.c.shape()) : std::string()));
  return recurrent_step(mode, linear(x, w_ih, b_ih), prev, w_hh, b_hh);
}

// U(-1/√H, 1/√H), PyTorch's reset_parameters for every recurrent weight and bias.
Tensor recurrent_init(const Shape& shape, int64_t hidden, Generator* gen) {
  Tensor t = empty(shape);
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden));
  init::uniform_(t, -bound, bound, gen);
  return t;
}

void check_sizes(const char* name, int64_t input_size, int64_t hidden_size) {
  if (input_size <= 0 || hidden_size <= 0)
    throw Error(std::string(name) + ": input_size and hidden_size must be positive, got " +
                std::to_string(input_size) + " and " + std::to_string(hidden_size));
}

}  // namespace

namespace functional {

Tensor rnn_tanh_cell(const Tensor& x, const Tensor& h, const Tensor& w_ih, const Tensor& w_hh,
                     const Tensor& b_ih, const Tensor& b_hh) {
  return cell_step(RecurrentMode::rnn_tanh, x, {h, Tensor()}, w_ih, w_hh, b_ih, b_hh).h;
}

Tensor rnn_relu_cell(const Tensor& x, const Tensor& h, const Tensor& w_ih, const Tensor& w_hh,
                     const Tensor& b_ih, const Tensor& b_hh) {
  return cell_step(RecurrentMode::rnn_relu, x, {h, Tensor()}, w_ih, w_hh, b_ih, b_hh).h;
}

std::pair<Tensor, Tensor> lstm_cell(const Tensor& x, const Tensor& h, const Tensor& c,
                                    const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                                    const Tensor& b_hh) {
  if (!c.defined()) throw Error("LSTMCell: the cell state c is undefined");
  CellState s = cell_step(RecurrentMode::lstm, x, {h, c}, w_ih, w_hh, b_ih, b_hh);
  return {s.h, s.c};
}

Tensor gru_cell(const Tensor& x, const Tensor& h, const Tensor& w_ih, const Tensor& w_hh,
                const Tensor& b_ih, const Tensor& b_hh) {
  return cell_step(RecurrentMode::gru, x, {h, Tensor()}, w_ih, w_hh, b_ih, b_hh).h;
}

}  // namespace functional

// ---- cells

RecurrentCellBase::RecurrentCellBase(RecurrentMode mode, int64_t in, int64_t hidden, bool with_bias,
                                     Generator* gen)
    : input_size(in), hidden_size(hidden), bias(with_bias), mode_(mode) {
  check_sizes(mode_name(mode, true), in, hidden);
  const auto lock = gen ? std::unique_lock<std::recursive_mutex>() : lock_default_generator();
  const int64_t rows = gate_count(mode) * hidden;
  weight_ih = register_parameter("weight_ih", recurrent_init({rows, in}, hidden, gen));
  weight_hh = register_parameter("weight_hh", recurrent_init({rows, hidden}, hidden, gen));
  if (with_bias) {
    bias_ih = register_parameter("bias_ih", recurrent_init({rows}, hidden, gen));
    bias_hh = register_parameter("bias_hh", recurrent_init({rows}, hidden, gen));
  }
}

std::string RecurrentCellBase::describe() const {
  return std::string(mode_name(mode_, true)) + "(" + std::to_string(input_size) + ", " +
         std::to_string(hidden_size) + ")";
}

std::string RecurrentCellBase::extra_repr() const {
  std::string s = std::to_string(input_size) + ", " + std::to_string(hidden_size);
  if (!bias) s += ", bias=false";
  if (mode_ == RecurrentMode::rnn_relu) s += ", nonlinearity=relu";
  return s;
}

std::pair<Tensor, bool> RecurrentCellBase::batched_input(const Tensor& x) const {
  if ((x.dim() != 1 && x.dim() != 2) || x.shape()[x.dim() - 1] != input_size)
    throw Error(describe() + ": expected input (N, " + std::to_string(input_size) + ") or (" +
                std::to_string(input_size) + "), got " + format_shape(x.shape()));
  return {x.dim() == 1 ? unsqueeze(x, 0) : x, x.dim() == 1};
}

Tensor RecurrentCellBase::batched_state(const Tensor& state, const Tensor& x, bool unbatched,
                                        const char* name) const {
  const Shape expected = unbatched ? Shape{hidden_size} : Shape{x.shape()[0], hidden_size};
  if (!state.defined()) return zeros({x.shape()[0], hidden_size}, x.dtype());
  if (state.shape() != expected)
    throw Error(describe() + ": expected " + name + " of shape " + format_shape(expected) +
                ", got " + format_shape(state.shape()));
  return unbatched ? unsqueeze(state, 0) : state;
}

Tensor SingleStateCell::forward(const Tensor& x, const Tensor& h) {
  auto [xb, unbatched] = batched_input(x);
  Tensor hb = batched_state(h, xb, unbatched, "h");
  Tensor out = cell_step(mode_, xb, {hb, Tensor()}, weight_ih, weight_hh, bias_ih, bias_hh).h;
  return unbatched ? squeeze(out, 0) : out;
}

std::vector<Tensor> SingleStateCell::forward_many(const std::vector<Tensor>& inputs) {
  if (inputs.empty() || inputs.size() > 2)
    throw Error(describe() + ": expected {input} or {input, h}, got " +
                std::to_string(inputs.size()) + " tensors");
  return {forward(inputs[0], inputs.size() > 1 ? inputs[1] : Tensor())};
}

RNNCell::RNNCell(int64_t in, int64_t hidden, bool with_bias, bool relu, Generator* gen)
    : SingleStateCell(relu ? RecurrentMode::rnn_relu : RecurrentMode::rnn_tanh, in, hidden,
                      with_bias, gen) {}

std::shared_ptr<Module> RNNCell::clone_empty() const {
  return std::make_shared<RNNCell>(input_size, hidden_size, bias, mode_ == RecurrentMode::rnn_relu);
}

LSTMCell::LSTMCell(int64_t in, int64_t hidden, bool with_bias, Generator* gen)
    : RecurrentCellBase(RecurrentMode::lstm, in, hidden, with_bias, gen) {}

std::pair<Tensor, Tensor> LSTMCell::forward(const Tensor& x, const Tensor& h, const Tensor& c) {
  auto [xb, unbatched] = batched_input(x);
  Tensor hb = batched_state(h, xb, unbatched, "h");
  Tensor cb = batched_state(c, xb, unbatched, "c");
  CellState s = cell_step(mode_, xb, {hb, cb}, weight_ih, weight_hh, bias_ih, bias_hh);
  if (unbatched) return {squeeze(s.h, 0), squeeze(s.c, 0)};
  return {s.h, s.c};
}

std::vector<Tensor> LSTMCell::forward_many(const std::vector<Tensor>& inputs) {
  if (inputs.size() != 1 && inputs.size() != 3)
    throw Error(describe() + ": expected {input} or {input, h, c}, got " +
                std::to_string(inputs.size()) + " tensors");
  auto [h, c] = inputs.size() == 3 ? forward(inputs[0], inputs[1], inputs[2])
                                   : forward(inputs[0], Tensor(), Tensor());
  return {h, c};
}

std::shared_ptr<Module> LSTMCell::clone_empty() const {
  return std::make_shared<LSTMCell>(input_size, hidden_size, bias);
}

GRUCell::GRUCell(int64_t in, int64_t hidden, bool with_bias, Generator* gen)
    : SingleStateCell(RecurrentMode::gru, in, hidden, with_bias, gen) {}

std::shared_ptr<Module> GRUCell::clone_empty() const {
  return std::make_shared<GRUCell>(input_size, hidden_size, bias);
}

// ---- sequence layers

RNNBase::RNNBase(RecurrentMode mode, int64_t in, int64_t hidden, const RecurrentOptions& opts,
                 Generator* gen)
    : input_size(in), hidden_size(hidden), options(opts), mode_(mode) {
  const char* name = mode_name(mode, false);
  check_sizes(name, in, hidden);
  if (opts.num_layers < 1)
    throw Error(std::string(name) + ": num_layers must be at least 1, got " +
                std::to_string(opts.num_layers));
  if (!(opts.dropout >= 0.0 && opts.dropout <= 1.0))
    throw Error(std::string(name) + ": dropout must be in [0, 1], got " +
                std::to_string(opts.dropout));
  const auto lock = gen ? std::unique_lock<std::recursive_mutex>() : lock_default_generator();
  const int64_t rows = gate_count(mode) * hidden;
  const int64_t directions = opts.bidirectional ? 2 : 1;
  for (int64_t l = 0; l < opts.num_layers; ++l)
    for (int64_t d = 0; d < directions; ++d) {
      const std::string suffix = "_l" + std::to_string(l) + (d == 1 ? "_reverse" : "");
      const int64_t layer_in = l == 0 ? in : directions * hidden;
      std::vector<Tensor> w;
      w.push_back(
          register_parameter("weight_ih" + suffix, recurrent_init({rows, layer_in}, hidden, gen)));
      w.push_back(
          register_parameter("weight_hh" + suffix, recurrent_init({rows, hidden}, hidden, gen)));
      if (opts.bias) {
        w.push_back(register_parameter("bias_ih" + suffix, recurrent_init({rows}, hidden, gen)));
        w.push_back(register_parameter("bias_hh" + suffix, recurrent_init({rows}, hidden, gen)));
      } else {
        w.resize(4);
      }
      weights_.push_back(std::move(w));
    }
}

std::vector<Tensor> RNNBase::layer_parameters(int64_t layer, int64_t direction) const {
  const int64_t directions = options.bidirectional ? 2 : 1;
  if (layer < 0 || layer >= options.num_layers || direction < 0 || direction >= directions)
    throw Error(describe() + ": no layer " + std::to_string(layer) + " direction " +
                std::to_string(direction));
  // Module::to and load_state_dict change parameters in place, so these handles stay valid.
  return weights_[static_cast<std::size_t>(layer * directions + direction)];
}

std::string RNNBase::describe() const {
  return std::string(mode_name(mode_, false)) + "(" + std::to_string(input_size) + ", " +
         std::to_string(hidden_size) + ")";
}

std::string RNNBase::extra_repr() const {
  std::string s = std::to_string(input_size) + ", " + std::to_string(hidden_size);
  if (options.num_layers != 1) s += ", num_layers=" + std::to_string(options.num_layers);
  if (mode_ == RecurrentMode::rnn_relu) s += ", nonlinearity=relu";
  if (!options.bias) s += ", bias=false";
  if (options.batch_first) s += ", batch_first=true";
  if (options.dropout != 0.0) s += ", dropout=" + std::to_string(options.dropout);
  if (options.bidirectional) s += ", bidirectional=true";
  return s;
}

RecurrentOutput RNNBase::forward(const Tensor& input, const RecurrentState& state,
                                 const Tensor& lengths) {
  const int64_t directions = options.bidirectional ? 2 : 1;
  const std::string in = std::to_string(input_size);
  if ((input.dim() != 2 && input.dim() != 3) || input.shape()[input.dim() - 1] != input_size)
    throw Error(describe() + ": expected input " + (options.batch_first ? "(N, L, " : "(L, N, ") +
                in + ") or (L, " + in + "), got " + format_shape(input.shape()));
  const bool unbatched = input.dim() == 2;
  // Time-major (L, N, in) from here on.
  Tensor x =
      unbatched ? unsqueeze(input, 1) : (options.batch_first ? transpose(input, 0, 1) : input);
  const int64_t steps = x.shape()[0], batch = x.shape()[1];
  const Shape state_shape = unbatched ? Shape{directions * options.num_layers, hidden_size}
                                      : Shape{directions * options.num_layers, batch, hidden_size};
  auto initial = [&](const Tensor& s, const char* name) {
    if (!s.defined())
      return zeros({directions * options.num_layers, batch, hidden_size}, input.dtype());
    if (s.shape() != state_shape)
      throw Error(describe() + ": expected " + name + " of shape " + format_shape(state_shape) +
                  ", got " + format_shape(s.shape()));
    return unbatched ? unsqueeze(s, 1) : s;
  };
  const bool lstm = mode_ == RecurrentMode::lstm;
  if (!lstm && state.c.defined()) throw Error(describe() + ": only an LSTM takes a cell state c0");
  Tensor h0 = initial(state.h, "h0");
  Tensor c0 = lstm ? initial(state.c, "c0") : Tensor();

  // Variable lengths (pack_padded_sequence's effect): checked here, applied by the recurrence.
  std::vector<int64_t> steps_of;
  if (lengths.defined()) {
    if (lengths.dim() != 1 || lengths.shape()[0] != batch ||
        (lengths.dtype() != Dtype::int64 && lengths.dtype() != Dtype::int32))
      throw Error(describe() + ": expected lengths of shape " + format_shape(Shape{batch}) +
                  " and dtype int64, got " + format_shape(lengths.shape()) + " " +
                  dtype_name(lengths.dtype()));
    const Tensor len = cast(lengths, Dtype::int64);
    bool all_full = true;
    for (int64_t n = 0; n < batch; ++n) {
      const int64_t v = len.data<int64_t>()[n];
      if (v < 1 || v > steps)
        throw Error(describe() + ": lengths[" + std::to_string(n) + "] = " + std::to_string(v) +
                    " is outside [1, " + std::to_string(steps) + "]");
      all_full = all_full && v == steps;
      steps_of.push_back(v);
    }
    if (all_full) steps_of.clear();
  }

  std::vector<Tensor> h_n, c_n;
  Tensor layer_input = x;
  for (int64_t l = 0; l < options.num_layers; ++l) {
    if (l > 0 && options.dropout > 0.0)
      layer_input = functional::dropout(layer_input, options.dropout, is_training());
    std::vector<Tensor> direction_outputs;
    for (int64_t d = 0; d < directions; ++d) {
      const std::vector<Tensor> w = layer_parameters(l, d);
      const int64_t gates = w[0].shape()[0];
      // One product for every time step's input share of the gates; b_hh joins it except in
      // the GRU, where b_hn stays inside r ⊙ (h W_hnᵀ + b_hn).
      const bool fold_bias = mode_ != RecurrentMode::gru && w[3].defined();
      Tensor bias = fold_bias ? add(w[2], w[3]) : w[2];
      Tensor gates_x =
          reshape(linear(reshape(layer_input, {steps * batch, layer_input.shape()[2]}), w[0], bias),
                  {steps, batch, gates});
      const int64_t k = l * directions + d;
      RecurrenceOutput r =
          recurrence(mode_, gates_x, {select(h0, 0, k), lstm ? select(c0, 0, k) : Tensor()}, w[1],
                     fold_bias ? Tensor() : w[3], steps_of, d == 1);
      h_n.push_back(r.h_n);
      if (lstm) c_n.push_back(r.c_n);
      direction_outputs.push_back(r.output);
    }
    layer_input = directions == 1 ? direction_outputs[0] : concat(direction_outputs, 2);
  }

  RecurrentOutput out;
  out.output = unbatched ? squeeze(layer_input, 1)
                         : (options.batch_first ? transpose(layer_input, 0, 1) : layer_input);
  out.h_n = stack(h_n, 0);
  if (lstm) out.c_n = stack(c_n, 0);
  if (unbatched) {
    out.h_n = squeeze(out.h_n, 1);
    if (lstm) out.c_n = squeeze(out.c_n, 1);
  }
  return out;
}

std::vector<Tensor> RNNBase::forward_many(const std::vector<Tensor>& inputs) {
  const bool lstm = mode_ == RecurrentMode::lstm;
  if (inputs.empty() || inputs.size() > (lstm ? 3u : 2u))
    throw Error(describe() + ": expected " +
                (lstm ? "{input}, {input, h0} or {input, h0, c0}" : "{input} or {input, h0}") +
                ", got " + std::to_string(inputs.size()) + " tensors");
  RecurrentState state{inputs.size() > 1 ? inputs[1] : Tensor(),
                       inputs.size() > 2 ? inputs[2] : Tensor()};
  RecurrentOutput out = forward(inputs[0], state);
  if (lstm) return {out.output, out.h_n, out.c_n};
  return {out.output, out.h_n};
}

RNN::RNN(int64_t in, int64_t hidden, const RecurrentOptions& opts, bool relu, Generator* gen)
    : RNNBase(relu ? RecurrentMode::rnn_relu : RecurrentMode::rnn_tanh, in, hidden, opts, gen) {}

std::shared_ptr<Module> RNN::clone_empty() const {
  return std::make_shared<RNN>(input_size, hidden_size, options, mode_ == RecurrentMode::rnn_relu);
}

LSTM::LSTM(int64_t in, int64_t hidden, const RecurrentOptions& opts, Generator* gen)
    : RNNBase(RecurrentMode::lstm, in, hidden, opts, gen) {}

std::shared_ptr<Module> LSTM::clone_empty() const {
  return std::make_shared<LSTM>(input_size, hidden_size, options);
}

GRU::GRU(int64_t in, int64_t hidden, const RecurrentOptions& opts, Generator* gen)
    : RNNBase(RecurrentMode::gru, in, hidden, opts, gen) {}

std::shared_ptr<Module> GRU::clone_empty() const {
  return std::make_shared<GRU>(input_size, hidden_size, options);
}

}  // namespace xgrad::nn
