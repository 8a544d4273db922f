// The thread-local grad-mode flag.
#include "tensor/grad_mode.hpp"

namespace xgrad {
namespace {
thread_local bool g_grad_enabled = true;
}
bool is_grad_enabled() { return g_grad_enabled; }
void set_grad_enabled(bool enabled) { g_grad_enabled = enabled; }
}  // namespace xgrad
