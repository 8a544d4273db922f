// Writes a small data set in the UCI HAR layout (561 features, 6 activities, 1-based labels,
// activity_labels.txt) to test the har trainer's real loading code without the real data.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_har_fixture DIR\n");
    return 2;
  }
  namespace fs = std::filesystem;
  const fs::path dir = argv[1];
  fs::create_directories(dir / "train");
  fs::create_directories(dir / "test");
  const char* names[] = {"WALKING", "WALKING_UPSTAIRS", "WALKING_DOWNSTAIRS",
                         "SITTING", "STANDING",         "LAYING"};
  std::ofstream labels(dir / "activity_labels.txt");
  for (int c = 0; c < 6; ++c) labels << c + 1 << " " << names[c] << "\n";
  std::mt19937_64 rng(42);
  std::normal_distribution<double> noise(0.0, 1.0);
  // Each activity shifts a different block of features.
  auto write = [&](const std::string& split, int rows) {
    std::ofstream x(dir / split / ("X_" + split + ".txt")),
        y(dir / split / ("y_" + split + ".txt"));
    x.precision(7);
    for (int r = 0; r < rows; ++r) {
      int c = r % 6;
      for (int f = 0; f < 561; ++f) {
        double v = 0.3 * noise(rng) + ((f / 90) == c ? 0.8 : 0.0);
        x << (f ? " " : "  ") << std::scientific << std::tanh(v);
      }
      x << "\n";
      y << c + 1 << "\n";
    }
  };
  write("train", 360);
  write("test", 120);
  return 0;
}
