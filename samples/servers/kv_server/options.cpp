#include "options.hpp"

#include <array>
#include <charconv>
#include <climits>
#include <limits>
#include <stdexcept>
#include <utility>
#include <vector>

namespace kv {

namespace {

constexpr std::size_t kMinQueryBufferLimit = std::size_t{1} << 20;  // Redis's minimum, 1mb

bool equals_nocase(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

std::chrono::seconds parse_timeout(std::string_view value) {
  int seconds = -1;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc() || end != value.data() + value.size() || seconds < 0) {
    throw std::invalid_argument("--timeout: '" + std::string(value) +
                                "' is not a number of seconds from 0 (never) to " +
                                std::to_string(INT_MAX));
  }
  return std::chrono::seconds(seconds);
}

std::size_t parse_query_buffer_limit(std::string_view value) {
  std::optional<std::size_t> bytes = parse_memory_size(value);
  if (!bytes) {
    throw std::invalid_argument("--client-query-buffer-limit: '" + std::string(value) +
                                "' is not a size (e.g. 1gb, 512mb, 1048576)");
  }
  if (*bytes < kMinQueryBufferLimit) {
    throw std::invalid_argument("--client-query-buffer-limit: '" + std::string(value) +
                                "' is below the minimum, 1mb (1048576 bytes)");
  }
  return *bytes;
}

}  // namespace

std::optional<std::size_t> parse_memory_size(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, std::size_t>, 8> kUnits{{
      {"", 1},
      {"b", 1},
      {"k", 1000},
      {"kb", 1024},
      {"m", 1000 * 1000},
      {"mb", 1024 * 1024},
      {"g", 1000 * 1000 * 1000},
      {"gb", std::size_t{1} << 30},
  }};
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return std::nullopt;
  std::string_view unit = text.substr(digits);
  std::size_t multiplier = 0;
  for (const auto& [name, value] : kUnits) {
    if (equals_nocase(unit, name)) multiplier = value;
  }
  if (multiplier == 0) return std::nullopt;
  std::size_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + digits, n);
  if (ec != std::errc() || n > std::numeric_limits<std::size_t>::max() / multiplier) {
    return std::nullopt;
  }
  return n * multiplier;
}

std::string usage(std::string_view program) {
  std::string out = "usage: ";
  out += program;
  out +=
      " [--host H] [--port N] [--timeout N] [--client-query-buffer-limit SIZE]\n"
      "  --host H          address to listen on (default 127.0.0.1)\n"
      "  --port N          port to listen on (default 0: a free port, printed on stdout)\n"
      "  --timeout N       close a connection that completes no command for N seconds\n"
      "                    (Redis's timeout; 0 = never, the default)\n"
      "  --client-query-buffer-limit SIZE\n"
      "                    close a connection whose unfinished command holds more than SIZE\n"
      "                    bytes (Redis's setting; default 1gb, at least 1mb; units b, k, kb,\n"
      "                    m, mb, g, gb)\n";
  return out;
}

KvArgs parse_kv_args(int argc, char** argv) {
  KvArgs args;
  std::vector<char*> rest{argv[0]};  // what parse_server_args gets: --host and --port
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view name = arg.substr(0, arg.find('='));
    const bool ours = name == "--timeout" || name == "--client-query-buffer-limit";
    if (arg == "--help" || arg == "-h") {
      args.help = true;
      continue;
    }
    if (!ours) {
      rest.push_back(argv[i]);
      continue;
    }
    std::string_view value;
    if (name.size() < arg.size()) {
      value = arg.substr(name.size() + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      throw std::invalid_argument(std::string(name) + " needs a value");
    }
    if (name == "--timeout") {
      args.connection.idle_timeout = parse_timeout(value);
    } else {
      args.connection.query_buffer_limit = parse_query_buffer_limit(value);
    }
  }
  if (!args.help)
    args.server = samples::parse_server_args(static_cast<int>(rest.size()), rest.data());
  return args;
}

}  // namespace kv
