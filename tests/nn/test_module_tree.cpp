// The module tree: named_modules and the walks built on it, persistent and non-persistent
// buffers, ModuleList, ModuleDict, apply, clone, the automatic type_name, modules with several
// inputs and outputs, and summary over nested modules.
#include <filesystem>
#include <sstream>

#include "../helpers.hpp"

using namespace xgrad;
namespace fs = std::filesystem;

namespace {
// A normalising layer with a persistent buffer (saved) and a non-persistent one (a cache).
class Scaler : public nn::Module {
 public:
  explicit Scaler(int64_t n) : n_(n) {
    scale = register_parameter("scale", ones({n}));
    running = register_buffer("running", zeros({n}));
    cache = register_buffer("cache", full({n}, 7.0), /*persistent=*/false);
  }
  Tensor forward(const Tensor& x) override { return (x - running) * scale; }
  std::shared_ptr<Module> clone_empty() const override { return std::make_shared<Scaler>(n_); }
  Tensor scale, running, cache;

 private:
  int64_t n_;
};

class Tower : public nn::Module {
 public:
  Tower() {
    norm = register_module("norm", std::make_shared<Scaler>(3));
    blocks = register_module("blocks", std::make_shared<nn::ModuleList>());
    blocks->push_back(std::make_shared<nn::Linear>(3, 4));
    blocks->append(std::make_shared<nn::ReLU>());
    heads = register_module("heads", std::make_shared<nn::ModuleDict>());
    heads->insert("value", std::make_shared<nn::Linear>(4, 1));
    heads->insert("policy", std::make_shared<nn::Linear>(4, 2));
  }
  Tensor forward(const Tensor& x) override {
    Tensor h = (*norm)(x);
    for (const auto& block : *blocks) h = (*block)(h);
    return (*heads->at("policy"))(h) + (*(*heads)["value"])(h);
  }
  std::shared_ptr<Module> clone_empty() const override { return std::make_shared<Tower>(); }
  std::shared_ptr<Scaler> norm;
  std::shared_ptr<nn::ModuleList> blocks;
  std::shared_ptr<nn::ModuleDict> heads;
};

std::vector<std::string> names_of(const nn::NamedModules& modules) {
  std::vector<std::string> out;
  for (const auto& entry : modules) out.push_back(entry.first);
  return out;
}
std::vector<std::string> names_of(const StateDict& tensors) {
  std::vector<std::string> out;
  for (const auto& entry : tensors) out.push_back(entry.first);
  return out;
}
}  // namespace

TEST_CASE("named_modules walks the tree in pre-order with dotted names, the root as \"\"") {
  Tower tower;
  const nn::NamedModules modules = tower.named_modules();
  CHECK(names_of(modules) == std::vector<std::string>{"", "norm", "blocks", "blocks.0", "blocks.1",
                                                      "heads", "heads.value", "heads.policy"});
  CHECK(modules[0].second.get() == &tower);
  CHECK(modules[3].second->type_name() == "Linear");
  CHECK(tower.modules().size() == 8);
  CHECK(tower.children().size() == 3);
  CHECK(names_of(tower.named_parameters()) ==
        std::vector<std::string>{"norm.scale", "blocks.0.weight", "blocks.0.bias",
                                 "heads.value.weight", "heads.value.bias", "heads.policy.weight",
                                 "heads.policy.bias"});
  CHECK(names_of(tower.named_parameters(/*recurse=*/false)).empty());
  CHECK(names_of(tower.norm->named_parameters(false)) == std::vector<std::string>{"scale"});
  // The root of a module made by make_shared is shared with its owner.
  auto owned = std::make_shared<Tower>();
  CHECK(owned->named_modules()[0].second == owned);
}

