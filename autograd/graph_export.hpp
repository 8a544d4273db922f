// Graph export: the recorded graph behind some outputs as a Graphviz DOT document, for looking
// at what a model records (render with `dot -Tsvg graph.dot -o graph.svg`).
#pragma once

#include <string>
#include <vector>

#include "../tensor/safetensors.hpp"
#include "../tensor/tensor.hpp"

namespace xgrad::autograd {

// One box per recorded op (its name, output shape and dtype), one ellipse per leaf that requires
// grad (labelled with its name in `names`, e.g. a module's named_parameters(), else "leaf"),
// tensors the ops saved for backward in grey with dashed edges, and the outputs in bold. Edges
// run from inputs to the ops that use them. Leaves that do not require grad are left out.
std::string to_dot(const std::vector<Tensor>& outputs, const StateDict& names = {});

}  // namespace xgrad::autograd
