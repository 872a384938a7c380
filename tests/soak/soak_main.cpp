// doctest's main for soak_tests: the server samples under sustained hostile load (test_soak.cpp).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#define DOCTEST_CONFIG_NO_POSIX_SIGNALS
#include <doctest/doctest.h>
