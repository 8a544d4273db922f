// Anomaly mode (anomaly.hpp): capturing a recorded op's call stack and module path, naming the
// user's source line from it (the first frame outside the library, through addr2line), and the
// NaN/Inf check of backward's gradients.
#include "autograd/anomaly.hpp"

#include <dlfcn.h>
#include <execinfo.h>
#include <link.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <utility>
#include <vector>

#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "tensor/grad_mode.hpp"

#ifndef XGRAD_SOURCE_ROOT
#define XGRAD_SOURCE_ROOT ""
#endif

namespace xgrad {

void set_detect_anomaly(bool enabled) {
  detail::anomaly_mode.store(enabled, std::memory_order_relaxed);
}

namespace detail {

struct AnomalyContext {
  std::vector<void*> frames;  // return addresses, innermost first
  std::string module_path;
};

void AnomalyContextDeleter::operator()(AnomalyContext* context) const { delete context; }

namespace {
std::vector<std::pair<const void*, std::string>>& module_stack() {
  thread_local std::vector<std::pair<const void*, std::string>> stack;
  return stack;
}

// One source position of a call stack; inlined calls give several per return address.
struct Location {
  std::string function, file;
  long line = 0;
};

std::string own_program() {
  std::error_code error;
  std::filesystem::path path = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::string() : path.string();
}

// The loaded object holding `address` and the address as addr2line wants it (relative to the
// object's load bias).
struct ObjectAddress {
  std::string object;
  std::uintptr_t offset = 0;
};
bool find_object(std::uintptr_t address, ObjectAddress& out) {
  struct Search {
    std::uintptr_t address;
    ObjectAddress* out;
    bool found = false;
  } search{address, &out};
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) {
        auto& s = *static_cast<Search*>(data);
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr)& ph = info->dlpi_phdr[i];
          const std::uintptr_t begin = info->dlpi_addr + ph.p_vaddr;
          if (ph.p_type != PT_LOAD || s.address < begin || s.address >= begin + ph.p_memsz)
            continue;
          // The main program has no name here; addr2line runs in a process of its own, so
          // the path must be this process's, not /proc/self/exe.
          s.out->object =
              info->dlpi_name && info->dlpi_name[0] ? std::string(info->dlpi_name) : own_program();
          s.out->offset = s.address - info->dlpi_addr;
          s.found = true;
          return 1;
        }
        return 0;
      },
      &search);
  return search.found;
}

std::string shell_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Source positions of each frame (innermost inlined call first), through binutils' addr2line.
// Frames it cannot place (no debug information) get none.
std::vector<std::vector<Location>> symbolise(const std::vector<void*>& frames) {
  std::vector<std::vector<Location>> result(frames.size());
  std::map<std::string, std::vector<std::pair<std::size_t, std::uintptr_t>>> by_object;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    ObjectAddress where;
    // A return address points after the call; the call itself is one byte before.
    if (find_object(reinterpret_cast<std::uintptr_t>(frames[i]) - 1, where) &&
        !where.object.empty())
      by_object[where.object].emplace_back(i, where.offset);
  }
  for (const auto& [object, addresses] : by_object) {
    std::ostringstream command;
    command << "addr2line -C -f -i -a -e " << shell_quoted(object);
    for (const auto& [index, offset] : addresses) command << " 0x" << std::hex << offset;
    command << " 2>/dev/null";
    FILE* pipe = popen(command.str().c_str(), "r");
    if (!pipe) continue;
    std::vector<std::string> lines;
    char buffer[4096];
    while (std::fgets(buffer, sizeof buffer, pipe)) {
      std::string line(buffer);
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
      lines.push_back(std::move(line));
    }
    pclose(pipe);
    // Output: for each address a line "0x...", then (function, file:line) pairs.
    std::size_t group = 0;
    for (std::size_t k = 0; k < lines.size();) {
      if (lines[k].rfind("0x", 0) == 0) {
        if (k > 0) ++group;
        ++k;
        continue;
      }
      if (group >= addresses.size() || k + 1 >= lines.size()) break;
      Location loc;
      loc.function = lines[k];
      const std::string& position = lines[k + 1];
      const std::size_t colon = position.rfind(':');
      if (colon != std::string::npos) {
        loc.file = position.substr(0, colon);
        loc.line = std::strtol(position.c_str() + colon + 1, nullptr, 10);
      }
      loc.file = std::filesystem::path(loc.file).lexically_normal().string();
      if (loc.line > 0 && loc.file != "??")
        result[addresses[group].first].push_back(std::move(loc));
      k += 2;
    }
  }
  return result;
}

