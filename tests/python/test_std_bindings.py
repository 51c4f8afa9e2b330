#!/usr/bin/env python3
"""Every C++ standard-library symbol our LibTorch binaries use binds to libstdc++.

The pip LibTorch's libtorch.so / libtorch_cpu.so export private copies of
libstdc++ functions (std::filesystem::remove_all, rename, std::to_string, ...).
Had the dynamic linker bound one of our calls to them, training crashed at its
second checkpoint (cmake/Torch.cmake). The witness here is the dynamic
linker itself: each LibTorch-linked binary is started with LD_BIND_NOW=1
LD_DEBUG=bindings, which makes ld.so report, for every symbol the binary
imports, the library it bound it to. A standard-library symbol bound to a
LibTorch library is a failure, and so is any import of
std::filesystem::remove_all (core/remove_tree.h says why). With Debian's
LibTorch the first check passes trivially;
the check matters for the pip build (scripts/test-torch-pip.sh).

Exit 77 (skipped) when the build has no LibTorch binaries.
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

BUILD = os.environ["MECRL_BUILD_DIR"]
# binary -> arguments that make it start, load everything and exit quickly
BINARIES = {
    "apps/mecrl": ["--help"],
    "tests/mecrl_agent_tests": ["--gtest_list_tests"],
    "bench/mecrl_bench_agents": ["--benchmark_list_tests"],
}
LINE = re.compile(r"binding file (\S+) \[\d+\] to (\S+) \[\d+\]: \S+ symbol `([^']+)'")
STD_PREFIXES = ("std::", "__gnu_cxx::", "operator new", "operator delete", "vtable for std::",
                "typeinfo for std::", "typeinfo name for std::", "VTT for std::")


def demangle(symbols):
    out = subprocess.run(["c++filt"], input="\n".join(symbols), capture_output=True, text=True, check=True)
    return dict(zip(symbols, out.stdout.splitlines()))


def bindings_of(binary, args):
    """(importer, provider, symbol) for every symbol ld.so bound at start-up."""
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, LD_BIND_NOW="1", LD_DEBUG="bindings", LD_DEBUG_OUTPUT=os.path.join(tmp, "ld"))
        subprocess.run([binary] + args, env=env, capture_output=True, timeout=120)
        rows = []
        for path in glob.glob(os.path.join(tmp, "ld.*")):
            with open(path, errors="replace") as f:
                for line in f:
                    m = LINE.search(line)
                    if m:
                        rows.append(m.groups())
        return rows


def is_torch_library(path):
    name = os.path.basename(path)
    return name.startswith(("libtorch", "libc10", "libcaffe2"))


def main():
    failures, checked = [], 0
    present = {rel: args for rel, args in BINARIES.items() if os.path.exists(os.path.join(BUILD, rel))}
    if not present:
        print(f"no LibTorch binaries under {BUILD}: skipped")
        return 77
    for rel, args in present.items():
        binary = os.path.realpath(os.path.join(BUILD, rel))
        rows = [r for r in bindings_of(binary, args) if os.path.realpath(r[0]) == binary]
        names = demangle(sorted({sym for _, _, sym in rows}))
        std_rows = [(provider, names[sym]) for _, provider, sym in rows if names[sym].startswith(STD_PREFIXES)]
        if not std_rows:
            failures.append(f"{rel}: ld.so reported no standard-library bindings at all (check is blind)")
            continue
        if rel == "apps/mecrl" and not any("std::filesystem::" in n for _, n in std_rows):
            failures.append(f"{rel}: no std::filesystem function among its bindings (check is blind)")
        # remove_all crashed on the GPU machine even when bound to libstdc++
        # (core/remove_tree.h): none of our binaries may import it.
        failures += [f"{rel}: imports {n}; use mecrl::remove_tree (core/remove_tree.h)"
                     for n in sorted({n for _, n in std_rows if "filesystem::remove_all" in n})]
        bad = sorted({(os.path.basename(p), n) for p, n in std_rows if is_torch_library(p)})
        failures += [f"{rel}: {n} is bound to {lib}" for lib, n in bad]
        checked += len(std_rows)
        print(f"{rel}: {len(std_rows)} standard-library bindings, {len(bad)} into LibTorch")
    for f in failures:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
