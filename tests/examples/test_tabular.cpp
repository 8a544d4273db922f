// examples/tabular.cpp: xgrad-train's model folder saves and loads, and a folder whose parts do
// not fit together (the cases fuzz/fuzz_model.cpp probes) is refused with the field named.
#include <filesystem>

#include "../helpers.hpp"
#include "examples/tabular.hpp"

using namespace xgrad;
using namespace xgrad::examples;
namespace fs = std::filesystem;

namespace {

std::string tmp_dir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / "xgrad_tabular_test" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

// A classifier over two features (one of them one-hot "color=..."), saved to a fresh folder.
std::string saved_model(const std::string& name) {
  TabularModel m;
  m.spec = {.hidden = {3}, .activation = "tanh", .task = "classify", .inputs = 2, .outputs = 2};
  Generator gen(0);
  m.model = build_mlp(m.spec, &gen);
  m.scaler.fit(tensor({{1.0, 0.0}, {3.0, 1.0}}, float64));
  m.target = "label";
  m.classes = {"no", "yes"};
  m.feature_names = {"size", "color=red"};
  m.layout = {.no_header = false, .skip_lines = 1, .delimiter = ';'};
  m.encodings["color"] = data::CategoryMap{{"blue", "red"}};
  m.encodings["label"] = data::CategoryMap{{"no", "yes"}};
  const std::string dir = tmp_dir(name);
  save_tabular_model(dir, m);
  return dir;
}

// Rewrites the folder's model file with one metadata entry changed (or removed when empty).
void set_meta(const std::string& dir, const std::string& key, const std::string& value) {
  const std::string path = dir + "/model.safetensors";
  SafetensorsFile f = load_safetensors(path);
  if (value.empty())
    f.metadata.erase(key);
  else
    f.metadata[key] = value;
  save_safetensors(path, f.tensors, f.metadata);
}

std::string model_file(const std::string& dir) { return dir + "/model.safetensors"; }

}  // namespace

TEST_CASE("xgrad-train's model folder round-trips") {
  const std::string dir = saved_model("roundtrip");
  TabularModel m = load_tabular_model(dir);
  CHECK(m.spec.task == "classify");
  CHECK(m.spec.activation == "tanh");
  CHECK(m.spec.inputs == 2);
  CHECK(m.spec.hidden == std::vector<int64_t>{3});
  CHECK(m.spec.outputs == 2);
  CHECK(m.classes == std::vector<std::string>{"no", "yes"});
  CHECK(m.feature_names == std::vector<std::string>{"size", "color=red"});
  CHECK(m.layout.skip_lines == 1);
  CHECK(m.layout.delimiter == ';');
  CHECK(m.encodings.at("color").categories == std::vector<std::string>{"blue", "red"});
  CHECK(m.scaler.mean().to_vector() == std::vector<double>{2, 0.5});
  Generator gen(0);
  auto fresh = build_mlp(m.spec, &gen);  // the same seed gives the saved weights
  const Tensor x = tensor({{0.5f, -1.0f}});
  CHECK((*m.model)(x).to_vector() == (*fresh)(x).to_vector());
}

TEST_CASE("a model folder whose parts disagree is refused, naming the field") {
  const std::string dir = saved_model("inconsistent");
  const std::string where = model_file(dir) + ": model metadata ";
  auto refused = [&](const std::string& key, const std::string& value, const std::string& message) {
    const std::string before = load_safetensors(model_file(dir)).metadata.count(key)
                                   ? load_safetensors(model_file(dir)).metadata.at(key)
                                   : "";
    set_meta(dir, key, value);
    CHECK_ERROR_MESSAGE(load_tabular_model(dir), message.c_str());
    set_meta(dir, key, before);
  };
  // `predict` looked the predicted class up with classes.at(): std::out_of_range escaped.
  refused("classes", "only", where + "names 1 classes for 2 outputs");
  refused("feature_names", "size", where + "names 1 features for 2 inputs");
  // Layer sizes from the metadata used to be allocated before the weights were compared:
  // 2^62 hidden units ran out of memory instead of failing.
  refused("hidden", "4611686018427387904",
          model_file(dir) +
              ": the layer sizes in the metadata need more parameters than int64 "
              "counts, the file holds 17");
  refused("hidden", "4",
          model_file(dir) +
              ": the layer sizes in the metadata need 22 parameters, "
              "the file holds 17");
  refused("hidden", "0", where + "'hidden' must be positive, got '0'");
  refused("inputs", "-2", where + "'inputs' must be positive, got '-2'");
  refused("outputs", "two", where + "'outputs': expected an integer, got 'two'");
  refused("task", "cluster", where + "'task' must be classify or regress, got 'cluster'");
  refused("activation", "swish",
          "unknown activation 'swish' (relu, tanh, sigmoid, gelu, silu, elu, leaky_relu)");
  refused("delimiter", ";;",
          where + "'delimiter' must be one character other than a quote or a line break");
  refused("no_header", "yes", where + "'no_header' must be 0 or 1, got 'yes'");
  refused("skip_lines", "-1", where + "'skip_lines' must be >= 0, got -1");
  // CategoryMap::code binary-searches: an unsorted list would give wrong codes silently.
  refused("encoding.color",
          "red\x1f"
          "blue",
          where + "'encoding.color' must list distinct categories in sorted order");
  refused("target", "", where + "lacks 'target'");
  // Regression has one output.
  set_meta(dir, "task", "regress");
  CHECK_ERROR_MESSAGE(load_tabular_model(dir),
                      (where + "'outputs' must be 1 for regression, got 2").c_str());
  set_meta(dir, "task", "classify");
  CHECK_NOTHROW(load_tabular_model(dir));
}

TEST_CASE("a model folder with a scaler of another width or non-finite weights is refused") {
  const std::string dir = saved_model("scaler");
  data::StandardScaler wide;
  wide.fit(ones({2, 5}, float64));
  wide.save(dir + "/scaler.safetensors");
  CHECK_ERROR_MESSAGE(
      load_tabular_model(dir),
      (dir + "/scaler.safetensors: the scaler has 5 columns, the model 2 inputs").c_str());
  const std::string nan_dir = saved_model("nan");
  SafetensorsFile f = load_safetensors(model_file(nan_dir));
  for (auto& [name, t] : f.tensors)
    if (name == "0.bias") t = full({3}, std::nan(""));
  save_safetensors(model_file(nan_dir), f.tensors, f.metadata);
  CHECK_ERROR_MESSAGE(
      load_tabular_model(nan_dir),
      (model_file(nan_dir) + ": parameter 0.bias holds nan (a diverged training run?)").c_str());
}
