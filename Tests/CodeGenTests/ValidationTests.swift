// ValidationTests.swift
// Generate-time validation (STYLE.md B5.2, B5.7): every rejected model, plan or option throws a
// CodeGenError whose message names the culprit and the fix; and the fallbacks that are not
// errors (bias folding that would overflow keeps the generic kernel).

import CodeGen
import MemoryPlanner
import ModelIR
import Quantization
import Testing

@Suite struct ValidationTests {
  /// Runs `body`, expecting a CodeGenError whose description contains every fragment.
  func expectError(
    _ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
  ) {
    do {
      try body()
      Issue.record("expected a CodeGenError", sourceLocation: sourceLocation)
    } catch let error as CodeGenError {
      for fragment in fragments {
        #expect(
          error.description.contains(fragment), "\(error.description)",
          sourceLocation: sourceLocation)
      }
    } catch {
      Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
  }

  /// int4 has no in-place depthwise kernel: a plan that merges a depthwise output into its
  /// input is rejected with the problem to build instead.
  @Test func int4InPlaceDepthwiseIsRejectedWithTheFix() throws {
    let q = try Fixtures.quantized(bitWidth: .int4)
    let (problem, plan) = try Fixtures.planned(q)
    expectError(["'dw5'", "int4", "inPlaceDepthwise: false", "precision: .int4"]) {
      _ = try CodeGen.generate(q, plan: plan, problem: problem)
    }
  }

  /// An int8-quantized graph relabelled int4 fails at its first node with int8 data.
  @Test func int8DataInAnInt4GraphIsRejectedNamingTheNode() throws {
    var q = try Fixtures.quantized()
    q.bitWidth = .int4
    let problem = q.graph.memoryProblem(.tinyEngine(inPlaceDepthwise: false), precision: .int4)
    let plan = try GreedyBySizePlanner().plan(problem.problem)
    expectError(["node '", "re-quantize"]) {
      _ = try CodeGen.generate(q, plan: plan, problem: problem)
    }
  }

  @Test func programNameMustBeACIdentifier() throws {
    let q = try Fixtures.quantized()
    let (problem, plan) = try Fixtures.planned(q)
    for bad in ["3model", "my-model", ""] {
      expectError(["'\(bad)'", "not a C identifier"]) {
        _ = try CodeGen.generate(q, plan: plan, problem: problem, options: .init(name: bad))
      }
    }
  }

  @Test func interpreterProblemWithPadStepsIsRejected() throws {
    let q = try Fixtures.quantized()
    let problem = q.graph.memoryProblem(.interpreter(pad: .everySpatialConv))
    let plan = try GreedyBySizePlanner().plan(problem.problem)
    expectError(["conv.pad", ".tinyEngine(inPlaceDepthwise:)", "PAD steps"]) {
      _ = try CodeGen.generate(q, plan: plan, problem: problem)
    }
  }

  @Test func planOfAnotherProblemIsRejected() throws {
    let q = try Fixtures.quantized()
    let (problem, _) = try Fixtures.planned(q)
    let outOfPlace = q.graph.memoryProblem(.tinyEngine(inPlaceDepthwise: false))
    let plan = try GreedyBySizePlanner().plan(outOfPlace.problem)
    expectError(["buffer 'expand'", "steps", "plan problem.problem"]) {
      _ = try CodeGen.generate(q, plan: plan, problem: problem)
    }
  }

  @Test func overlappingPlanIsRejected() throws {
    let q = try Fixtures.quantized()
    let (problem, _) = try Fixtures.planned(q)
    let zeros = MemoryPlan(
      problem: problem.problem, offsets: problem.problem.buffers.map { _ in 0 },
      planner: "Zeros")
    expectError(["plan of 'Zeros' is invalid", "validating planner"]) {
      _ = try CodeGen.generate(q, plan: zeros, problem: problem)
    }
  }

  @Test func jointPlanNeedsEnoughScratch() throws {
    let q = try Fixtures.quantized()
    let problem = q.graph.memoryProblem(.tinyEngine(inPlaceDepthwise: true))
    var joint = problem.withKernelScratch(of: q.graph).withScratchBuffers
    let k = try #require(joint.buffers.firstIndex { $0.name == "dw5.im2col" })
    joint.buffers[k].size = 4
    let small = try GreedyBySizePlanner().plan(joint)
    expectError(["node 'dw5'", "reserves 4 scratch bytes", "mcu_dwconv_s8_k5x5_s2_inplace"]) {
      _ = try CodeGen.generate(q, plan: small, problem: problem)
    }
    joint.buffers.remove(at: k)
    let missing = try GreedyBySizePlanner().plan(joint)
    expectError(["node 'dw5'", "no 'dw5.im2col' buffer", "withScratchBuffers"]) {
      _ = try CodeGen.generate(q, plan: missing, problem: problem)
    }
  }

