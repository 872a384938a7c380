// doctest's main for server_sample_tests: the server samples run as child processes and real
// clients (nc, curl, spindle's own) talk to them.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#define DOCTEST_CONFIG_NO_POSIX_SIGNALS
#include <doctest/doctest.h>
