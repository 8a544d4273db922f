// More shape ops: flip (a kernel, its own backward), and compositions of the ops of ops_shape.cpp
// whose backward comes with them: roll (slices + concat), repeat and tile (expand + reshape),
// chunk and split (narrow views), tril and triu (where with a mask), outer and einsum (matmul).
#include <algorithm>
#include <cctype>

#include "autograd/node.hpp"
#include "autograd/ops.hpp"
#include "autograd/profiler.hpp"
#include "tensor/kernels.hpp"

namespace xgrad {

namespace {

// Out-of-place ops return a new tensor even when nothing moved (a composition may have given
// back x itself or a view of it).
Tensor fresh(const Tensor& out, const Tensor& x) { return out.is_alias_of(x) ? clone(out) : out; }

}  // namespace

Tensor flip(const Tensor& x, const std::vector<int64_t>& dims) {
  const detail::OpScope profile_scope("flip", x);
  std::vector<int64_t> d;
  for (int64_t dim : dims) {
    const int64_t n = kernels::normalize_dim("flip", dim, x.dim());
    if (std::find(d.begin(), d.end(), n) != d.end())
      throw Error("flip: dim " + std::to_string(dim) + " appears twice in dims " +
                  format_shape(dims));
    d.push_back(n);
  }
  if (x.dim() == 0) d.clear();  // nothing to reverse
  // Flipping twice is the identity: d x = flip(grad, dims).
  return record("flip", kernels::flip(x, d), x,
                [d](const BackwardArgs& g) { return TensorList{flip(g.grad, d)}; });
}

Tensor roll(const Tensor& x, const std::vector<int64_t>& shifts, const std::vector<int64_t>& dims) {
  const detail::OpScope profile_scope("roll", x);
  if (dims.empty()) {
    if (shifts.size() != 1)
      throw Error("roll: " + std::to_string(shifts.size()) +
                  " shifts given without dims; the flattened form takes one shift");
    return reshape(roll(flatten(x), shifts, {0}), x.shape());
  }
  if (shifts.size() != dims.size())
    throw Error("roll: " + std::to_string(shifts.size()) + " shifts for " +
                std::to_string(dims.size()) + " dims");
  Tensor out = x;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    const int64_t d = kernels::normalize_dim("roll", dims[i], x.dim());
    const int64_t n = x.dim() == 0 ? 1 : x.shape()[d];
    if (n == 0) continue;
    const int64_t s = (shifts[i] % n + n) % n;
    if (s == 0) continue;
    // out[j] = in[(j - s) mod n]: the last s elements move to the front.
    out = concat({slice(out, d, n - s, n), slice(out, d, 0, n - s)}, d);
  }
  return fresh(out, x);
}

namespace {

// repeat and tile: x (with leading dims of size 1 for the extra reps) gets a size-1 dim before
// each dim, is expanded along those to the reps and reshaped to merge each pair; the backward of
// expand sums the copies.
Tensor repeat_impl(const char* op, const Tensor& x, const std::vector<int64_t>& reps) {
  const std::size_t lead = reps.size() - static_cast<std::size_t>(x.dim());
  Shape single, expanded, result;
  for (std::size_t i = 0; i < reps.size(); ++i) {
    if (reps[i] < 0) throw Error(std::string(op) + ": negative repeat in " + format_shape(reps));
    const int64_t n = i < lead ? 1 : x.shape()[i - lead];
    int64_t total = 0;
    if (__builtin_mul_overflow(n, reps[i], &total))
      throw Error(std::string(op) + ": " + format_shape(reps) + " repeats of shape " +
                  format_shape(x.shape()) + " are too large");
    single.insert(single.end(), {1, n});
    expanded.insert(expanded.end(), {reps[i], n});
    result.push_back(total);
  }
  return fresh(reshape(expand(reshape(x, single), expanded), result), x);
}

}  // namespace

