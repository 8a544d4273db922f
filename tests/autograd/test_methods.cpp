// The Tensor method forms and compound-assignment operators: each gives what its free function
// gives, chains read like PyTorch, and every free op PyTorch also has as a method has one here.
#include <fstream>
#include <regex>
#include <set>

#include "../helpers.hpp"

using namespace xgrad;

namespace {
bool same(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() && a.to_vector() == b.to_vector();
}
std::string read_source(const std::string& relative) {
  std::ifstream in(std::string(XGRAD_SOURCE_DIR) + "/" + relative);
  REQUIRE_MESSAGE(in.good(), "cannot read " << relative);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}
}  // namespace

TEST_CASE("method forms give what the free functions give") {
  Tensor x = randn({3, 4}, float64), y = randn({3, 4}, float64) + 3.0;
  CHECK(same(x.exp(), exp(x)));
  CHECK(same(y.log(), log(y)));
  CHECK(same(y.sqrt(), sqrt(y)));
  CHECK(same(x.abs(), abs(x)));
  CHECK(same(x.relu(), relu(x)));
  CHECK(same(x.sigmoid(), sigmoid(x)));
  CHECK(same(x.tanh(), tanh(x)));
  CHECK(same(x.pow(3), pow(x, 3)));
  CHECK(same(y.pow(x), pow(y, x)));
  CHECK(same(x.matmul(y.t()), matmul(x, y.t())));
  CHECK(same(x.sum({1}, true), sum(x, {1}, true)));
  CHECK(same(x.mean({0}), mean(x, {0})));
  CHECK(same(x.max(1), max(x, 1)));
  CHECK(same(x.argmax(1), argmax(x, 1)));
  CHECK(same(x.clamp(-0.5, 0.5), clamp(x, -0.5, 0.5)));
  CHECK(same(x.permute({1, 0}), permute(x, {1, 0})));
  CHECK(same(x.transpose(0, 1), x.t()));
  CHECK(same(x.unsqueeze(1), unsqueeze(x, 1)));
  CHECK(same(x.unsqueeze(0).squeeze(0), x));
  CHECK(same(x.flatten(), flatten(x)));
  CHECK(same(x.view({4, 3}), view(x, {4, 3})));
  CHECK(same(x.add(y, 2), x + y * 2));
  CHECK(same(x.sub(y), x - y));
  CHECK(same(x.softmax(1), softmax(x, 1)));
  CHECK(same(x.gt(0.0), gt(x, 0.0)));
  CHECK(same(x.where(x.gt(0.0), y), where(gt(x, 0.0), x, y)));
  CHECK(same(x.cumsum(1), cumsum(x, 1)));
  CHECK(same(x.sort(1).values, sort(x, 1).values));
  CHECK(same(x.topk(2).indices, topk(x, 2).indices));
  CHECK(x.chunk(2, 1).size() == 2);
  CHECK(same(x.tril(), tril(x)));
  CHECK(same(x.index_select(0, tensor({2, 0}, int64)), index_select(x, 0, tensor({2, 0}, int64))));
  // Casts: float, double, int and bool are C++ keywords.
  CHECK(x.to_float().dtype() == float32);
  CHECK(x.to_float().to_double().dtype() == float64);
  CHECK(same(tensor({1.7, -2.2}).to_long(), tensor({1, -2}, int64)));
  CHECK(tensor({1.7, 0.0}).to_int().dtype() == int32);
  CHECK(same(tensor({1.7, 0.0}).to_bool(), tensor({1, 0}, int64).to(bool_)));
}

TEST_CASE("method chains are differentiable like the free functions") {
  Tensor x = randn({3, 4}, {float64, true});
  CHECK(gradcheck([](const std::vector<Tensor>& v) { return v[0].exp().sum({1}, true).sqrt(); },
                  {x}));
  CHECK(gradgradcheck(
      [](const std::vector<Tensor>& v) { return v[0].tanh().matmul(v[0].t()).mean({0}); }, {x}));
}

