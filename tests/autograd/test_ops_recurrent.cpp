// The recurrence op: its fused first-order backward against the gradients of the composed steps
// (which a create_graph backward differentiates), for every cell, direction and with lengths;
// gradcheck and gradgradcheck of the op itself; its errors.
#include "../helpers.hpp"

using namespace xgrad;
using xgrad::testing::allclose;
using xgrad::testing::input;

namespace {

struct Case {
  RecurrentCell cell;
  int64_t gates;
};

const Case kCases[] = {{RecurrentCell::rnn_tanh, 1},
                       {RecurrentCell::rnn_relu, 1},
                       {RecurrentCell::lstm, 4},
                       {RecurrentCell::gru, 3}};

}  // namespace

TEST_CASE("recurrence: the fused backward equals the composed steps' gradients") {
  const int64_t L = 5, N = 3, H = 4;
  for (const Case& k : kCases)
    for (bool reverse : {false, true})
      for (bool with_lengths : {false, true}) {
        CAPTURE(static_cast<int>(k.cell));
        CAPTURE(reverse);
        CAPTURE(with_lengths);
        Tensor gx = input({L, N, k.gates * H}, -1, 1, 1), h0 = input({N, H}, -1, 1, 2),
               c0 = input({N, H}, -1, 1, 3), w = input({k.gates * H, H}, -0.5, 0.5, 4),
               b = input({k.gates * H}, -0.5, 0.5, 5), up = input({L, N, H}, -1, 1, 6).detach();
        const bool lstm = k.cell == RecurrentCell::lstm;
        const std::vector<int64_t> lengths =
            with_lengths ? std::vector<int64_t>{2, 5, 1} : std::vector<int64_t>{};
        std::vector<Tensor> inputs{gx, h0, w, b};
        if (lstm) inputs.push_back(c0);
        auto loss = [&] {
          RecurrenceOutput o =
              recurrence(k.cell, gx, {h0, lstm ? c0 : Tensor()}, w, b, lengths, reverse);
          Tensor s = add(sum(mul(o.output, up)), sum(mul(o.h_n, o.h_n)));
          return lstm ? add(s, sum(o.c_n)) : s;
        };
        // First order: the fused loop. create_graph: the recomputed composed steps.
        std::vector<Tensor> fused = grad({loss()}, inputs);
        std::vector<Tensor> composed = grad({loss()}, inputs, {}, false, true);
        for (std::size_t i = 0; i < inputs.size(); ++i) {
          CAPTURE(i);
          CHECK(allclose(fused[i], composed[i].detach(), 1e-14, 1e-12));
        }
      }
}

TEST_CASE("recurrence: gradcheck and gradgradcheck with lengths, both directions") {
  for (const Case& k : kCases) {
    CAPTURE(static_cast<int>(k.cell));
    const int64_t H = 2;
    Tensor gx = input({3, 2, k.gates * H}, -1, 1, 7), h0 = input({2, H}, -1, 1, 8),
           c0 = input({2, H}, -1, 1, 9), w = input({k.gates * H, H}, -1, 1, 10),
           b = input({k.gates * H}, -1, 1, 11);
    const bool lstm = k.cell == RecurrentCell::lstm;
    for (bool reverse : {false, true}) {
      auto f = [&](const std::vector<Tensor>& v) {
        RecurrenceOutput o =
            recurrence(k.cell, v[0], {v[1], lstm ? v[4] : Tensor()}, v[2], v[3], {3, 2}, reverse);
        Tensor s = add(sum(mul(o.output, o.output)), sum(o.h_n));
        return lstm ? add(s, sum(o.c_n)) : s;
      };
      std::vector<Tensor> in{gx, h0, w, b};
      if (lstm) in.push_back(c0);
      CHECK(gradcheck(f, in));
      CHECK(gradgradcheck(f, in));
    }
  }
}

TEST_CASE("recurrence: errors") {
  CHECK_ERROR_MESSAGE(recurrence(RecurrentCell::lstm, zeros({3, 2, 8}),
                                 {zeros({2, 2}), zeros({2, 2})}, zeros({6, 2})),
                      "recurrence: expected gates_x (L, N, 4·H) and w_hh (4·H, H), got (3, 2, 8) "
                      "and (6, 2)");
  CHECK_ERROR_MESSAGE(
      recurrence(RecurrentCell::lstm, zeros({3, 2, 8}), {zeros({2, 2})}, zeros({8, 2})),
      "recurrence: expected initial states of shape (2, 2)");
  CHECK_ERROR_MESSAGE(recurrence(RecurrentCell::gru, zeros({3, 2, 6}), {zeros({2, 2})},
                                 zeros({6, 2}), Tensor(), {1, 2, 3}),
                      "recurrence: expected 2 lengths, got 3");
  CHECK_ERROR_MESSAGE(recurrence(RecurrentCell::gru, zeros({3, 2, 6}), {zeros({2, 2})},
                                 zeros({6, 2}), Tensor(), {1, 4}),
                      "recurrence: lengths[1] = 4 is outside [1, 3]");
}
