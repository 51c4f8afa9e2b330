// The ONNX writer: the model read back with ONNX's own classes has the
// documented interface (opset 17, obs/action_mask in, probs/action/logits
// out) and carries the bundle's weights byte for byte; the checker rejects a
// graph whose layers do not fit. Numbers are checked with ONNX Runtime
// against LibTorch in tests/python/test_policy_bundle.py.
#include <gtest/gtest.h>

#include <onnx/onnx_pb.h>

#include <cstring>
#include <functional>
#include <map>
#include <stdexcept>

#include "deploy/onnx_actor.h"
#include "deploy/synthetic_bundle.h"

namespace mecrl::deploy {
namespace {

onnx::ModelProto parse(const std::string& bytes) {
  onnx::ModelProto m;
  EXPECT_TRUE(m.ParseFromString(bytes));
  return m;
}

// "batch" for a symbolic dimension, the number otherwise.
std::vector<std::string> dims_of(const onnx::ValueInfoProto& v) {
  std::vector<std::string> out;
  for (const auto& d : v.type().tensor_type().shape().dim()) {
    out.push_back(d.has_dim_param() ? d.dim_param() : std::to_string(d.dim_value()));
  }
  return out;
}

TEST(OnnxActor, InterfaceOpsetAndWeights) {
  const ActorWeights a = testing::random_actor(7, 16, 4, true, 3);
  const std::string bytes = actor_onnx(a, "doc", {{"mecrl.scenario", "synthetic"}});
  EXPECT_NO_THROW(check_onnx(bytes));
  const onnx::ModelProto m = parse(bytes);
  ASSERT_EQ(m.opset_import_size(), 1);
  EXPECT_EQ(m.opset_import(0).domain(), "");
  EXPECT_GE(m.opset_import(0).version(), 17);
  ASSERT_EQ(m.metadata_props_size(), 1);
  EXPECT_EQ(m.metadata_props(0).value(), "synthetic");

  const onnx::GraphProto& g = m.graph();
  ASSERT_EQ(g.input_size(), 2);
  EXPECT_EQ(g.input(0).name(), "obs");
  EXPECT_EQ(g.input(0).type().tensor_type().elem_type(), onnx::TensorProto::FLOAT);
  EXPECT_EQ(dims_of(g.input(0)), (std::vector<std::string>{"batch", "7"}));
  EXPECT_EQ(g.input(1).name(), "action_mask");
  EXPECT_EQ(g.input(1).type().tensor_type().elem_type(), onnx::TensorProto::UINT8);
  EXPECT_EQ(dims_of(g.input(1)), (std::vector<std::string>{"mask_batch", "4"}));
  ASSERT_EQ(g.output_size(), 3);
  EXPECT_EQ(g.output(0).name(), "probs");
  EXPECT_EQ(g.output(1).name(), "action");
  EXPECT_EQ(g.output(1).type().tensor_type().elem_type(), onnx::TensorProto::INT64);
  EXPECT_EQ(g.output(2).name(), "logits");

  std::vector<std::string> ops;
  for (const auto& n : g.node()) ops.push_back(n.op_type());
  EXPECT_EQ(ops, (std::vector<std::string>{"Sub", "Div", "Clip", "Gemm", "Tanh", "Gemm", "Tanh", "Gemm", "Cast",
                                           "Where", "Softmax", "ArgMax"}));

  std::map<std::string, const onnx::TensorProto*> init;
  for (const auto& t : g.initializer()) init[t.name()] = &t;
  const auto tensors = actor_tensors(a);
  for (const auto& [name, blob] : tensors) {
    ASSERT_TRUE(init.count(name)) << name;
    EXPECT_EQ(init[name]->raw_data(), blob.bytes) << name;
    EXPECT_EQ(std::vector<int64_t>(init[name]->dims().begin(), init[name]->dims().end()), blob.shape) << name;
  }
  ASSERT_TRUE(init.count("action_mask"));  // the default of the optional input: all allowed, broadcast
  EXPECT_EQ(init["action_mask"]->raw_data(), std::string(4, '\1'));
  EXPECT_EQ(std::vector<int64_t>(init["action_mask"]->dims().begin(), init["action_mask"]->dims().end()),
            (std::vector<int64_t>{1, 4}));
}

TEST(OnnxActor, WithoutNormalisationTheGraphStartsAtTheFirstLayer) {
  const onnx::ModelProto m = parse(actor_onnx(testing::random_actor(3, 4, 2, false, 1), "", {}));
  EXPECT_EQ(m.graph().node(0).op_type(), "Gemm");
  EXPECT_EQ(m.graph().node(0).input(0), "obs");
}

TEST(OnnxActor, RefusesLayersThatDoNotFit) {
  ActorWeights a = testing::random_actor(3, 4, 2, false, 1);
  DenseLayer& l = a.layers[1];  // takes 5 inputs where the first layer gives 4
  l.in = 5;
  l.weight.resize(static_cast<size_t>(l.out * l.in), 0.f);
  EXPECT_THROW(actor_onnx(a, "", {}), std::invalid_argument);
}

TEST(OnnxActor, CheckerRejectsBrokenModels) {
  const std::string good = actor_onnx(testing::random_actor(3, 4, 2, false, 1), "", {});
  auto broken = [&](const std::function<void(onnx::ModelProto&)>& edit) {
    onnx::ModelProto m = parse(good);
    edit(m);
    std::string bytes;
    m.SerializeToString(&bytes);
    try {
      check_onnx(bytes);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  // An operator that does not exist, a node input nobody produces, a Tanh fed an integer tensor.
  EXPECT_EQ(broken([](onnx::ModelProto& m) { m.mutable_graph()->mutable_node(1)->set_op_type("Tanhh"); }).rfind("ONNX checker: ", 0), 0u);
  EXPECT_EQ(broken([](onnx::ModelProto& m) { m.mutable_graph()->mutable_node(1)->set_input(0, "nowhere"); }).rfind("ONNX checker: ", 0), 0u);
  EXPECT_EQ(broken([](onnx::ModelProto& m) { m.mutable_graph()->mutable_node(0)->set_input(0, "action_mask"); }).rfind("ONNX checker: ", 0), 0u);
  EXPECT_THROW(check_onnx("not a model"), std::runtime_error);
}

}  // namespace
}  // namespace mecrl::deploy
