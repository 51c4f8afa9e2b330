#include "envs/offload/params_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace mecrl::offload {
namespace {

struct TableRows {
  std::vector<std::string> names;
  std::string key;  // "tables.models"
};

TableRows rows_of(ConfigReader& r, const std::string& table) {
  return TableRows{r.rows(table), table};
}

// Resolves a row name given by `key` (already read into `name`) against a table.
int find_row(const ConfigReader& r, const TableRows& t, const std::string& key, const std::string& name) {
  const auto it = std::find(t.names.begin(), t.names.end(), name);
  if (it != t.names.end()) return static_cast<int>(it - t.names.begin());
  const ConfigValue* cv = r.config().find(key);
  std::string rows;
  for (size_t k = 0; k < t.names.size(); ++k) rows += (k ? ", " : "") + t.names[k];
  throw UsageError(fmt::format("{}: {} = '{}' is not a row of {} (rows: {}){}", cv ? cv->origin : "default", key,
                               name, t.key, rows.empty() ? "none" : rows,
                               t.names.empty() ? "; hint: add `base: [tables/models.yaml, tables/gpus.yaml, tables/devices.yaml]`" : ""));
}

template <class Row>
OffloadTables::Named<Row> named(ConfigReader& r, const std::string& k, const std::string& key, Row row) {
  OffloadTables::Named<Row> n{key, {}, {}, row};
  r.get(k + "name", n.name, {}, "display name");
  r.get(k + "source", n.source, {}, "provenance tags: [paper] seed, [pub] spec sheet, [A] assumption");
  return n;
}

OffloadTables::Named<ModelRow> read_model(ConfigReader& r, const std::string& name) {
  const std::string k = "tables.models." + name + ".";
  ModelRow m;
  float weights_gb = 0, params_b = 0, kv_kib = 0;
  r.get_positive(k + "weights_gb", weights_gb, 1000, "weight bytes S_w, GB (1e9 bytes)");
  r.get_positive(k + "params_b", params_b, 2000, "parameters P, billions");
  r.get_positive(k + "kv_kib_per_token", kv_kib, 1e5, "KV cache K per token, KiB (1024 bytes)");
  r.get(k + "acc_simple", m.acc[0], 1e-4, 0.9999, "accuracy on simple (single-hop) queries");
  r.get(k + "acc_complex", m.acc[1], 1e-4, 0.9999, "accuracy on complex (multi-hop) queries");
  r.get(k + "hal", m.hal, 0, 1, "hallucination rate");
  m.weights_bytes = weights_gb * 1e9f;
  m.params = params_b * 1e9f;
  m.kv_bytes_per_token = kv_kib * 1024.f;
  return named(r, k, name, m);
}

OffloadTables::Named<GpuRow> read_gpu(ConfigReader& r, const std::string& name) {
  const std::string k = "tables.gpus." + name + ".";
  GpuRow g;
  float hbm_gb = 0, bw_tbps = 0, tflops = 0;
  r.get_positive(k + "hbm_gb", hbm_gb, 1e4, "HBM, GB");
  r.get_positive(k + "bw_tbps", bw_tbps, 100, "memory bandwidth BW, TB/s");
  r.get_positive(k + "tflops_bf16", tflops, 1e5, "bf16 dense F, TFLOP/s");
  r.get_positive(k + "board_power_w", g.board_power_w, 1e5, "board power, W");
  g.hbm_bytes = hbm_gb * 1e9f;
  g.mem_bw_bytes_per_s = bw_tbps * 1e12f;
  g.flops = tflops * 1e12f;
  return named(r, k, name, g);
}

OffloadTables::Named<DeviceRow> read_device(ConfigReader& r, const std::string& name) {
  const std::string k = "tables.devices." + name + ".";
  DeviceRow d;
  float bw_gbps = 0, tflops = 0, ram_gb = 0;
  r.get(k + "share", d.share, 0, 1, "share of the fleet (shares sum to 1)");
  r.get_positive(k + "mem_bw_gbps", bw_gbps, 1e4, "memory bandwidth, GB/s");
  r.get_positive(k + "tflops_fp16", tflops, 1e4, "fp16, TFLOP/s");
  r.get_positive(k + "active_power_w", d.active_power_w, 1e3, "power while running the LLM, W");
  r.get(k + "ram_gb", ram_gb, 0, 1e4, "RAM, GB: which models fit (mecrl catalogue; 0 = unknown)");
  d.mem_bw_bytes_per_s = bw_gbps * 1e9f;
  d.flops = tflops * 1e12f;
  d.ram_bytes = ram_gb * 1e9f;
  return named(r, k, name, d);
}

std::string origin(const ConfigReader& r, const std::string& key) {
  const ConfigValue* cv = r.config().find(key);
  return cv ? cv->origin : "default";
}

}  // namespace

