#include "agents/checkpoint.h"

#include "agents/host_reads.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

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
  throw std::runtime_error("checkpoint: unsupported safetensors dtype " + d);
}

void write_plain(const fs::path& p, const std::string& bytes, nlohmann::json& manifest) {
  write_file_atomic(p.string(), bytes);
  manifest[p.filename().string()] = manifest_entry(bytes);
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
  trainer["format"] = kCheckpointFormat;
  write_file_atomic((tmp / "trainer.json").string(), trainer.dump(2));
  publish_dir_atomic(tmp.string(), final_dir.string());
}

CheckpointData load_checkpoint(const std::string& dir) {
  const fs::path d(dir);
  CheckpointData data;
  data.trainer = read_checkpoint_meta(dir);
  std::map<std::string, std::string> files;
  for (const auto& item : data.trainer["files"].items()) {
    files[item.key()] = read_checkpoint_file(dir, data.trainer, item.key());
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