TEST_CASE("compound assignment runs the recorded in-place ops") {
  Tensor a = ones({2}, float64);
  const uint64_t v0 = a.version();
  a += 2.0;
  a *= tensor({2.0, 3.0}, float64);
  a -= 1;
  a /= 2.0;
  CHECK(a.to_vector() == std::vector<double>{2.5, 4.0});
  CHECK(a.version() == v0 + 4);
  Tensor w = tensor({2.0}, {float64, true});
  Tensor h = w * 1.0;
  h += w;  // recorded: the gradient flows through the write
  (h * h).sum().backward();
  CHECK(w.grad().item() == doctest::Approx(16.0));  // d(2w)^2/dw = 8w
  CHECK_THROWS_WITH_AS(
      w += 1.0, doctest::Contains("in-place update of a leaf tensor that requires grad"), Error);
}

TEST_CASE("every free op that PyTorch has as a Tensor method has a method form") {
  // torch.Tensor's method names among ours (stddev is torch's std).
  const std::set<std::string> torch_methods = {"abs",
                                               "add",
                                               "all",
                                               "amax",
                                               "amin",
                                               "any",
                                               "argmax",
                                               "argmin",
                                               "argsort",
                                               "as_strided",
                                               "broadcast_to",
                                               "chunk",
                                               "clamp",
                                               "clamp_max",
                                               "clamp_min",
                                               "clone",
                                               "cos",
                                               "cumprod",
                                               "cumsum",
                                               "diagonal",
                                               "div",
                                               "eq",
                                               "erf",
                                               "exp",
                                               "expand",
                                               "flatten",
                                               "flip",
                                               "gather",
                                               "ge",
                                               "gt",
                                               "index_add",
                                               "index_fill",
                                               "index_select",
                                               "isfinite",
                                               "isnan",
                                               "le",
                                               "log",
                                               "log1p",
                                               "log_softmax",
                                               "logical_and",
                                               "logical_not",
                                               "logical_or",
                                               "logical_xor",
                                               "logsumexp",
                                               "lt",
                                               "masked_fill",
                                               "masked_select",
                                               "matmul",
                                               "max",
                                               "maximum",
                                               "mean",
                                               "min",
                                               "minimum",
                                               "mul",
                                               "narrow",
                                               "ne",
                                               "neg",
                                               "nonzero",
                                               "norm",
                                               "outer",
                                               "permute",
                                               "pow",
                                               "prod",
                                               "reciprocal",
                                               "relu",
                                               "repeat",
                                               "reshape",
                                               "roll",
                                               "scatter",
                                               "scatter_add",
                                               "select",
                                               "sigmoid",
                                               "sign",
                                               "sin",
                                               "slice",
                                               "softmax",
                                               "sort",
                                               "split",
                                               "sqrt",
                                               "square",
                                               "squeeze",
                                               "stddev",
                                               "sub",
                                               "sum",
                                               "t",
                                               "tanh",
                                               "tile",
                                               "topk",
                                               "transpose",
                                               "tril",
                                               "triu",
                                               "unfold",
                                               "unsqueeze",
                                               "var",
                                               "view",
                                               "where"};
  const std::string ops = read_source("autograd/ops.hpp"),
                    tensor_hpp = read_source("tensor/tensor.hpp");
  std::set<std::string> free_ops, methods;
  // Declarations at the start of a line in ops.hpp; indented member declarations in the class.
  const std::regex free_decl(R"((?:^|\n)(?:Tensor|SortResult|std::vector<Tensor>) (\w+)\()");
  const std::regex member_decl(R"(\n\s+(?:Tensor|SortResult|std::vector<Tensor>|Tensor&) (\w+)\()");
  for (std::sregex_iterator it(ops.begin(), ops.end(), free_decl), end; it != end; ++it)
    free_ops.insert((*it)[1]);
  const std::size_t cls = tensor_hpp.find("class Tensor {");
  REQUIRE(cls != std::string::npos);
  const std::string body = tensor_hpp.substr(cls, tensor_hpp.find("\n};", cls) - cls);
  for (std::sregex_iterator it(body.begin(), body.end(), member_decl), end; it != end; ++it)
    methods.insert((*it)[1]);
  CHECK(free_ops.size() > 80);
  int covered = 0;
  for (const std::string& op : free_ops) {
    if (!torch_methods.count(op)) continue;
    INFO(op);
    CHECK(methods.count(op) == 1);
    ++covered;
  }
  CHECK(covered > 80);
}
