#include "deploy/onnx_actor.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <stdexcept>
#include <variant>
#include <vector>

#include "deploy/bundle_format.h"

namespace mecrl::deploy {
namespace {

using Dim = std::variant<int64_t, std::string>;  // fixed size or symbolic name

void set_tensor_type(onnx::ValueInfoProto* v, const std::string& name, int elem_type, const std::vector<Dim>& dims) {
  v->set_name(name);
  auto* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(elem_type);
  auto* shape = t->mutable_shape();
  for (const Dim& d : dims) {
    auto* dim = shape->add_dim();
    if (std::holds_alternative<int64_t>(d)) {
      dim->set_dim_value(std::get<int64_t>(d));
    } else {
      dim->set_dim_param(std::get<std::string>(d));
    }
  }
}

void add_initializer(onnx::GraphProto* g, const std::string& name, int elem_type, const std::vector<int64_t>& dims,
                     const void* data, size_t bytes) {
  onnx::TensorProto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(elem_type);
  for (int64_t d : dims) t->add_dims(d);
  t->set_raw_data(std::string(static_cast<const char*>(data), bytes));
}

void add_f32(onnx::GraphProto* g, const std::string& name, const std::vector<int64_t>& dims,
             const std::vector<float>& v) {
  add_initializer(g, name, onnx::TensorProto::FLOAT, dims, v.data(), v.size() * sizeof(float));
}

onnx::NodeProto* add_node(onnx::GraphProto* g, const std::string& op, const std::vector<std::string>& inputs,
                          const std::string& output) {
  onnx::NodeProto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(output);
  for (const auto& in : inputs) n->add_input(in);
  n->add_output(output);
  return n;
}

void add_int_attribute(onnx::NodeProto* n, const std::string& name, int64_t value) {
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}

// ONNX's Gemm shape inference does not compare inner dimensions, so the
// chain of layer shapes is checked here.
void check_shapes(const ActorWeights& a) {
  if (a.layers.empty()) throw std::invalid_argument("ONNX export: the actor has no layers");
  for (size_t k = 0; k < a.layers.size(); ++k) {
    const DenseLayer& l = a.layers[k];
    const bool chained = k == 0 || l.in == a.layers[k - 1].out;
    if (!chained || l.weight.size() != static_cast<size_t>(l.in * l.out) || l.bias.size() != static_cast<size_t>(l.out)) {
      throw std::invalid_argument("ONNX export: layer " + std::to_string(k) + " does not fit its neighbours");
    }
  }
  const auto f = static_cast<size_t>(a.features());
  if (a.normalizes() && (a.obs_mean.size() != f || a.obs_std.size() != f)) {
    throw std::invalid_argument("ONNX export: observation statistics do not match the feature count");
  }
}

// probs = (1 - eps) softmax + eps u, u uniform over the allowed actions of
// each row (every action where a row allows none): the trainer's mixture.
// allowed [mask_batch, A] bool broadcasts over the batch like the mask does.
void add_exploration_floor(onnx::GraphProto* g, float eps, const std::string& softmax, const std::string& allowed,
                           const std::string& out) {
  add_f32(g, "floor.keep", {}, {1.f - eps});
  add_f32(g, "floor.eps", {}, {eps});
  add_f32(g, "floor.zero", {}, {0.f});
  const int64_t last_axis = -1;
  add_initializer(g, "floor.axes", onnx::TensorProto::INT64, {1}, &last_axis, sizeof last_axis);
  add_int_attribute(add_node(g, "Cast", {allowed}, "floor.allowed_f"), "to", onnx::TensorProto::FLOAT);
  add_int_attribute(add_node(g, "ReduceSum", {"floor.allowed_f", "floor.axes"}, "floor.count"), "keepdims", 1);
  add_node(g, "Equal", {"floor.count", "floor.zero"}, "floor.none");
  add_node(g, "Or", {allowed, "floor.none"}, "floor.support");
  add_int_attribute(add_node(g, "Cast", {"floor.support"}, "floor.support_f"), "to", onnx::TensorProto::FLOAT);
  add_int_attribute(add_node(g, "ReduceSum", {"floor.support_f", "floor.axes"}, "floor.support_n"), "keepdims", 1);
  add_node(g, "Div", {"floor.support_f", "floor.support_n"}, "floor.uniform");
  add_node(g, "Mul", {"floor.uniform", "floor.eps"}, "floor.mass");
  add_node(g, "Mul", {softmax, "floor.keep"}, "floor.kept");
  add_node(g, "Add", {"floor.kept", "floor.mass"}, out);
}

}  // namespace

std::string actor_onnx(const ActorWeights& actor, const std::string& doc_string,
                       const std::map<std::string, std::string>& metadata) {
  check_shapes(actor);
  const int64_t f = actor.features(), a = actor.actions();
  onnx::ModelProto model;
  model.set_ir_version(onnx::IR_VERSION);
  model.set_producer_name("mecrl");
  model.set_producer_version("0.1.0");
  model.set_doc_string(doc_string);
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOnnxOpset);
  for (const auto& [key, value] : metadata) {
    auto* p = model.add_metadata_props();
    p->set_key(key);
    p->set_value(value);
  }
  onnx::GraphProto* g = model.mutable_graph();
  g->set_name("mecrl_actor");

