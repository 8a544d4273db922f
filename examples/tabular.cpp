// xgrad-train's model folder: writing it, and reading it back with every field checked.
#include "tabular.hpp"

#include <cmath>
#include <filesystem>
#include <sstream>

#include "trainer.hpp"

namespace xgrad::examples {

std::string join_list(const std::vector<std::string>& items) {
  std::string s;
  for (std::size_t i = 0; i < items.size(); ++i)
    s += (i ? std::string(1, kListSeparator) : "") + items[i];
  return s;
}

std::vector<std::string> split_list(const std::string& text, char separator) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, separator)) out.push_back(item);
  return out;
}

std::shared_ptr<nn::Module> make_activation(const std::string& name) {
  if (name == "relu") return std::make_shared<nn::ReLU>();
  if (name == "tanh") return std::make_shared<nn::Tanh>();
  if (name == "sigmoid") return std::make_shared<nn::Sigmoid>();
  if (name == "gelu") return std::make_shared<nn::GELU>();
  if (name == "silu") return std::make_shared<nn::SiLU>();
  if (name == "elu") return std::make_shared<nn::ELU>();
  if (name == "leaky_relu") return std::make_shared<nn::LeakyReLU>();
  throw Error("unknown activation '" + name +
              "' (relu, tanh, sigmoid, gelu, silu, elu, leaky_relu)");
}

std::shared_ptr<nn::Sequential> build_mlp(const MlpSpec& spec, Generator* gen) {
  auto model = std::make_shared<nn::Sequential>();
  int64_t in = spec.inputs;
  for (int64_t h : spec.hidden) {
    model->add(std::make_shared<nn::Linear>(in, h, true, gen));
    model->add(make_activation(spec.activation));
    in = h;
  }
  model->add(std::make_shared<nn::Linear>(in, spec.outputs, true, gen));
  return model;
}

void save_tabular_model(const std::string& dir, const TabularModel& m) {
  std::filesystem::create_directories(dir);
  Metadata meta{{"task", m.spec.task},
                {"activation", m.spec.activation},
                {"inputs", std::to_string(m.spec.inputs)},
                {"outputs", std::to_string(m.spec.outputs)},
                {"target", m.target},
                {"classes", join_list(m.classes)},
                {"feature_names", join_list(m.feature_names)},
                {"no_header", m.layout.no_header ? "1" : "0"},
                {"skip_lines", std::to_string(m.layout.skip_lines)},
                {"delimiter", std::string(1, m.layout.delimiter)}};
  std::vector<std::string> hidden;
  for (int64_t h : m.spec.hidden) hidden.push_back(std::to_string(h));
  meta["hidden"] = join_list(hidden);
  for (const auto& [col, map] : m.encodings) meta["encoding." + col] = join_list(map.categories);
  nn::save(*m.model, dir + "/model.safetensors", meta);
  m.scaler.save(dir + "/scaler.safetensors");
}

namespace {

// Parameters of Linear(in, out) layers through the sizes, or -1 when int64 cannot count them.
int64_t mlp_parameter_count(const MlpSpec& spec) {
  int64_t total = 0, in = spec.inputs;
  std::vector<int64_t> outs = spec.hidden;
  outs.push_back(spec.outputs);
  for (int64_t out : outs) {
    int64_t weights = 0, layer = 0;
    if (__builtin_mul_overflow(in, out, &weights) || __builtin_add_overflow(weights, out, &layer) ||
        __builtin_add_overflow(total, layer, &total))
      return -1;
    in = out;
  }
  return total;
}

}  // namespace

