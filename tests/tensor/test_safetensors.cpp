// safetensors format: a file written by hand byte for byte from the specification, round-trips,
// and every corruption gives a clear error.
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include <unistd.h>

#include "../helpers.hpp"

using namespace xgrad;
namespace fs = std::filesystem;

namespace {
std::string path_for(const std::string& name) {
  return (fs::temp_directory_path() / ("xgrad_st_" + name)).string();
}
void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}
std::string le64(uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return s;
}
std::string f32(float v) {
  std::string s(4, '\0');
  std::memcpy(s.data(), &v, 4);
  return s;
}
}  // namespace

TEST_CASE("reads a file written by hand from the specification") {
  std::string header =
      R"({"__metadata__":{"format":"pt"},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
      R"("w":{"dtype":"F32","shape":[1,2],"data_offsets":[8,16]}})";
  std::string bytes =
      le64(header.size()) + header + f32(1.5f) + f32(-2.0f) + f32(3.0f) + f32(4.25f);
  std::string path = path_for("hand.safetensors");
  write_bytes(path, bytes);
  SafetensorsFile f = load_safetensors(path);
  CHECK(f.metadata.at("format") == "pt");
  CHECK(f.get("b").to_vector() == std::vector<double>{1.5, -2.0});
  CHECK(f.get("w").shape() == Shape{1, 2});
  CHECK(f.get("w").to_vector() == std::vector<double>{3.0, 4.25});
  CHECK_ERROR_MESSAGE(f.get("nope"), "safetensors: missing tensor 'nope'");
  fs::remove(path);
}

TEST_CASE("writes the layout of the specification") {
  std::string path = path_for("written.safetensors");
  save_safetensors(path, {{"a", tensor({1.0, 2.0}, float64)}}, {{"k", "v"}});
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  CHECK(n % 8 == 0);
  std::string header = bytes.substr(8, n);
  CHECK(header.find(R"("a":{"dtype":"F64","shape":[2],"data_offsets":[0,16]})") !=
        std::string::npos);
  CHECK(header.find(R"("__metadata__":{"k":"v"})") != std::string::npos);
  CHECK(bytes.size() == 8 + n + 16);
  double first;
  std::memcpy(&first, bytes.data() + 8 + n, 8);
  CHECK(first == 1.0);
  auto back = load_safetensors(path);
  CHECK(back.get("a").dtype() == float64);
  fs::remove(path);
}

TEST_CASE("truncated or corrupt files give clear errors") {
  std::string path = path_for("bad.safetensors");
  write_bytes(path, "abc");
  const std::string prefix = "safetensors: " + path + ": ";
  std::string msg = prefix + "file too short for a header (3 bytes)";
  CHECK_ERROR_MESSAGE(load_safetensors(path), msg.c_str());
  write_bytes(path, le64(1000) + "{}");
  msg = prefix + "header length 1000 exceeds the file size";
  CHECK_ERROR_MESSAGE(load_safetensors(path), msg.c_str());
  std::string h = R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})";
  write_bytes(path, le64(h.size()) + h + f32(1) + f32(2));
  msg = prefix + "truncated: tensor 'a' ends at byte 16 of a 8-byte data section";
  CHECK_ERROR_MESSAGE(load_safetensors(path), msg.c_str());
  std::string j = "{not json";
  write_bytes(path, le64(j.size()) + j);
  CHECK_THROWS_WITH_AS(load_safetensors(path), doctest::Contains("corrupt JSON header"), Error);
  std::string d = R"({"a":{"dtype":"I8","shape":[1],"data_offsets":[0,1]}})";
  write_bytes(path, le64(d.size()) + d + "x");
  CHECK_THROWS_WITH_AS(load_safetensors(path), doctest::Contains("unsupported dtype I8"), Error);
  std::string m = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})";
  write_bytes(path, le64(m.size()) + m + f32(1));
  CHECK_THROWS_WITH_AS(load_safetensors(path), doctest::Contains("do not match its size"), Error);
  CHECK_THROWS_WITH_AS(load_safetensors(path_for("missing")), doctest::Contains("cannot open"),
                       Error);
  fs::remove(path);
}

