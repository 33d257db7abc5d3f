// KernelScratch.swift
// The scratch the generated code's kernels really use, as a memory problem: the planners'
// problems carry TinyEngine's scratch rules (Kernels/ScratchRules.swift, int16 im2col and
// weight copies, so that `repro memory` reproduces TinyEngine), while our kernels need one int8
// channel plane for an in-place depthwise layer and nothing else (`KernelSpec.scratchBytes`).
// Planning the generated code with TinyEngine's rules would reserve arena bytes no kernel
// touches (102 kB for SmallCifar's third 5×5 conv).

import Kernels
import MemoryPlanner
import ModelIR

extension GraphMemoryProblem {
  /// This problem with each step's scratch replaced by what the kernel CodeGen selects for
  /// that node needs (`options` as passed to `CodeGen.generate`); plan
  /// `withScratchBuffers` of the result to place it jointly with the activations.
  ///
  /// A depthwise node whose output has no buffer of its own runs in place (as `CodeGen`
  /// decides); steps that are not graph nodes keep no scratch.
  public func withKernelScratch(
    of graph: Graph, precision: Precision = .int8,
    options: KernelSelectionOptions = KernelSelectionOptions()
  ) -> GraphMemoryProblem {
    let owned = Set(problem.buffers.map(\.name))
    var byName: [String: Int] = [:]
    for (i, node) in graph.nodes.enumerated() where byName[node.name] == nil {
      byName[node.name] = i
    }
    var copy = self
    copy.scratch = stepNames.map { name in
      guard let i = byName[name] else { return .none }
      let node = graph.nodes[i]
      var inPlace = false
      if case .depthwiseConv2d = node.op { inPlace = !owned.contains(node.name) }
      guard
        let kernel = graph.kernel(
          forNode: i, precision: precision, inPlace: inPlace, options: options)
      else { return .none }
      return ScratchBytes(im2col: kernel.scratchBytes(forNode: i, in: graph), kernel: 0)
    }
    return copy
  }
}
