// xgrad: reverse-mode automatic differentiation tensors for C++. One include for everything.
#pragma once

#include "tensor/tensor.hpp"
#include "tensor/generator.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/engine.hpp"
#include "autograd/ops.hpp"
#include "autograd/gradcheck.hpp"
