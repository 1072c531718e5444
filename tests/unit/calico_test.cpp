// Tests for the calico frontend: written with it.
#include <gtest/gtest.h>