// The library's own code (and the standard and C libraries', whose paths are relative or under
// /usr) is not where the user called the op.
bool is_library_file(const std::string& path) {
  if (path.empty() || path[0] != '/') return true;
  if (path.rfind("/usr/include/", 0) == 0 || path.rfind("/usr/lib/", 0) == 0) return true;
  const std::string root = std::filesystem::path(XGRAD_SOURCE_ROOT).lexically_normal().string();
  if (root.empty()) return false;
  for (const char* folder : {"tensor/", "autograd/", "nn/", "optim/", "data/"})
    if (path.rfind((std::filesystem::path(root) / folder).string(), 0) == 0) return true;
  return false;
}

std::string describe_tensor(const Tensor& t) {
  return format_shape(t.shape()) + " " + dtype_name(t.dtype());
}
}  // namespace

AnomalyContextPtr capture_anomaly_context() {
  AnomalyContextPtr context(new AnomalyContext);
  void* frames[64];
  const int n = backtrace(frames, 64);
  context->frames.assign(frames, frames + (n > 0 ? n : 0));
  for (const auto& [module, name] : module_stack())
    context->module_path += (context->module_path.empty() ? "" : ".") + name;
  return context;
}

std::string forward_call_site(const Node& node) {
  const AnomalyContext* context = node.anomaly_context();
  if (!context)
    return "unknown (the op was recorded while anomaly mode was off; turn it on before the "
           "forward pass)";
  const std::vector<std::vector<Location>> located = symbolise(context->frames);
  bool any_located = false;
  for (const std::vector<Location>& frame : located)
    for (const Location& loc : frame) {
      any_located = true;
      if (!is_library_file(loc.file))
        return loc.file + ":" + std::to_string(loc.line) + " (in " + loc.function + ")";
    }
  return any_located ? "unknown (no frame outside the library has line information)"
                     : "unknown (no line information: build the calling code with -g or -g1)";
}

std::string module_path(const Node& node) {
  const AnomalyContext* context = node.anomaly_context();
  return context ? context->module_path : std::string();
}

void check_anomaly_gradient(const Node& node, std::size_t input, const Tensor& grad) {
  if (!is_floating_point(grad.dtype())) return;
  bool finite, has_nan;
  {
    NoGradGuard no_grad;
    finite = all(isfinite(grad)).item<bool>();
    has_nan = !finite && any(isnan(grad)).item<bool>();
  }
  if (finite) return;
  std::string message = std::string("anomaly mode: the backward of '") + node.name() +
                        "' produced " + (has_nan ? "NaN" : "Inf") +
                        " in the gradient for its input " + std::to_string(input) + " (" +
                        describe_tensor(grad) + ")";
  message += "; forward call at " + forward_call_site(node);
  if (const std::string path = module_path(node); !path.empty()) message += ", in module " + path;
  message += "; the op's inputs:";
  for (std::size_t i = 0; i < node.inputs().size(); ++i)
    message += (i ? ", " : " ") + describe_tensor(node.inputs()[i]);
  throw Error(message);
}

ModuleScope::ModuleScope(const void* module, std::string name) {
  module_stack().emplace_back(module, std::move(name));
}
ModuleScope::~ModuleScope() { module_stack().pop_back(); }

const void* current_module() {
  const auto& stack = module_stack();
  return stack.empty() ? nullptr : stack.back().first;
}

}  // namespace detail
}  // namespace xgrad