TEST_CASE("a strided view is saved with its elements in order") {
  const std::string path = path_for("view.safetensors");
  Tensor a = reshape(arange(0, 6, 1, float64), {2, 3});
  save_safetensors(path, {{"t", a.t()}, {"col", select(a, 1, 1)}});
  SafetensorsFile f = load_safetensors(path);
  CHECK(f.get("t").to_vector() == std::vector<double>{0, 3, 1, 4, 2, 5});
  CHECK(f.get("t").shape() == Shape{3, 2});
  CHECK(f.get("col").to_vector() == std::vector<double>{1, 4});
  fs::remove(path);
}

TEST_CASE("integer and bool tensors round-trip as I64, I32, U8 and BOOL") {
  const std::string path = path_for("ints.safetensors");
  Tensor l = full({2}, int64_t(1) << 40, int64);  // beyond float32, exact in int64
  Tensor i = tensor({-7, 9}, int32), u = tensor({0, 255}, uint8), b = tensor({1, 0}, bool_);
  save_safetensors(path, {{"l", l}, {"i", i}, {"u", u}, {"b", b}});
  SafetensorsFile f = load_safetensors(path);
  CHECK(f.get("l").dtype() == int64);
  CHECK(f.get("l").data<int64_t>()[1] == int64_t(1) << 40);
  CHECK(f.get("i").dtype() == int32);
  CHECK(f.get("i").to_vector() == std::vector<double>{-7, 9});
  CHECK(f.get("u").to_vector() == std::vector<double>{0, 255});
  CHECK(f.get("b").dtype() == bool_);
  CHECK(f.get("b").to_vector() == std::vector<double>{1, 0});
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(bytes.find("\"dtype\":\"I64\"") != std::string::npos);
  CHECK(bytes.find("\"dtype\":\"BOOL\"") != std::string::npos);
  fs::remove(path);
}

TEST_CASE("F16 and BF16 entries load widened to float32") {
  // Half: 1.0 = 0x3C00, -2.5 = 0xC100, 65504 = 0x7BFF, smallest subnormal 2^-24 = 0x0001,
  // inf = 0x7C00. BFloat16: 1.0 = 0x3F80, -0.15625 = 0xBE20. A BOOL byte of 7 reads as true.
  const std::string header = R"({"h":{"dtype":"F16","shape":[5],"data_offsets":[0,10]},)"
                             R"("bf":{"dtype":"BF16","shape":[2],"data_offsets":[10,14]},)"
                             R"("m":{"dtype":"BOOL","shape":[2],"data_offsets":[14,16]}})";
  auto le16 = [](uint16_t v) {
    return std::string{static_cast<char>(v & 0xff), static_cast<char>(v >> 8)};
  };
  std::string data = le16(0x3C00) + le16(0xC100) + le16(0x7BFF) + le16(0x0001) + le16(0x7C00) +
                     le16(0x3F80) + le16(0xBE20) + std::string{7, 0};
  const std::string path = path_for("half.safetensors");
  write_bytes(path, le64(header.size()) + header + data);
  SafetensorsFile f = load_safetensors(path);
  Tensor h = f.get("h");
  CHECK(h.dtype() == float32);
  CHECK(h.to_vector() == std::vector<double>{1.0, -2.5, 65504.0, std::ldexp(1.0, -24),
                                             std::numeric_limits<double>::infinity()});
  CHECK(f.get("bf").to_vector() == std::vector<double>{1.0, -0.15625});
  CHECK(f.get("m").to_vector() == std::vector<double>{1, 0});
  fs::remove(path);
}

