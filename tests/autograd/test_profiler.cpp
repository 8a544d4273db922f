// Profiler: per-op forward and backward counts, total and self time, shapes, user ranges, the
// table, the Chrome trace, threads, and nothing recorded when off.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "../helpers.hpp"

using namespace xgrad;
using profiler::Phase;

namespace {
const profiler::Row* find_row(const std::vector<profiler::Row>& rows, const std::string& name,
                              Phase phase) {
  for (const profiler::Row& r : rows)
    if (r.name == name && r.phase == phase) return &r;
  return nullptr;
}
}  // namespace

TEST_CASE("the profiler counts each op's forward and backward calls and nests self time") {
  Tensor x = testing::input({4, 3});
  Tensor w = testing::input({3, 2}, -1, 1, 5);
  profiler::Profiler prof;
  for (int i = 0; i < 3; ++i) {
    profiler::RecordScope step("step");
    Tensor loss = relu(matmul(x, w)).square().sum();
    loss.backward();
  }
  const std::vector<profiler::Row> rows = prof.summary();
  const profiler::Row* mm = find_row(rows, "matmul", Phase::forward);
  REQUIRE(mm);
  CHECK(mm->calls == 3);
  CHECK(mm->self_ns > 0);
  CHECK(mm->self_ns <= mm->total_ns);
  // square is pow(x, 2): its self time leaves out the pow inside it.
  const profiler::Row* sq = find_row(rows, "square", Phase::forward);
  const profiler::Row* pw = find_row(rows, "pow", Phase::forward);
  REQUIRE(sq);
  REQUIRE(pw);
  CHECK(sq->calls == 3);
  CHECK(sq->self_ns <= sq->total_ns - pw->total_ns + 1);
  // Backward nodes by their op's name; a range in user code holds everything of its step.
  const profiler::Row* mm_back = find_row(rows, "matmul", Phase::backward);
  REQUIRE(mm_back);
  CHECK(mm_back->calls == 3);
  const profiler::Row* step = find_row(rows, "step", Phase::user);
  REQUIRE(step);
  CHECK(step->calls == 3);
  CHECK(step->total_ns >= mm->total_ns + mm_back->total_ns);
  // Rows are sorted by self time.
  for (std::size_t i = 1; i < rows.size(); ++i) CHECK(rows[i - 1].self_ns >= rows[i].self_ns);
  // Every event nested in a step lies inside it.
  const auto& events = prof.events();
  int64_t step_end = -1;
  for (const profiler::Event& e : events) {
    CHECK(e.end_ns >= e.start_ns);
    CHECK(e.self_ns <= e.end_ns - e.start_ns);
    if (e.phase == Phase::user)
      step_end = e.end_ns;
    else
      CHECK(e.end_ns <= step_end);
  }
}

TEST_CASE("shapes group the table; the table and the Chrome trace show every op") {
  Tensor a = testing::input({2, 3});
  Tensor b = testing::input({3, 5});
  Tensor c = testing::input({5, 1});
  profiler::Profiler prof({.record_shapes = true});
  Tensor y = matmul(matmul(a, b), c);
  y.sum().backward();
  const std::vector<profiler::Row> rows = prof.summary();
  int matmul_rows = 0;
  for (const profiler::Row& r : rows)
    if (r.name == "matmul" && r.phase == Phase::forward) {
      ++matmul_rows;
      CHECK((r.shapes == "(2, 3), (3, 5)" || r.shapes == "(2, 5), (5, 1)"));
    }
  CHECK(matmul_rows == 2);
  const std::string table = prof.table();
  CHECK(table.find("Name") == 0);
  CHECK(table.find("Self (ms)") != std::string::npos);
  CHECK(table.find("Input shapes") != std::string::npos);
  CHECK(table.find("(2, 3), (3, 5)") != std::string::npos);
  CHECK(table.find("Profiled wall time:") != std::string::npos);
  CHECK(prof.table(2).size() < table.size());

  const std::string path = (std::filesystem::temp_directory_path() / "xgrad_trace.json").string();
  prof.export_chrome_trace(path);
  std::ifstream in(path);
  const nlohmann::json trace = nlohmann::json::parse(in);
  const auto& events = trace.at("traceEvents");
  CHECK(events.size() == prof.events().size());
  bool saw_backward = false;
  for (const auto& e : events) {
    CHECK(e.at("ph") == "X");
    CHECK(e.at("dur").get<double>() >= 0.0);
    if (e.at("cat") == "backward") saw_backward = true;
  }
  CHECK(saw_backward);
  std::filesystem::remove(path);
  CHECK_THROWS_WITH_AS(prof.export_chrome_trace("/nonexistent-dir/trace.json"),
                       doctest::Contains("profiler: /nonexistent-dir/trace.json: cannot create"),
                       Error);
}

TEST_CASE("ops in other threads are profiled with their thread; one profiler at a time") {
  profiler::Profiler prof;
  CHECK_THROWS_WITH_AS(profiler::Profiler(), "Profiler: another profiler is already running",
                       Error);
  std::thread worker([] {
    Tensor t = testing::input({8});
    exp(t).sum();
  });
  worker.join();
  Tensor u = testing::input({8});
  exp(u);
  std::set<uint32_t> threads;
  for (const profiler::Event& e : prof.events())
    if (e.name == "exp") threads.insert(e.thread);
  CHECK(threads.size() == 2);
}

TEST_CASE("nothing is recorded outside a profiler, and a stopped profiler keeps its events") {
  Tensor x = testing::input({3});
  exp(x);  // before: not recorded
  profiler::Profiler prof;
  sin(x);
  prof.stop();
  cos(x);  // after stop: not recorded
  const std::vector<profiler::Row> rows = prof.summary();
  CHECK(find_row(rows, "sin", Phase::forward));
  CHECK_FALSE(find_row(rows, "exp", Phase::forward));
  CHECK_FALSE(find_row(rows, "cos", Phase::forward));
  // A new profiler starts empty.
  profiler::Profiler next;
  tanh(x);
  const std::vector<profiler::Row> next_rows = next.summary();
  CHECK(next_rows.size() == 1);
  CHECK(next_rows[0].name == "tanh");
}
