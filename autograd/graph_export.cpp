// Graph export (graph_export.hpp): a walk over the tape from the outputs, written as DOT.
#include "autograd/graph_export.hpp"

#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "autograd/node.hpp"
#include "tensor/impl_access.hpp"

namespace xgrad::autograd {

namespace {

std::string escaped(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string describe(const Tensor& t) {
  return format_shape(t.shape()) + " " + dtype_name(t.dtype());
}

class DotWriter {
 public:
  explicit DotWriter(const StateDict& names) {
    for (const auto& [name, t] : names)
      if (t.defined()) names_.emplace(t.impl(), name);
  }

  // The DOT id of t's vertex; on first sight its line is written and its inputs queued.
  std::string vertex(const Tensor& t, const TensorImpl* impl) {
    if (auto it = ids_.find(impl); it != ids_.end()) return it->second;
    const std::string id = "t" + std::to_string(ids_.size());
    ids_.emplace(impl, id);
    const Node* node = detail::ImplAccess::grad_fn(*const_cast<TensorImpl*>(impl)).get();
    if (!node) {
      auto named = names_.find(impl);
      const std::string label = named != names_.end() ? named->second : "leaf";
      out_ << "  " << id << " [shape=ellipse, label=\"" << escaped(label) << "\\n"
           << describe(t) << "\"];\n";
    } else {
      out_ << "  " << id << " [shape=box, label=\"" << escaped(node->name()) << "\\n"
           << describe(t) << "\"];\n";
      pending_.emplace_back(node, id);
    }
    return id;
  }

  // Writes the edges of every queued op, queueing its inputs in turn (a loop, not recursion:
  // graphs can be thousands of ops deep).
  void write_edges() {
    while (!pending_.empty()) {
      auto [node, id] = pending_.back();
      pending_.pop_back();
      if (node->released()) continue;
      const TensorList& inputs = node->inputs();
      for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (!inputs[i].defined()) continue;
        const std::shared_ptr<TensorImpl>& from = node->input_vertex(i);
        const Tensor input(from);
        if (!detail::ImplAccess::grad_fn(*from) && !input.requires_grad()) continue;
        const std::string from_id = vertex(input, from.get());  // (may write its line first)
        out_ << "  " << from_id << " -> " << id << ";\n";
      }
      for (const Tensor& s : node->saved()) {
        if (!s.defined()) continue;
        const std::string sid = id + "_s" + std::to_string(saved_count_++);
        out_ << "  " << sid << " [shape=note, style=filled, fillcolor=lightgrey, "
             << "fontcolor=gray30, label=\"saved\\n"
             << describe(s) << "\"];\n"
             << "  " << sid << " -> " << id << " [style=dashed, color=gray50];\n";
      }
    }
  }

  void mark_output(const std::string& id) { out_ << "  " << id << " [penwidth=2];\n"; }
  std::string str() const { return "digraph xgrad {\n  rankdir=BT;\n" + out_.str() + "}\n"; }

 private:
  std::unordered_map<const TensorImpl*, std::string> names_, ids_;
  std::vector<std::pair<const Node*, std::string>> pending_;
  std::size_t saved_count_ = 0;
  std::ostringstream out_;
};

}  // namespace

std::string to_dot(const std::vector<Tensor>& outputs, const StateDict& names) {
  DotWriter writer(names);
  for (const Tensor& out : outputs) {
    if (!out.defined()) throw Error("to_dot: an output is an undefined tensor");
    const std::string id = writer.vertex(out, out.impl());
    writer.mark_output(id);
  }
  writer.write_edges();
  return writer.str();
}

}  // namespace xgrad::autograd