Tensor repeat(const Tensor& x, const std::vector<int64_t>& repeats) {
  const detail::OpScope profile_scope("repeat", x);
  if (static_cast<int64_t>(repeats.size()) < x.dim())
    throw Error("repeat: " + std::to_string(repeats.size()) + " repeats " + format_shape(repeats) +
                " for the " + std::to_string(x.dim()) + " dims of " + format_shape(x.shape()) +
                "; give at least one per dim");
  return repeat_impl("repeat", x, repeats);
}

Tensor tile(const Tensor& x, const std::vector<int64_t>& reps) {
  const detail::OpScope profile_scope("tile", x);
  std::vector<int64_t> full = reps;
  if (static_cast<int64_t>(full.size()) < x.dim())
    full.insert(full.begin(), static_cast<std::size_t>(x.dim()) - full.size(), 1);
  return repeat_impl("tile", x, full);
}

std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim) {
  const detail::OpScope profile_scope("split", x);
  if (x.dim() == 0) throw Error("split: expected at least a 1-D tensor, got shape ()");
  const int64_t d = kernels::normalize_dim("split", dim, x.dim());
  if (split_size < 0)
    throw Error("split: split_size must be non-negative, got " + std::to_string(split_size));
  const int64_t n = x.shape()[d];
  if (split_size == 0 && n != 0)
    throw Error("split: split_size 0 only splits an empty dim, got dim " + std::to_string(dim) +
                " of shape " + format_shape(x.shape()));
  // As PyTorch: at least one piece (an empty dim gives one empty piece).
  const int64_t pieces =
      split_size == 0 ? 1 : std::max<int64_t>(1, n / split_size + (n % split_size != 0));
  std::vector<Tensor> out;
  for (int64_t i = 0; i < pieces; ++i) {
    const int64_t start = i * split_size;
    out.push_back(narrow(x, d, start, std::min(split_size, n - start)));
  }
  return out;
}

std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sections, int64_t dim) {
  const detail::OpScope profile_scope("split", x);
  if (x.dim() == 0) throw Error("split: expected at least a 1-D tensor, got shape ()");
  const int64_t d = kernels::normalize_dim("split", dim, x.dim());
  int64_t total = 0;
  for (int64_t s : sections) {
    if (s < 0) throw Error("split: negative section in " + format_shape(sections));
    if (__builtin_add_overflow(total, s, &total)) total = -1;
  }
  if (total != x.shape()[d])
    throw Error("split: sections " + format_shape(sections) + " do not sum to " +
                std::to_string(x.shape()[d]) + ", the size of dim " + std::to_string(dim) +
                " of shape " + format_shape(x.shape()));
  std::vector<Tensor> out;
  int64_t start = 0;
  for (int64_t s : sections) {
    out.push_back(narrow(x, d, start, s));
    start += s;
  }
  return out;
}

std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim) {
  const detail::OpScope profile_scope("chunk", x);
  if (x.dim() == 0) throw Error("chunk: expected at least a 1-D tensor, got shape ()");
  if (chunks <= 0) throw Error("chunk: chunks must be positive, got " + std::to_string(chunks));
  const int64_t d = kernels::normalize_dim("chunk", dim, x.dim());
  const int64_t n = x.shape()[d];
  const int64_t size = n / chunks + (n % chunks != 0);
  // An empty dim still gives `chunks` (empty) pieces, as in PyTorch.
  if (n == 0) return split(x, std::vector<int64_t>(static_cast<std::size_t>(chunks), 0), d);
  return split(x, size, d);
}

namespace {

// x where j - i <= diagonal (lower) or >= diagonal (upper) over the last two dims, else 0. where's
// backward masks the gradient the same way: tril(grad) / triu(grad).
Tensor triangle(const char* op, const Tensor& x, int64_t diagonal, bool lower) {
  if (x.dim() < 2)
    throw Error(std::string(op) + ": expected at least 2 dims, got shape " +
                format_shape(x.shape()));
  const int64_t rows = x.shape()[x.dim() - 2], cols = x.shape()[x.dim() - 1];
  const Tensor i = reshape(arange(static_cast<double>(rows), Dtype::int64), {rows, 1});
  const Tensor j = arange(static_cast<double>(cols), Dtype::int64);
  const Tensor offset = kernels::sub(j, i);  // (rows, cols): j - i
  const Tensor keep = lower ? kernels::le(offset, diagonal) : kernels::ge(offset, diagonal);
  return where(keep, x, zeros({}, x.dtype()));
}

}  // namespace

