#include "agents/checkpoint.h"

#include "agents/host_reads.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "core/atomic_file.h"
#include "core/crc32c.h"
#include "core/error.h"

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
  throw std::runtime_error("checkpoint: unsupported safetensors dtype " + d);
}

void write_plain(const fs::path& p, const std::string& bytes, nlohmann::json& manifest) {
  write_file_atomic(p.string(), bytes);
  manifest[p.filename().string()] = {{"bytes", bytes.size()}, {"crc32c", crc32c(bytes)}};
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
    const auto src = from_blob_copy(it->second);
    if (src.sizes() != dst.sizes()) {
      throw UsageError(fmt::format("{}: tensor '{}{}' has shape {} but the model expects {} (trained with another "
                                   "scenario or network config?)",
                                   origin, prefix, name, fmt::join(src.sizes(), "x"), fmt::join(dst.sizes(), "x")));
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

void deserialize_optimizer(torch::optim::Optimizer& opt, const std::string& bytes) {
  torch::serialize::InputArchive archive;
  std::istringstream is(bytes);
  archive.load_from(is);
  opt.load(archive);
}

nlohmann::json spec_to_json(const PolicySpec& s) {
  return {{"features", s.features}, {"actions", s.actions}, {"users", s.users}, {"value_heads", s.value_heads},
          {"hidden", s.hidden},     {"critic", s.critic},   {"norm_obs", s.norm_obs}};
}

PolicySpec spec_from_json(const nlohmann::json& j, const std::string& origin) {
  try {
    PolicySpec s;
    s.features = j.at("features").get<int64_t>();
    s.actions = j.at("actions").get<int64_t>();
    s.users = j.at("users").get<int64_t>();
    s.value_heads = j.at("value_heads").get<int64_t>();
    s.hidden = j.at("hidden").get<int64_t>();
    s.critic = j.at("critic").get<std::string>();
    s.norm_obs = j.at("norm_obs").get<bool>();
    return s;
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(fmt::format("{}: policy_spec is incomplete ({})", origin, e.what()));
  }
}

void save_checkpoint(const std::string& dir, const CheckpointData& data) {
  const fs::path final_dir(dir);
  fs::create_directories(final_dir.parent_path());
  const fs::path tmp = final_dir.parent_path() / fmt::format(".tmp-{}-{}", final_dir.filename().string(), getpid());
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  nlohmann::json manifest;
  write_plain(tmp / "model.safetensors", encode_safetensors(data.model, {}), manifest);
  if (!data.extra.empty()) write_plain(tmp / "extra.safetensors", encode_safetensors(data.extra, {}), manifest);
  for (const auto& [name, bytes] : data.optimizers) write_plain(tmp / (name + ".pt"), bytes, manifest);
  if (!data.env_state.empty()) write_plain(tmp / "env_state.bin", data.env_state, manifest);
  nlohmann::json trainer = data.trainer;
  trainer["files"] = manifest;
  trainer["format"] = "mecrl-checkpoint-1";
  write_file_atomic((tmp / "trainer.json").string(), trainer.dump(2));
  publish_dir_atomic(tmp.string(), final_dir.string());
}

CheckpointData load_checkpoint(const std::string& dir) {
  const fs::path d(dir);
  if (!fs::is_directory(d)) throw UsageError(fmt::format("{}: not a checkpoint directory", dir));
  if (!fs::exists(d / "trainer.json")) {
    throw UsageError(fmt::format("{}: no trainer.json (not a checkpoint, or an interrupted write)", dir));
  }
  CheckpointData data;
  try {
    data.trainer = nlohmann::json::parse(read_file((d / "trainer.json").string()));
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(fmt::format("{}/trainer.json: corrupt checkpoint metadata ({})", dir, e.what()));
  }
  if (!data.trainer.is_object() || data.trainer.value("format", "") != "mecrl-checkpoint-1" ||
      !data.trainer.contains("files")) {
    throw UsageError(fmt::format("{}/trainer.json: not a mecrl checkpoint (format tag or manifest missing)", dir));
  }
  std::map<std::string, std::string> files;
  for (const auto& [name, info] : data.trainer["files"].items()) {
    const fs::path p = d / name;
    if (!fs::exists(p)) throw UsageError(fmt::format("{}: file {} listed in trainer.json is missing", dir, name));
    std::string bytes = read_file(p.string());
    const size_t want = info.value("bytes", size_t{0});
    if (bytes.size() != want) {
      throw UsageError(fmt::format("{}/{}: {} bytes, expected {} (truncated checkpoint)", dir, name, bytes.size(), want));
    }
    if (crc32c(bytes) != info.value("crc32c", 0u)) {
      throw UsageError(fmt::format("{}/{}: CRC32C mismatch (corrupt checkpoint)", dir, name));
    }
    files[name] = std::move(bytes);
  }
  auto decode = [&](const std::string& name) {
    try {
      return decode_safetensors(files.at(name), (d / name).string()).tensors;
    } catch (const std::exception& e) {
      throw UsageError(e.what());
    }
  };
  if (!files.count("model.safetensors")) throw UsageError(fmt::format("{}: model.safetensors missing", dir));
  data.model = decode("model.safetensors");
  if (files.count("extra.safetensors")) data.extra = decode("extra.safetensors");
  if (files.count("env_state.bin")) data.env_state = files["env_state.bin"];
  for (const auto& [name, bytes] : files) {
    if (name.size() > 3 && name.substr(name.size() - 3) == ".pt") data.optimizers[name.substr(0, name.size() - 3)] = bytes;
  }
  return data;
}

}  // namespace mecrl::agents
