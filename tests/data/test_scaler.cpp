// data/scaler.cpp: fitting, inverse, save and load, and refused files.
#include "../helpers.hpp"
#include "temp_files.hpp"

using namespace xgrad;
using namespace xgrad::data;
using namespace xgrad::testing::files;

TEST_CASE("scalers: fit on training data, zero variance, inverse, save and load") {
  Tensor x = tensor({{1.0, 5.0, 2.0}, {3.0, 5.0, 4.0}}, float64);
  StandardScaler s;
  Tensor z = s.fit_transform(x);
  CHECK(z.to_vector() == std::vector<double>{-1, 0, -1, 1, 0, 1});
  CHECK(testing::allclose(s.inverse_transform(z), x));
  std::string p = tmp("scaler.safetensors");
  s.save(p);
  StandardScaler s2;
  s2.load(p);
  CHECK(s2.transform(tensor({{2.0, 6.0, 3.0}}, float64)).to_vector() ==
        std::vector<double>{0, 1, 0});
  MinMaxScaler mm(-1, 1);
  Tensor y = mm.fit_transform(x);
  CHECK(y.to_vector() == std::vector<double>{-1, -1, -1, 1, -1, 1});
  CHECK(testing::allclose(mm.inverse_transform(y), x));
  mm.save(p);
  MinMaxScaler mm2;
  mm2.load(p);
  CHECK(mm2.transform(x).to_vector() == y.to_vector());
  CHECK_ERROR_MESSAGE(StandardScaler().transform(x), "StandardScaler: transform before fit");
  CHECK_ERROR_MESSAGE(s.transform(ones({2, 2}, float64)),
                      "StandardScaler: expected (rows, 3) data, got (2, 2)");
}

TEST_CASE("scaler files are checked before anything is replaced") {
  StandardScaler good;
  good.fit(tensor({{1.0, 2.0}, {3.0, 6.0}}, float64));
  const Tensor probe = tensor({{2.0, 4.0}}, float64);
  const std::vector<double> before = good.transform(probe).to_vector();
  auto write = [&](const std::string& name, StateDict stats) {
    std::string p = tmp(name);
    save_safetensors(p, stats);
    return p;
  };
  // (Messages start with the file's path.)
  auto refused = [](auto load, const std::string& path, const std::string& message) {
    const std::string expected = path + ": " + message;
    CHECK_ERROR_MESSAGE(load(path), expected.c_str());
  };
  auto load_standard = [&](const std::string& path) { good.load(path); };
  refused(
      load_standard,
      write("short.safetensors", {{"mean", zeros({3}, float64)}, {"scale", ones({2}, float64)}}),
      "StandardScaler scale has 2 entries, mean has 3");
  refused(
      load_standard,
      write("zero.safetensors", {{"mean", zeros({2}, float64)}, {"scale", zeros({2}, float64)}}),
      "StandardScaler scale holds 0.000000 (must be finite and positive)");
  refused(load_standard,
          write("nan.safetensors",
                {{"mean", full({2}, std::nan(""), float64)}, {"scale", ones({2}, float64)}}),
          "StandardScaler mean holds nan (must be finite)");
  refused(load_standard,
          write("matrix.safetensors",
                {{"mean", zeros({2, 2}, float64)}, {"scale", ones({2, 2}, float64)}}),
          "StandardScaler mean must be a 1-D floating-point vector, got (2, 2) float64");
  CHECK(good.transform(probe).to_vector() == before);  // every refused load left it as it was
  MinMaxScaler mm;
  refused([&](const std::string& path) { mm.load(path); },
          write("range.safetensors", {{"min", zeros({2}, float64)},
                                      {"range", ones({2}, float64)},
                                      {"feature_range", tensor({1.0, -1.0}, float64)}}),
          "MinMaxScaler feature_range must be two numbers low < high");
}
