// Grad mode: a thread-local switch that decides whether ops are recorded on the tape. It lives
// in tensor/ because in-place updates consult it too.
#pragma once

namespace xgrad {

bool is_grad_enabled();
void set_grad_enabled(bool enabled);

// RAII: sets grad mode for a scope and restores the previous mode on exit.
class GradModeGuard {
 public:
  explicit GradModeGuard(bool enabled) : previous_(is_grad_enabled()) { set_grad_enabled(enabled); }
  ~GradModeGuard() { set_grad_enabled(previous_); }
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;

 private:
  bool previous_;
};

// Inference and optimizer updates: nothing inside is recorded and the tape costs nothing.
class NoGradGuard : public GradModeGuard {
 public:
  NoGradGuard() : GradModeGuard(false) {}
};

}  // namespace xgrad
