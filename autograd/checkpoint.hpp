// Activation checkpointing: checkpoint(fn, inputs) runs fn without recording anything and
// records one node whose backward runs fn again, with grad, and back-propagates through that.
#pragma once

#include <functional>
#include <vector>

#include "../tensor/tensor.hpp"

namespace xgrad::autograd {

struct CheckpointOptions {
  // Runs the recomputation from the default generator's state of the forward pass, so that fn
  // draws the same random numbers twice (dropout); the generator is put back afterwards. A
  // Generator that fn is given explicitly is not restored.
  bool preserve_rng_state = true;
};

using CheckpointFunction = std::function<Tensor(const std::vector<Tensor>&)>;

// fn(inputs) (one tensor), with none of fn's intermediate tensors kept for backward: backward
// recomputes fn from detached copies of the inputs and back-propagates the output's gradient
// through it, so a model split into checkpointed segments keeps only the segments' inputs alive,
// plus one segment's activations at a time during backward. Gradients are those of the plain run,
// bit for bit: the same ops run in the same order (an input also used outside fn gets its two
// gradients summed in one add instead of term by term, which may round differently).
// Gradients reach the inputs and every leaf that requires grad which fn uses without being given
// it (the parameters of the layers it calls: ops note them while fn runs). Another tensor with a
// history that fn captures is an Error: pass it in `inputs`. fn must compute the same thing
// when run again (its output's shape is checked), and is kept in the node until backward, so
// what it refers to must live until then. Double backward works (create_graph): the
// recomputed graph is kept and joined to the inputs' histories. With grad mode off this is
// fn(inputs). Like any op, backward refuses inputs or parameters changed in place since.
Tensor checkpoint(const CheckpointFunction& fn, const std::vector<Tensor>& inputs,
                  const CheckpointOptions& options = {});

}  // namespace xgrad::autograd
