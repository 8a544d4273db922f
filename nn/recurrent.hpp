// Recurrent layers with PyTorch's conventions: the cells (RNNCell, LSTMCell, GRUCell) and the
// multi-layer, optionally bidirectional sequence layers (RNN, LSTM, GRU) with variable-length
// batches. A layer projects the whole sequence's input in one matrix product; only the hidden
// projection runs per time step.
#pragma once

#include <utility>

#include "module.hpp"
#include "../tensor/generator.hpp"

namespace xgrad::nn {

namespace functional {

// One step of each cell on a batch x (N, in) with weights as PyTorch lays them out:
// w_ih (G·H, in), w_hh (G·H, H), b_ih and b_hh (G·H) or undefined, G = 1 (RNN), 4 (LSTM gates
// i, f, g, o) or 3 (GRU gates r, z, n).
//   rnn:  h' = act(x w_ihᵀ + b_ih + h w_hhᵀ + b_hh), act = tanh or relu
//   lstm: i, f, o = σ(·), g = tanh(·), c' = f c + i g, h' = o tanh(c')
//   gru:  r, z = σ(·), n = tanh(x w_inᵀ + b_in + r (h w_hnᵀ + b_hn)), h' = (1 - z) n + z h
Tensor rnn_tanh_cell(const Tensor& x, const Tensor& h, const Tensor& w_ih, const Tensor& w_hh,
                     const Tensor& b_ih = Tensor(), const Tensor& b_hh = Tensor());
Tensor rnn_relu_cell(const Tensor& x, const Tensor& h, const Tensor& w_ih, const Tensor& w_hh,
                     const Tensor& b_ih = Tensor(), const Tensor& b_hh = Tensor());
std::pair<Tensor, Tensor> lstm_cell(const Tensor& x, const Tensor& h, const Tensor& c,
                                    const Tensor& w_ih, const Tensor& w_hh,
                                    const Tensor& b_ih = Tensor(), const Tensor& b_hh = Tensor());
Tensor gru_cell(const Tensor& x, const Tensor& h, const Tensor& w_ih, const Tensor& w_hh,
                const Tensor& b_ih = Tensor(), const Tensor& b_hh = Tensor());

}  // namespace functional

using RecurrentMode = xgrad::RecurrentCell;  // rnn_tanh, rnn_relu, lstm, gru

// The common part of the cells: parameters weight_ih (G·H, in), weight_hh (G·H, H), bias_ih and
// bias_hh (G·H), all ~ U(-1/√H, 1/√H) as PyTorch.
class RecurrentCellBase : public Module {
 public:
  std::string extra_repr() const override;
  Tensor weight_ih, weight_hh, bias_ih, bias_hh;  // biases undefined without bias
  int64_t input_size, hidden_size;
  bool bias;

 protected:
  RecurrentCellBase(RecurrentMode mode, int64_t input_size, int64_t hidden_size, bool bias,
                    Generator* gen);
  // x (N, in) or (in); h (N, H) or (H) or undefined (zeros). Returns x and h batched and
  // whether the input was unbatched.
  std::pair<Tensor, bool> batched_input(const Tensor& x) const;
  Tensor batched_state(const Tensor& state, const Tensor& x, bool unbatched,
                       const char* name) const;
  std::string describe() const;  // "LSTMCell(10, 20)"
  RecurrentMode mode_;
};

// A cell whose state is h alone (RNNCell, GRUCell): h' from x (N, in) or (in) and h (N, H) or
// (H), zeros when undefined; forward_many({x[, h]}) -> {h'}.
class SingleStateCell : public RecurrentCellBase {
 public:
  using Module::forward;
  Tensor forward(const Tensor& x) override { return forward(x, Tensor()); }
  Tensor forward(const Tensor& x, const Tensor& h);
  std::vector<Tensor> forward_many(const std::vector<Tensor>& inputs) override;