Tensor tril(const Tensor& x, int64_t diagonal) {
  const detail::OpScope profile_scope("tril", x);
  return triangle("tril", x, diagonal, true);
}
Tensor triu(const Tensor& x, int64_t diagonal) {
  const detail::OpScope profile_scope("triu", x);
  return triangle("triu", x, diagonal, false);
}

Tensor outer(const Tensor& a, const Tensor& b) {
  const detail::OpScope profile_scope("outer", a, b);
  if (a.dim() != 1 || b.dim() != 1)
    throw Error("outer: expected two 1-D tensors, got " + format_shape(a.shape()) + " and " +
                format_shape(b.shape()));
  return mul(unsqueeze(a, 1), unsqueeze(b, 0));
}

namespace {

// One einsum operand: the tensor and the letter naming each of its dims.
struct Term {
  Tensor t;
  std::string letters;
};

bool has(const std::string& s, char c) { return s.find(c) != std::string::npos; }

// The dims of `term` in the order of the letters of `order`.
std::vector<int64_t> dims_of(const Term& term, const std::string& order) {
  std::vector<int64_t> dims;
  for (char c : order) dims.push_back(static_cast<int64_t>(term.letters.find(c)));
  return dims;
}

int64_t size_of(const Term& term, const std::string& letters) {
  int64_t n = 1;
  for (char c : letters) n *= term.t.shape()[term.letters.find(c)];
  return n;
}

// A letter repeated within one operand takes the diagonal ("ii->i"); diagonal() moves it last.
void take_diagonals(Term& term) {
  for (std::size_t p = 0; p < term.letters.size(); ++p) {
    const std::size_t q = term.letters.find(term.letters[p], p + 1);
    if (q == std::string::npos) continue;
    const char c = term.letters[p];
    term.t = diagonal(term.t, 0, static_cast<int64_t>(p), static_cast<int64_t>(q));
    term.letters.erase(q, 1);
    term.letters.erase(p, 1);
    term.letters.push_back(c);
    p = static_cast<std::size_t>(-1);  // start over: the letters moved
  }
}

// Sums away the dims whose letters are not in `keep`.
void sum_others(Term& term, const std::string& keep) {
  std::vector<int64_t> dims;
  std::string rest;
  for (std::size_t i = 0; i < term.letters.size(); ++i) {
    if (has(keep, term.letters[i]))
      rest.push_back(term.letters[i]);
    else
      dims.push_back(static_cast<int64_t>(i));
  }
  if (dims.empty()) return;
  term.t = sum(term.t, dims);
  term.letters = rest;
}

}  // namespace

