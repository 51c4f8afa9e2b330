// The trainer's checkpoint I/O: everything a resumed run needs to continue
// exactly as if never stopped (agents/checkpoint.h writes and verifies the
// files; this decides what goes in them).
#include <fmt/format.h>

#include "agents/checkpoint.h"
#include "agents/trainer.h"
#include "core/error.h"

namespace mecrl::agents {

namespace {
nlohmann::json number_or_null(double v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); }
double number_or_nan(const nlohmann::json& j) { return j.is_number() ? j.get<double>() : NAN; }
}  // namespace

// Data-parallel: what differs between ranks (their envs, the envs' running
// returns and episode steps, the world model's replay of their rollouts).
// Rank 0 keeps its own where a one-process run does; rank r > 0 sends its
// state to rank 0, which stores it as one safetensors blob, extra "rank<r>".
std::map<std::string, TensorBlob> Trainer::rank_state() const {
  std::map<std::string, TensorBlob> s;
  const auto env_bytes = env_.save_state();
  s["env_state"] = make_tensor<uint8_t>({static_cast<int64_t>(env_bytes.size())}, env_bytes.data());
  s["trainer.ep_step"] = to_blob(collector_->episode_step());
  s["scaler.returns"] = to_blob(scaler_->returns);
  if (wm_) {
    for (const auto& [k, t] : wm_->replay_tensors()) s["wm." + k] = to_blob(t);
  }
  return s;
}

void Trainer::load_rank_state(const std::map<std::string, TensorBlob>& s) {
  const auto at = [&](const std::string& k) -> const TensorBlob& {
    const auto it = s.find(k);
    if (it == s.end()) throw UsageError(fmt::format("{}/checkpoints/last: rank {}'s state has no '{}'", run_dir_, comm_->rank(), k));
    return it->second;
  };
  torch::NoGradGuard no_grad;
  const std::string& env_bytes = at("env_state").bytes;
  env_.load_state(std::vector<uint8_t>(env_bytes.begin(), env_bytes.end()));
  collector_->episode_step().copy_(from_blob_copy(at("trainer.ep_step")));
  scaler_->returns.copy_(from_blob_copy(at("scaler.returns")));
  if (wm_) {
    std::map<std::string, torch::Tensor> replay;
    for (const auto& [k, b] : s) {
      if (k.rfind("wm.", 0) == 0) replay[k.substr(3)] = from_blob_copy(b);
    }
    wm_->load_replay(replay, fmt::format("{}/checkpoints/last (rank {})", run_dir_, comm_->rank()));
  }
}

void Trainer::save(const std::string& dir) {
  std::vector<std::string> ranks;  // every rank's encoded state, on rank 0
  if (comm_->active()) {
    ranks = comm_->all_gather_bytes(encode_safetensors(rank_state(), {}));
    if (!comm_->writer()) return;
  }
  CheckpointData data;
  add_module_tensors(data.model, *policy_, "policy.");
  add_module_tensors(data.model, *scaler_, "scaler.");
  add_module_tensors(data.model, *lagrange_, "lagrange.");
  data.optimizers["optimizer"] = optimizer_tensors(*opt_);
  if (wm_) {
    add_module_tensors(data.model, *wm_->model(), "wm.");
    data.optimizers["wm_optimizer"] = optimizer_tensors(wm_->optimizer());
    for (const auto& [k, t] : wm_->replay_tensors()) data.extra[k] = to_blob(t);
  }
  data.extra["trainer.ep_step"] = to_blob(collector_->episode_step());
  const auto env_bytes = env_.save_state();
  data.env_state.assign(reinterpret_cast<const char*>(env_bytes.data()), env_bytes.size());
  data.trainer = {{"iteration", iteration_},
                  {"global_step", global_step_},
                  {"num_iterations", num_iterations_},
                  {"elapsed_s", elapsed_s_},
                  {"scenario", env_.scenario()},
                  {"seed", cfg_.seed},
                  {"num_envs", dims_.num_envs},  // per rank
                  {"world_size", comm_->world_size()},
                  {"decision_capacity", ro_.decision_capacity()},
                  {"trunc_capacity", trunc_capacity_},
                  {"last_return", number_or_null(last_return_)},
                  {"last_length", number_or_null(last_length_)},
                  {"policy_spec", spec_to_json(policy_->spec)}};
  nlohmann::json info = nlohmann::json::array();
  for (double v : last_info_) info.push_back(number_or_null(v));
  data.trainer["last_info"] = info;
  for (size_t r = 1; r < ranks.size(); ++r) {
    data.extra[fmt::format("rank{}", r)] = TensorBlob{"U8", {static_cast<int64_t>(ranks[r].size())}, ranks[r]};
  }
  save_checkpoint(dir, data);
}

