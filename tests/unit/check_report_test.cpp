// Tests for cli/check_report: written with it.
#include <gtest/gtest.h>
