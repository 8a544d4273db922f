// Implementation of the trainers' shared helpers.
#include "trainer.hpp"

#include "tensor/file_io.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <numeric>
#include <optional>

namespace xgrad::examples {

TrainerArgs parse_args(int argc, char** argv, const std::string& description, TrainerArgs a,
                       std::vector<ExtraOption> extras) {
  CLI::App app(description);
  app.add_option("--epochs", a.epochs, "training epochs")->capture_default_str();
  app.add_option("--lr", a.lr, "learning rate")->capture_default_str();
  app.add_option("--batch-size", a.batch_size, "examples per batch")->capture_default_str();
  app.add_option("--seed", a.seed, "seed for init, shuffling and splits")->capture_default_str();
  app.add_option("--optimizer", a.optimizer,
                 "sgd, momentum, adam, adamw, rmsprop, adagrad, adadelta")
      ->capture_default_str();
  app.add_option("--threads", a.threads, "BLAS threads")->capture_default_str();
  app.add_option("--save", a.save, "write a checkpoint here after every epoch");
  app.add_option("--resume", a.resume, "continue from this checkpoint");
  app.add_option("--plot", a.plot, "write curves to PREFIX.csv and PREFIX.png");
  app.add_flag("--quiet", a.quiet, "only the final results");
  for (auto& e : extras) app.add_option(e.name, e.value, e.help)->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  for (auto& e : extras) a.extra[e.name.substr(2)] = e.value;
  if (a.epochs < 0 || a.batch_size <= 0 || a.threads <= 0) {
    std::cerr << "error: --epochs must be >= 0, --batch-size and --threads positive\n";
    std::exit(2);
  }
  set_num_threads(a.threads);
  return a;
}

std::unique_ptr<optim::Optimizer> make_optimizer(const std::string& name,
                                                 const std::vector<Tensor>& params, double lr) {
  using namespace optim;
  if (name == "sgd") return std::make_unique<SGD>(params, SGDOptions{.lr = lr});
  if (name == "momentum")
    return std::make_unique<SGD>(params, SGDOptions{.lr = lr, .momentum = 0.9});
  if (name == "adam") return std::make_unique<Adam>(params, AdamOptions{.lr = lr});
  if (name == "adamw")
    return std::make_unique<AdamW>(params, AdamOptions{.lr = lr, .weight_decay = 0.01});
  if (name == "rmsprop") return std::make_unique<RMSprop>(params, RMSpropOptions{.lr = lr});
  if (name == "adagrad") return std::make_unique<Adagrad>(params, AdagradOptions{.lr = lr});
  if (name == "adadelta") return std::make_unique<Adadelta>(params, AdadeltaOptions{.lr = lr});
  throw Error("unknown optimizer '" + name +
              "' (sgd, momentum, adam, adamw, rmsprop, adagrad, adadelta)");
}

Progress::Progress(bool quiet) : tty_(isatty(STDOUT_FILENO)), quiet_(quiet) {}

void Progress::start(int64_t epoch, int64_t epochs, int64_t batches) {
  epoch_ = epoch;
  epochs_ = epochs;
  batches_ = batches;
  examples_ = 0;
  start_ = std::chrono::steady_clock::now();
}

void Progress::update(int64_t batch, double loss, int64_t examples) {
  examples_ += examples;
  if (!tty_ || quiet_ || (batch % 20 != 0 && batch + 1 != batches_)) return;
  const int width = 30;
  int filled = static_cast<int>(width * (batch + 1) / std::max<int64_t>(batches_, 1));
  double rate = static_cast<double>(examples_) / std::max(seconds_since(start_), 1e-9);
  std::printf("\repoch %lld/%lld [%s%s] loss %.4f  %.0f ex/s ", static_cast<long long>(epoch_),
              static_cast<long long>(epochs_), std::string(filled, '=').c_str(),
              std::string(width - filled, ' ').c_str(), loss, rate);
  std::fflush(stdout);
}

double Progress::finish(const std::string& summary) {
  double s = seconds_since(start_);
  if (tty_ && !quiet_) std::printf("\r%s\r", std::string(80, ' ').c_str());
  if (!quiet_)
    std::printf("epoch %lld/%lld  %s  (%.1f s, %.0f ex/s)\n", static_cast<long long>(epoch_),
                static_cast<long long>(epochs_), summary.c_str(), s,
                static_cast<double>(examples_) / std::max(s, 1e-9));
  std::fflush(stdout);
  return s;
}

std::string Curves::write(const std::string& prefix) const {
  if (auto dir = std::filesystem::path(prefix).parent_path(); !dir.empty())
    std::filesystem::create_directories(dir);
  std::ofstream csv(prefix + ".csv");
  if (!csv) throw Error("cannot write " + prefix + ".csv");
  for (std::size_t c = 0; c < columns_.size(); ++c) csv << (c ? "," : "") << columns_[c];
  csv << "\n" << std::setprecision(8);
  for (const auto& r : rows_) {
    for (std::size_t c = 0; c < r.size(); ++c) csv << (c ? "," : "") << r[c];
    csv << "\n";
  }
  csv.close();
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) return "";
  std::string script = prefix + ".gp";
  std::ofstream gp(script);
  gp << "set terminal pngcairo size 900,500 noenhanced\nset output '" << prefix << ".png'\n"
     << "set datafile separator ','\nset key autotitle columnhead\nset xlabel '" << columns_[0]
     << "'\n"
     << "set y2tics\nset ytics nomirror\nplot ";
  for (std::size_t c = 1; c < columns_.size(); ++c)
    gp << (c > 1 ? ", " : "") << "'" << prefix << ".csv' using 1:" << c + 1
       << " with linespoints axes " << (c == 1 ? "x1y1" : "x1y2");
  gp << "\n";
  gp.close();
  if (std::system(("gnuplot '" + script + "' 2>/dev/null").c_str()) != 0) return "";
  std::remove(script.c_str());
  return prefix + ".png";
}