TEST_CASE("a module registered twice is walked once; its parameters are listed once") {
  auto shared = std::make_shared<nn::Linear>(2, 2);
  nn::Sequential seq{shared, std::make_shared<nn::Tanh>(), shared};
  CHECK(names_of(seq.named_modules()) == std::vector<std::string>{"", "0", "1"});
  CHECK(names_of(seq.named_modules(/*remove_duplicate=*/false)) ==
        std::vector<std::string>{"", "0", "1", "2"});
  CHECK(seq.parameters().size() == 2);  // an optimizer steps the shared weight once
  CHECK(seq.num_parameters() == 6);
  // The state dict keeps every path, as PyTorch's.
  CHECK(names_of(seq.state_dict()) ==
        std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  seq.eval();
  CHECK_FALSE(shared->is_training());
}

TEST_CASE("non-persistent buffers are moved by to() but are not saved or loaded") {
  Tower tower;
  CHECK(names_of(tower.named_buffers()) == std::vector<std::string>{"norm.running", "norm.cache"});
  CHECK(tower.buffers().size() == 2);
  const StateDict sd = tower.state_dict();
  CHECK(names_of(sd) == std::vector<std::string>{"norm.scale", "norm.running", "blocks.0.weight",
                                                 "blocks.0.bias", "heads.value.weight",
                                                 "heads.value.bias", "heads.policy.weight",
                                                 "heads.policy.bias"});
  tower.to(float64);
  CHECK(tower.norm->cache.dtype() == float64);
  CHECK(tower.norm->running.dtype() == float64);
  CHECK(tower.norm->cache.to_vector() == std::vector<double>{7, 7, 7});
  tower.to(float32);

  // Save and load: the cache is not in the file, and a file with it is refused (strict).
  const std::string path = (fs::temp_directory_path() / "xgrad_test_tower.safetensors").string();
  {
    NoGradGuard guard;
    tower.norm->running.fill_(2.0);
    tower.norm->cache.fill_(5.0);
  }
  nn::save(tower, path);
  CHECK(load_safetensors(path).tensors.size() == 8);
  Tower other;
  nn::load(other, path);
  CHECK(other.norm->running.to_vector() == std::vector<double>{2, 2, 2});
  CHECK(other.norm->cache.to_vector() == std::vector<double>{7, 7, 7});  // untouched
  StateDict with_cache = tower.state_dict();
  with_cache.emplace_back("norm.cache", zeros({3}));
  CHECK_ERROR_MESSAGE(other.load_state_dict(with_cache), "load_state_dict: unexpected: norm.cache");
  fs::remove(path);
}

TEST_CASE("ModuleList indexes, iterates and names its modules \"0\", \"1\", ...") {
  nn::ModuleList list{std::make_shared<nn::Linear>(2, 3)};
  list.push_back(std::make_shared<nn::ReLU>()).append(std::make_shared<nn::Linear>(3, 1));
  CHECK(list.size() == 3);
  CHECK_FALSE(list.empty());
  CHECK(list[1]->type_name() == "ReLU");
  std::vector<std::string> types;
  for (const auto& m : list) types.push_back(m->type_name());
  CHECK(types == std::vector<std::string>{"Linear", "ReLU", "Linear"});
  CHECK(names_of(list.named_parameters()) ==
        std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  CHECK_ERROR_MESSAGE(list[3], "ModuleList: index 3 out of range for 3 modules");
  CHECK_ERROR_MESSAGE(list(zeros({1, 2})),
                      "ModuleList has no forward: call its modules from the forward of the module "
                      "that owns it");
  CHECK_ERROR_MESSAGE(list(std::vector<Tensor>{zeros({1, 2}), zeros({1, 2})}),
                      "ModuleList has no forward: call its modules from the forward of the module "
                      "that owns it");
  std::ostringstream os;
  os << list;
  CHECK(os.str() ==
        "ModuleList(\n  (0): Linear(in_features=2, out_features=3, bias=true)\n  (1): ReLU()\n"
        "  (2): Linear(in_features=3, out_features=1, bias=true)\n)");
}

TEST_CASE("ModuleDict keeps insertion order; its keys are the names; a missing key raises") {
  nn::ModuleDict dict{{"encoder", std::make_shared<nn::Linear>(4, 2)},
                      {"act", std::make_shared<nn::Tanh>()}};
  dict.insert("decoder", std::make_shared<nn::Linear>(2, 4, false));
  CHECK(dict.size() == 3);
  CHECK(dict.keys() == std::vector<std::string>{"encoder", "act", "decoder"});
  CHECK(dict.contains("act"));
  CHECK_FALSE(dict.contains("head"));
  CHECK(dict["act"]->type_name() == "Tanh");
  CHECK(dict.at("decoder").get() == dict.named_children()[2].second.get());
  std::vector<std::string> keys;
  for (const auto& [key, module] : dict) keys.push_back(key);
  CHECK(keys == dict.keys());
  CHECK(names_of(dict.named_parameters()) ==
        std::vector<std::string>{"encoder.weight", "encoder.bias", "decoder.weight"});
  CHECK_ERROR_MESSAGE(dict.at("head"),
                      "ModuleDict: no module with key 'head' (keys: encoder, act, decoder)");
  CHECK_ERROR_MESSAGE(dict["Encoder"],
                      "ModuleDict: no module with key 'Encoder' (keys: encoder, act, decoder)");
  CHECK_ERROR_MESSAGE(dict.insert("act", std::make_shared<nn::ReLU>()),
                      "ModuleDict: key 'act' is already in the dict");
  CHECK_ERROR_MESSAGE(dict.insert("a.b", std::make_shared<nn::ReLU>()),
                      "register_module: invalid name 'a.b' (must be non-empty and contain no '.')");
  CHECK_ERROR_MESSAGE(dict(zeros({1, 4})),
                      "ModuleDict has no forward: call its modules from the forward of the module "
                      "that owns it");
}

TEST_CASE("apply visits children first, then the module, and can initialise every Linear") {
  Tower tower;
  std::vector<std::string> order;
  tower.apply([&](nn::Module& m) { order.push_back(m.type_name()); });
  CHECK(order == std::vector<std::string>{"Scaler", "Linear", "ReLU", "ModuleList", "Linear",
                                          "Linear", "ModuleDict", "Tower"});
  tower.apply([](nn::Module& m) {
    if (auto* linear = dynamic_cast<nn::Linear*>(&m)) {
      NoGradGuard guard;
      linear->weight.fill_(0.5);
      linear->bias.fill_(0.0);
    }
  });
  CHECK(tower.heads->at("value")->parameters()[0].to_vector() ==
        std::vector<double>{0.5, 0.5, 0.5, 0.5});
}

namespace {
class MyNet : public nn::Module {
 public:
  Tensor forward(const Tensor& x) override { return x; }
};
struct NoClone : nn::Module {
  NoClone() { register_parameter("w", ones({1})); }
};
struct MyLinear : nn::Linear {
  MyLinear() : nn::Linear(2, 2) {}
};
template <class T>
struct Wrapper : nn::Module {};
}  // namespace

namespace mylib {
struct Block : xgrad::nn::Module {};
}  // namespace mylib

TEST_CASE("type_name is the class name without namespaces, with no override needed") {
  CHECK(MyNet().type_name() == "MyNet");
  CHECK(mylib::Block().type_name() == "Block");
  CHECK(nn::Linear(1, 1).type_name() == "Linear");
  CHECK(nn::Sequential().type_name() == "Sequential");
  CHECK(nn::Identity().type_name() == "Identity");
  CHECK(nn::Module().type_name() == "Module");
  CHECK(Wrapper<nn::Linear>().type_name() == "Wrapper<xgrad::nn::Linear>");
  std::ostringstream os;
  os << MyNet();
  CHECK(os.str() == "MyNet()");
}

namespace {
std::shared_ptr<nn::Sequential> mlp(Generator& gen) {
  return std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(3, 8, true, &gen), std::make_shared<nn::ReLU>(),
      std::make_shared<nn::Linear>(8, 2, true, &gen)});
}
}  // namespace