// The multipliers are per population group ([G, C]; [C] for one group): a
// checkpoint with another group count has no row for some group of this run.
void Trainer::check_lagrange_groups(const CheckpointData& data, const std::string& dir) const {
  const auto it = data.model.find("lagrange.lambda");
  if (it == data.model.end()) return;  // load_module_tensors names the missing tensor
  const int64_t saved = it->second.shape.size() == 2 ? it->second.shape[0] : 1;
  if (saved != lagrange_->groups()) {
    throw UsageError(fmt::format("{}: checkpoint has Lagrange multipliers for {} population group(s), the config's "
                                 "train.num_users has {} (resume with the train.num_users it was trained with)",
                                 dir, saved, lagrange_->groups()));
  }
}

void Trainer::resume() {
  const std::string dir = run_dir_ + "/checkpoints/last";
  const CheckpointData data = load_checkpoint(dir);
  const auto& tj = data.trainer;
  if (tj.value("world_size", 1) != comm_->world_size()) {
    throw UsageError(fmt::format("{}: checkpoint is from {} ranks, this run has {} (resume with the same world size)",
                                 dir, tj.value("world_size", 1), comm_->world_size()));
  }
  if (tj.value("scenario", "") != env_.scenario() || tj.value("num_envs", -1) != dims_.num_envs) {
    throw UsageError(fmt::format("{}: checkpoint is for scenario '{}' with {} envs, the config asks for '{}' with {}",
                                 dir, tj.value("scenario", "?"), tj.value("num_envs", -1), env_.scenario(),
                                 dims_.num_envs));
  }
  check_lagrange_groups(data, dir);
  load_module_tensors(*policy_, data.model, "policy.", dir);
  load_module_tensors(*scaler_, data.model, "scaler.", dir);
  load_module_tensors(*lagrange_, data.model, "lagrange.", dir);
  if (!data.optimizers.count("optimizer")) throw UsageError(dir + ": optimizer state missing");
  load_optimizer_tensors(*opt_, data.optimizers.at("optimizer"));
  if (wm_) {
    load_module_tensors(*wm_->model(), data.model, "wm.", dir);
    if (!data.optimizers.count("wm_optimizer")) throw UsageError(dir + ": world-model optimizer state missing");
    load_optimizer_tensors(wm_->optimizer(), data.optimizers.at("wm_optimizer"));
    std::map<std::string, torch::Tensor> replay;
    for (const auto& [k, b] : data.extra) {
      if (k.rfind("rank", 0) != 0) replay[k] = from_blob_copy(b);
    }
    wm_->load_replay(replay, dir + "/extra.safetensors");
  }
  env_.load_state(std::vector<uint8_t>(data.env_state.begin(), data.env_state.end()));
  if (data.extra.count("trainer.ep_step")) {
    collector_->episode_step().copy_(from_blob_copy(data.extra.at("trainer.ep_step")));
  }
  if (comm_->rank() > 0) {
    const std::string key = fmt::format("rank{}", comm_->rank());
    if (!data.extra.count(key)) throw UsageError(fmt::format("{}: no state for rank {}", dir, comm_->rank()));
    load_rank_state(decode_safetensors(data.extra.at(key).bytes, dir + " " + key).tensors);
  }
  iteration_ = tj.value("iteration", 0LL);
  global_step_ = tj.value("global_step", 0LL);
  elapsed_s_ = tj.value("elapsed_s", 0.0);
  // The capacities the interrupted run had reached: same shapes, same samples.
  const int64_t rows = static_cast<int64_t>(dims_.num_envs) * dims_.users;
  const int64_t cap = std::clamp<int64_t>(tj.value("decision_capacity", ro_.decision_capacity()), 1, rows);
  if (cap != ro_.decision_capacity()) ro_.resize_decisions(cap);
  trunc_capacity_ = std::clamp<int64_t>(tj.value("trunc_capacity", trunc_capacity_), 1, ro_.steps() * dims_.num_envs);
  graph_.reset();
  graph_warm_ = false;
  last_return_ = number_or_nan(tj.value("last_return", nlohmann::json()));
  last_length_ = number_or_nan(tj.value("last_length", nlohmann::json()));
  if (tj.contains("last_info") && tj["last_info"].is_array()) {
    for (size_t k = 0; k < last_info_.size() && k < tj["last_info"].size(); ++k) {
      last_info_[k] = number_or_nan(tj["last_info"][k]);
    }
  }
}

}  // namespace mecrl::agents
