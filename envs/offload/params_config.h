// Config keys of the offload scenario: `env.*` and the tables `tables.*`.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"
#include "envs/offload/params.h"

namespace mecrl::offload {

// Every row of the tables of spec §6 (configs/tables/*.yaml), in file order,
// whether the scenario uses it or not (the model catalogue lists them all).
struct OffloadTables {
  template <class Row>
  struct Named {
    std::string key;   // row name: tables.models.<key>
    std::string name;  // display name
    std::string source;  // provenance tags
    Row row;
  };
  std::vector<Named<ModelRow>> models;
  std::vector<Named<GpuRow>> gpus;
  std::vector<Named<DeviceRow>> devices;
};

// Reads, validates and derives OffloadParams. Throws UsageError naming the
// file, line, key and allowed range of the first bad value. `tables`, if
// given, receives every table row.
OffloadParams read_offload_params(ConfigReader& r, OffloadTables* tables = nullptr);

}  // namespace mecrl::offload