TEST_CASE("clone() deep-copies an MLP: fresh storage, the same values, members rebound") {
  Generator gen(0);
  auto online = mlp(gen);
  online->parameters()[3].requires_grad_(false);  // a frozen bias stays frozen
  online->eval();
  Tensor x = uniform({5, 3}, -1.0, 1.0, float32, &gen);
  (*online)(x).sum().backward();  // gradients are not copied
  manual_seed(42);
  const double next_random = randn({1}).item();
  manual_seed(42);
  std::shared_ptr<nn::Module> copy = online->clone();
  CHECK(randn({1}).item() == next_random);  // cloning draws nothing from the default generator

  auto target = std::dynamic_pointer_cast<nn::Sequential>(copy);
  REQUIRE(target);
  CHECK(target->size() == 3);
  CHECK(names_of(target->state_dict()) == names_of(online->state_dict()));
  CHECK_FALSE(target->is_training());
  CHECK_FALSE((*target)[1]->is_training());
  const std::vector<Tensor> a = online->parameters(), b = target->parameters();
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK_FALSE(a[i].is_same(b[i]));
    CHECK(a[i].to_vector() == b[i].to_vector());
    CHECK(a[i].requires_grad() == b[i].requires_grad());
    CHECK_FALSE(b[i].grad().defined());
  }
  CHECK_FALSE(b[3].requires_grad());
  // Linear's weight member is the clone's own parameter.
  auto first = std::dynamic_pointer_cast<nn::Linear>((*target)[0]);
  REQUIRE(first);
  CHECK(first->weight.is_same(b[0]));
  CHECK(first->bias.is_same(b[1]));
  CHECK((*target)(x).to_vector() == (*online)(x).to_vector());

  // Changing the original leaves the clone as it was.
  const std::vector<double> before = first->weight.to_vector();
  {
    NoGradGuard guard;
    std::dynamic_pointer_cast<nn::Linear>((*online)[0])->weight.mul_(2.0);
  }
  CHECK(first->weight.to_vector() == before);
  CHECK((*target)(x).to_vector() != (*online)(x).to_vector());

  // Gradients flow into each network's own parameters.
  online->zero_grad();
  (*target)(x).sum().backward();
  CHECK(b[0].grad().defined());
  CHECK_FALSE(a[0].grad().defined());
}

