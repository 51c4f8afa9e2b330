// A seeded mutation fuzzer for loaders, run inside a GoogleTest for a
// bounded time (libFuzzer-style mutations: flip, insert, erase, duplicate,
// splice, truncate), so CI runs it on every build. Every input it makes is
// reproducible from (seed, iteration), printed on failure.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace mecrl::testing {

class Mutator {
 public:
  explicit Mutator(uint64_t seed) : rng_(seed) {}

  // `s` changed in 1-4 random ways; `dictionary` holds tokens worth inserting
  // (YAML punctuation, JSON fields, ...); `others` are inputs to splice from.
  std::string mutate(std::string s, const std::vector<std::string>& dictionary,
                     const std::vector<std::string>& others = {}) {
    const int rounds = 1 + static_cast<int>(pick(4));
    for (int k = 0; k < rounds; ++k) {
      const size_t at = s.empty() ? 0 : pick(s.size() + 1);
      switch (pick(7)) {
        case 0:  // flip a bit
          if (!s.empty()) s[at % s.size()] = static_cast<char>(s[at % s.size()] ^ (1 << pick(8)));
          break;
        case 1:  // a random byte
          s.insert(at, 1, static_cast<char>(pick(256)));
          break;
        case 2:  // a dictionary token
          if (!dictionary.empty()) s.insert(at, dictionary[pick(dictionary.size())]);
          break;
        case 3:  // erase a span
          if (!s.empty()) s.erase(at % s.size(), 1 + pick(16));
          break;
        case 4: {  // duplicate a span
          if (s.empty()) break;
          const size_t from = pick(s.size());
          s.insert(at, s.substr(from, 1 + pick(64)));
          break;
        }
        case 5: {  // splice from another input
          if (others.empty()) break;
          const std::string& o = others[pick(others.size())];
          if (o.empty()) break;
          s.insert(at, o.substr(pick(o.size()), 1 + pick(128)));
          break;
        }
        default:  // truncate
          s.resize(at);
          break;
      }
    }
    return s;
  }

  size_t pick(size_t n) { return n == 0 ? 0 : static_cast<size_t>(rng_() % n); }

 private:
  std::mt19937_64 rng_;
};

// Seconds of fuzzing per target: MECRL_FUZZ_SECONDS, else `fallback`.
inline double fuzz_seconds(double fallback) {
  const char* env = std::getenv("MECRL_FUZZ_SECONDS");
  return env != nullptr ? std::atof(env) : fallback;
}

// The mutation seed: MECRL_FUZZ_SEED (a longer hunt outside CI), else `fallback`.
inline uint64_t fuzz_seed(uint64_t fallback) {
  const char* env = std::getenv("MECRL_FUZZ_SEED");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : fallback;
}

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace mecrl::testing