int64_t parse_int(const std::string& text, const std::string& what) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    throw Error(what + ": expected an integer, got '" + text + "'");
  return value;
}

double parse_number(const std::string& text, const std::string& what) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() ||
      !std::isfinite(value))
    throw Error(what + ": expected a number, got '" + text + "'");
  return value;
}

double TrainerArgs::get_double(const std::string& name) const {
  return parse_number(extra.at(name), "--" + name);
}
int64_t TrainerArgs::get_int(const std::string& name) const {
  return parse_int(extra.at(name), "--" + name);
}

void write_text_file(const std::string& path, const std::string& text) {
  // A device or a pipe (/dev/stdout) is written in place, never renamed over.
  write_file_atomically(
      path, [&](FileWriter& out) { out.write(text); }, "", true);
}

void save_checkpoint(const std::string& path, const nn::Module& model,
                     const optim::Optimizer& optimizer, int64_t epochs_done) {
  StateDict all = with_prefix("model", model.state_dict());
  StateDict opt = with_prefix("optimizer", optimizer.state_dict());
  all.insert(all.end(), opt.begin(), opt.end());
  save_safetensors(path, all, {{"epochs_done", std::to_string(epochs_done)}});
}

int64_t load_checkpoint(const std::string& path, nn::Module& model, optim::Optimizer& optimizer) {
  SafetensorsFile f = load_safetensors(path);
  auto it = f.metadata.find("epochs_done");
  if (it == f.metadata.end()) throw Error(path + ": not a trainer checkpoint (no epochs_done)");
  // A whole number in [0, 10^9]: "9e18", "-5" and "3x" are refused, not read as 9, -5 or 3.
  int64_t epochs = -1;
  const std::string& text = it->second;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), epochs);
  if (ec != std::errc() || end != text.data() + text.size() || epochs < 0 || epochs > 1000000000)
    throw Error(path + ": epochs_done must be a whole number in [0, 1000000000], got '" + text +
                "'");
  // All or nothing: if the optimizer's part is refused, the model gets its old values back (the
  // optimizer's load changes nothing when it throws).
  StateDict before;
  for (const auto& [name, t] : model.state_dict()) before.emplace_back(name, t.contiguous_copy());
  model.load_state_dict(strip_prefix("model", f.tensors));
  try {
    optimizer.load_state_dict(strip_prefix("optimizer", f.tensors));
  } catch (...) {
    model.load_state_dict(before);
    throw;
  }
  return epochs;
}

double train_epoch(nn::Module& model, optim::Optimizer& optimizer, const nn::Loss& loss_fn,
                   data::DataLoader& loader, Progress* progress, const std::string& graph) {
  model.train();
  double total = 0;
  int64_t seen = 0, b = 0;
  // The named ranges show in a profile (mnist --profile); they cost nothing otherwise.
  for (const data::Batch& batch : loader) {
    optimizer.zero_grad();
    Tensor loss;
    {
      const profiler::RecordScope range("forward");
      loss = loss_fn(model(batch.inputs), batch.targets);
    }
    if (b == 0 && !graph.empty())
      write_text_file(graph, autograd::to_dot({loss}, model.named_parameters()));
    {
      const profiler::RecordScope range("backward");
      loss.backward();
    }
    {
      const profiler::RecordScope range("optimizer step");
      optimizer.step();
    }
    const int64_t n = batch.inputs.shape()[0];
    total += loss.item() * static_cast<double>(n);
    seen += n;
    if (progress) progress->update(b++, loss.item(), n);
  }
  model.eval();
  return total / static_cast<double>(std::max<int64_t>(seen, 1));
}

void report_curves(const Curves& curves, const std::string& prefix) {
  if (prefix.empty()) return;
  std::string png = curves.write(prefix);
  std::printf("curves: %s.csv%s\n", prefix.c_str(),
              png.empty() ? " (no PNG: gnuplot is not installed)" : (", plot: " + png).c_str());
}