TEST_CASE("a target network: cloned once, updated by Polyak averaging, not by backward") {
  Generator gen(1);
  auto online = mlp(gen);
  std::shared_ptr<nn::Module> target = online->clone();
  for (Tensor& p : target->parameters()) p.requires_grad_(false);
  optim::SGD opt(online->parameters(), {.lr = 0.1});
  Tensor s = uniform({4, 3}, -1.0, 1.0, float32, &gen);
  Tensor next_s = uniform({4, 3}, -1.0, 1.0, float32, &gen);
  for (int step = 0; step < 3; ++step) {
    opt.zero_grad();
    Tensor td_target = (*target)(next_s).detach() * 0.9 + 1.0;
    Tensor loss = ((*online)(s)-td_target).pow(2.0).mean();
    loss.backward();
    opt.step();
    NoGradGuard guard;
    std::vector<Tensor> from = online->parameters(), to = target->parameters();
    for (std::size_t i = 0; i < to.size(); ++i) to[i].copy_(to[i] * 0.5 + from[i] * 0.5);
  }
  const std::vector<Tensor> from = online->parameters(), to = target->parameters();
  for (std::size_t i = 0; i < to.size(); ++i) {
    CHECK_FALSE(to[i].grad().defined());
    CHECK_FALSE(testing::allclose(to[i], from[i], 1e-9, 0.0));
  }
}

TEST_CASE("clone() copies nested user modules, containers, buffers and float64") {
  Tower tower;
  tower.to(float64);
  {
    NoGradGuard guard;
    tower.norm->running.fill_(3.0);
    tower.norm->cache.fill_(4.0);
  }
  auto copy = std::dynamic_pointer_cast<Tower>(tower.clone());
  REQUIRE(copy);
  CHECK(names_of(copy->named_modules()) == names_of(tower.named_modules()));
  CHECK(copy->norm->running.to_vector() == std::vector<double>{3, 3, 3});
  CHECK(copy->norm->cache.to_vector() == std::vector<double>{4, 4, 4});
  CHECK(copy->norm->cache.dtype() == float64);
  CHECK_FALSE(copy->norm->running.is_same(tower.norm->running));
  CHECK(copy->norm->scale.is_same(copy->norm->parameters()[0]));
  CHECK(copy->heads->keys() == std::vector<std::string>{"value", "policy"});
  Tensor x = testing::input({2, 3});
  CHECK((*copy)(x).to_vector() == tower(x).to_vector());
  CHECK(nn::Dropout(0.2).clone()->type_name() == "Dropout");
  CHECK(nn::Flatten(0).clone()->repr() == "Flatten()");
}

