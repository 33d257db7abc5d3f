// KernelScratchTests.swift
// `withKernelScratch`: the planning problem of the generated code carries the scratch our
// kernels use (KernelSpec.scratchBytes), not TinyEngine's rules.

import CodeGen
import Kernels
import MemoryPlanner
import ModelIR
import Testing

@Suite struct KernelScratchTests {
  /// One int8 channel plane per in-place depthwise layer; two int16 columns per specialized
  /// conv; two int16 weight rows per fixed-cIn pointwise; the widened input per fixed-cIn
  /// linear; nothing else.
  @Test func scratchIsWhatEachSelectedKernelUses() throws {
    let q = try Fixtures.quantized()
    let graph = q.graph
    let tinyEngine = graph.memoryProblem(.tinyEngine(inPlaceDepthwise: true))
    let ours = tinyEngine.withKernelScratch(of: graph)
    let owned = Set(ours.problem.buffers.map(\.name))
    var planes = 0
    for (step, name) in ours.stepNames.enumerated() {
      let s = ours.scratch[step]
      #expect(s.kernel == 0, "\(name)")
      let node = try #require(graph.nodes.first { $0.name == name })
      let input = graph.nodes[node.inputs[0]].outputShape
      switch node.op {
      case .depthwiseConv2d(let a) where !owned.contains(name):
        let plane =
          (input[1] + a.padding.top + a.padding.bottom)
          * (input[2] + a.padding.left + a.padding.right)
        #expect(s.im2col == plane, "\(name): one padded int8 plane")
        planes += 1
      case .conv2d(let a) where a.isPointwise:
        #expect(s.im2col == 2 * 2 * input[3], "\(name): two int16 weight rows")
      case .conv2d(let a):
        let taps = KernelSpec.paddedWindow(a.kernelH * a.kernelW * input[3])
        #expect(s.im2col == 2 * 2 * taps, "\(name): two int16 im2col columns")
      case .linear:
        #expect(
          s.im2col == 2 * graph.nodes[node.inputs[0]].outputElements, "\(name): int16 input")
      default:
        #expect(s.im2col == 0, "\(name) needs no scratch")
      }
    }
    #expect(planes > 0, "the fixture has an in-place depthwise layer")
    // The generator accepts the plan; the arena stays within TinyEngine's int16 rules' plan.
    let plan = try OursPlanner().plan(ours.withScratchBuffers)
    let program = try CodeGen.generate(q, plan: plan, problem: ours)
    let tinyEnginePlan = try OursPlanner().plan(tinyEngine.withScratchBuffers)
    #expect(program.manifest.arenaBytes <= tinyEnginePlan.arenaBytes)
  }
}
