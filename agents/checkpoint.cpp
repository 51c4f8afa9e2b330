#include "agents/checkpoint.h"

#include "agents/host_reads.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <sstream>
#include <system_error>
#include <type_traits>

#include "agents/checkpoint_check.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/file_manifest.h"

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

// The first line of a LibTorch error (the rest is its C++ stack trace), cut
// to its first sentence: LibTorch's messages differ
// between versions by the advice they append (2.x adds "This is an internal
// miniz error. If you are seeing this error, ..."), and one line is the rule.
std::string first_line(const std::exception& e) {
  std::string what = e.what();
  what = what.substr(0, what.find('\n'));
  if (const size_t end = what.find(". "); end != std::string::npos) what.resize(end);
  return what;
}

// Removes a temporary directory unless it was published (released).
struct TempDirGuard {
  std::string path;
  ~TempDirGuard() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
};

// The optimiser's state of parameter p. LibTorch 1.13 keys it by the text
// of the parameter's TensorImpl address, 2.x by the address itself.
template <class StateMap>
auto find_state(StateMap& state, const torch::Tensor& p) {
  using Key = typename std::decay_t<StateMap>::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream os;  // as c10::guts::to_string writes it
    os << p.unsafeGetTensorImpl();
    return state.find(os.str());
  } else {
    return state.find(p.unsafeGetTensorImpl());
  }
}

// Every value of a LibTorch archive is finite and every count non-negative
// (an optimiser state of NaN would train on NaN from the first step).
// Messages name the value's own key ("exp_avg"): the keys above it hold
// parameter addresses in LibTorch 1.13.
void check_archive(torch::serialize::InputArchive& archive, const std::string& origin) {
  for (const std::string& name : archive.keys()) {
    torch::Tensor t;
    c10::IValue v;
    torch::serialize::InputArchive sub;
    if (archive.try_read(name, t)) {
      if (t.is_floating_point() && !torch::isfinite(t).all().item<bool>()) {
        throw UsageError(fmt::format("{}: '{}' holds non-finite values (NaN or inf)", origin, name));
      }
      if (!t.is_floating_point() && t.numel() == 1 && t.item<int64_t>() < 0) {
        throw UsageError(fmt::format("{}: '{}' = {} is negative", origin, name, t.item<int64_t>()));
      }
    } else if (archive.try_read(name, sub)) {
      check_archive(sub, origin);
    } else if (archive.try_read(name, v)) {
      if (v.isDouble() && !std::isfinite(v.toDouble())) {
        throw UsageError(fmt::format("{}: '{}' = {} is not finite", origin, name, v.toDouble()));
      }
      if (v.isInt() && v.toInt() < 0) throw UsageError(fmt::format("{}: '{}' = {} is negative", origin, name, v.toInt()));
    }
  }
}

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

std::string serialize_optimizer(torch::optim::Optimizer& opt) {
  torch::serialize::OutputArchive archive;
  opt.save(archive);
  std::ostringstream os;
  archive.save_to(os);
  return os.str();
}

void deserialize_optimizer(torch::optim::Optimizer& opt, const ArchiveBytes& archive) {
  const std::string origin = archive.origin.empty() ? "optimizer state" : archive.origin;
  try {
    torch::serialize::InputArchive in;
    std::istringstream is(archive.bytes);
    in.load_from(is);
    opt.load(in);
  } catch (const std::exception& e) {  // c10::Error, or the TorchScript reader's runtime_error
    throw UsageError(fmt::format("{}: does not fit this optimiser ({})", origin, first_line(e)));
  }
  // LibTorch restores what the archive says; make sure it fits the model.
  for (const auto& group : opt.param_groups()) {
    if (const auto* adam = dynamic_cast<const torch::optim::AdamOptions*>(&group.options())) {
      const auto [b1, b2] = adam->betas();
      if (!(adam->lr() >= 0) || !std::isfinite(adam->lr()) || !(adam->eps() > 0) || !std::isfinite(adam->eps()) ||
          !(b1 >= 0 && b1 < 1) || !(b2 >= 0 && b2 < 1)) {
        throw UsageError(fmt::format("{}: Adam options out of range (lr {}, eps {}, betas {}, {})", origin,
                                     adam->lr(), adam->eps(), b1, b2));
      }
    }
    for (const auto& p : group.params()) {
      const auto it = find_state(opt.state(), p);
      if (it == opt.state().end()) continue;  // no step taken for it yet
      if (const auto* s = dynamic_cast<const torch::optim::AdamParamState*>(it->second.get())) {
        const bool fits = s->exp_avg().sizes() == p.sizes() && s->exp_avg_sq().sizes() == p.sizes();
        if (!fits || s->step() < 0) {
          throw UsageError(fmt::format("{}: Adam state of shape {} (step {}) for a parameter of shape {}", origin,
                                       fmt::join(s->exp_avg().sizes(), "x"), s->step(), fmt::join(p.sizes(), "x")));
        }
      }
    }
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
  for (const auto& [name, archive] : data.optimizers) write_plain(t / (name + ".pt"), archive.bytes, manifest);
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
  for (auto& [name, bytes] : files) {
    if (name.size() <= 3 || name.compare(name.size() - 3, 3, ".pt") != 0) continue;
    const std::string origin = (d / name).string();
    try {
      torch::serialize::InputArchive archive;
      std::istringstream is(bytes);
      archive.load_from(is);
      check_archive(archive, origin);
    } catch (const UsageError&) {
      throw;
    } catch (const std::exception& e) {  // c10::Error, or the TorchScript reader's runtime_error
      throw UsageError(fmt::format("{}: not a LibTorch optimiser archive ({})", origin, first_line(e)));
    }
    data.optimizers[name.substr(0, name.size() - 3)] = ArchiveBytes(std::move(bytes), origin);
  }
  return data;
}

}  // namespace mecrl::agents
