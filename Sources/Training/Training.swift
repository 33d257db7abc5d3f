// Training.swift
// The float32 training kernels of the suite (DESIGN.md §2 "Training (float, BLAS)"): one file
// per op under Ops/ with forward and backward side by side (micrograd, llm.c), readable Float64
// references under Reference/ that are the spec the tests check against (STYLE.md B6.1), and
// SGD plus the cosine schedule under Optim/. No autograd graph and no model: a later `Model`
// built from the ModelIR graph calls these ops with buffers it preallocates.
//
// Conventions shared by every op (each op's doc comment repeats what applies to it):
// - Layout NHWC for activations, OHWI for conv weights, [kH, kW, C] (1HWO) for depthwise
//   weights; the shape legend is in TensorModule/Shape.swift.
// - An op is a small `Sendable` value holding its static geometry (sizes, kernel, stride,
//   padding). The batch size N is taken from the input's element count at each call.
// - `forward(…, into: &output)` overwrites `output`. Every backward function *accumulates*
//   (`accumulatingInto: &dX` adds to dX), as llm.c does, so a tensor read by two consumers
//   (a residual fan-out) simply receives both contributions; zero the gradients once per step.
// - Ops that need scratch report `workspaceCount(batch:)` (CMSIS-NN's `*_get_buffer_size`); the
//   caller owns and reuses the workspace.
// - Each op also has an allocating convenience form on `Tensor<Float>` for tests and tools.
// - Threads: GEMMs run on OpenBLAS's own threads over the whole batch at once; the hand loops
//   (im2col, depthwise, batch norm) split their rows over the cores with `concurrentPerform`.
//   The two never run at the same time, so the cores are not oversubscribed.
