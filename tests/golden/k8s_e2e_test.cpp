// The upstream Kubernetes e2e NetworkPolicy suite (test/e2e/network/netpol), transcribed
// into corpus/k8s-e2e: x/y/z namespaces x a/b/c pods; every expected truth table must come
// out of the matrix exactly.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "ir/matrix.h"
#include "tests/support/support.h"

namespace fs = std::filesystem;
using namespace nv;

namespace {

struct Case {
  std::string dir;
  std::string expect;  // expect/<PROTO>-<PORT>.txt
  std::string name;
};

std::vector<Case> cases() {
  std::vector<Case> out;
  fs::path root = fs::path(NV_SOURCE_DIR) / "corpus" / "k8s-e2e" / "cases";
  for (const auto& d : fs::directory_iterator(root)) {
    if (!fs::is_directory(d.path() / "expect")) continue;
    for (const auto& e : fs::directory_iterator(d.path() / "expect")) {
      std::string n = d.path().filename().string() + "_" + e.path().stem().string();
      for (char& c : n)
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
      out.push_back({d.path().string(), e.path().string(), n});
    }
  }
  std::sort(out.begin(), out.end(), [](const Case& a, const Case& b) { return a.name < b.name; });
  return out;
}

std::vector<std::vector<std::string>> words(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream ls(line);
    std::vector<std::string> row;
    for (std::string w; ls >> w;) row.push_back(w);
    if (!row.empty()) rows.push_back(row);
  }
  return rows;
}

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class K8sE2E : public ::testing::TestWithParam<Case> {};

TEST_P(K8sE2E, MatrixEqualsUpstreamExpectation) {
  const Case& c = GetParam();
  std::string cluster = fs::exists(c.dir + "/cluster.yaml")
                            ? c.dir + "/cluster.yaml"
                            : std::string(NV_SOURCE_DIR) + "/corpus/k8s-e2e/cluster.yaml";
  auto l = test::load_paths({c.dir + "/policies.yaml"}, {cluster});
  ASSERT_FALSE(l->diags.has_errors()) << l->messages();
  std::string stem = fs::path(c.expect).stem().string();
  ir::MatrixOptions opt;
  opt.proto = *ir::parse_proto(stem.substr(0, stem.find('-')));
  opt.port = static_cast<uint16_t>(std::stoi(stem.substr(stem.find('-') + 1)));
  auto m = ir::Matrix::compute(l->policies, l->inventory, opt);

  auto want = words(test::read_file(c.expect));
  ASSERT_EQ(want.size(), m.pods().size() + 1);
  const auto& header = want[0];
  auto index = [&](const std::string& id) {
    for (size_t i = 0; i < m.pods().size(); ++i)
      if (m.pods()[i]->id() == id) return i;
    ADD_FAILURE() << "no pod " << id;
    return size_t{0};
  };
  for (size_t r = 1; r < want.size(); ++r) {
    size_t from = index(want[r][0]);
    for (size_t col = 1; col < want[r].size(); ++col) {
      size_t to = index(header[col]);
      bool expected = want[r][col] == "X";
      EXPECT_EQ(m.allowed(from, to), expected) << want[r][0] << " -> " << header[col];
      // The reference evaluator agrees too, pair by pair.
      ir::Packet pkt{ir::Endpoint::of_pod(*m.pods()[from], opt.family),
                     ir::Endpoint::of_pod(*m.pods()[to], opt.family), opt.proto, opt.port};
      EXPECT_EQ(ir::evaluate(l->policies, l->inventory, pkt).allowed, expected);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Upstream, K8sE2E, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
