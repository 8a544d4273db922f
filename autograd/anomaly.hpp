// Anomaly mode: while it is on, every recorded op keeps where it was called (the call stack, to
// name the user's source line, and the path of the modules whose forward was running), and
// backward checks every gradient it produces: the first NaN or Inf raises an Error naming the
// op, the forward call's file:line, the module path, the shapes and the input whose gradient went
// bad. Off by default; when off, recording and backward test one flag.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

#include "../tensor/tensor.hpp"

namespace xgrad {

namespace detail {
inline std::atomic<bool> anomaly_mode{false};
}  // namespace detail

// A process-wide switch, as in PyTorch (torch.autograd.set_detect_anomaly).
inline bool is_anomaly_enabled() { return detail::anomaly_mode.load(std::memory_order_relaxed); }
void set_detect_anomaly(bool enabled);

// RAII: anomaly mode on (or off) for a scope, the previous setting restored at its end.
class DetectAnomalyGuard {
 public:
  explicit DetectAnomalyGuard(bool enabled = true) : previous_(is_anomaly_enabled()) {
    set_detect_anomaly(enabled);
  }
  ~DetectAnomalyGuard() { set_detect_anomaly(previous_); }
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

 private:
  bool previous_;
};

class Node;

namespace detail {
// What a node recorded in anomaly mode keeps: the raw call stack (symbolised only when an error
// is reported) and the module path.
struct AnomalyContext;
struct AnomalyContextDeleter {
  void operator()(AnomalyContext* context) const;
};
using AnomalyContextPtr = std::unique_ptr<AnomalyContext, AnomalyContextDeleter>;
AnomalyContextPtr capture_anomaly_context();

// Where the op recorded as `node` was called, as "file:line (in function)" for the first frame
// outside the library, or a sentence saying why it is not known.
std::string forward_call_site(const Node& node);
std::string module_path(const Node& node);  // "" outside any module

// Raises when `grad`, the gradient `node`'s backward produced for its input `input`, has a NaN
// or an Inf.
void check_anomaly_gradient(const Node& node, std::size_t input, const Tensor& grad);

// Pushed by nn::Module::operator() while anomaly mode is on: the names of the modules whose
// forward is running, outermost first ("Sequential", "2", "fc1" gives "Sequential.2.fc1").
class ModuleScope {
 public:
  ModuleScope(const void* module, std::string name);
  ~ModuleScope();
  ModuleScope(const ModuleScope&) = delete;
  ModuleScope& operator=(const ModuleScope&) = delete;
};
const void* current_module();  // the innermost module in a ModuleScope, or null
}  // namespace detail

}  // namespace xgrad