OffloadParams read_offload_params(ConfigReader& r, OffloadTables* tables) {
  OffloadParams p;
  r.get("seed", p.seed, "run seed (Philox key): same seed, same trajectories");
  r.get_positive("env.dt_s", p.dt_s, 10, "slot length, s");
  r.get("env.episode_slots", p.episode_slots, 1, 1 << 24, "slots per training episode T (last one truncates)");
  r.get("env.obs_horizon_slots", p.obs_horizon_slots, 1, 1 << 24,
        "T of the t/T observation feature (keep it the same for training and evaluation)");
  r.get("env.num_users", p.num_users, 1, kMaxUsers, "users per cell N");
  r.get("env.num_servers", p.num_servers, 1, kMaxServers, "edge servers M");
  r.get_positive("env.area_m", p.area_m, 1e5, "side of the square cell, m");
  r.get_positive("env.min_distance_m", p.min_distance_m, 1e4, "user-server distance clipped below, m");
  r.get_positive("env.think_time_s", p.think_time_s, 1e5, "mean think time between a user's queries, s");
  r.get("env.p_complex", p.p_complex, 0, 1, "probability a query is complex (multi-hop)");
  r.get_positive("env.prompt.median_simple", p.prompt_median_tokens[0], 1e6, "median prompt L_in, simple, tokens");
  r.get_positive("env.prompt.median_complex", p.prompt_median_tokens[1], 1e6, "median prompt L_in, complex, tokens");
  r.get("env.prompt.sigma", p.prompt_sigma, 0, 5, "lognormal sigma of L_in");
  r.get("env.prompt.min_tokens", p.prompt_min_tokens, 1, 1 << 20, "L_in clip, lower");
  r.get("env.prompt.max_tokens", p.prompt_max_tokens, 1, 1 << 20, "L_in clip, upper");
  r.get_positive("env.output.median_simple", p.output_median_tokens[0], 1e6, "median answer L_out, simple, tokens");
  r.get_positive("env.output.median_complex", p.output_median_tokens[1], 1e6, "median answer L_out, complex, tokens");
  r.get("env.output.sigma", p.output_sigma, 0, 5, "lognormal sigma of L_out");
  r.get("env.output.min_tokens", p.output_min_tokens, 1, 1 << 20, "L_out clip, lower");
  r.get("env.output.max_tokens", p.output_max_tokens, 1, 1 << 20, "L_out clip, upper");
  r.get("env.payload.bits_per_prompt_token", p.bits_per_prompt_token, 0, 1e6, "D = bits_per_token L_in + attachment");
  r.get("env.payload.p_attachment", p.p_attachment, 0, 1, "probability of an attachment (document, photo)");
  r.get_positive("env.payload.attachment_median_bits", p.attachment_median_bits, 1e12, "median attachment size, bit");
  r.get("env.payload.attachment_sigma", p.attachment_sigma, 0, 5, "lognormal sigma of the attachment");
  r.get("env.uncertainty.mu_simple", p.uncertainty_mu[0], -20, 20, "u = sigmoid(z), z ~ N(mu, 1): simple");
  r.get("env.uncertainty.mu_complex", p.uncertainty_mu[1], -20, 20, "u = sigmoid(z), z ~ N(mu, 1): complex");
  r.get("env.uncertainty.local_slope", p.local_uncertainty_slope, 0, 100, "logit drop of local accuracy per unit u");
  r.get_positive("env.radio.bandwidth_hz", p.bandwidth_hz, 1e11, "uplink bandwidth W_j per server, Hz");
  r.get_positive("env.radio.tx_power_w", p.tx_power_w, 100, "user transmit power P_tx, W");
  r.get("env.radio.noise_dbm_per_hz", p.noise_dbm_per_hz, -250, -100, "noise density N0, dBm/Hz");
  r.get("env.radio.noise_figure_db", p.noise_figure_db, 0, 30, "receiver noise figure, dB");
  r.get("env.radio.pathloss_a_db", p.pathloss_a_db, 0, 300, "PL(d) = a + b log10(d_km): a, dB");
  r.get("env.radio.pathloss_b_db", p.pathloss_b_db, 0, 100, "PL(d) = a + b log10(d_km): b, dB/decade");
  r.get("env.radio.shadowing_sigma_db", p.shadowing_sigma_db, 0, 30, "log-normal shadowing sigma per episode, dB");
  r.get("env.radio.fading_rho", p.fading_rho, 0, 1, "Gauss-Markov fading correlation per slot");

  std::string server_model = "llama31_8b_bf16", device_model = "llama31_8b_ecld";
  std::vector<std::string> server_gpus = {"L4"};
  r.get("env.server.model", server_model, {}, "row of tables.models hosted by every server");
  r.get_list("env.server.gpu", server_gpus, "row of tables.gpus, one for all servers or one per server");
  r.get("env.server.eta_bw", p.eta_bw, 1e-3, 1, "achieved fraction of memory bandwidth");
  r.get("env.server.eta_flops", p.eta_flops, 1e-3, 1, "achieved fraction of dense FLOP/s");
  r.get("env.server.overhead_s", p.iteration_overhead_s, 0, 10, "fixed cost per batched iteration t_ovh, s");
  r.get("env.server.prefill_chunk_tokens", p.prefill_chunk_tokens, 1, 1 << 20, "chunked prefill: tokens per iteration");
  r.get_positive("env.server.kv_reserve_tokens", p.kv_reserve_tokens, 1e7, "KV tokens reserved per sequence for B_max");
  float headroom_gb = p.kv_headroom_bytes / 1e9f;
  r.get("env.server.kv_headroom_gb", headroom_gb, 0, 1e4, "HBM kept free besides weights and KV, GB");
  p.kv_headroom_bytes = headroom_gb * 1e9f;
  r.get("env.server.max_batch_cap", p.max_batch_cap, 1, 1 << 16, "upper cap on B_max");
  r.get("env.server.downlink_s", p.downlink_s, 0, 100, "answer delivery after the server finishes, s");
  r.get("env.server.power_fraction", p.server_power_fraction, 0, 1, "decode power / board power");
  r.get("env.device.model", device_model, {}, "row of tables.models run on the phones");
  r.get("env.device.bw_efficiency", p.device_bw_efficiency, 1e-3, 1, "achieved fraction of phone memory bandwidth");
  r.get("env.device.flops_efficiency", p.device_flops_efficiency, 1e-3, 1, "achieved fraction of phone FLOP/s");
  r.get_positive("env.constraints.energy_budget_w", p.energy_budget_w, 1e4, "average power budget per device, W");
  r.get("env.constraints.acc_min", p.acc_min, 0, 1, "required long-run accuracy A_min");
  r.get("env.constraints.hal_max", p.hal_max, 0, 1, "allowed long-run hallucination rate H_max");
  r.get("env.constraints.quality_window", p.quality_window, 1, 1e6, "completions in the running quality averages");
  // Why `decision` exists: at N = 200 a query completes 50-150 s (200-600
  // slots) after its decision, so gamma^delay (0.05-0.37 at gamma 0.995)
  // all but erases the accuracy cost from the return of the action that
  // caused it. The expectation given the decision has the same long-run mean
  // (tower rule) and reaches the critic at once. Evaluation keeps `completion`.
  std::string timing = p.quality_cost_at_decision ? "decision" : "completion";
  r.get("env.constraints.quality_cost_timing", timing, {"completion", "decision"},
        "accuracy/hallucination cost: Bernoulli outcome at completion (spec) or its expectation at the decision");
  p.quality_cost_at_decision = timing == "decision";
  r.get("env.goa_tau", p.goa_tau, 0, 1, "GOA baseline: users with u > tau must offload");

  // Tables (spec §6): every row is validated, used or not.
  const TableRows models = rows_of(r, "tables.models");
  const TableRows gpus = rows_of(r, "tables.gpus");
  const TableRows devices = rows_of(r, "tables.devices");
  OffloadTables all;
  for (const auto& n : models.names) all.models.push_back(read_model(r, n));
  for (const auto& n : gpus.names) all.gpus.push_back(read_gpu(r, n));
  p.num_device_kinds = static_cast<int>(devices.names.size());
  if (p.num_device_kinds == 0) {
    throw UsageError(fmt::format("{}: tables.devices is empty; hint: add `base: [tables/devices.yaml]`",
                                 r.config().path()));
  }
  if (p.num_device_kinds > kMaxDeviceKinds) {
    throw UsageError(fmt::format("{}: tables.devices has {} rows, at most {} are supported",
                                 origin(r, "tables.devices." + devices.names[kMaxDeviceKinds] + ".share"),
                                 p.num_device_kinds, kMaxDeviceKinds));
  }
  float share_sum = 0.f;
  for (int k = 0; k < p.num_device_kinds; ++k) {
    all.devices.push_back(read_device(r, devices.names[k]));
    p.device[k] = all.devices.back().row;
    share_sum += p.device[k].share;
  }
  if (std::fabs(share_sum - 1.f) > 1e-4f) {
    std::string parts;
    for (int k = 0; k < p.num_device_kinds; ++k) {
      parts += fmt::format("{}{} {:g}", k ? ", " : "", devices.names[k], p.device[k].share);
    }
    throw UsageError(fmt::format("{}: tables.devices.*.share sum to {:g} ({}), must sum to 1",
                                 origin(r, "tables.devices." + devices.names[0] + ".share"), share_sum, parts));
  }

  const int server_row = find_row(r, models, "env.server.model", server_model);
  p.device_model = all.models[find_row(r, models, "env.device.model", device_model)].row;
  if (server_gpus.size() != 1 && static_cast<int>(server_gpus.size()) != p.num_servers) {
    throw UsageError(fmt::format("{}: env.server.gpu lists {} GPUs for env.num_servers = {} (give one, or one per server)",
                                 origin(r, "env.server.gpu"), server_gpus.size(), p.num_servers));
  }
  for (int j = 0; j < p.num_servers; ++j) {
    const std::string& gname = server_gpus[server_gpus.size() == 1 ? 0 : j];
    p.server_model[j] = all.models[server_row].row;
    p.server_gpu[j] = all.gpus[find_row(r, gpus, "env.server.gpu", gname)].row;
  }
  if (p.prompt_min_tokens > p.prompt_max_tokens) {
    throw UsageError(fmt::format("{}: env.prompt.min_tokens = {} exceeds env.prompt.max_tokens = {}",
                                 origin(r, "env.prompt.min_tokens"), p.prompt_min_tokens, p.prompt_max_tokens));
  }
  if (p.output_min_tokens > p.output_max_tokens) {
    throw UsageError(fmt::format("{}: env.output.min_tokens = {} exceeds env.output.max_tokens = {}",
                                 origin(r, "env.output.min_tokens"), p.output_min_tokens, p.output_max_tokens));
  }
  derive_params(p);
  if (tables) *tables = std::move(all);
  for (int j = 0; j < p.num_servers; ++j) {
    if (p.d.max_batch[j] < 1) {
      const std::string& gname = server_gpus[server_gpus.size() == 1 ? 0 : j];
      throw UsageError(fmt::format(
          "{}: env.server.model = '{}' ({:g} GB of weights) leaves no KV memory on GPU '{}' ({:g} GB HBM, "
          "{:g} GB headroom); hint: pick a larger GPU or a compact variant",
          origin(r, "env.server.model"), server_model, p.server_model[j].weights_bytes / 1e9,
          gname, p.server_gpu[j].hbm_bytes / 1e9, p.kv_headroom_bytes / 1e9));
    }
  }
  return p;
}

}  // namespace mecrl::offload
