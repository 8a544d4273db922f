// xgrad-train: train an MLP on any CSV without writing code, then apply it to new rows.
//   xgrad-train --csv data.csv --target price --task regress --hidden 64,32
//   xgrad-train predict --model DIR --csv new.csv --output predictions.csv
// Features are standardised (statistics of the training split), string columns one-hot encoded;
// the model, the scaler and the encodings are saved to DIR and reused by `predict`.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "tabular.hpp"
#include "trainer.hpp"

using namespace xgrad;
using namespace xgrad::examples;
namespace fs = std::filesystem;

namespace {

struct CsvFlags {
  std::string csv, target;
  bool no_header = false;
  int64_t skip_lines = 0;
  char delimiter = ',';
};

data::CsvOptions csv_options(const CsvFlags& f) {
  data::CsvOptions o;
  o.header = !f.no_header;
  o.skip_lines = f.skip_lines;
  o.delimiter = f.delimiter;
  o.missing = data::MissingPolicy::mean;
  if (!f.target.empty()) {
    bool numeric = f.target.find_first_not_of("-0123456789") == std::string::npos;
    if (numeric && f.no_header)
      o.target_index = parse_int(f.target, "--target");
    else
      o.target = f.target;
  }
  return o;
}

int train(const CsvFlags& flags, MlpSpec spec, const TrainerArgs& args, double test_fraction,
          const std::string& save_dir) {
  const auto start = std::chrono::steady_clock::now();
  data::CsvOptions opts = csv_options(flags);
  data::CsvTable table = data::read_csv(flags.csv, opts);
  if (!table.target.defined()) throw Error("--target is required for training");
  const bool classify = spec.task == "classify";
  if (!classify && spec.task != "regress") throw Error("--task must be classify or regress");

  std::vector<int64_t> labels;
  std::vector<std::string> classes;
  if (classify) {
    labels = data::to_labels(table.target);
    if (auto it = table.encodings.find(table.target_name); it != table.encodings.end())
      classes = it->second.categories;
    else
      for (int64_t c = 0; c <= *std::max_element(labels.begin(), labels.end()); ++c)
        classes.push_back(std::to_string(c));
  }
  data::Split s = data::train_test_split(table.rows(), test_fraction, args.seed, labels);
  Tensor x_train_raw = data::take_rows(table.features, s.train),
         x_test_raw = data::take_rows(table.features, s.test);
  // Classes train as int64 indices; regression targets stay floating.
  const Tensor target =
      classify ? from_vector(labels, {static_cast<int64_t>(labels.size())}, int64) : table.target;
  Tensor y_train = data::take_rows(target, s.train), y_test = data::take_rows(target, s.test);
  data::StandardScaler scaler;
  scaler.fit(x_train_raw);
  Tensor x_train = scaler.transform(x_train_raw), x_test = scaler.transform(x_test_raw);
  if (!classify) {
    y_train = reshape(y_train, {-1, 1});
    y_test = reshape(y_test, {-1, 1});
  }
  spec.inputs = x_train.shape()[1];
  spec.outputs = classify ? static_cast<int64_t>(classes.size()) : 1;
  Generator init(args.seed);
  auto model_ptr = build_mlp(spec, &init);
  nn::Sequential& model = *model_ptr;
  auto opt = make_optimizer(args.optimizer, model.parameters(), args.lr);
  std::unique_ptr<nn::Loss> loss_fn;
  if (classify)
    loss_fn = std::make_unique<nn::CrossEntropyLoss>();
  else
    loss_fn = std::make_unique<nn::MSELoss>();
  data::DataLoader loader(std::make_shared<data::TensorDataset>(x_train, y_train),
                          {.batch_size = args.batch_size, .shuffle = true, .seed = args.seed});
  if (!args.quiet) std::cout << model << "\n";
  for (int64_t epoch = 0; epoch < args.epochs; ++epoch) {
    const double train_loss = train_epoch(model, *opt, *loss_fn, loader);
    if (!args.quiet && ((epoch + 1) % 10 == 0 || epoch + 1 == args.epochs))
      std::printf("epoch %lld/%lld  train loss %.5f\n", static_cast<long long>(epoch + 1),
                  static_cast<long long>(args.epochs), train_loss);
  }
  Tensor out = predict(model, x_test, 1024);
  if (classify) {
    data::ConfusionMatrix cm(static_cast<int64_t>(classes.size()), classes);
    cm.add(data::argmax_rows(out), data::to_labels(y_test));
    if (!args.quiet) std::cout << "\n" << cm;
    std::printf("test accuracy: %.4f (%zu test rows)\n", cm.accuracy(), s.test.size());
  } else {
    std::printf("test MSE %.4f  RMSE %.4f  MAE %.4f  R2 %.4f (%zu test rows)\n",
                data::mse(out, y_test), data::rmse(out, y_test), data::mae(out, y_test),
                data::r2_score(out, y_test), s.test.size());
  }
  if (!save_dir.empty()) {
    save_tabular_model(save_dir, {.spec = spec,
                                  .model = model_ptr,
                                  .scaler = scaler,
                                  .target = table.target_name,
                                  .classes = classes,
                                  .feature_names = table.feature_names,
                                  .layout = {flags.no_header, flags.skip_lines, flags.delimiter},
                                  .encodings = table.encodings});
    std::printf("saved model and scaler to %s\n", save_dir.c_str());
  }
  std::printf("wall time: %.2f s\n", seconds_since(start));
  return 0;
}

int predict_rows(const std::string& model_dir, const std::string& csv, const std::string& output) {
  TabularModel m = load_tabular_model(model_dir);
  nn::Sequential& model = *m.model;
  CsvFlags flags{csv, "", m.layout.no_header, m.layout.skip_lines, m.layout.delimiter};
  data::CsvOptions opts = csv_options(flags);
  const std::string& target = m.target;
  // The new file may or may not hold the target column: read its header to decide.
  std::vector<std::string> names;
  {
    data::CsvOptions probe = opts;
    data::CsvTable head = data::read_csv(csv, probe);
    names = head.feature_names;
  }
  opts.encodings = m.encodings;
  if (std::find(names.begin(), names.end(), target) != names.end() ||
      std::any_of(names.begin(), names.end(),
                  [&](const std::string& n) { return n.rfind(target + "=", 0) == 0; }))
    opts.target = target;
  opts.encodings.erase(target);
  data::CsvTable table = data::read_csv(csv, opts);
  if (table.feature_names != m.feature_names)
    throw Error(csv + ": columns differ from the training data's");
  Tensor out = predict(model, m.scaler.transform(table.features), 1024);
  const std::vector<std::string>& classes = m.classes;
  std::ostringstream o;  // written in one go below: a failed write leaves what was there
  o << "line,prediction\n";
  std::vector<int64_t> cls =
      m.spec.task == "classify" ? data::argmax_rows(out) : std::vector<int64_t>{};
  for (int64_t r = 0; r < table.rows(); ++r) {
    o << table.source_lines[r] << ",";
    if (m.spec.task == "classify")
      o << classes.at(cls[r]) << "\n";
    else
      o << out.at({r, 0}) << "\n";
  }
  write_text_file(output, o.str());
  std::printf("wrote %lld predictions to %s\n", static_cast<long long>(table.rows()),
              output.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) try {
  CLI::App app("xgrad-train: train an MLP on any CSV, or apply a saved one (predict)");
  CsvFlags flags;
  TrainerArgs args{.epochs = 200, .lr = 1e-3, .batch_size = 8};
  std::string task = "classify", hidden = "64,32", act = "relu", save_dir;
  double test_fraction = 0.2;
  app.add_option("--csv", flags.csv, "the CSV file");
  app.add_option("--target", flags.target, "target column (name, or index with --no-header)");
  app.add_option("--task", task, "classify or regress")->capture_default_str();
  app.add_option("--hidden", hidden, "hidden layer sizes, comma-separated")->capture_default_str();
  app.add_option("--activation", act, "relu, tanh, sigmoid, gelu, silu, elu, leaky_relu")
      ->capture_default_str();
  app.add_option("--optimizer", args.optimizer,
                 "sgd, momentum, adam, adamw, rmsprop, adagrad, adadelta")
      ->capture_default_str();
  app.add_option("--lr", args.lr, "learning rate")->capture_default_str();
  app.add_option("--epochs", args.epochs, "epochs")->capture_default_str();
  app.add_option("--batch-size", args.batch_size, "batch size")->capture_default_str();
  app.add_option("--test-fraction", test_fraction, "share of rows held out for testing")
      ->capture_default_str();
  app.add_option("--seed", args.seed, "seed for init, split and shuffling")->capture_default_str();
  app.add_option("--threads", args.threads, "BLAS threads")->capture_default_str();
  app.add_option("--skip-lines", flags.skip_lines, "lines to skip before the header");
  app.add_flag("--no-header", flags.no_header,
               "the file has no header row (columns are column0, column1, ...)");
  app.add_option("--save", save_dir, "folder for model.safetensors and scaler.safetensors");
  app.add_flag("--quiet", args.quiet, "only the final results");
  auto* pred = app.add_subcommand("predict", "apply a saved model to new rows");
  std::string model_dir, output = "predictions.csv", new_csv;
  pred->add_option("--model", model_dir, "folder written by --save")->required();
  pred->add_option("--csv", new_csv, "rows to predict")->required();
  pred->add_option("--output", output, "predictions CSV")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  set_num_threads(args.threads);
  if (*pred) return predict_rows(model_dir, new_csv, output);
  if (flags.csv.empty()) throw Error("--csv is required");
  MlpSpec spec;
  spec.task = task;
  spec.activation = act;
  for (const auto& h : split_list(hidden, ',')) {
    spec.hidden.push_back(parse_int(h, "--hidden"));
    if (spec.hidden.back() <= 0)
      throw Error("--hidden: layer sizes must be positive, got '" + hidden + "'");
  }
  return train(flags, spec, args, test_fraction, save_dir);
} catch (const std::exception& e) {
  std::fprintf(stderr, "xgrad-train: %s\n", e.what());
  return 1;
}
