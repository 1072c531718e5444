// Tests for the cilium frontend: written with it.
#include <gtest/gtest.h>