TEST_CASE("saving refuses to replace what is not a regular file and cleans up killed saves") {
  CHECK_ERROR_MESSAGE(save_safetensors("/dev/null", {{"x", ones({2})}}),
                      "safetensors: /dev/null: is not a regular file; refusing to replace it");
  CHECK(fs::is_character_file("/dev/null"));
  const std::string dir = path_for("dir");
  fs::create_directories(dir);
  CHECK_ERROR_MESSAGE(save_safetensors(dir, {{"x", ones({2})}}),
                      ("safetensors: " + dir + ": is a directory, not a file").c_str());
  CHECK(fs::is_directory(dir));
  // The temporary file a killed save left (its process no longer runs) goes at the next save;
  // one of a running process (here: the one that started the test) stays.
  const std::string path = path_for("stale.safetensors");
  const std::string stale = path + ".tmp.999999999",
                    live = path + ".tmp." + std::to_string(::getppid());
  write_bytes(stale, "partial");
  write_bytes(live, "in progress");
  save_safetensors(path, {{"x", ones({2})}});
  CHECK_FALSE(fs::exists(stale));
  CHECK(fs::exists(live));
  CHECK(load_safetensors(path).get("x").to_vector() == std::vector<double>{1, 1});
  fs::remove(live);
  fs::remove(path);
  fs::remove(dir);
}

TEST_CASE("shapes and offsets must be whole numbers") {
  // nlohmann's get<Shape> cast a float such as 3.9e20 to int64 (undefined behaviour), and 2.5 to
  // 2 (found by fuzz/fuzz_safetensors).
  const std::string path = path_for("numbers.safetensors");
  auto refused = [&](const std::string& entry, const std::string& message) {
    const std::string header = R"({"x":)" + entry + "}";
    write_bytes(path, le64(header.size()) + header + f32(1));
    CHECK_ERROR_MESSAGE(load_safetensors(path), ("safetensors: " + path + ": " + message).c_str());
  };
  refused(R"({"dtype":"F32","shape":[3.92234e+20],"data_offsets":[0,4]})",
          "tensor 'x' has a dimension 3.92234e+20 that is not a whole number below 2^63");
  refused(R"({"dtype":"F32","shape":[2.5],"data_offsets":[0,4]})",
          "tensor 'x' has a dimension 2.5 that is not a whole number below 2^63");
  refused(R"({"dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,4]})",
          "tensor 'x' has a dimension 9223372036854775808 that is not a whole number below 2^63");
  refused(R"({"dtype":"F32","shape":[true],"data_offsets":[0,4]})",
          "tensor 'x' has a dimension true that is not a whole number below 2^63");
  refused(R"({"dtype":"F32","shape":[-1],"data_offsets":[0,4]})",
          "tensor 'x' has a negative dimension");
  refused(R"({"dtype":"F32","shape":{"a":1},"data_offsets":[0,4]})",
          "tensor 'x' has a shape that is not a list");
  refused(R"({"dtype":"F32","shape":[1],"data_offsets":[0,4.0]})",
          "tensor 'x' needs two data_offsets that are whole byte counts, got [0,4.0]");
  refused(R"({"dtype":"F32","shape":[1],"data_offsets":[-1,3]})",
          "tensor 'x' needs two data_offsets that are whole byte counts, got [-1,3]");
  refused(R"({"dtype":"F32","shape":[1],"data_offsets":[0]})",
          "tensor 'x' needs two data_offsets that are whole byte counts, got [0]");
  fs::remove(path);
}

TEST_CASE("a shape whose bytes overflow is refused, not loaded with no data") {
  // {"x": F32, shape [2^62], data_offsets [0, 0]}: 2^62 * 4 bytes wrapped to 0 and matched.
  const std::string header =
      R"({"x":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}})";
  std::string padded = header;
  while (padded.size() % 8) padded.push_back(' ');
  const std::string path = path_for("overflow.safetensors");
  write_bytes(path, le64(padded.size()) + padded);
  CHECK_ERROR_MESSAGE(load_safetensors(path),
                      ("safetensors: " + path +
                       ": tensor 'x' of shape (4611686018427387904,) is larger than memory can "
                       "address")
                          .c_str());
  fs::remove(path);
}