Tensor einsum(const std::string& equation, const std::vector<Tensor>& operands) {
  const detail::OpScope profile_scope("einsum", operands);
  auto fail = [&](const std::string& why) {
    throw Error("einsum: " + why + " in \"" + equation + "\"");
  };
  std::string eq;
  for (char c : equation)
    if (c != ' ') eq.push_back(c);
  if (has(eq, '.')) fail("'...' (ellipsis) is not supported");
  if (operands.empty() || operands.size() > 2)
    throw Error("einsum: only one or two operands are supported, got " +
                std::to_string(operands.size()));
  const std::size_t arrow = eq.find("->");
  std::vector<std::string> subs(1);
  for (char c : eq.substr(0, arrow)) {
    if (c == ',')
      subs.emplace_back();
    else
      subs.back().push_back(c);
  }
  if (subs.size() != operands.size())
    fail("the equation names " + std::to_string(subs.size()) + " operands, got " +
         std::to_string(operands.size()));
  std::string out;
  if (arrow != std::string::npos) {
    out = eq.substr(arrow + 2);
  } else {
    // Implicit output: the letters used exactly once, in alphabetical order (as numpy).
    std::string all = subs[0] + (subs.size() > 1 ? subs[1] : "");
    for (char c : all)
      if (std::count(all.begin(), all.end(), c) == 1) out.push_back(c);
    std::sort(out.begin(), out.end());
  }
  for (const std::string& s : subs)
    for (char c : s + out)
      if (!std::isalpha(static_cast<unsigned char>(c)))
        fail("invalid subscript '" + std::string(1, c) + "'");
  std::string inputs;
  for (std::size_t k = 0; k < subs.size(); ++k) {
    const Tensor& t = operands[k];
    if (static_cast<int64_t>(subs[k].size()) != t.dim())
      fail("operand " + std::to_string(k) + " of shape " + format_shape(t.shape()) + " has " +
           std::to_string(t.dim()) + " dims, but \"" + subs[k] + "\" names " +
           std::to_string(subs[k].size()));
    for (std::size_t i = 0; i < subs[k].size(); ++i) {
      const char c = subs[k][i];
      const std::size_t seen = inputs.find(c);
      if (seen == std::string::npos) {
        inputs.push_back(c);
        continue;
      }
      // Where c was first seen: in this operand or in operand 0.
      const std::size_t first = subs[k].find(c);
      const int64_t size = first < i ? t.shape()[first] : operands[0].shape()[subs[0].find(c)];
      if (size != t.shape()[i])
        fail("subscript '" + std::string(1, c) + "' has sizes " + std::to_string(size) + " and " +
             std::to_string(t.shape()[i]));
    }
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (!has(inputs, out[i]))
      fail("output subscript '" + std::string(1, out[i]) + "' does not appear in the inputs");
    if (out.find(out[i], i + 1) != std::string::npos)
      fail("output subscript '" + std::string(1, out[i]) + "' appears twice");
  }

  std::vector<Term> terms;
  for (std::size_t k = 0; k < operands.size(); ++k) {
    terms.push_back(Term{operands[k], subs[k]});
    take_diagonals(terms.back());
  }
  // A letter that only one operand has and the output lacks is summed right away.
  for (std::size_t k = 0; k < terms.size(); ++k)
    sum_others(terms[k], out + (terms.size() > 1 ? terms[1 - k].letters : ""));
  if (terms.size() == 1) return permute(terms[0].t, dims_of(terms[0], out));

  // Two operands: batch letters (in both and the output), contracted ones (in both, not in the
  // output), and each side's own. Then a = (batch, own_a, contracted), b = (batch, contracted,
  // own_b), one batched matmul, and the result permuted to the output's order.
  const Term &a = terms[0], &b = terms[1];
  std::string batch, contracted, own_a, own_b;
  for (char c : a.letters) {
    if (!has(b.letters, c))
      own_a.push_back(c);
    else if (has(out, c))
      batch.push_back(c);
    else
      contracted.push_back(c);
  }
  for (char c : b.letters)
    if (!has(a.letters, c)) own_b.push_back(c);
  const Dtype dtype = promote_types(a.t.dtype(), b.t.dtype());
  const int64_t nb = size_of(a, batch), nk = size_of(a, contracted);
  const int64_t nm = size_of(a, own_a), nn = size_of(b, own_b);
  Tensor lhs =
      reshape(permute(cast(a.t, dtype), dims_of(a, batch + own_a + contracted)), {nb, nm, nk});
  Tensor rhs =
      reshape(permute(cast(b.t, dtype), dims_of(b, batch + contracted + own_b)), {nb, nk, nn});
  Tensor product;
  if (is_floating_point(dtype))
    product = matmul(lhs, rhs);
  else  // BLAS has no integer GEMM: the same contraction as a broadcast product and a sum
    product = cast(sum(mul(unsqueeze(lhs, 3), unsqueeze(rhs, 1)), {2}), dtype);
  Term result{Tensor(), batch + own_a + own_b};
  Shape shape;
  for (char c : batch + own_a) shape.push_back(a.t.shape()[a.letters.find(c)]);
  for (char c : own_b) shape.push_back(b.t.shape()[b.letters.find(c)]);
  result.t = reshape(product, shape);
  return permute(result.t, dims_of(result, out));
}

}  // namespace xgrad
