#include <gtest/gtest.h>

#include "ir/matrix.h"
#include "tests/support/support.h"

using namespace nv;

static void expect_matches_evaluator(const test::Loaded& l, const ir::MatrixOptions& opt) {
  auto m = ir::Matrix::compute(l.policies, l.inventory, opt);
  uint64_t count = 0;
  for (size_t i = 0; i < m.pods().size(); ++i)
    for (size_t j = 0; j < m.pods().size(); ++j) {
      ir::Packet pkt{ir::Endpoint::of_pod(*m.pods()[i], opt.family),
                     ir::Endpoint::of_pod(*m.pods()[j], opt.family), opt.proto, opt.port};
      bool want = ir::evaluate(l.policies, l.inventory, pkt).allowed;
      EXPECT_EQ(m.allowed(i, j), want) << m.pods()[i]->id() << " -> " << m.pods()[j]->id();
      count += want;
    }
  EXPECT_EQ(m.count_allowed(), count);
}

TEST(Matrix, ReplicasShareAClass) {
  auto l = test::load_text(
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: a}\n"
      "spec:\n  podSelector: {matchLabels: {app: db}}\n  ingress:\n  - from:\n"
      "    - podSelector: {matchLabels: {app: web}}\n",
      test::inventory_yaml({"ns a", "pod a/web-1 10.0.0.1 app=web pod-template-hash=1",
                            "pod a/web-2 10.0.0.2 app=web pod-template-hash=2",
                            "pod a/db-1 10.0.0.3 app=db", "pod a/db-2 10.0.0.4 app=db",
                            "pod a/other 10.0.0.5 app=other"}));
  auto m = ir::Matrix::compute(l->policies, l->inventory, {});
  EXPECT_EQ(m.num_classes(), 3u);  // labels no selector mentions do not split classes
  expect_matches_evaluator(*l, {});
}

TEST(Matrix, CidrsAndNamedPortsSplitClasses) {
  auto l = test::load_text(
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: a}\n"
      "spec:\n  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/30, except: [10.0.0.1/32]}\n"
      "    ports:\n    - port: http\n",
      test::inventory_yaml({"ns a", "pod a/p1 10.0.0.1 app=w port=http:TCP:80",
                            "pod a/p2 10.0.0.2 app=w port=http:TCP:80", "pod a/p3 10.0.0.3 app=w port=http:TCP:81",
                            "pod a/p4 10.0.0.9 app=w port=http:TCP:80", "pod a/h 10.0.0.2 node=n hostNetwork"}));
  for (int port : {80, 81}) {
    ir::MatrixOptions opt;
    opt.port = static_cast<uint16_t>(port);
    expect_matches_evaluator(*l, opt);
  }
}

TEST(Matrix, EmptyInventory) {
  auto l = test::load_text("", "");
  auto m = ir::Matrix::compute(l->policies, l->inventory, {});
  EXPECT_EQ(m.pods().size(), 0u);
  EXPECT_EQ(m.count_allowed(), 0u);
}

TEST(Bitset, TransposeMatchesTheDefinition) {
  for (size_t n : {1u, 5u, 63u, 64u, 65u, 130u}) {
    std::vector<ir::Bitset> rows(n, ir::Bitset(n));
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j)
        if ((i * 7 + j * 13 + i * j) % 5 == 0) rows[i].set(j);
    auto t = ir::transpose(rows);
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j) ASSERT_EQ(t[j].test(i), rows[i].test(j)) << n << " " << i << " " << j;
  }
}
