// summary(model, input_shape): a Keras/torchinfo-style table of every module with its output
// shape, parameter and buffer counts.
#pragma once

#include <string>

#include "module.hpp"

namespace xgrad::nn {

// Runs one forward pass on zeros of `input_shape` (no grad, in the dtype of the first parameter)
// and prints a row per module of named_modules(), the model first, children indented under their
// parents: the shape(s) of its last output ("--" if it was not called, e.g. a ModuleList), and
// the elements of its own parameters and buffers ("--" for a container without any).
std::string summary(Module& model, const Shape& input_shape);

}  // namespace xgrad::nn