  /// A hand-edited problem that runs `dw3` in place although `add` still reads its input.
  @Test func unsafeInPlaceIsRejected() throws {
    let q = try Fixtures.quantized()
    var problem = q.graph.memoryProblem(.tinyEngine(inPlaceDepthwise: true))
    problem.problem.buffers.removeAll { $0.name == "dw3" }
    let plan = try GreedyBySizePlanner().plan(problem.problem)
    expectError(["node 'dw3' runs in place", "'conv' has 2 readers", "inPlaceDepthwise: false"]) {
      _ = try CodeGen.generate(q, plan: plan, problem: problem)
    }
  }

  @Test func badWeightsNameTheNode() throws {
    var q = try Fixtures.quantized()
    let (problem, plan) = try Fixtures.planned(q)
    q.layers[5].weights.removeLast()
    expectError(["node 'expand'", "31 weights for shape [8, 1, 1, 4]", "re-quantize"]) {
      _ = try CodeGen.generate(q, plan: plan, problem: problem)
    }
  }

  /// Folding `b − zp_in·Σw` would leave Int32: the layer keeps the generic kernel.
  @Test func biasThatCannotBeFoldedFallsBackToTheGenericKernel() throws {
    var q = try Fixtures.quantized()
    let (problem, plan) = try Fixtures.planned(q)
    let i = 3  // pw
    let inputOffset = -Int64(q.layers[2].output.zeroPoint)
    let sum = q.layers[i].weights.prefix(4).reduce(Int64(0)) { $0 + Int64($1) }
    try #require(inputOffset * sum != 0)
    q.layers[i].bias[0] = inputOffset * sum > 0 ? .max : .min
    let program = try CodeGen.generate(q, plan: plan, problem: problem)
    #expect(program.manifest.layers[i - 1].kernel == "mcu_pointwise_conv2d_s8")
    #expect(program.manifest.layers[i - 1].biasFolded == false)
    #expect(program.manifest.layers[4].kernel == "mcu_pwconv_s8_cin4")
  }

  /// A bias whose folded value fits Int32 but breaks the unsaturated requantization's bound
  /// (|acc + b'|·2^left ≤ 2^30, RequantizationBound): the generic kernel, raw bias; exactly at
  /// the bound, the specialization stays.
  @Test func biasBeyondTheRequantizationBoundFallsBackToTheGenericKernel() throws {
    var q = try Fixtures.quantized()
    let (problem, plan) = try Fixtures.planned(q)
    let i = 3  // pw, cIn 4
    let inputOffset = -Int64(q.layers[2].output.zeroPoint)
    let row = q.layers[i].weights.prefix(4)
    let sum = row.reduce(Int64(0)) { $0 + Int64($1) }
    let magnitude = row.reduce(Int64(0)) { $0 + Int64(abs(Int($1))) }
    let shift = try q.convParams(ofNode: i).outputMultipliers[0].shift
    let limit = (Int64(1) << 30) >> max(shift, 0)
    // b' = b + inputOffset·Σw; the bound is 128·Σ|w| + |b'|.
    q.layers[i].bias[0] = Int32(limit - 128 * magnitude - inputOffset * sum)
    let atBound = try CodeGen.generate(q, plan: plan, problem: problem)
    #expect(atBound.manifest.layers[i - 1].kernel == "mcu_pwconv_s8_cin4")
    q.layers[i].bias[0] += 1
    let beyond = try CodeGen.generate(q, plan: plan, problem: problem)
    #expect(beyond.manifest.layers[i - 1].kernel == "mcu_pointwise_conv2d_s8")
    #expect(beyond.manifest.layers[i - 1].biasFolded == false)
    #expect(beyond.manifest.layers[4].kernel == "mcu_pwconv_s8_cin4")
  }

  @Test func selfCheckHarnessChecksSizes() throws {
    let q = try Fixtures.quantized()
    let (problem, plan) = try Fixtures.planned(q)
    let program = try CodeGen.generate(q, plan: plan, problem: problem)
    expectError(["expected output has 2 bytes", "tensor has 3"]) {
      _ = try Harness.selfCheckMain(
        for: program, input: [Int8](repeating: 0, count: 147), expected: [0, 0])
    }
  }
}
