#include "agents/checkpoint.h"

#include "agents/host_reads.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <system_error>
#include <type_traits>

#include "agents/checkpoint_check.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/file_manifest.h"
#include "core/remove_tree.h"

namespace fs = std::filesystem;

namespace mecrl::agents {
namespace {

const char* dtype_name(torch::ScalarType t) {
  switch (t) {
    case torch::kFloat32: return "F32";
    case torch::kFloat64: return "F64";
    case torch::kInt64: return "I64";
    case torch::kInt32: return "I32";
    case torch::kUInt8: return "U8";
    default: throw std::runtime_error("checkpoint: unsupported tensor dtype");
  }
}

torch::ScalarType scalar_type(const std::string& d) {
  if (d == "F32") return torch::kFloat32;
  if (d == "F64") return torch::kFloat64;
  if (d == "I64") return torch::kInt64;
  if (d == "I32") return torch::kInt32;
  if (d == "U8") return torch::kUInt8;
  throw UsageError("tensor dtype " + d + " is not one checkpoints use (F32, F64, I64, I32, U8)");
}

void write_plain(const fs::path& p, const std::string& bytes, nlohmann::json& manifest) {
  write_file_atomic(p.string(), bytes);
  manifest[p.filename().string()] = manifest_entry(bytes);
}

// Removes a temporary directory unless it was published (released).
struct TempDirGuard {
  std::string path;
  ~TempDirGuard() {
    std::error_code ec;
    if (!path.empty()) mecrl::remove_tree(path, ec);
  }
};

// The optimiser's state key of parameter p. LibTorch 1.13 keys it by the
// text of the parameter's TensorImpl address, 2.x by the address itself.
template <class StateMap>
typename StateMap::key_type state_key(const torch::Tensor& p) {
  using Key = typename StateMap::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream os;  // as c10::guts::to_string writes it
    os << p.unsafeGetTensorImpl();
    return os.str();
  } else {
    return static_cast<Key>(p.unsafeGetTensorImpl());
  }
}

std::string group_key(size_t g, const char* what) { return fmt::format("group{}.{}", g, what); }
std::string param_key(size_t g, size_t k, const char* what) { return fmt::format("group{}.param{}.{}", g, k, what); }

}  // namespace

TensorBlob to_blob(const torch::Tensor& t) {
  auto c = to_host(t.detach(), HostRead::Checkpoint).contiguous();
  if (c.scalar_type() == torch::kBool) c = c.to(torch::kUInt8);  // safetensors has no portable bool
  TensorBlob b;
  b.dtype = dtype_name(c.scalar_type());
  b.shape.assign(c.sizes().begin(), c.sizes().end());
  b.bytes.assign(static_cast<const char*>(c.data_ptr()), c.numel() * c.element_size());
  return b;
}

torch::Tensor from_blob_copy(const TensorBlob& b) {
  auto t = torch::empty(b.shape, torch::TensorOptions().dtype(scalar_type(b.dtype)));
  if (!b.bytes.empty()) std::memcpy(t.data_ptr(), b.bytes.data(), b.bytes.size());
  return t;
}

void add_module_tensors(std::map<std::string, TensorBlob>& out, const torch::nn::Module& m, const std::string& prefix) {
  for (const auto& p : m.named_parameters(true)) out[prefix + p.key()] = to_blob(p.value());
  for (const auto& b : m.named_buffers(true)) out[prefix + b.key()] = to_blob(b.value());
}

void load_module_tensors(torch::nn::Module& m, const std::map<std::string, TensorBlob>& in, const std::string& prefix,
                         const std::string& origin) {
  torch::NoGradGuard no_grad;
  auto load = [&](const std::string& name, torch::Tensor& dst) {
    const auto it = in.find(prefix + name);
    if (it == in.end()) throw UsageError(fmt::format("{}: tensor '{}{}' is missing", origin, prefix, name));
    if (it->second.shape != std::vector<int64_t>(dst.sizes().begin(), dst.sizes().end())) {
      throw UsageError(fmt::format("{}: tensor '{}{}' has shape {} but the model expects {} (trained with another "
                                   "scenario or network config?)",
                                   origin, prefix, name, fmt::join(it->second.shape, "x"), fmt::join(dst.sizes(), "x")));
    }
    torch::Tensor src;
    try {
      src = from_blob_copy(it->second);
    } catch (const UsageError& e) {
      throw UsageError(fmt::format("{}: tensor '{}{}': {}", origin, prefix, name, e.what()));
    }
    dst.copy_(src.to(dst.dtype()));
  };
  for (auto& p : m.named_parameters(true)) load(p.key(), p.value());
  for (auto& b : m.named_buffers(true)) load(b.key(), b.value());
}