Tensor predict(nn::Module& model, const Tensor& inputs, int64_t batch_size) {
  NoGradGuard guard;
  const int64_t n = inputs.shape()[0];
  std::vector<Tensor> parts;
  for (int64_t i = 0; i < n; i += batch_size)
    parts.push_back(model(slice(inputs, 0, i, i + batch_size)));
  return concat(parts, 0);
}

std::shared_ptr<const data::Dataset> mnist_training_set(const std::string& dir, int64_t limit,
                                                        data::ImageLayout layout) {
  std::shared_ptr<const data::Dataset> train = data::load_mnist_dataset(dir, true, layout);
  if (limit <= 0 || limit >= train->size()) return train;
  std::vector<int64_t> first(static_cast<std::size_t>(limit));
  std::iota(first.begin(), first.end(), 0);
  return std::make_shared<data::Subset>(train, std::move(first));
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::vector<ExtraOption> image_classifier_options(std::vector<ExtraOption> more) {
  std::vector<ExtraOption> options{
      {"--data", "folder with the four IDX files (.gz or raw)",
       "/usr/share/datasets/fashion-mnist"},
      {"--limit", "use only the first N training images (0 = all)", "0"},
      {"--test-limit", "use only the first N test images (0 = all)", "0"},
      {"--graph", "write the first batch's graph here (Graphviz DOT)", ""},
      {"--profile", "profile the first epoch: print the ops' table, write a Chrome trace here",
       ""}};
  options.insert(options.end(), more.begin(), more.end());
  return options;
}

int run_image_classifier(const TrainerArgs& args, nn::Module& model,
                         std::chrono::steady_clock::time_point start) {
  auto train = mnist_training_set(args.get("data"), args.get_int("limit"));
  data::MnistSplit test = data::load_mnist(args.get("data"), false);
  if (int64_t n = args.get_int("test-limit"); n > 0 && n < test.images.shape()[0])
    test = {slice(test.images, 0, 0, n), slice(test.labels, 0, 0, n)};
  if (!args.quiet)
    std::printf("data: %s (%lld train, %lld test images)\n", args.get("data").c_str(),
                static_cast<long long>(train->size()),
                static_cast<long long>(test.images.shape()[0]));
  auto optimizer = make_optimizer(args.optimizer, model.parameters(), args.lr);
  nn::CrossEntropyLoss loss_fn;
  data::DataLoader loader(
      train, {.batch_size = args.batch_size, .shuffle = true, .seed = args.seed, .prefetch = true});

  int64_t first_epoch = 0;
  if (!args.resume.empty()) {
    first_epoch = load_checkpoint(args.resume, model, *optimizer);
    loader.set_epoch(first_epoch);  // the order the next epoch would have had
    if (!args.quiet)
      std::printf("resumed from %s after epoch %lld\n", args.resume.c_str(),
                  static_cast<long long>(first_epoch));
  }

  const std::vector<int64_t> test_labels = data::to_labels(test.labels);
  auto evaluate = [&]() {
    model.eval();  // dropout off, batch norm on its running statistics
    std::vector<int64_t> predicted = data::argmax_rows(predict(model, test.images, 1000));
    model.train();
    return predicted;
  };
  Curves curves({"epoch", "train_loss", "test_accuracy"});
  Progress progress(args.quiet);
  double last_loss = 0;
  for (int64_t epoch = first_epoch; epoch < args.epochs; ++epoch) {
    progress.start(epoch + 1, args.epochs, loader.num_batches());
    std::optional<profiler::Profiler> profile;
    if (epoch == first_epoch && !args.get("profile").empty()) profile.emplace();
    last_loss = train_epoch(model, *optimizer, loss_fn, loader, &progress,
                            epoch == first_epoch ? args.get("graph") : "");
    if (profile) {
      profile->export_chrome_trace(args.get("profile"));
      std::printf("\nprofile of epoch %lld (Chrome trace: %s)\n%s",
                  static_cast<long long>(epoch + 1), args.get("profile").c_str(),
                  profile->table(20).c_str());
    }
    double acc = data::accuracy(evaluate(), test_labels);
    char line[128];
    std::snprintf(line, sizeof line, "train loss %.4f  test accuracy %.4f", last_loss, acc);
    progress.finish(line);
    curves.add({static_cast<double>(epoch + 1), last_loss, acc});
    if (!args.save.empty()) save_checkpoint(args.save, model, *optimizer, epoch + 1);
  }

  std::vector<int64_t> predicted = evaluate();
  data::ConfusionMatrix cm(10);
  cm.add(predicted, test_labels);
  if (!args.quiet) std::cout << "\nconfusion matrix (rows: true class, columns: predicted)\n" << cm;
  std::printf("final train loss: %.6f\n", last_loss);
  std::printf("test accuracy: %.4f (%lld/%lld)\n", cm.accuracy(),
              static_cast<long long>(cm.accuracy() * static_cast<double>(test_labels.size()) + 0.5),
              static_cast<long long>(test_labels.size()));
  std::printf("wall time: %.1f s\n", seconds_since(start));
  report_curves(curves, args.plot);
  return 0;
}

}  // namespace xgrad::examples