TabularModel load_tabular_model(const std::string& dir) {
  const std::string model_path = dir + "/model.safetensors";
  SafetensorsFile file = load_safetensors(model_path);
  const std::string where = model_path + ": model metadata ";
  auto meta = [&](const std::string& key) {
    auto it = file.metadata.find(key);
    if (it == file.metadata.end()) throw Error(where + "lacks '" + key + "'");
    return it->second;
  };
  auto positive = [&](const std::string& text, const std::string& key) {
    const int64_t v = parse_int(text, where + "'" + key + "'");
    if (v <= 0) throw Error(where + "'" + key + "' must be positive, got '" + text + "'");
    return v;
  };

  TabularModel m;
  m.spec.task = meta("task");
  if (m.spec.task != "classify" && m.spec.task != "regress")
    throw Error(where + "'task' must be classify or regress, got '" + m.spec.task + "'");
  m.spec.activation = meta("activation");
  make_activation(m.spec.activation);  // an unknown name is an error before anything is built
  m.spec.inputs = positive(meta("inputs"), "inputs");
  m.spec.outputs = positive(meta("outputs"), "outputs");
  for (const std::string& h : split_list(meta("hidden")))
    m.spec.hidden.push_back(positive(h, "hidden"));
  m.target = meta("target");
  m.classes = split_list(meta("classes"));
  m.feature_names = split_list(meta("feature_names"));
  const std::string no_header = meta("no_header");
  if (no_header != "0" && no_header != "1")
    throw Error(where + "'no_header' must be 0 or 1, got '" + no_header + "'");
  m.layout.no_header = no_header == "1";
  m.layout.skip_lines = parse_int(meta("skip_lines"), where + "'skip_lines'");
  if (m.layout.skip_lines < 0)
    throw Error(where + "'skip_lines' must be >= 0, got " + std::to_string(m.layout.skip_lines));
  const std::string delimiter = meta("delimiter");
  if (delimiter.size() != 1 || delimiter == "\"" || delimiter == "\n" || delimiter == "\r")
    throw Error(where + "'delimiter' must be one character other than a quote or a line break");
  m.layout.delimiter = delimiter[0];
  for (const auto& [key, value] : file.metadata) {
    if (key.rfind("encoding.", 0) != 0) continue;
    data::CategoryMap map{split_list(value)};
    // Codes are positions in a sorted list (CategoryMap::code searches it).
    for (std::size_t i = 1; i < map.categories.size(); ++i)
      if (!(map.categories[i - 1] < map.categories[i]))
        throw Error(where + "'" + key + "' must list distinct categories in sorted order");
    m.encodings[key.substr(9)] = std::move(map);
  }

  // The parts must agree before the network is allocated from the metadata's sizes.
  if (static_cast<int64_t>(m.feature_names.size()) != m.spec.inputs)
    throw Error(where + "names " + std::to_string(m.feature_names.size()) + " features for " +
                std::to_string(m.spec.inputs) + " inputs");
  if (m.spec.task == "classify" && static_cast<int64_t>(m.classes.size()) != m.spec.outputs)
    throw Error(where + "names " + std::to_string(m.classes.size()) + " classes for " +
                std::to_string(m.spec.outputs) + " outputs");
  if (m.spec.task == "regress" && m.spec.outputs != 1)
    throw Error(where + "'outputs' must be 1 for regression, got " +
                std::to_string(m.spec.outputs));
  int64_t stored = 0;
  for (const auto& [name, t] : file.tensors) stored += t.numel();  // bounded by the file size
  const int64_t wanted = mlp_parameter_count(m.spec);
  if (wanted != stored)
    throw Error(model_path + ": the layer sizes in the metadata need " +
                (wanted < 0 ? std::string("more parameters than int64 counts")
                            : std::to_string(wanted) + " parameters") +
                ", the file holds " + std::to_string(stored));
  for (const auto& [name, t] : file.tensors)
    for (double v : t.to_vector())
      if (!std::isfinite(v))
        throw Error(model_path + ": parameter " + name + " holds " + std::to_string(v) +
                    " (a diverged training run?)");
  m.model = build_mlp(m.spec, nullptr);
  m.model->load_state_dict(file.tensors);

  m.scaler.load(dir + "/scaler.safetensors");
  if (m.scaler.mean().numel() != m.spec.inputs)
    throw Error(dir + "/scaler.safetensors: the scaler has " +
                std::to_string(m.scaler.mean().numel()) + " columns, the model " +
                std::to_string(m.spec.inputs) + " inputs");
  return m;
}

}  // namespace xgrad::examples
