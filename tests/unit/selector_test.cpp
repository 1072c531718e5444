#include <gtest/gtest.h>

#include "ir/selector.h"

using nv::ir::Labels;
using nv::ir::Selector;

TEST(Selector, EmptySelectsEverything) {
  EXPECT_TRUE(Selector::all().matches({}));
  EXPECT_TRUE(Selector::conj({}).matches({{"a", "b"}}));
}

TEST(Selector, EqualityNeedsTheKey) {
  Labels l{{"app", "web"}};
  EXPECT_TRUE(Selector::eq("app", "web").matches(l));
  EXPECT_FALSE(Selector::eq("app", "db").matches(l));
  EXPECT_FALSE(Selector::eq("tier", "web").matches(l));
  EXPECT_TRUE(Selector::not_eq_("tier", "web").matches(l));  // absent key: != is true
}

TEST(Selector, NotInAndDoesNotExistAreTrueWhenTheKeyIsAbsent) {
  Labels none;
  Labels web{{"app", "web"}};
  EXPECT_TRUE(Selector::not_in("app", {"web"}).matches(none));
  EXPECT_FALSE(Selector::not_in("app", {"web"}).matches(web));
  EXPECT_FALSE(Selector::in("app", {"web"}).matches(none));
  EXPECT_TRUE(Selector::in("app", {"db", "web"}).matches(web));
  EXPECT_TRUE(Selector::negate(Selector::has("app")).matches(none));
  EXPECT_FALSE(Selector::negate(Selector::has("app")).matches(web));
}

TEST(Selector, ConjunctionAndDisjunction) {
  Labels l{{"app", "web"}, {"tier", "front"}};
  auto both = Selector::conj({Selector::eq("app", "web"), Selector::eq("tier", "front")});
  EXPECT_TRUE(both.matches(l));
  EXPECT_FALSE(both.matches({{"app", "web"}}));
  EXPECT_TRUE(Selector::disj({Selector::eq("app", "db"), Selector::has("tier")}).matches(l));
  EXPECT_FALSE(Selector::disj({}).matches(l));
}

TEST(Selector, CanonicalText) {
  auto s = Selector::conj({Selector::eq("app", "web"), Selector::in("env", {"prod", "dev"}),
                           Selector::negate(Selector::has("canary"))});
  EXPECT_EQ(s.str(), "app == 'web' && env in {'dev', 'prod'} && !has(canary)");
  EXPECT_EQ(Selector::all().str(), "all()");
  auto o = Selector::disj({Selector::conj({Selector::has("a"), Selector::has("b")}), Selector::has("c")});
  EXPECT_EQ(o.str(), "(has(a) && has(b)) || has(c)");
}
