// data/: DataLoader, splits, CSV / IDX / whitespace readers (real files when ../shared/data is
// there, generated malformed files always), scalers, encodings, metrics.
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>
#include <tuple>

#include "../helpers.hpp"
#include "../sha256.hpp"

using namespace xgrad;
using namespace xgrad::data;
namespace fs = std::filesystem;

namespace {
std::string tmp(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / "xgrad_data_test";
  fs::create_directories(dir);
  return (dir / name).string();
}
std::string write(const std::string& name, const std::string& text) {
  std::string p = tmp(name);
  std::ofstream(p, std::ios::binary) << text;
  return p;
}
std::string gzip(const std::string& name, const std::string& bytes) {
  std::string p = tmp(name);
  gzFile f = gzopen(p.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
  return p;
}
std::string be32(uint32_t v) {
  return {char(v >> 24), char((v >> 16) & 0xff), char((v >> 8) & 0xff), char(v & 0xff)};
}
}  // namespace

TEST_CASE("DataLoader: every index once per epoch, reproducible order, edge batch shapes") {
  Tensor x = arange(10).reshape({10, 1}), y = arange(10) * 2.0;
  auto ds = std::make_shared<TensorDataset>(x, y);
  DataLoader loader(ds, {.batch_size = 4, .shuffle = true, .seed = 7});
  CHECK(loader.num_batches() == 3);
  std::vector<std::vector<double>> epochs;
  for (int e = 0; e < 2; ++e) {
    std::vector<double> seen;
    std::vector<int64_t> sizes;
    for (const Batch& b : loader) {
      sizes.push_back(b.inputs.shape()[0]);
      CHECK(b.inputs.shape().size() == 2);
      auto xs = b.inputs.to_vector(), ys = b.targets.to_vector();
      for (std::size_t i = 0; i < xs.size(); ++i) CHECK(ys[i] == 2 * xs[i]);
      seen.insert(seen.end(), xs.begin(), xs.end());
    }
    CHECK(sizes == std::vector<int64_t>{4, 4, 2});
    std::vector<double> sorted = seen;
    std::sort(sorted.begin(), sorted.end());
    CHECK(sorted == arange(10).to_vector());
    epochs.push_back(seen);
  }
  CHECK(epochs[0] != epochs[1]);  // a new order every epoch
  DataLoader again(ds, {.batch_size = 4, .shuffle = true, .seed = 7});
  std::vector<double> first;
  for (const Batch& b : again)
    for (double v : b.inputs.to_vector()) first.push_back(v);
  CHECK(first == epochs[0]);
  DataLoader dropped(ds, {.batch_size = 4, .drop_last = true});
  CHECK(dropped.num_batches() == 2);
  int count = 0;
  for (const Batch& b : dropped) count += b.inputs.shape()[0] == 4;
  CHECK(count == 2);
  // Subsets and generic datasets batch too.
  auto sub = std::make_shared<Subset>(ds, std::vector<int64_t>{9, 3});
  DataLoader sl(sub, {.batch_size = 8});
  CHECK((*sl.begin()).inputs.to_vector() == std::vector<double>{9, 3});
  CHECK(ds->get(4).target.item() == 8);
  CHECK_ERROR_MESSAGE(DataLoader(ds, {.batch_size = 0}),
                      "DataLoader: batch_size must be positive, got 0");
}

TEST_CASE("DataLoader with prefetch: the same batches, errors rethrown, early breaks safe") {
  auto ds = std::make_shared<TensorDataset>(arange(103).reshape({103, 1}), arange(103));
  DataLoader plain(ds, {.batch_size = 10, .shuffle = true, .seed = 3});
  DataLoader ahead(ds, {.batch_size = 10, .shuffle = true, .seed = 3, .prefetch = true});
  auto epoch = [](DataLoader& l, int64_t stop_after) {
    std::vector<double> xs;
    int64_t n = 0;
    for (const Batch& b : l) {
      if (n++ == stop_after) break;  // leaves a batch in flight on the worker
      for (double v : b.inputs.to_vector()) xs.push_back(v);
    }
    return xs;
  };
  for (int e = 0; e < 3; ++e) CHECK(epoch(ahead, e == 1 ? 4 : -1) == epoch(plain, e == 1 ? 4 : -1));
  // Random access still works and is not confused by the prefetched batch.
  CHECK(ahead.batch(10).inputs.shape() == Shape{3, 1});
  // Skipping batches 0 and 1 unread: batch 2 is assembled on the spot, then prefetching resumes.
  auto skip = ahead.begin();
  ++skip;
  ++skip;
  CHECK((*skip).inputs.to_vector() == ahead.batch(2).inputs.to_vector());
  ++skip;
  CHECK((*skip).inputs.to_vector() == ahead.batch(3).inputs.to_vector());

  struct Failing : Dataset {
    int64_t size() const override { return 8; }
    Example get(int64_t i) const override {
      if (i == 5) throw Error("Failing: example 5 is unreadable");
      return {full({2}, static_cast<double>(i)), full({}, 0.0)};
    }
  };
  DataLoader failing(std::make_shared<Failing>(), {.batch_size = 4, .prefetch = true});
  auto it = failing.begin();
  CHECK((*it).inputs.shape() == Shape{4, 2});  // generic datasets stack their examples
  ++it;
  CHECK_ERROR_MESSAGE(*it, "Failing: example 5 is unreadable");
  CHECK_ERROR_MESSAGE(Failing().get_batch({}), "Dataset::get_batch: no indices");

  struct Ragged : Dataset {
    int64_t size() const override { return 2; }
    Example get(int64_t i) const override { return {zeros({i + 1}), full({}, 0.0)}; }
  };
  CHECK_ERROR_MESSAGE(Ragged().get_batch({0, 1}),
                      "Dataset::get_batch: examples of shape (1,) and (2,) cannot be batched");
}

TEST_CASE("ByteImageDataset: bytes in, scaled float32 batches out") {
  std::vector<uint8_t> pixels(5 * 6);
  for (std::size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 8);
  auto ds = std::make_shared<ByteImageDataset>(pixels, Shape{2, 3}, arange(5) + 10.0);
  CHECK(ds->size() == 5);
  Batch b = ds->get_batch({4, 0});
  CHECK(b.inputs.shape() == Shape{2, 2, 3});
  CHECK(b.inputs.dtype() == float32);
  CHECK(b.inputs.at({0, 0, 0}) == static_cast<float>(24 * 8) * (1.0f / 255.0f));
  CHECK(b.inputs.at({1, 1, 2}) == static_cast<float>(5 * 8) * (1.0f / 255.0f));
  CHECK(b.targets.to_vector() == std::vector<double>{14, 10});
  Example e = ds->get(1);
  CHECK(e.input.shape() == Shape{2, 3});
  CHECK(e.target.dim() == 0);
  CHECK(e.target.item() == 11);
  CHECK(ds->images().shape() == Shape{5, 2, 3});
  CHECK(ds->images().at({4, 0, 0}) == b.inputs.at({0, 0, 0}));
  Subset sub(ds, {3, 1});
  CHECK(sub.get_batch({1}).targets.to_vector() == std::vector<double>{11});
  CHECK_ERROR_MESSAGE(ds->get_batch({5}), "ByteImageDataset: index 5 out of range for 5 examples");
  CHECK_ERROR_MESSAGE(sub.get_batch({2}), "Subset: index 2 out of range for 2 examples");
  CHECK_ERROR_MESSAGE(ByteImageDataset(pixels, Shape{2, 2}, arange(5)),
                      "ByteImageDataset: 30 pixel bytes do not hold 5 images of shape (2, 2)");
}

TEST_CASE("sha256 (used to verify the data files) matches FIPS 180-4's examples") {
  CHECK(testing::sha256_hex("") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(testing::sha256_hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(testing::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(testing::sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("splits are seeded, disjoint, complete and stratified") {
  Split s = train_test_split(100, 0.2, 1);
  CHECK(s.test.size() == 20);
  CHECK(s.train.size() == 80);
  std::set<int64_t> all(s.train.begin(), s.train.end());
  all.insert(s.test.begin(), s.test.end());
  CHECK(all.size() == 100);
  CHECK(train_test_split(100, 0.2, 1).test == s.test);
  CHECK(train_test_split(100, 0.2, 2).test != s.test);
  std::vector<int64_t> labels(100);
  for (int i = 0; i < 100; ++i) labels[i] = i < 80 ? 0 : 1;
  Split st = train_test_split(100, 0.25, 3, labels);
  int ones = 0;
  for (int64_t i : st.test) ones += labels[i];
  CHECK(ones == 5);
  CHECK(st.test.size() == 25);
  // A split that leaves one side empty is refused (training on nothing used to "succeed").
  CHECK_ERROR_MESSAGE(train_test_split(1, 0.2, 0),
                      "train_test_split: splitting 1 example with test_fraction 0.200000 leaves "
                      "the test split empty");
  CHECK_ERROR_MESSAGE(train_test_split(0, 0.2, 0),
                      "train_test_split: splitting 0 examples with test_fraction 0.200000 "
                      "leaves the training split empty");
  auto folds = k_fold(10, 3, 0);
  CHECK(folds.size() == 3);
  std::vector<int64_t> tested;
  for (auto& f : folds) {
    CHECK(f.train.size() + f.test.size() == 10);
    tested.insert(tested.end(), f.test.begin(), f.test.end());
  }
  std::sort(tested.begin(), tested.end());
  CHECK(tested == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
}

TEST_CASE("CSV: header, quotes, columns, target, string columns, missing values") {
  std::string p =
      write("t.csv", "a,\"b, quoted\",color,y\n1,2,red,10\n3,\"4\",blue,20\n5,6,red,30\n");
  CsvTable t = read_csv(p, {.target = "y"});
  CHECK(t.feature_names == std::vector<std::string>{"a", "b, quoted", "color=blue", "color=red"});
  CHECK(t.features.shape() == Shape{3, 4});
  CHECK(t.features.to_vector() == std::vector<double>{1, 2, 0, 1, 3, 4, 1, 0, 5, 6, 0, 1});
  CHECK(t.target.to_vector() == std::vector<double>{10, 20, 30});
  CsvTable codes = read_csv(p, {.target_index = -1, .categorical = CategoricalEncoding::codes});
  CHECK(codes.features.to_vector() == std::vector<double>{1, 2, 1, 3, 4, 0, 5, 6, 1});
  CHECK(codes.encodings.at("color").categories == std::vector<std::string>{"blue", "red"});
  CsvTable sel = read_csv(p, {.columns = {"a"}, .target_index = 3});
  CHECK(sel.features.shape() == Shape{3, 1});
  CsvTable idx = read_csv(p, {.column_indices = {1, 0}, .target = "y"});
  CHECK(idx.features.to_vector()[0] == 2);
  // Reusing the training mapping on test data; an unknown category is an error.
  std::string q = write("q.csv", "a,b,color,y\n1,1,red,1\n");
  CsvTable test = read_csv(q, {.target = "y", .encodings = t.encodings});
  CHECK(test.features.to_vector() == std::vector<double>{1, 1, 0, 1});
  std::string u = write("u.csv", "a,b,color,y\n1,1,green,1\n");
  CHECK_ERROR_MESSAGE(read_csv(u, {.target = "y", .encodings = t.encodings}),
                      "u.csv:2:3: unknown category \"green\" in column \"color\"");
  // Missing values.
  std::string m = write("m.csv", "x,z,y\n1,NA,1\n?,4,2\n3,6,3\n");
  CHECK_ERROR_MESSAGE(read_csv(m, {.target = "y"}), "m.csv:2:2: missing value");
  CHECK(read_csv(m, {.target = "y", .missing = MissingPolicy::zero}).features.to_vector() ==
        std::vector<double>{1, 0, 0, 4, 3, 6});
  CHECK(read_csv(m, {.target = "y", .missing = MissingPolicy::mean}).features.to_vector() ==
        std::vector<double>{1, 5, 2, 4, 3, 6});
  CsvTable dropped = read_csv(m, {.target = "y", .missing = MissingPolicy::drop_row});
  CHECK(dropped.rows() == 1);
  CHECK(dropped.source_lines == std::vector<int64_t>{4});
  // Mean from the training rows only, then reused.
  CsvTable raw = read_csv(m, {.target = "y", .missing = MissingPolicy::drop_row});
  Tensor f = from_vector(std::vector<double>{1, std::nan(""), std::nan(""), 4, 3, 6}, {3, 2});
  std::vector<double> means = impute_mean(f, {0, 1});
  CHECK(means == std::vector<double>{1, 4});
  CHECK(f.to_vector() == std::vector<double>{1, 4, 1, 4, 3, 6});
}

TEST_CASE("CSV errors name file, line and column") {
  CHECK_ERROR_MESSAGE(read_csv(write("bad.csv", "a,b\n1,2\n3,abc\n")),
                      "bad.csv:3:2: expected a number, got \"abc\"");
  CHECK_ERROR_MESSAGE(read_csv(write("ragged.csv", "a,b\n1,2\n3\n")),
                      "ragged.csv:3: expected 2 fields, got 1");
  CHECK_ERROR_MESSAGE(read_csv(write("empty.csv", "")), "empty.csv: empty file");
  CHECK_ERROR_MESSAGE(read_csv(write("hdr.csv", "a,b\n")), "hdr.csv: no data rows");
  // Every row dropped for a missing value gave a table of 0 rows (found by fuzz/fuzz_csv).
  CHECK_ERROR_MESSAGE(read_csv(write("all-missing.csv", "a,NaN\n"),
                               {.header = false, .missing = MissingPolicy::drop_row}),
                      "all-missing.csv: no rows left: each of the 1 data rows has a missing value "
                      "(missing = drop_row)");
  CHECK_ERROR_MESSAGE(read_csv(write("nt.csv", "a,b\n1,2\n"), {.target = "price"}),
                      "nt.csv: no column named \"price\"");
  CHECK_ERROR_MESSAGE(read_csv(write("q.csv", "a,b\n\"1,2\n")),
                      "q.csv:2: unterminated quoted field");
  CHECK_ERROR_MESSAGE(read_csv(tmp("does-not-exist.csv")),
                      ("idx: " + tmp("does-not-exist.csv") + ": cannot open file").c_str());
  std::string binary("a,b\n\x01\x02\xff,\x80\n", 11);
  CHECK_THROWS_AS(read_csv(write("bin.csv", binary)), Error);
}

TEST_CASE("whitespace matrices (UCI HAR layout)") {
  Tensor m = read_whitespace_matrix(write("X.txt", "  1.5e-1 -2  3\n4 5 6\n\n"));
  CHECK(m.shape() == Shape{2, 3});
  CHECK(m.at({0, 0}) == doctest::Approx(0.15));
  CHECK_ERROR_MESSAGE(read_whitespace_matrix(write("r.txt", "1 2 3\n4 5\n")),
                      "r.txt:2: ragged row with 2 values, expected 3");
  CHECK_ERROR_MESSAGE(read_whitespace_matrix(write("n.txt", "1 x\n")),
                      "n.txt:1:2: expected a number, got \"x\"");
  CHECK_ERROR_MESSAGE(read_whitespace_matrix(write("e.txt", "\n")), "e.txt: empty file");
}

TEST_CASE("IDX files: raw and gzipped, and every malformed case") {
  std::string labels = be32(2049) + be32(3) + std::string("\x01\x00\x09", 3);
  std::string images =
      be32(2051) + be32(2) + be32(2) + be32(2) + std::string("\x00\xff\x80\x01\x02\x03\x04\x05", 8);
  CHECK(read_idx_labels(write("l.idx", labels)).to_vector() == std::vector<double>{1, 0, 9});
  Tensor im = read_idx_images(gzip("i.idx.gz", images));
  CHECK(im.shape() == Shape{2, 2, 2});
  CHECK(im.at({0, 0, 1}) == 1.0f);
  CHECK(im.at({0, 1, 0}) == doctest::Approx(128.0 / 255));
  std::string p = tmp("wrong-magic");
  CHECK_ERROR_MESSAGE(
      read_idx_labels(write("wrong-magic", images)),
      ("idx: " + p + ": bad magic number 0x00000803 (expected 0x00000801)").c_str());
  p = tmp("short.idx");
  CHECK_ERROR_MESSAGE(read_idx_labels(write("short.idx", labels.substr(0, 10))),
                      ("idx: " + p + ": truncated: 10 bytes, the header implies 11").c_str());
  p = tmp("tiny.idx");
  CHECK_ERROR_MESSAGE(read_idx_images(write("tiny.idx", "ab")),
                      ("idx: " + p + ": file too short for an IDX header (2 bytes)").c_str());
  // Sizes whose byte count wraps 64 bits: 2^31 x 2^31 x 4 "fit" in a 16-byte file; and an
  // empty (0, ...) shape whose other sizes overflow (its strides cannot exist), which
  // read_idx_images refused and read_idx_image_bytes accepted (found by fuzz/fuzz_idx).
  for (const auto& [name, header, shape] :
       {std::tuple{"wrap.idx", be32(1u << 31) + be32(1u << 31) + be32(4),
                   "(2147483648, 2147483648, 4)"},
        std::tuple{"empty-wrap.idx", be32(0) + be32(0xea60004bu) + be32(0xd0000000u),
                   "(0, 3932160075, 3489660928)"}}) {
    const std::string path = write(name, be32(2051) + header);
    const std::string message =
        "idx: " + path + ": dimensions " + shape + " are too large: their product overflows int64";
    CHECK_ERROR_MESSAGE(read_idx_image_bytes(path), message.c_str());
    CHECK_ERROR_MESSAGE(read_idx_images(path), message.c_str());
  }
  // A gzip file cut in half.
  std::string whole = gzip("whole.gz", images + std::string(5000, '\x07'));
  std::ifstream in(whole, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  CHECK_THROWS_WITH_AS(read_idx_images(write("cut.gz", bytes.substr(0, bytes.size() / 2))),
                       doctest::Contains("gzip"), Error);
  std::string corrupt = bytes;
  for (std::size_t i = 12; i < corrupt.size() - 8; ++i)
    corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5a);
  CHECK_THROWS_AS(read_idx_images(write("corrupt.gz", corrupt)), Error);
}

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
  refused(load_standard,
          write("short.safetensors", {{"mean", zeros({3}, float64)}, {"scale", ones({2}, float64)}}),
          "StandardScaler scale has 2 entries, mean has 3");
  refused(load_standard,
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

TEST_CASE("encodings and metrics") {
  CHECK(one_hot(tensor({2.0, 0.0}), 3).to_vector() == std::vector<double>{0, 0, 1, 1, 0, 0});
  CHECK_ERROR_MESSAGE(one_hot(tensor({3.0}), 3), "one_hot: label 3 out of range for 3 classes");
  CHECK(argmax_rows(tensor({{0.1, 0.9}, {2.0, -1.0}})) == std::vector<int64_t>{1, 0});
  LabelEncoder enc;
  enc.fit({"cat", "dog", "cat", "ant"});
  CHECK(enc.classes() == std::vector<std::string>{"ant", "cat", "dog"});
  CHECK(enc.transform({"dog", "ant"}) == std::vector<int64_t>{2, 0});
  CHECK(enc.inverse_transform({1}) == std::vector<std::string>{"cat"});
  CHECK_ERROR_MESSAGE(enc.transform({"eel"}), "LabelEncoder: unknown label \"eel\"");
  std::vector<int64_t> pred{0, 1, 1, 2, 2, 2}, truth{0, 1, 2, 2, 2, 1};
  CHECK(accuracy(pred, truth) == doctest::Approx(4.0 / 6));
  ConfusionMatrix cm(3, {"a", "b", "c"});
  cm.add(pred, truth);
  CHECK(cm.at(2, 1) == 1);
  CHECK(cm.precision(1) == doctest::Approx(0.5));
  CHECK(cm.recall(2) == doctest::Approx(2.0 / 3));
  CHECK(cm.f1(2) == doctest::Approx(2 * (2.0 / 3) * (2.0 / 3) / (4.0 / 3)));
  CHECK(cm.accuracy() == doctest::Approx(4.0 / 6));
  CHECK(cm.to_string().find("precision") != std::string::npos);
  Tensor p = tensor({1.0, 2.0, 3.0}), t = tensor({1.0, 3.0, 5.0});
  CHECK(mse(p, t) == doctest::Approx(5.0 / 3));
  CHECK(rmse(p, t) == doctest::Approx(std::sqrt(5.0 / 3)));
  CHECK(mae(p, t) == doctest::Approx(1.0));
  CHECK(r2_score(p, t) == doctest::Approx(1 - 5.0 / 8));
}
