// Tests for the anp frontend: written with it.
#include <gtest/gtest.h>
