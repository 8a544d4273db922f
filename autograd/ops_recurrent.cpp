// The recurrence of RNN, LSTM and GRU layers: one step composed of differentiable ops
// (recurrent_step, which the cells use), and a whole direction over time (recurrence) as one
// node whose backward runs the reverse loop with fused per-step gradients and sums the hidden
// weights' gradient in one product over all steps. Under create_graph the backward recomputes
// the composed steps instead, so higher derivatives are those of the composition.
#include <memory>

#include "autograd/engine.hpp"
#include "autograd/function.hpp"
#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "autograd/profiler.hpp"
#include "tensor/grad_mode.hpp"

namespace xgrad {

namespace {

// The intermediates of one step that the fused backward reads.
struct StepCache {
  Tensor a, b, c;  // LSTM: σ(i, f), tanh(g), σ(o); GRU: σ(r, z), n, h·W_hnᵀ + b_hn; RNN: h'
  Tensor d;        // LSTM: tanh(c')
};

CellState step(RecurrentCell cell, const Tensor& gates_x, const CellState& prev, const Tensor& w_hh,
               const Tensor& b_hh, StepCache* cache) {
  const int64_t hidden = w_hh.shape()[1];
  Tensor gates_h = linear(prev.h, w_hh, b_hh);
  switch (cell) {
    case RecurrentCell::rnn_tanh:
    case RecurrentCell::rnn_relu: {
      Tensor pre = add(gates_x, gates_h);
      Tensor h = cell == RecurrentCell::rnn_tanh ? tanh(pre) : relu(pre);
      if (cache) cache->a = h;
      return {h, Tensor()};
    }
    case RecurrentCell::lstm: {
      Tensor gates = add(gates_x, gates_h);
      Tensor in_forget = sigmoid(narrow(gates, 1, 0, 2 * hidden));  // i and f side by side
      Tensor cell_in = tanh(narrow(gates, 1, 2 * hidden, hidden));
      Tensor out_gate = sigmoid(narrow(gates, 1, 3 * hidden, hidden));
      Tensor c = add(mul(narrow(in_forget, 1, hidden, hidden), prev.c),
                     mul(narrow(in_forget, 1, 0, hidden), cell_in));
      Tensor tanh_c = tanh(c);
      if (cache) *cache = {in_forget, cell_in, out_gate, tanh_c};
      return {mul(out_gate, tanh_c), c};
    }
    case RecurrentCell::gru: {
      Tensor reset_update =
          sigmoid(add(narrow(gates_x, 1, 0, 2 * hidden), narrow(gates_h, 1, 0, 2 * hidden)));
      Tensor new_h = narrow(gates_h, 1, 2 * hidden, hidden);
      Tensor n = tanh(add(narrow(gates_x, 1, 2 * hidden, hidden),
                          mul(narrow(reset_update, 1, 0, hidden), new_h)));
      if (cache) *cache = {reset_update, n, new_h, Tensor()};
      // h' = (1 - z) n + z h = n + z (h - n)
      return {add(n, mul(narrow(reset_update, 1, hidden, hidden), sub(prev.h, n))), Tensor()};
    }
  }
  throw Error("recurrent_step: unknown cell");
}

// (L, N, 1) bool: step t updates sequence n while t < lengths[n]; undefined without lengths.
Tensor keep_mask(const std::vector<int64_t>& lengths, int64_t steps) {
  if (lengths.empty()) return Tensor();
  const Tensor len = from_vector(lengths, {static_cast<int64_t>(lengths.size())}, Dtype::int64);
  return unsqueeze(
      lt(unsqueeze(arange(static_cast<double>(steps), Dtype::int64), 1), unsqueeze(len, 0)), 2);
}

// The direction step by step with differentiable ops (the reference, and what a second
// derivative differentiates). caches, when given, receives each step's intermediates.
RecurrenceOutput run_steps(RecurrentCell cell, const Tensor& gates_x, const CellState& initial,
                           const Tensor& w_hh, const Tensor& b_hh,
                           const std::vector<int64_t>& lengths, bool reverse,
                           std::vector<StepCache>* caches, std::vector<CellState>* previous) {
  const int64_t steps = gates_x.shape()[0];
  const Tensor keep = keep_mask(lengths, steps);
  CellState s = initial;
  std::vector<Tensor> outputs(static_cast<std::size_t>(steps));
  for (int64_t i = 0; i < steps; ++i) {
    const int64_t t = reverse ? steps - 1 - i : i;
    const auto at = static_cast<std::size_t>(t);
    if (previous) (*previous)[at] = s;
    CellState next =
        step(cell, select(gates_x, 0, t), s, w_hh, b_hh, caches ? &(*caches)[at] : nullptr);
    if (keep.defined()) {
      Tensor m = select(keep, 0, t);
      outputs[at] = mul(next.h, m);
      next.h = where(m, next.h, s.h);
      if (next.c.defined()) next.c = where(m, next.c, s.c);
    } else {
      outputs[at] = next.h;
    }
    s = next;
  }
  return {stack(outputs, 0), s.h, s.c};
}

// Gradients of one direction from the cached intermediates, under no-grad. grads: for the
// output (L, N, H), h_n and c_n. Returns {d gates_x, d h0, d c0, d w_hh, d b_hh}.
std::vector<Tensor> fused_backward(RecurrentCell cell, const Tensor& gates_x,
                                   const CellState& initial, const Tensor& w_hh, const Tensor& b_hh,
                                   const std::vector<int64_t>& lengths, bool reverse,
                                   const std::vector<StepCache>& caches,
                                   const std::vector<CellState>& previous,
                                   const TensorList& grads) {
  const int64_t steps = gates_x.shape()[0], hidden = w_hh.shape()[1];
  const bool lstm = cell == RecurrentCell::lstm, gru = cell == RecurrentCell::gru;
  const Tensor keep_bool = keep_mask(lengths, steps);
  const Tensor keep = keep_bool.defined() ? cast(keep_bool, gates_x.dtype()) : Tensor();
  Tensor dh = grads[1], dc = lstm ? grads[2] : Tensor();
  std::vector<Tensor> d_gates_x(static_cast<std::size_t>(steps)),
      d_gates_h(static_cast<std::size_t>(steps));
  for (int64_t i = steps - 1; i >= 0; --i) {
    const int64_t t = reverse ? steps - 1 - i : i;
    const auto at = static_cast<std::size_t>(t);
    const StepCache& k = caches[at];
    const Tensor& h_prev = previous[at].h;
    // The state update h_t = where(m, h', h_{t-1}) and the output m·h' (m = 1 without lengths).
    Tensor m, dh_new = add(dh, select(grads[0], 0, t)), dc_new = dc, carry_h, carry_c;
    if (keep.defined()) {
      m = select(keep, 0, t);
      Tensor not_m = sub(1.0, m);
      dh_new = mul(dh_new, m);
      carry_h = mul(dh, not_m);
      if (lstm) {
        dc_new = mul(dc, m);
        carry_c = mul(dc, not_m);
      }
    }
    Tensor dpre_x, dpre_h, dh_prev;
    switch (cell) {
      case RecurrentCell::rnn_tanh:  // h' = tanh(pre): d pre = dh' (1 - h'²)
        dpre_x = mul(dh_new, sub(1.0, square(k.a)));
        break;
      case RecurrentCell::rnn_relu:  // h' = relu(pre): d pre = dh' where h' > 0
        dpre_x = mul(dh_new, cast(gt(k.a, 0.0), dh_new.dtype()));
        break;
      case RecurrentCell::lstm: {
        // c' = f c + i g, h' = o tanh(c'); each gate's pre-activation through σ' = σ(1 - σ)
        // or tanh' = 1 - tanh².
        Tensor i_gate = narrow(k.a, 1, 0, hidden), f_gate = narrow(k.a, 1, hidden, hidden);
        Tensor dc_total = add(dc_new, mul(mul(dh_new, k.c), sub(1.0, square(k.d))));
        const Tensor& c_prev = previous[at].c;
        Tensor d_if = concat({mul(dc_total, k.b), mul(dc_total, c_prev)}, 1);
        dpre_x = concat(
            {mul(d_if, mul(k.a, sub(1.0, k.a))), mul(mul(dc_total, i_gate), sub(1.0, square(k.b))),
             mul(mul(dh_new, k.d), mul(k.c, sub(1.0, k.c)))},
            1);
        dc = mul(dc_total, f_gate);
        if (carry_c.defined()) dc = add(dc, carry_c);
        break;
      }
      case RecurrentCell::gru: {
        // h' = n + z (h - n), n = tanh(x_n + r hn), hn = h W_hnᵀ + b_hn.
        Tensor r = narrow(k.a, 1, 0, hidden), z = narrow(k.a, 1, hidden, hidden);
        Tensor d_n_pre = mul(mul(dh_new, sub(1.0, z)), sub(1.0, square(k.b)));
        Tensor d_rz = concat({mul(d_n_pre, k.c), mul(dh_new, sub(h_prev, k.b))}, 1);
        Tensor d_rz_pre = mul(d_rz, mul(k.a, sub(1.0, k.a)));
        dpre_x = concat({d_rz_pre, d_n_pre}, 1);
        dpre_h = concat({d_rz_pre, mul(d_n_pre, r)}, 1);
        dh_prev = mul(dh_new, z);
        break;
      }
    }
    if (!dpre_h.defined()) dpre_h = dpre_x;
    Tensor through_weights = matmul(dpre_h, w_hh);
    dh = dh_prev.defined() ? add(dh_prev, through_weights) : through_weights;
    if (carry_h.defined()) dh = add(dh, carry_h);
    d_gates_x[at] = dpre_x;
    d_gates_h[at] = dpre_h;
  }
  const int64_t rows = steps * initial.h.shape()[0];
  Tensor all_h = reshape(stack(d_gates_h, 0), {rows, w_hh.shape()[0]});
  std::vector<Tensor> h_prev(previous.size());
  for (std::size_t t = 0; t < previous.size(); ++t) h_prev[t] = previous[t].h;
  Tensor d_w = matmul_transposed(all_h, reshape(stack(h_prev, 0), {rows, hidden}), true, false);
  Tensor d_b = b_hh.defined() ? sum(all_h, {0}) : Tensor();
  Tensor d_x = gru ? stack(d_gates_x, 0) : reshape(all_h, gates_x.shape());
  return {d_x, dh, dc, d_w, d_b};
}

// The inputs of a direction, unpacked from the node's list: gates_x, h0, then c0 (LSTM), w_hh,
// then b_hh when given.
struct DirectionInputs {
  Tensor gates_x;
  CellState initial;
  Tensor w_hh, b_hh;
};

DirectionInputs unpack(RecurrentCell cell, const std::vector<Tensor>& in, std::size_t count) {
  const bool lstm = cell == RecurrentCell::lstm;
  const bool has_bias = count == (lstm ? 5u : 4u);
  return {in[0],
          {in[1], lstm ? in[2] : Tensor()},
          in[lstm ? 3 : 2],
          has_bias ? in[count - 1] : Tensor()};
}

struct Recurrence : autograd::Function<Recurrence> {
  static constexpr const char* name = "recurrence";
  static TensorList forward(autograd::AutogradContext& ctx, const std::vector<Tensor>& inputs,
                            int64_t cell_id, bool reverse, const std::vector<int64_t>& lengths) {
    const auto cell = static_cast<RecurrentCell>(cell_id);
    const DirectionInputs d = unpack(cell, inputs, inputs.size());
    const auto steps = static_cast<std::size_t>(d.gates_x.shape()[0]);
    std::vector<StepCache> caches(steps);
    std::vector<CellState> previous(steps);
    RecurrenceOutput out =
        run_steps(cell, d.gates_x, d.initial, d.w_hh, d.b_hh, lengths, reverse, &caches, &previous);
    // Saved: the inputs, then per step the intermediates and the state before it.
    // (An empty placeholder stands for what a cell does not have, e.g. c outside the LSTM.)
    const Tensor none = empty({0}, d.gates_x.dtype());
    auto or_none = [&](const Tensor& t) { return t.defined() ? t : none; };
    TensorList saved(inputs.begin(), inputs.end());
    for (std::size_t t = 0; t < steps; ++t)
      saved.insert(saved.end(), {or_none(caches[t].a), or_none(caches[t].b), or_none(caches[t].c),
                                 or_none(caches[t].d), previous[t].h, or_none(previous[t].c)});
    ctx.save_for_backward(std::move(saved));
    ctx.saved_data["cell"] = cell_id;
    ctx.saved_data["reverse"] = reverse;
    ctx.saved_data["lengths"] = lengths;
    ctx.saved_data["inputs"] = static_cast<int64_t>(inputs.size());
    TensorList result{out.output, out.h_n};
    if (out.c_n.defined()) result.push_back(out.c_n);
    return result;
  }

