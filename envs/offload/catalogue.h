// The model catalogue of seeds 000/002: for every model variant of the
// tables (spec §6.1) the four metrics of compact models — accessibility
// (which phones' memory and which server GPUs it fits), energy per query on
// each phone and each server GPU, hallucination and accuracy — computed with
// the simulator's own formulas (physics.h), so the numbers are the ones the
// scenario would charge.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "core/config.h"
#include "envs/offload/params.h"
#include "envs/offload/params_config.h"

namespace mecrl::offload {

struct CatalogueSettings {
  float prompt_tokens = 200.f;  // L_in of the reference query (the simple-class median)
  float answer_tokens = 256.f;  // L_out: seed 002 measures "a single query with up to 256 tokens"
  float ram_fraction = 0.6f;    // share of a phone's RAM one app may hold [A]
};

CatalogueSettings read_catalogue_settings(ConfigReader& r);

struct OnDevice {
  std::string device;  // tables.devices key
  bool fits = false;   // memory_gb <= ram_fraction x RAM
  double time_s = 0;   // local compute of the reference query
  double energy_j = 0;  // active power x time_s
};

struct OnServer {
  std::string gpu;     // tables.gpus key
  bool fits = false;   // B_max >= 1 (weights + headroom + one reserved KV sequence fit in HBM)
  int max_batch = 0;   // B_max
  double time_s = 0;   // service at batch 1
  double energy_j = 0;  // power fraction x board power x time_s
};

struct CatalogueEntry {
  std::string key, name, source;
  double weights_gb = 0, params_b = 0;
  double memory_gb = 0;  // on a phone: weights + KV of the reference query
  double acc_simple = 0, acc_complex = 0, acc_mix = 0;  // mix: weighted by env.p_complex
  double hallucination = 0;
  std::vector<OnDevice> devices;
  std::vector<OnServer> gpus;
};

std::vector<CatalogueEntry> model_catalogue(const OffloadParams& p, const OffloadTables& tables,
                                            const CatalogueSettings& s);

// {"settings": {...}, "devices": [...], "gpus": [...], "models": [...]} (one line).
void print_catalogue_json(std::ostream& os, const std::vector<CatalogueEntry>& entries, const OffloadTables& tables,
                          const CatalogueSettings& s);
// One row per model: memory, accuracy, hallucination, energy per query in Wh
// on each phone and GPU ("-" where it does not fit).
void print_catalogue_table(std::ostream& os, const std::vector<CatalogueEntry>& entries,
                           const OffloadTables& tables, const CatalogueSettings& s);

}  // namespace mecrl::offload
