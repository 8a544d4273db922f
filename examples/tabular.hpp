// xgrad-train's model folder: the MLP's weights with its description (task, layer sizes,
// activation, classes, feature names, the CSV layout and the category encodings) in
// DIR/model.safetensors, the feature scaler in DIR/scaler.safetensors. Loading checks that every
// piece agrees with the others before anything is built, so `predict` never runs a model whose
// parts do not fit.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "xgrad.hpp"

namespace xgrad::examples {

// Joins lists inside safetensors metadata strings.
inline constexpr char kListSeparator = '\x1f';
std::string join_list(const std::vector<std::string>& items);
std::vector<std::string> split_list(const std::string& text, char separator = kListSeparator);

// The MLP: inputs -> hidden... -> outputs, `activation` between the Linear layers.
struct MlpSpec {
  std::vector<int64_t> hidden;
  std::string activation = "relu", task = "classify";  // task: classify or regress
  int64_t inputs = 0, outputs = 0;
};
// relu, tanh, sigmoid, gelu, silu, elu, leaky_relu; an Error listing them otherwise.
std::shared_ptr<nn::Module> make_activation(const std::string& name);
std::shared_ptr<nn::Sequential> build_mlp(const MlpSpec& spec, Generator* gen);

// How the training CSV was read, so new rows are read the same way.
struct CsvLayout {
  bool no_header = false;
  int64_t skip_lines = 0;
  char delimiter = ',';
};

struct TabularModel {
  MlpSpec spec;
  std::shared_ptr<nn::Sequential> model;
  data::StandardScaler scaler;             // over the `feature_names` columns
  std::string target;                      // the target column's name
  std::vector<std::string> classes;        // classify: one name per output
  std::vector<std::string> feature_names;  // the model's input columns
  CsvLayout layout;
  std::map<std::string, data::CategoryMap> encodings;  // string columns, by name
};

void save_tabular_model(const std::string& dir, const TabularModel& m);
// Errors name the folder and the field that is missing, malformed or inconsistent.
TabularModel load_tabular_model(const std::string& dir);

}  // namespace xgrad::examples