OptimizerTensors optimizer_tensors(torch::optim::Adam& opt) {
  OptimizerTensors out;
  auto& t = out.tensors;
  auto& state = opt.state();
  for (size_t g = 0; g < opt.param_groups().size(); ++g) {
    const auto& group = opt.param_groups()[g];
    const auto& o = static_cast<const torch::optim::AdamOptions&>(group.options());
    const double lr = o.lr(), eps = o.eps(), wd = o.weight_decay();
    const double betas[2] = {std::get<0>(o.betas()), std::get<1>(o.betas())};
    const uint8_t amsgrad = o.amsgrad() ? 1 : 0;
    t[group_key(g, "lr")] = make_f64({1}, &lr);
    t[group_key(g, "eps")] = make_f64({1}, &eps);
    t[group_key(g, "weight_decay")] = make_f64({1}, &wd);
    t[group_key(g, "betas")] = make_f64({2}, betas);
    t[group_key(g, "amsgrad")] = make_tensor<uint8_t>({1}, &amsgrad);
    for (size_t k = 0; k < group.params().size(); ++k) {
      const auto it = state.find(state_key<std::decay_t<decltype(state)>>(group.params()[k]));
      if (it == state.end()) continue;  // no step taken for it yet
      const auto& s = static_cast<const torch::optim::AdamParamState&>(*it->second);
      const int64_t step = s.step();
      t[param_key(g, k, "step")] = make_tensor<int64_t>({1}, &step);
      t[param_key(g, k, "exp_avg")] = to_blob(s.exp_avg());
      t[param_key(g, k, "exp_avg_sq")] = to_blob(s.exp_avg_sq());
      if (s.max_exp_avg_sq().defined()) t[param_key(g, k, "max_exp_avg_sq")] = to_blob(s.max_exp_avg_sq());
    }
  }
  return out;
}

void load_optimizer_tensors(torch::optim::Adam& opt, const OptimizerTensors& in) {
  const std::string& origin = in.origin.empty() ? std::string("optimizer state") : in.origin;
  size_t used = 0;
  // Tensor `name` of dtype `dtype` and shape `shape`, or null if absent and optional.
  auto take = [&](const std::string& name, const char* dtype, const std::vector<int64_t>& shape,
                  bool required) -> const TensorBlob* {
    const auto it = in.tensors.find(name);
    if (it == in.tensors.end()) {
      if (required) throw UsageError(fmt::format("{}: tensor '{}' is missing", origin, name));
      return nullptr;
    }
    if (it->second.dtype != dtype || it->second.shape != shape) {
      throw UsageError(fmt::format("{}: tensor '{}' is {} [{}], expected {} [{}] (does it belong to this model?)",
                                   origin, name, it->second.dtype, fmt::join(it->second.shape, ", "), dtype,
                                   fmt::join(shape, ", ")));
    }
    ++used;
    return &it->second;
  };
  auto& state = opt.state();
  using StateMap = std::decay_t<decltype(state)>;
  for (size_t g = 0; g < opt.param_groups().size(); ++g) {
    auto& group = opt.param_groups()[g];
    auto& o = static_cast<torch::optim::AdamOptions&>(group.options());
    const double lr = tensor_values<double>(*take(group_key(g, "lr"), "F64", {1}, true))[0];
    const double eps = tensor_values<double>(*take(group_key(g, "eps"), "F64", {1}, true))[0];
    const double wd = tensor_values<double>(*take(group_key(g, "weight_decay"), "F64", {1}, true))[0];
    const auto betas = tensor_values<double>(*take(group_key(g, "betas"), "F64", {2}, true));
    const uint8_t amsgrad = tensor_values<uint8_t>(*take(group_key(g, "amsgrad"), "U8", {1}, true))[0];
    if (!(lr >= 0) || !(eps > 0) || !(wd >= 0) || !(betas[0] >= 0 && betas[0] < 1) ||
        !(betas[1] >= 0 && betas[1] < 1) || amsgrad > 1) {
      throw UsageError(fmt::format("{}: Adam options out of range (lr {}, eps {}, weight decay {}, betas {}, {}, "
                                   "amsgrad {})",
                                   origin, lr, eps, wd, betas[0], betas[1], amsgrad));
    }
    o.lr(lr).eps(eps).weight_decay(wd).betas({betas[0], betas[1]}).amsgrad(amsgrad == 1);
    for (size_t k = 0; k < group.params().size(); ++k) {
      const torch::Tensor& p = group.params()[k];
      const std::vector<int64_t> shape(p.sizes().begin(), p.sizes().end());
      const TensorBlob* step = take(param_key(g, k, "step"), "I64", {1}, false);
      if (step == nullptr) continue;  // no step taken for it yet
      const int64_t n = tensor_values<int64_t>(*step)[0];
      if (n < 0) throw UsageError(fmt::format("{}: '{}' = {} is negative", origin, param_key(g, k, "step"), n));
      auto s = std::make_unique<torch::optim::AdamParamState>();
      s->step(n);
      s->exp_avg(from_blob_copy(*take(param_key(g, k, "exp_avg"), "F32", shape, true)).to(p.device()));
      s->exp_avg_sq(from_blob_copy(*take(param_key(g, k, "exp_avg_sq"), "F32", shape, true)).to(p.device()));
      if (const TensorBlob* m = take(param_key(g, k, "max_exp_avg_sq"), "F32", shape, amsgrad == 1)) {
        s->max_exp_avg_sq(from_blob_copy(*m).to(p.device()));
      }
      state[state_key<StateMap>(p)] = std::move(s);
    }
  }
  if (used != in.tensors.size()) {
    for (const auto& [name, blob] : in.tensors) {
      if (name.rfind("group", 0) != 0 || !std::isdigit(static_cast<unsigned char>(name[5]))) {
        throw UsageError(fmt::format("{}: tensor '{}' is not part of an Adam state", origin, name));
      }
    }
    throw UsageError(fmt::format("{}: {} tensors for {} parameter groups of this optimiser (trained with another "
                                 "network config?)",
                                 origin, in.tensors.size(), opt.param_groups().size()));
  }
}

