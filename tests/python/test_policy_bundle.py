"""Exported policy bundles (tests/deploy/make_bundles.sh: one tiny trained run
per learner and scenario) against LibTorch's forward of the same actor
(tests/tools/policy_reference.cpp), on 10k random and 10k recorded
observations each:

- ONNX Runtime runs policy.onnx: probabilities, masked logits and greedy
  actions equal LibTorch's within 1e-5; the optional action_mask input may be
  omitted or given as one [1, A] row; onnx (pip) re-checks the model with its
  full checker and the opset is >= 17.
- ctypes calls the C ABI of libmecrl_policy.so: probabilities within 1e-6,
  the same greedy actions.
- policy.json lists every feature in order with unit, definition and config
  values, every action, the masking rule and the config hash of config.yaml.
Exit 77 (skipped) when onnxruntime/onnx are not installed."""
import ctypes
import csv
import json
import os
import sys

try:
    import numpy as np
    import onnx
    import onnxruntime as ort
    from safetensors.numpy import load_file
except ImportError as e:
    print(f"skipped: {e} (install tests/python/requirements.txt into .venv)")
    sys.exit(77)

BUILD = os.environ["MECRL_BUILD_DIR"]
BUNDLES = os.path.join(BUILD, "test_bundles")


def bundles():
    with open(os.path.join(BUNDLES, "index.tsv")) as f:
        return list(csv.DictReader(f, delimiter="\t"))


def near_tie(logits):
    """Two allowed actions within rounding of each other (either order is right)."""
    top2 = np.sort(logits, axis=1)[:, -2:]
    return ((top2[:, 1] - top2[:, 0]) <= 1e-5) & (top2[:, 1] > -1e7)


def floor_of(b):
    with open(os.path.join(b["bundle"], "policy.json")) as f:
        return json.load(f)["network"]["exploration_floor"]


def check_floor(b, probs, logits, mask):
    """probs = (1 - eps) softmax(logits) + eps u (u uniform over the allowed
    actions), recomputed here in float64 from ONNX's own logits output."""
    eps = floor_of(b)
    z = logits.astype(np.float64)
    soft = np.exp(z - z.max(1, keepdims=True))
    soft /= soft.sum(1, keepdims=True)
    allowed = mask != 0
    support = allowed | ~allowed.any(1, keepdims=True)
    want = (1 - eps) * soft + eps * support / support.sum(1, keepdims=True)
    dp = np.abs(probs - want).max()
    assert dp <= 1e-6, f"{b['name']}: probs are not the floored softmax of the logits ({dp:.2e})"
    n_allowed = support.sum(1, keepdims=True)
    assert (probs[support] >= (eps / np.broadcast_to(n_allowed, probs.shape))[support] - 1e-7).all(), "floor broken"
    return eps


