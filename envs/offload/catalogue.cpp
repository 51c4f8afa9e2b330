#include "envs/offload/catalogue.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "envs/offload/physics.h"

namespace mecrl::offload {

CatalogueSettings read_catalogue_settings(ConfigReader& r) {
  CatalogueSettings s;
  r.get_positive("catalogue.prompt_tokens", s.prompt_tokens, 1 << 20, "prompt L_in of the reference query, tokens");
  r.get_positive("catalogue.answer_tokens", s.answer_tokens, 1 << 20, "answer L_out of the reference query, tokens");
  r.get_positive("catalogue.ram_fraction", s.ram_fraction, 1, "share of a phone's RAM one app may hold for a model");
  return s;
}

std::vector<CatalogueEntry> model_catalogue(const OffloadParams& p, const OffloadTables& tables,
                                            const CatalogueSettings& s) {
  std::vector<CatalogueEntry> out;
  for (const auto& m : tables.models) {
    CatalogueEntry e;
    e.key = m.key;
    e.name = m.name;
    e.source = m.source;
    e.weights_gb = m.row.weights_bytes / 1e9;
    e.params_b = m.row.params / 1e9;
    e.memory_gb = (m.row.weights_bytes + (s.prompt_tokens + s.answer_tokens) * m.row.kv_bytes_per_token) / 1e9;
    e.acc_simple = m.row.acc[0];
    e.acc_complex = m.row.acc[1];
    e.acc_mix = (1.0 - p.p_complex) * m.row.acc[0] + p.p_complex * m.row.acc[1];
    e.hallucination = m.row.hal;
    for (const auto& d : tables.devices) {
      OnDevice od;
      od.device = d.key;
      od.fits = e.memory_gb <= s.ram_fraction * d.row.ram_bytes / 1e9;
      od.time_s = local_query_time_s(p, m.row, d.row, s.prompt_tokens, s.answer_tokens);
      od.energy_j = d.row.active_power_w * od.time_s;
      e.devices.push_back(od);
    }
    for (const auto& g : tables.gpus) {
      OnServer os;
      os.gpu = g.key;
      os.max_batch = max_batch(m.row, g.row, p.kv_headroom_bytes, p.kv_reserve_tokens, p.max_batch_cap);
      os.fits = os.max_batch >= 1;
      os.time_s = solo_service_time_s(p, m.row, g.row, s.prompt_tokens, s.answer_tokens);
      os.energy_j = server_energy_j(p, g.row, static_cast<float>(os.time_s), 1);
      e.gpus.push_back(os);
    }
    out.push_back(std::move(e));
  }
  return out;
}

void print_catalogue_json(std::ostream& os, const std::vector<CatalogueEntry>& entries, const OffloadTables& tables,
                          const CatalogueSettings& s) {
  using J = nlohmann::ordered_json;
  J j;
  j["settings"] = {{"prompt_tokens", s.prompt_tokens},
                   {"answer_tokens", s.answer_tokens},
                   {"ram_fraction", s.ram_fraction}};
  j["devices"] = J::array();
  for (const auto& d : tables.devices) {
    j["devices"].push_back({{"key", d.key},
                            {"name", d.name},
                            {"ram_gb", d.row.ram_bytes / 1e9},
                            {"usable_gb", s.ram_fraction * d.row.ram_bytes / 1e9},
                            {"active_power_w", d.row.active_power_w},
                            {"source", d.source}});
  }
  j["gpus"] = J::array();
  for (const auto& g : tables.gpus) {
    j["gpus"].push_back({{"key", g.key},
                         {"name", g.name},
                         {"hbm_gb", g.row.hbm_bytes / 1e9},
                         {"board_power_w", g.row.board_power_w},
                         {"source", g.source}});
  }
  j["models"] = J::array();
  for (const auto& e : entries) {
    J m = {{"key", e.key},
           {"name", e.name},
           {"weights_gb", e.weights_gb},
           {"params_b", e.params_b},
           {"memory_gb", e.memory_gb},
           {"accuracy", {{"simple", e.acc_simple}, {"complex", e.acc_complex}, {"mix", e.acc_mix}}},
           {"hallucination", e.hallucination},
           {"source", e.source}};
    m["on_device"] = J::array();
    for (const auto& d : e.devices) {
      m["on_device"].push_back({{"device", d.device}, {"fits", d.fits}, {"time_s", d.time_s}, {"energy_j", d.energy_j}});
    }
    m["on_server"] = J::array();
    for (const auto& g : e.gpus) {
      m["on_server"].push_back({{"gpu", g.gpu},
                                {"fits", g.fits},
                                {"max_batch", g.max_batch},
                                {"time_s", g.time_s},
                                {"energy_j", g.energy_j}});
    }
    j["models"].push_back(std::move(m));
  }
  os << j.dump() << "\n";
}

void print_catalogue_table(std::ostream& os, const std::vector<CatalogueEntry>& entries,
                           const OffloadTables& tables, const CatalogueSettings& s) {
  os << fmt::format("model catalogue: a {:g}-token answer to a {:g}-token prompt; a phone fits a model in {:g} x RAM; "
                    "acc = class mix; energy per query in Wh (- : does not fit)\n",
                    s.answer_tokens, s.prompt_tokens, s.ram_fraction);
  std::string head = fmt::format("{:<22} {:>7} {:>6} {:>6}", "model", "mem_GB", "acc", "hal");
  for (const auto& d : tables.devices) head += fmt::format(" {:>16.16}", d.key);
  for (const auto& g : tables.gpus) head += fmt::format(" {:>12.12}", g.key);
  os << head << "\n";
  for (const auto& e : entries) {
    std::string line =
        fmt::format("{:<22.22} {:>7.2f} {:>6.3f} {:>6.3f}", e.key, e.memory_gb, e.acc_mix, e.hallucination);
    for (const auto& d : e.devices) line += d.fits ? fmt::format(" {:>16.4f}", d.energy_j / 3600) : fmt::format(" {:>16}", "-");
    for (const auto& g : e.gpus) line += g.fits ? fmt::format(" {:>12.4f}", g.energy_j / 3600) : fmt::format(" {:>12}", "-");
    os << line << "\n";
  }
}

}  // namespace mecrl::offload
