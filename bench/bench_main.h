// What a benchmark file may ask of bench_main.cpp's main().
#pragma once

namespace mecrl::bench {

// A benchmark that starts copies of this binary as helper processes (the
// data-parallel ranks of agents/bm_train.cpp) points this at its helpers'
// entry during static initialisation. main() calls it first, once every
// static constructor has run (CUDA's kernel registration among them, which
// a helper working inside a static initialiser could precede); it returns
// at once in a process that is no helper, and never returns in one.
extern void (*run_if_helper)();

}  // namespace mecrl::bench
