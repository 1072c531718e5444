// Tests for the calico_selector frontend: written with it.
#include <gtest/gtest.h>
