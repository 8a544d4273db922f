// Installed as <includedir>/xgrad.hpp so that `#include <xgrad.hpp>` keeps working; the headers
// themselves live under <includedir>/xgrad/ (`#include <xgrad/nn/module.hpp>`).
#pragma once

#include "xgrad/xgrad.hpp"
