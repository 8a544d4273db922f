// summary(model, input_shape): a Keras-style table of layers, output shapes and parameter counts.
#pragma once

#include <string>

#include "nn/module.hpp"

namespace xgrad::nn {

// Runs one forward pass on zeros of `input_shape` (no grad). For a Sequential, each layer gets a
// row with its output shape; otherwise each child gets a row with its parameter count.
std::string summary(Module& model, const Shape& input_shape);

}  // namespace xgrad::nn