def check_onnx(b, ref):
    path = os.path.join(b["bundle"], "policy.onnx")
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    opset = [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")]
    assert opset and opset[0] >= 17, f"{path}: opset {opset}"
    options = ort.SessionOptions()
    options.log_severity_level = 3  # the optional mask input is an overridable initializer: ORT warns, by design
    sess = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    # ONNX Runtime lists an input that has a default as an overridable initializer.
    assert [i.name for i in sess.get_inputs()] == ["obs"]
    assert [i.name for i in sess.get_overridable_initializers()] == ["action_mask"]
    assert [o.name for o in sess.get_outputs()] == ["probs", "action", "logits"]
    meta = sess.get_modelmeta().custom_metadata_map
    assert meta["mecrl.scenario"] == b["name"].split("_")[0], meta
    for name in ("random", "recorded"):
        obs, mask = ref[f"{name}.obs"], ref[f"{name}.mask"]
        probs, action, logits = sess.run(None, {"obs": obs, "action_mask": mask})
        want_logits = ref[f"{name}.logits"]
        allowed = mask != 0
        dp = np.abs(probs - ref[f"{name}.probs"]).max()
        dz = np.abs(logits - want_logits)[allowed].max() if allowed.any() else 0.0
        assert dp <= 1e-5, f"{b['name']}/{name}: ONNX Runtime probs differ from LibTorch by {dp:.2e}"
        assert dz <= 1e-5 * max(1.0, np.abs(want_logits[allowed]).max()), f"{b['name']}/{name}: logits by {dz:.2e}"
        assert np.array_equal(logits[~allowed], want_logits[~allowed]), "masked logits are not -1e8"
        eps = check_floor(b, probs, logits, mask)
        if b["name"] == "uncertainty_floor":  # trained 0.3 -> 0.15: the export acts with the final floor
            assert abs(eps - 0.15) < 1e-7, eps
            assert (probs[allowed] >= 0.15 / mask.shape[1] - 1e-7).all()
        else:
            assert eps == 0, eps
        ok = (action == ref[f"{name}.actions"]) | near_tie(want_logits)
        assert ok.all(), f"{b['name']}/{name}: {int((~ok).sum())} greedy actions differ"
        print(f"{b['name']}/{name}: onnxruntime max |dp| {dp:.2e}, max |dlogit| {dz:.2e}")
    # The mask input is optional (an initializer of ones), and one [1, A] row broadcasts.
    obs = ref["random.obs"][:64]
    a = ref["random.mask"].shape[1]
    p_default = sess.run(["probs"], {"obs": obs})[0]
    p_ones = sess.run(["probs"], {"obs": obs, "action_mask": np.ones((64, a), np.uint8)})[0]
    assert np.array_equal(p_default, p_ones)
    row = np.ones((1, a), np.uint8)
    row[0, 0] = 0
    p_row = sess.run(["probs"], {"obs": obs, "action_mask": row})[0]
    assert (p_row[:, 0] == 0).all() and np.allclose(p_row.sum(1), 1, atol=1e-6)


class Runtime:
    """The C ABI of deploy/mecrl_policy.h through ctypes."""

    def __init__(self):
        lib = ctypes.CDLL(os.path.join(BUILD, "deploy", "libmecrl_policy.so"))
        lib.mecrl_policy_load.restype = ctypes.c_void_p
        lib.mecrl_policy_load.argtypes = [ctypes.c_char_p]
        lib.mecrl_policy_act.restype = ctypes.c_int
        lib.mecrl_policy_act.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64,
                                         ctypes.c_void_p, ctypes.c_void_p]
        lib.mecrl_policy_features.argtypes = lib.mecrl_policy_actions.argtypes = [ctypes.c_void_p]
        lib.mecrl_policy_scenario.argtypes = [ctypes.c_void_p]
        lib.mecrl_policy_scenario.restype = ctypes.c_char_p
        lib.mecrl_policy_free.argtypes = [ctypes.c_void_p]
        lib.mecrl_policy_last_error.restype = ctypes.c_char_p
        self.lib = lib

    def check(self, b, ref):
        lib = self.lib
        assert lib.mecrl_policy_load(b"/nonexistent") is None
        assert b"not a policy bundle directory" in lib.mecrl_policy_last_error()
        p = lib.mecrl_policy_load(b["bundle"].encode())
        assert p, lib.mecrl_policy_last_error().decode()
        try:
            assert lib.mecrl_policy_scenario(p).decode() == b["name"].split("_")[0]
            f, a = lib.mecrl_policy_features(p), lib.mecrl_policy_actions(p)
            for name in ("random", "recorded"):
                obs = np.ascontiguousarray(ref[f"{name}.obs"], dtype=np.float32)
                mask = np.ascontiguousarray(ref[f"{name}.mask"], dtype=np.uint8)
                n = obs.shape[0]
                assert obs.shape == (n, f) and mask.shape == (n, a)
                probs = np.empty((n, a), np.float32)
                actions = np.empty(n, np.int32)
                rc = lib.mecrl_policy_act(p, obs.ctypes.data, mask.ctypes.data, n, actions.ctypes.data,
                                          probs.ctypes.data)
                assert rc == 0, lib.mecrl_policy_last_error().decode()
                dp = np.abs(probs - ref[f"{name}.probs"]).max()
                assert dp <= 1e-6, f"{b['name']}/{name}: C runtime probs differ from LibTorch by {dp:.2e}"
                ok = (actions == ref[f"{name}.actions"]) | near_tie(ref[f"{name}.logits"])
                assert ok.all(), f"{b['name']}/{name}: {int((~ok).sum())} greedy actions differ"
                print(f"{b['name']}/{name}: ctypes C runtime max |dp| {dp:.2e}")
        finally:
            lib.mecrl_policy_free(p)


def check_description(b):
    with open(os.path.join(b["bundle"], "policy.json")) as f:
        doc = json.load(f)
    scenario = b["name"].split("_")[0]
    assert doc["format"] == "mecrl-policy-bundle-1" and doc["scenario"] == scenario
    feats = doc["observation"]["list"]
    assert len(feats) == doc["observation"]["features"]
    assert [r["index"] for r in feats] == list(range(len(feats)))
    for r in feats:
        assert r["name"] and r["unit"] and r["definition"], r
        assert all(v is not None for v in r["config"].values()), f"feature {r['name']}: config key without value"
    assert len(doc["action"]["list"]) == doc["action"]["count"]
    assert doc["action"]["masking"]
    with open(os.path.join(b["bundle"], "config.yaml"), "rb") as f:
        text = f.read()
    with open(b["config"], "rb") as f:
        assert f.read() == text, "config.yaml is not the run's resolved config"
    crc = crc32c(text)
    assert doc["config"]["crc32c"] == f"{crc:08x}", (doc["config"]["crc32c"], f"{crc:08x}")
    assert doc["training"]["global_step"] > 0 and doc["training"]["metrics"], doc["training"]
    learners = {"offload_ppo_lag": "ppo_lag", "offload_wm_ppo": "wm_ppo_lag", "uncertainty_ppo": "ppo",
                "cartpole_ppo": "ppo", "uncertainty_floor": "ppo"}
    assert doc["learner"] == learners[b["name"]], doc["learner"]


def crc32c(data):
    """CRC32C (Castagnoli), bitwise: independent of core/crc32c.cpp's table."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def main():
    found = bundles()
    assert [b["name"] for b in found] == ["offload_ppo_lag", "offload_wm_ppo", "uncertainty_ppo", "cartpole_ppo",
                                         "uncertainty_floor"]
    runtime = Runtime()
    for b in found:
        ref = load_file(b["reference"])
        check_onnx(b, ref)
        runtime.check(b, ref)
        check_description(b)
    print("ok")


if __name__ == "__main__":
    main()