void save_checkpoint(const std::string& dir, const CheckpointData& data) {
  // A diverged run must not replace the last good checkpoint with NaNs.
  for (const auto* tensors : {&data.model, &data.extra}) {
    if (const auto [name, bad] = first_non_finite(*tensors); bad > 0) {
      throw UsageError(fmt::format("{}: not saved: tensor '{}' holds {} non-finite values (NaN or inf): training "
                                   "diverged (lower the learning rate?); the previous checkpoint stays",
                                   dir, name, bad));
    }
  }
  const fs::path final_dir(dir);
  fs::create_directories(final_dir.parent_path());
  remove_stale_temporaries(final_dir.string());  // interrupted saves, whatever their pid
  TempDirGuard tmp{make_temp_dir_beside(final_dir.string())};
  const fs::path t(tmp.path);
  nlohmann::json manifest;
  write_plain(t / "model.safetensors", encode_safetensors(data.model, {}), manifest);
  if (!data.extra.empty()) write_plain(t / "extra.safetensors", encode_safetensors(data.extra, {}), manifest);
  for (const auto& [name, state] : data.optimizers) {
    write_plain(t / (name + ".safetensors"), encode_safetensors(state.tensors, {}), manifest);
  }
  if (!data.env_state.empty()) write_plain(t / "env_state.bin", data.env_state, manifest);
  nlohmann::json trainer = data.trainer;
  trainer["files"] = manifest;
  trainer["format"] = kCheckpointFormat;
  write_file_atomic((t / "trainer.json").string(), trainer.dump(2));
  publish_dir_atomic(tmp.path, final_dir.string());
  tmp.path.clear();  // published (the previous version, swapped in, was removed by publish_dir_atomic)
}

CheckpointData load_checkpoint(const std::string& dir) {
  const fs::path d(dir);
  CheckpointData data;
  data.trainer = read_checkpoint_meta(dir);
  const std::string meta = (d / "trainer.json").string();
  std::map<std::string, std::string> files;
  for (const auto& item : data.trainer["files"].items()) {
    files[item.key()] = read_checkpoint_file(dir, data.trainer, item.key());
  }
  check_trainer_json(data.trainer, meta);
  const PolicySpec spec = spec_from_json(data.trainer["policy_spec"], meta);
  auto decode = [&](const std::string& name) {
    const std::string origin = (d / name).string();
    std::map<std::string, TensorBlob> tensors;
    try {
      tensors = decode_safetensors(files.at(name), origin).tensors;
    } catch (const std::exception& e) {
      throw UsageError(e.what());
    }
    check_tensors(tensors, origin);
    return tensors;
  };
  if (!files.count("model.safetensors")) throw UsageError(fmt::format("{}: model.safetensors missing", dir));
  data.model = decode("model.safetensors");
  if (files.count("extra.safetensors")) data.extra = decode("extra.safetensors");
  const int64_t num_envs = data.trainer["num_envs"].get<int64_t>();
  check_trainer_tensors(data.extra, num_envs, (d / "extra.safetensors").string());
  check_replay_tensors(data.extra, num_envs, spec.users, spec.features, spec.actions,
                       (d / "extra.safetensors").string());
  if (files.count("env_state.bin")) data.env_state = files["env_state.bin"];
  for (const char* name : {"optimizer", "wm_optimizer"}) {
    const std::string file = std::string(name) + ".safetensors";
    if (files.count(file)) data.optimizers[name] = OptimizerTensors{decode(file), (d / file).string()};
  }
  return data;
}

}  // namespace mecrl::agents