 protected:
  using RecurrentCellBase::RecurrentCellBase;
};

// h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh) (or relu).
class RNNCell : public SingleStateCell {
 public:
  RNNCell(int64_t input_size, int64_t hidden_size, bool bias = true, bool relu = false,
          Generator* gen = nullptr);
  std::shared_ptr<Module> clone_empty() const override;
};

// (h', c') from x and (h, c); zeros for undefined states. forward(x) returns h'.
class LSTMCell : public RecurrentCellBase {
 public:
  LSTMCell(int64_t input_size, int64_t hidden_size, bool bias = true, Generator* gen = nullptr);
  using Module::forward;
  Tensor forward(const Tensor& x) override { return forward(x, Tensor(), Tensor()).first; }
  std::pair<Tensor, Tensor> forward(const Tensor& x, const Tensor& h, const Tensor& c);
  // {x[, h, c]} -> {h', c'}
  std::vector<Tensor> forward_many(const std::vector<Tensor>& inputs) override;
  std::shared_ptr<Module> clone_empty() const override;
};

// r, z = σ(·), n = tanh(x W_inᵀ + b_in + r (h W_hnᵀ + b_hn)), h' = (1 - z) n + z h.
class GRUCell : public SingleStateCell {
 public:
  GRUCell(int64_t input_size, int64_t hidden_size, bool bias = true, Generator* gen = nullptr);
  std::shared_ptr<Module> clone_empty() const override;
};

struct RecurrentOptions {
  int64_t num_layers = 1;
  bool bias = true;
  bool batch_first = false;  // input and output (N, L, ·) instead of (L, N, ·); states unchanged
  double dropout = 0.0;      // on the outputs of every layer but the last, while training
  bool bidirectional = false;
};

// The initial states (D·num_layers, N, H), or (D·num_layers, H) for an unbatched input; an
// undefined one means zeros. c is the LSTM's cell state.
struct RecurrentState {
  Tensor h, c;
};

// output (L, N, D·H) (batch_first: (N, L, D·H); unbatched: (L, D·H)); h_n and c_n shaped as the
// states. With lengths, positions at or past a sequence's length are zeros in output, and h_n /
// c_n hold the state after each sequence's last step.
struct RecurrentOutput {
  Tensor output, h_n, c_n;
};

// The sequence layers. Parameters per layer l and direction (suffix "" or "_reverse"), in
// PyTorch's order and layout: weight_ih_l{l} (G·H, in or D·H), weight_hh_l{l} (G·H, H),
// bias_ih_l{l}, bias_hh_l{l}, all ~ U(-1/√H, 1/√H).
class RNNBase : public Module {
 public:
  using Module::forward;
  // The output only (the hooks and Sequential's one-tensor path).
  Tensor forward(const Tensor& input) override { return forward(input, {}).output; }
  // lengths (N) int64, each in [1, L]: the effect of PyTorch's pack_padded_sequence (sorted or
  // not); the reverse direction of a sequence starts at its own last step.
  RecurrentOutput forward(const Tensor& input, const RecurrentState& state,
                          const Tensor& lengths = Tensor());
  // {input[, h0[, c0]]} -> {output, h_n[, c_n]} (undefined entries mean zeros).
  std::vector<Tensor> forward_many(const std::vector<Tensor>& inputs) override;
  std::string extra_repr() const override;
  // The parameters of layer l, direction d (0 forward, 1 reverse): {w_ih, w_hh, b_ih, b_hh}.
  std::vector<Tensor> layer_parameters(int64_t layer, int64_t direction) const;

  int64_t input_size, hidden_size;
  RecurrentOptions options;

 protected:
  RNNBase(RecurrentMode mode, int64_t input_size, int64_t hidden_size,
          const RecurrentOptions& options, Generator* gen);
  RecurrentMode mode_;

 private:
  std::string describe() const;               // "LSTM(10, 20, num_layers=2)"
  std::vector<std::vector<Tensor>> weights_;  // [layer * D + direction] = {w_ih, w_hh, b_ih, b_hh}
};

class RNN : public RNNBase {
 public:
  // relu: h' = relu(...) instead of tanh (PyTorch's nonlinearity='relu').
  RNN(int64_t input_size, int64_t hidden_size, const RecurrentOptions& options = {},
      bool relu = false, Generator* gen = nullptr);
  std::shared_ptr<Module> clone_empty() const override;
};

class LSTM : public RNNBase {
 public:
  LSTM(int64_t input_size, int64_t hidden_size, const RecurrentOptions& options = {},
       Generator* gen = nullptr);
  std::shared_ptr<Module> clone_empty() const override;
};

class GRU : public RNNBase {
 public:
  GRU(int64_t input_size, int64_t hidden_size, const RecurrentOptions& options = {},
      Generator* gen = nullptr);
  std::shared_ptr<Module> clone_empty() const override;
};

}  // namespace xgrad::nn