  static TensorList backward(autograd::AutogradContext& ctx, TensorList grads) {
    const auto cell = static_cast<RecurrentCell>(std::get<int64_t>(ctx.saved_data["cell"]));
    const bool reverse = std::get<bool>(ctx.saved_data["reverse"]);
    const auto lengths = std::get<std::vector<int64_t>>(ctx.saved_data["lengths"]);
    const auto count = static_cast<std::size_t>(std::get<int64_t>(ctx.saved_data["inputs"]));
    const TensorList saved = ctx.get_saved_variables();
    const std::vector<Tensor> inputs(saved.begin(), saved.begin() + static_cast<long>(count));
    const DirectionInputs d = unpack(cell, inputs, count);
    TensorList result(count);
    if (is_grad_enabled()) {
      // create_graph: differentiate the composed steps, recomputed from detached copies of the
      // inputs that are then joined to the inputs (as checkpoint does), so that a second
      // backward continues into their histories.
      std::vector<Tensor> args, wanted;
      std::vector<std::size_t> wanted_at;
      for (std::size_t i = 0; i < count; ++i) {
        Tensor copy = inputs[i].detach();
        if (ctx.needs_input_grad(i)) {
          copy.requires_grad_(true);
          wanted.push_back(copy);
          wanted_at.push_back(i);
        }
        args.push_back(copy);
      }
      if (wanted.empty()) return result;
      const DirectionInputs a = unpack(cell, args, count);
      RecurrenceOutput again =
          run_steps(cell, a.gates_x, a.initial, a.w_hh, a.b_hh, lengths, reverse, nullptr, nullptr);
      std::vector<Tensor> outs{again.output, again.h_n};
      if (again.c_n.defined()) outs.push_back(again.c_n);
      std::vector<Tensor> grads_in(grads.begin(), grads.begin() + static_cast<long>(outs.size()));
      std::vector<Tensor> g = grad(outs, wanted, grads_in, /*retain_graph=*/true,
                                   /*create_graph=*/true, /*allow_unused=*/true);
      for (std::size_t k = 0; k < wanted.size(); ++k) result[wanted_at[k]] = g[k];
      for (std::size_t k = 0; k < wanted.size(); ++k)
        detail::attach(args[wanted_at[k]], "recurrence", {inputs[wanted_at[k]]}, {},
                       [](const BackwardArgs& h) { return TensorList{h.grad}; });
      return result;
    }
    const auto steps = static_cast<std::size_t>(d.gates_x.shape()[0]);
    std::vector<StepCache> caches(steps);
    std::vector<CellState> previous(steps);
    for (std::size_t t = 0; t < steps; ++t) {
      const std::size_t at = count + 6 * t;
      caches[t] = {saved[at], saved[at + 1], saved[at + 2], saved[at + 3]};
      previous[t] = {saved[at + 4], saved[at + 5]};
    }
    std::vector<Tensor> g = fused_backward(cell, d.gates_x, d.initial, d.w_hh, d.b_hh, lengths,
                                           reverse, caches, previous, grads);
    const bool lstm = cell == RecurrentCell::lstm;
    result[0] = g[0];
    result[1] = g[1];
    if (lstm) result[2] = g[2];
    result[lstm ? 3 : 2] = g[3];
    if (d.b_hh.defined()) result[count - 1] = g[4];
    for (std::size_t i = 0; i < count; ++i)
      if (!ctx.needs_input_grad(i)) result[i] = Tensor();
    return result;
  }
};

}  // namespace

CellState recurrent_step(RecurrentCell cell, const Tensor& gates_x, const CellState& prev,
                         const Tensor& w_hh, const Tensor& b_hh) {
  return step(cell, gates_x, prev, w_hh, b_hh, nullptr);
}

RecurrenceOutput recurrence(RecurrentCell cell, const Tensor& gates_x, const CellState& initial,
                            const Tensor& w_hh, const Tensor& b_hh,
                            const std::vector<int64_t>& lengths, bool reverse) {
  const detail::OpScope profile_scope("recurrence", gates_x, initial.h, w_hh);
  const int64_t gates = gates_x.dim() == 3 ? gates_x.shape()[2] : -1;
  const int64_t count = cell == RecurrentCell::lstm ? 4 : cell == RecurrentCell::gru ? 3 : 1;
  if (gates_x.dim() != 3 || w_hh.dim() != 2 || w_hh.shape()[0] != gates ||
      gates != count * w_hh.shape()[1])
    throw Error("recurrence: expected gates_x (L, N, " + std::to_string(count) + "·H) and w_hh (" +
                std::to_string(count) + "·H, H), got " + format_shape(gates_x.shape()) + " and " +
                format_shape(w_hh.shape()));
  const Shape state{gates_x.shape()[1], w_hh.shape()[1]};
  const bool lstm = cell == RecurrentCell::lstm;
  if (initial.h.shape() != state || (lstm && (!initial.c.defined() || initial.c.shape() != state)))
    throw Error("recurrence: expected initial states of shape " + format_shape(state));
  if (!lengths.empty() && static_cast<int64_t>(lengths.size()) != state[0])
    throw Error("recurrence: expected " + std::to_string(state[0]) + " lengths, got " +
                std::to_string(lengths.size()));
  for (std::size_t n = 0; n < lengths.size(); ++n)
    if (lengths[n] < 1 || lengths[n] > gates_x.shape()[0])
      throw Error("recurrence: lengths[" + std::to_string(n) + "] = " + std::to_string(lengths[n]) +
                  " is outside [1, " + std::to_string(gates_x.shape()[0]) + "]");
  std::vector<Tensor> inputs{gates_x, initial.h};
  if (lstm) inputs.push_back(initial.c);
  inputs.push_back(w_hh);
  if (b_hh.defined()) inputs.push_back(b_hh);
  if (!is_grad_enabled() || !detail::should_record(inputs))
    return run_steps(cell, gates_x, initial, w_hh, b_hh, lengths, reverse, nullptr, nullptr);
  TensorList out = Recurrence::apply(inputs, static_cast<int64_t>(cell), reverse, lengths);
  return {out[0], out[1], lstm ? out[2] : Tensor()};
}

}  // namespace xgrad