TEST_CASE("a module that cannot be cloned raises, naming its type") {
  CHECK_ERROR_MESSAGE(NoClone().clone(),
                      "clone: NoClone cannot be cloned: override clone_empty() to return a new "
                      "NoClone built with the same configuration");
  nn::Sequential seq{std::make_shared<nn::ReLU>(), std::make_shared<NoClone>()};
  CHECK_ERROR_MESSAGE(seq.clone(),
                      "clone: NoClone cannot be cloned: override clone_empty() to return a new "
                      "NoClone built with the same configuration");
  // A subclass of a clonable layer must say how it is built.
  CHECK_ERROR_MESSAGE(MyLinear().clone(),
                      "clone: MyLinear::clone_empty() returned a Linear (override clone_empty() "
                      "in MyLinear)");
}

namespace {
// Two inputs, two outputs: the product and the sum.
struct ProductAndSum : nn::Module {
  std::vector<Tensor> forward_many(const std::vector<Tensor>& in) override {
    if (in.size() != 2) throw Error("ProductAndSum: expects two inputs");
    return {in[0] * in[1], in[0] + in[1]};
  }
};
// One input, two outputs.
struct Split : nn::Module {
  std::vector<Tensor> forward_many(const std::vector<Tensor>& in) override {
    return {in.at(0) * 2.0, in.at(0) * 3.0};
  }
};
// A parent calling a two-tensor child and a one-tensor one.
struct Parent : nn::Module {
  Parent() {
    both = register_module("both", std::make_shared<ProductAndSum>());
    fc = register_module("fc", std::make_shared<nn::Linear>(2, 2));
  }
  Tensor forward(const Tensor& x) override {
    std::vector<Tensor> out = (*both)({x, (*fc)(x)});
    return out[0] + out[1];
  }
  std::shared_ptr<ProductAndSum> both;
  std::shared_ptr<nn::Linear> fc;
};
struct Nothing : nn::Module {};
}  // namespace

TEST_CASE("a module with two inputs and two outputs; backward through both outputs") {
  ProductAndSum m;
  Tensor a = tensor({1.0, 2.0, 3.0}, {float64, true});
  Tensor b = tensor({4.0, 5.0, 6.0}, {float64, true});
  std::vector<Tensor> out = m({a, b});
  REQUIRE(out.size() == 2);
  CHECK(out[0].to_vector() == std::vector<double>{4, 10, 18});
  CHECK(out[1].to_vector() == std::vector<double>{5, 7, 9});
  (out[0].sum() + out[1].sum() * 2.0).backward();
  CHECK(a.grad().to_vector() == std::vector<double>{6, 7, 8});  // b + 2
  CHECK(b.grad().to_vector() == std::vector<double>{3, 4, 5});  // a + 2
  Tensor x = testing::input({2, 3}, -1.0, 1.0, 1), y = testing::input({2, 3}, -1.0, 1.0, 2);
  CHECK(gradcheck(
      [&](const std::vector<Tensor>& v) {
        std::vector<Tensor> o = m({v[0], v[1]});
        return o[0] * 3.0 + o[1].pow(2.0);
      },
      {x, y}));
  Parent parent;
  parent.to(float64);
  CHECK(parent(x.narrow(1, 0, 2)).shape() == Shape{2, 2});
}

