// The thread-local grad-mode flag.
#include "tensor/grad_mode.hpp"

namespace xgrad {
namespace {
// initial-exec: a plain TLS load, no __tls_get_addr call (it is read by every recorded op).
thread_local bool g_grad_enabled __attribute__((tls_model("initial-exec"))) = true;
}  // namespace
bool is_grad_enabled() { return g_grad_enabled; }
void set_grad_enabled(bool enabled) { g_grad_enabled = enabled; }
}  // namespace xgrad
