// Grad mode moved to tensor/grad_mode.hpp (in-place updates consult it); this header stays so
// that programs including it keep compiling.
#pragma once

#include "../tensor/grad_mode.hpp"
