#include <gtest/gtest.h>

#include "ir/ip.h"

using nv::ir::Cidr;
using nv::ir::IpAddr;

TEST(Ip, ParsesAndPrintsBothFamilies) {
  EXPECT_EQ(IpAddr::parse("10.1.2.3")->str(), "10.1.2.3");
  EXPECT_EQ(IpAddr::parse("2001:db8:0:0::1")->str(), "2001:db8::1");
  EXPECT_FALSE(IpAddr::parse("10.1.2"));
  EXPECT_FALSE(IpAddr::parse("10.1.2.256"));
  EXPECT_FALSE(IpAddr::parse(""));
  EXPECT_FALSE(IpAddr::parse("fe80::1%eth0"));
}

TEST(Ip, CidrContainment) {
  auto c = *Cidr::parse("10.0.0.0/8");
  EXPECT_TRUE(c.contains(*IpAddr::parse("10.255.255.255")));
  EXPECT_FALSE(c.contains(*IpAddr::parse("11.0.0.0")));
  EXPECT_FALSE(c.contains(*IpAddr::parse("::a00:1")));  // other family never matches
  EXPECT_TRUE(c.contains(*Cidr::parse("10.1.0.0/16")));
  EXPECT_FALSE(Cidr::parse("10.1.0.0/16")->contains(c));
  EXPECT_TRUE(Cidr::parse("0.0.0.0/0")->contains(*IpAddr::parse("255.255.255.255")));
  EXPECT_TRUE(Cidr::parse("2001:db8::/32")->contains(*IpAddr::parse("2001:db8:ffff::1")));
}

TEST(Ip, CidrClearsHostBitsAndSaysSo) {
  bool host = false;
  auto c = Cidr::parse("198.18.0.10/4", &host);
  ASSERT_TRUE(c);
  EXPECT_TRUE(host);
  EXPECT_EQ(c->str(), "192.0.0.0/4");
  Cidr::parse("192.0.0.0/4", &host);
  EXPECT_FALSE(host);
}

TEST(Ip, CidrRejectsMalformed) {
  for (const char* bad : {"10.0.0.0", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "::/129",
                          "10.0.0.0/08", "x/8", "10.0.0.0/8/8"})
    EXPECT_FALSE(Cidr::parse(bad)) << bad;
}
