// KernelScratchTests.swift
// `withKernelScratch`: the planning problem of the generated code carries the scratch our
// kernels use (one int8 channel plane per in-place depthwise layer), not TinyEngine's rules.

import CodeGen
import MemoryPlanner
import ModelIR
import Testing

@Suite struct KernelScratchTests {
  @Test func scratchIsOnePlanePerInPlaceDepthwiseAndNothingElse() throws {
    let q = try Fixtures.quantized()
    let graph = q.graph
    let tinyEngine = graph.memoryProblem(.tinyEngine(inPlaceDepthwise: true))
    let ours = tinyEngine.withKernelScratch(of: graph)
    let owned = Set(ours.problem.buffers.map(\.name))
    var planes = 0
    for (step, name) in ours.stepNames.enumerated() {
      let s = ours.scratch[step]
      #expect(s.kernel == 0, "\(name)")
      guard let node = graph.nodes.first(where: { $0.name == name }),
        case .depthwiseConv2d(let a) = node.op, !owned.contains(name)
      else {
        #expect(s.im2col == 0, "\(name) needs no scratch")
        continue
      }
      let input = graph.nodes[node.inputs[0]].outputShape
      let plane =
        (input[1] + a.padding.top + a.padding.bottom)
        * (input[2] + a.padding.left + a.padding.right)
      #expect(s.im2col == plane, "\(name): one padded int8 plane")
      planes += 1
    }
    #expect(planes > 0, "the fixture has an in-place depthwise layer")
    // Never more than TinyEngine's int16 rules reserve, and the generator accepts the plan.
    #expect(
      ours.scratch.map(\.total).reduce(0, +) < tinyEngine.scratch.map(\.total).reduce(0, +))
    let plan = try OursPlanner().plan(ours.withScratchBuffers)
    let program = try CodeGen.generate(q, plan: plan, problem: ours)
    let tinyEnginePlan = try OursPlanner().plan(tinyEngine.withScratchBuffers)
    #expect(program.manifest.arenaBytes <= tinyEnginePlan.arenaBytes)
  }
}
