// data/encoding.cpp: one_hot, argmax_rows and LabelEncoder.
#include "../helpers.hpp"

using namespace xgrad;
using namespace xgrad::data;

TEST_CASE("one_hot, argmax_rows and LabelEncoder") {
  CHECK(one_hot(tensor({2.0, 0.0}), 3).to_vector() == std::vector<double>{0, 0, 1, 1, 0, 0});
  CHECK_ERROR_MESSAGE(one_hot(tensor({3.0}), 3), "one_hot: label 3 out of range for 3 classes");
  CHECK(argmax_rows(tensor({{0.1, 0.9}, {2.0, -1.0}})) == std::vector<int64_t>{1, 0});
  LabelEncoder enc;
  enc.fit({"cat", "dog", "cat", "ant"});
  CHECK(enc.classes() == std::vector<std::string>{"ant", "cat", "dog"});
  CHECK(enc.transform({"dog", "ant"}) == std::vector<int64_t>{2, 0});
  CHECK(enc.inverse_transform({1}) == std::vector<std::string>{"cat"});
  CHECK_ERROR_MESSAGE(enc.transform({"eel"}), "LabelEncoder: unknown label \"eel\"");
}