TEST_CASE("one-tensor and several-tensor calls bridge, and say so when they cannot") {
  nn::Linear lin(3, 2);
  Tensor x = ones({1, 3});
  std::vector<Tensor> one = lin(std::vector<Tensor>{x});
  REQUIRE(one.size() == 1);
  CHECK(one[0].to_vector() == lin(x).to_vector());
  CHECK_ERROR_MESSAGE(lin(std::vector<Tensor>{x, x}),
                      "Linear: forward_many got 2 inputs, but the module implements only "
                      "forward(Tensor)");
  Split split;
  CHECK(split(std::vector<Tensor>{x}).size() == 2);
  CHECK_ERROR_MESSAGE(split(x),
                      "Split: forward(Tensor) returns one tensor, but forward_many returned 2 "
                      "outputs; call the module with a list of tensors");
  // Sequential chains one-in-one-out modules.
  nn::Sequential seq{std::make_shared<nn::Identity>(), std::make_shared<Split>()};
  CHECK_ERROR_MESSAGE(seq(x),
                      "Split: forward(Tensor) returns one tensor, but forward_many returned 2 "
                      "outputs; call the module with a list of tensors");
  CHECK_ERROR_MESSAGE(Nothing()(x),
                      "Nothing: implements neither forward(Tensor) nor forward_many(inputs)");
  CHECK_ERROR_MESSAGE(Nothing()(std::vector<Tensor>{x, x}),
                      "Nothing: forward_many got 2 inputs, but the module implements only "
                      "forward(Tensor)");
  CHECK_ERROR_MESSAGE(Nothing()(std::vector<Tensor>{x}),
                      "Nothing: implements neither forward(Tensor) nor forward_many(inputs)");
}

TEST_CASE("forward-many hooks see every call; one-tensor hooks refuse several tensors") {
  ProductAndSum m;
  Tensor a = tensor({1.0, 2.0}), b = tensor({3.0, 4.0});
  int calls = 0;
  HookHandle h = m.register_forward_many_hook(
      [&](nn::Module& module, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
        ++calls;
        CHECK(module.type_name() == "ProductAndSum");
        CHECK(in.size() == 2);
        CHECK(out.size() == 2);
        return std::vector<Tensor>{out[1], out[0]};  // swap the outputs
      });
  std::vector<Tensor> out = m({a, b});
  CHECK(calls == 1);
  CHECK(out[0].to_vector() == std::vector<double>{4, 6});
  h.remove();
  // One-tensor calls run them too, with one-element lists.
  nn::Identity id;
  std::vector<std::size_t> sizes;
  id.register_forward_many_hook(
      [&](nn::Module&, const std::vector<Tensor>& in, const std::vector<Tensor>& o) {
        sizes = {in.size(), o.size()};
        return std::vector<Tensor>{o[0] + 1.0};
      });
  id.register_forward_hook([](nn::Module&, const Tensor&, const Tensor& o) { return o * 10.0; });
  CHECK(id(a).to_vector() == std::vector<double>{11, 21});  // forward hook, then forward-many
  CHECK(sizes == std::vector<std::size_t>{1, 1});
  CHECK(id(std::vector<Tensor>{a})[0].to_vector() == std::vector<double>{11, 21});
  id.register_forward_many_hook(
      [](nn::Module&, const std::vector<Tensor>&, const std::vector<Tensor>& o) {
        return std::vector<Tensor>{o[0], o[0]};
      });
  CHECK_ERROR_MESSAGE(
      id(a), "Identity: a forward-many hook returned 2 tensors for a call with one output");

  m.register_forward_pre_hook([](nn::Module&, const Tensor& in) { return in; });
  CHECK_ERROR_MESSAGE(m({a, b}),
                      "ProductAndSum: its forward pre-, forward and backward hooks take one "
                      "tensor, but the call has 2 inputs (use register_forward_many_hook)");
  Split split;
  split.register_forward_hook([](nn::Module&, const Tensor&, const Tensor& o) { return o; });
  CHECK_ERROR_MESSAGE(split(std::vector<Tensor>{a}),
                      "Split: its forward pre-, forward and backward hooks take one tensor, but "
                      "the call has 2 outputs (use register_forward_many_hook)");
}

