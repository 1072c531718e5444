// Tests for cli/expect: written with it.
#include <gtest/gtest.h>