  set_tensor_type(g->add_input(), "obs", onnx::TensorProto::FLOAT, {std::string("batch"), f});
  set_tensor_type(g->add_input(), "action_mask", onnx::TensorProto::UINT8, {std::string("mask_batch"), a});
  const std::vector<uint8_t> all_allowed(static_cast<size_t>(a), 1);
  add_initializer(g, "action_mask", onnx::TensorProto::UINT8, {1, a}, all_allowed.data(), all_allowed.size());

  std::string x = "obs";
  if (actor.normalizes()) {
    add_f32(g, kObsMeanTensor, {f}, actor.obs_mean);
    add_f32(g, kObsStdTensor, {f}, actor.obs_std);
    add_f32(g, "obs_norm.clip_min", {}, {-actor.obs_clip});
    add_f32(g, "obs_norm.clip_max", {}, {actor.obs_clip});
    add_node(g, "Sub", {x, kObsMeanTensor}, "obs_centered");
    add_node(g, "Div", {"obs_centered", kObsStdTensor}, "obs_scaled");
    add_node(g, "Clip", {"obs_scaled", "obs_norm.clip_min", "obs_norm.clip_max"}, "obs_normalized");
    x = "obs_normalized";
  }
  for (size_t k = 0; k < actor.layers.size(); ++k) {
    const DenseLayer& l = actor.layers[k];
    const std::string w = layer_tensor_name(k, "weight"), b = layer_tensor_name(k, "bias");
    add_f32(g, w, {l.out, l.in}, l.weight);
    add_f32(g, b, {l.out}, l.bias);
    const std::string y = k + 1 < actor.layers.size() ? "hidden" + std::to_string(k) + ".linear" : "raw_logits";
    add_int_attribute(add_node(g, "Gemm", {x, w, b}, y), "transB", 1);
    x = y;
    if (k + 1 < actor.layers.size()) {
      add_node(g, "Tanh", {y}, "hidden" + std::to_string(k));
      x = "hidden" + std::to_string(k);
    }
  }
  add_f32(g, "masked_logit", {}, {kMaskedLogit});
  add_int_attribute(add_node(g, "Cast", {"action_mask"}, "allowed"), "to", onnx::TensorProto::BOOL);
  add_node(g, "Where", {"allowed", x, "masked_logit"}, "logits");
  const float eps = actor.exploration_floor;
  add_int_attribute(add_node(g, "Softmax", {"logits"}, eps > 0 ? "softmax" : "probs"), "axis", -1);
  if (eps > 0) add_exploration_floor(g, eps, "softmax", "allowed", "probs");
  onnx::NodeProto* argmax = add_node(g, "ArgMax", {"logits"}, "action");
  add_int_attribute(argmax, "axis", 1);
  add_int_attribute(argmax, "keepdims", 0);
  add_int_attribute(argmax, "select_last_index", 0);

  set_tensor_type(g->add_output(), "probs", onnx::TensorProto::FLOAT, {std::string("batch"), a});
  set_tensor_type(g->add_output(), "action", onnx::TensorProto::INT64, {std::string("batch")});
  set_tensor_type(g->add_output(), "logits", onnx::TensorProto::FLOAT, {std::string("batch"), a});

  std::string bytes;
  if (!model.SerializeToString(&bytes)) throw std::runtime_error("cannot serialise the ONNX model");
  return bytes;
}

void check_onnx(const std::string& model_bytes) {
  onnx::ModelProto model;
  if (!model.ParseFromString(model_bytes)) throw std::runtime_error("ONNX model does not parse");
  try {
    onnx::checker::check_model(model);
    // Strict: a node whose inputs do not fit its schema, or an inferred type
    // that contradicts a declared output, is an error, not a warning.
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(/*check_type=*/true, /*strict_mode=*/1));
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("ONNX checker: ") + e.what());
  }
}

}  // namespace mecrl::deploy