TEST_CASE("summary lists nested modules with output shapes, parameter and buffer counts") {
  Tower tower;
  const std::string s = nn::summary(tower, {2, 3});
  INFO(s);
  std::istringstream lines(s);
  std::vector<std::string> rows;
  for (std::string line; std::getline(lines, line);) rows.push_back(line);
  REQUIRE(rows.size() == 17);
  CHECK(rows[1] ==
        "Layer (type)                        Output Shape               Param #    Buffer #");
  CHECK(rows[3] ==
        "Tower                               (2, 2)                          --          --");
  CHECK(rows[4] ==
        "  norm (Scaler)                     (2, 3)                           3           6");
  CHECK(rows[5] ==
        "  blocks (ModuleList)               --                              --          --");
  CHECK(rows[6] ==
        "    blocks.0 (Linear)               (2, 4)                          16           0");
  CHECK(rows[7] ==
        "    blocks.1 (ReLU)                 (2, 4)                           0           0");
  CHECK(rows[9] ==
        "    heads.value (Linear)            (2, 1)                           5           0");
  CHECK(rows[12] == "Total params: 34");
  CHECK(rows[15] == "Buffer elements: 6");
  // A module with two outputs shows both shapes.
  struct Root : nn::Module {
    Root() { split = register_module("split", std::make_shared<Split>()); }
    Tensor forward(const Tensor& x) override { return (*split)(std::vector<Tensor>{x})[1]; }
    std::shared_ptr<Split> split;
  } root;
  CHECK(nn::summary(root, {4}).find("  split (Split)                     (4,), (4,)") !=
        std::string::npos);
}

namespace readme {
// The README's module with containers, buffers, two outputs and clone_empty.
class Tower : public nn::Module {
 public:
  explicit Tower(int64_t depth) : depth_(depth) {
    blocks = register_module("blocks", std::make_shared<nn::ModuleList>());  // "blocks.0", ...
    for (int64_t i = 0; i < depth; ++i) blocks->push_back(std::make_shared<nn::Linear>(16, 16));
    heads = register_module("heads", std::make_shared<nn::ModuleDict>());  // "heads.policy"
    heads->insert("policy", std::make_shared<nn::Linear>(16, 4));
    heads->insert("value", std::make_shared<nn::Linear>(16, 1));
    // Saved with the state dict; a non-persistent buffer (a cache) is only moved by to().
    steps = register_buffer("steps", zeros({1}));
    mask = register_buffer("mask", ones({16}), /*persistent=*/false);
  }
  // Several outputs: override forward_many (the general forward); call it as tower({x}).
  std::vector<Tensor> forward_many(const std::vector<Tensor>& in) override {
    Tensor h = in.at(0) * mask;
    for (const auto& block : *blocks) h = relu((*block)(h));
    return {(*heads->at("policy"))(h), (*(*heads)["value"])(h)};  // a missing key raises
  }
  // What clone() builds before copying the values in.
  std::shared_ptr<Module> clone_empty() const override { return std::make_shared<Tower>(depth_); }
  std::shared_ptr<nn::ModuleList> blocks;
  std::shared_ptr<nn::ModuleDict> heads;
  Tensor steps, mask;

 private:
  int64_t depth_;
};
}  // namespace readme

TEST_CASE("the README's Tower: containers, buffers, two outputs, apply, clone, summary") {
  manual_seed(3);
  auto online = std::make_shared<readme::Tower>(2);
  std::vector<Tensor> out = (*online)(std::vector<Tensor>{randn({8, 16})});  // {policy, value}
  REQUIRE(out.size() == 2);
  CHECK(out[0].shape() == Shape{8, 4});
  CHECK(out[1].shape() == Shape{8, 1});
  online->apply([](nn::Module& m) {  // children first, then the module, as PyTorch
    if (auto* fc = dynamic_cast<nn::Linear*>(&m)) nn::init::zeros_(fc->bias);
  });
  CHECK(online->heads->at("value")->parameters()[1].to_vector() == std::vector<double>{0.0});
  std::shared_ptr<nn::Module> target = online->clone();  // a target network: its own storage
  CHECK(names_of(target->state_dict()) ==
        std::vector<std::string>{"steps", "blocks.0.weight", "blocks.0.bias", "blocks.1.weight",
                                 "blocks.1.bias", "heads.policy.weight", "heads.policy.bias",
                                 "heads.value.weight", "heads.value.bias"});
  Tensor x = randn({3, 16});
  CHECK((*target)(std::vector<Tensor>{x})[0].to_vector() ==
        (*online)(std::vector<Tensor>{x})[0].to_vector());
  const std::string s = nn::summary(*online, {8, 16});
  CHECK(s.find("Tower                               (8, 4), (8, 1)") != std::string::npos);
  CHECK(s.find("Buffer elements: 17") != std::string::npos);
}
