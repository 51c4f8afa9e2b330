// How a scenario documents its observation for the people who deploy a
// policy: one row per feature, in the order observe.h writes them. Each
// scenario keeps these rows beside its Feature enum (envs/<scenario>/
// features.h), and a static_assert ties row k to enum value k, so the
// exported policy.json (apps/cmd_export.cpp) and the simulator cannot drift.
//
// Plain constexpr data: features.h is included by MECRL_HD code and nvcc.
#pragma once

#include <cstddef>

namespace mecrl {

struct FeatureDoc {
  int index;               // the enum value this row documents (row k documents k)
  const char* name;        // snake_case identifier
  const char* unit;        // what a value of 1.0 means: "flag", "30 s", "probability", ...
  const char* definition;  // how observe.h computes it, scaling included
  const char* config_keys; // comma-separated config keys whose values enter the definition ("" = none)
};

struct ActionDoc {
  const char* name;
  const char* meaning;
};

// True if the rows document enum values 0 .. count-1, row k value k
// (checked by static_assert beside each table).
template <size_t N>
constexpr bool documents_enum(const FeatureDoc (&rows)[N], int count) {
  if (N != static_cast<size_t>(count)) return false;
  for (size_t k = 0; k < N; ++k) {
    if (rows[k].index != static_cast<int>(k)) return false;
  }
  return true;
}

}  // namespace mecrl
