// doctest's main for the torch tests (tests/torch/test_*.cpp are one executable, test_torch).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
