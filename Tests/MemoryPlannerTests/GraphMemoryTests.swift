import Kernels
import ModelIR
import Testing
import _TestSupport

@testable import MemoryPlanner

/// Zoo graphs mapped onto planning problems, checked against independent measurements.
@Suite struct ZooMemoryTests {
  /// TFLite Micro's planned arena ("head") measured on Keras rebuilds of the configs
  /// (anchors.md): our TFLM graph (PAD before stride-2 convs) + TFLM's greedy planner must
  /// reproduce it byte for byte.
  @Test func interpreterArenaEqualsTFLMMeasurement() throws {
    let measured: [String: Int] = [
      "mbv2-w0.3": 161_472, "mbv2-w0.35": 511_680, "mcunet-in0": 87_040, "mcunet-in1": 153_728,
      "mcunet-in2": 332_800, "mcunet-in3": 397_920, "mcunet-in4": 662_208,
      "proxyless-w0.25": 161_664, "proxyless-w0.3": 388_992,
    ]
    for (id, bytes) in measured {
      let graph = try #require(ModelZoo.model(id)).graph()
      let problem = graph.memoryProblem(.interpreter(pad: .strideTwoOnly)).problem
      let plan = try GreedyBySizePlanner().plan(problem)
      try plan.validate()
      #expect(plan.arenaBytes == bytes, "\(id)")
    }
  }

  /// TFLM's persistent arena tail (anchors.md) against the overhead model: within 120 bytes.
  @Test func interpreterOverheadModel() throws {
    let measured: [String: Int] = [
      "mbv2-w0.3": 70_592, "mbv2-w0.35": 73_728, "mcunet-in0": 76_736, "mcunet-in1": 69_376,
      "mcunet-in2": 86_864, "mcunet-in3": 86_256, "mcunet-in4": 109_632,
      "proxyless-w0.25": 64_224, "proxyless-w0.3": 73_184,
    ]
    for (id, bytes) in measured {
      let graph = try #require(ModelZoo.model(id)).graph()
      let modelled = InterpreterOverheadModel().persistentBytes(graph, pad: .strideTwoOnly)
      #expect(abs(modelled - bytes) <= 120, "\(id): modelled \(modelled), measured \(bytes)")
    }
  }

  /// TinyEngine's schedule: arena and arena + max im2col + max kernel buffer equal the
  /// independent re-simulation of paper_facts.md §9 (to its 0.1 kB) and TinyEngine README's
  /// measured STM32H743 peak within 2 % (in0 … in4, proxyless-w0.3-r176).
  @Test func tinyEngineScheduleMatchesSimulationAndREADME() throws {
    let simulated: [String: (arena: Double, peak: Double)] = [
      "mcunet-in0": (45.0, 48.9), "mcunet-in1": (90.0, 95.7), "mcunet-in2": (200.0, 214.6),
      "mcunet-in3": (242.0, 260.1), "mcunet-in4": (400.0, 416.1),
      "proxyless-w0.3": (242.0, 259.4), "mbv2-w0.35": (283.5, 295.0),
      "proxyless-w0.3-r64": (32.0, 35.4), "mbv2-w0.3-r64": (56.0, 59.1),
    ]
    for (id, sim) in simulated {
      let model = try #require(ModelZoo.model(id))
      let te = try model.graph().memoryProblem(.tinyEngine(inPlaceDepthwise: true))
      let plan = try TinyEngineFirstFitPlanner(fidelity: .faithful).plan(te.problem)
      let arenaKB = (Double(plan.arenaBytes) / 102.4).rounded() / 10
      let peak = plan.arenaBytes + te.maxScratch.total
      let peakKB = (Double(peak) / 102.4).rounded() / 10
      #expect(arenaKB == sim.arena, "\(id) arena \(plan.arenaBytes)")
      #expect(peakKB == sim.peak, "\(id) peak \(peak)")
      if let readme = model.published.teH743SRAMKB, id != "mbv2-w0.3-r64",
        id != "proxyless-w0.3-r64"
      {
        let error = abs(Double(peak) / 1024 - readme) / readme
        #expect(error <= 0.02, "\(id): \(Double(peak) / 1024) kB vs README \(readme) kB")
      }
    }
  }

  /// Our joint plan is valid, never worse than TinyEngine's layout and never below the bound.
  @Test func oursBetweenBoundAndTinyEngine() throws {
    for model in ModelZoo.all {
      let te = try model.graph().memoryProblem(
        .tinyEngine(inPlaceDepthwise: true), precision: model.precision)
      let joint = te.withScratchBuffers
      let ours = try OursPlanner().plan(joint)
      try ours.validate()
      let tinyEngine = try TinyEngineFirstFitPlanner(fidelity: .corrected).plan(te.problem)
      #expect(ours.arenaBytes <= tinyEngine.arenaBytes + te.maxScratch.total, "\(model.id)")
      #expect(ours.arenaBytes >= lowerBound(joint), "\(model.id)")
    }
  }
}

/// A hand-drawn graph whose buffers are worked out by hand.
///
///     input 8×8×4 ─ conv 1×1 → 8×8×8 (expand) ─ dw 3×3 s2 → 4×4×8 ─ pw → 4×4×4 ─ gap ─ fc 4→2
///     bytes:  256            512                       128            64      4    2
@Suite struct HandDrawnGraphMemoryTests {
  func graph() throws -> Graph {
    var b = GraphBuilder(name: "hand")
    let x = try b.addInput(height: 8, width: 8, channels: 4)
    let e = try b.add(
      .conv2d(Conv2DAttributes(outChannels: 8, kernel: 1, stride: 1, activation: .relu6)),
      inputs: [x], name: "expand")
    let d = try b.add(
      .depthwiseConv2d(DepthwiseConv2DAttributes(kernel: 3, stride: 2, activation: .relu6)),
      inputs: [e], name: "dw")
    let p = try b.add(
      .conv2d(Conv2DAttributes(outChannels: 4, kernel: 1, stride: 1, activation: .none)),
      inputs: [d], name: "pw")
    let g = try b.add(.globalAvgPool, inputs: [p], name: "gap")
    try b.add(.linear(LinearAttributes(outFeatures: 2)), inputs: [g], name: "fc")
    return b.graph
  }

  /// TFLM: a PAD op before the stride-2 dw writes a 10×10×8 = 800-byte copy.
  /// Steps: 0 expand, 1 dw.pad, 2 dw, 3 pw, 4 gap, 5 fc. Sizes aligned to 16 by the planner.
  @Test func interpreterBuffers() throws {
    let p = try graph().memoryProblem(.interpreter(pad: .strideTwoOnly))
    #expect(p.stepNames == ["expand", "dw.pad", "dw", "pw", "gap", "fc"])
    let summary = p.problem.buffers.map { "\($0.name):\($0.size)@\($0.firstStep)-\($0.lastStep)" }
    #expect(
      summary == [
        "input:256@0-0", "expand:512@0-1", "dw.pad:800@1-2", "dw:128@2-3", "pw:64@3-4", "gap:4@4-5",
        "fc:2@5-5",
      ])
    #expect(p.problem.alignment == 16)
    // Peak at the PAD step: 512 + 800 = 1312 (both already multiples of 16).
    #expect(lowerBound(p.problem) == 1312)
    #expect(try GreedyBySizePlanner().plan(p.problem).arenaBytes == 1312)
  }

  /// TinyEngine: no PAD; the dw runs in place on the expand buffer, which shrinks to the real
  /// 4×4×8 = 128-byte output after the stride-2 step. Scratch: expand 1·1·4·2·2 = 16 im2col;
  /// dw 2·(8+2)·(8+2) = 200; pw 1·1·8·4 = 32; fc 4·4 = 16.
  @Test func tinyEngineBuffers() throws {
    let p = try graph().memoryProblem(.tinyEngine(inPlaceDepthwise: true))
    let summary = p.problem.buffers.map {
      "\($0.name):\($0.size)@\($0.firstStep)-\($0.lastStep)"
        + ($0.shrink.map { "→\($0.size) after \($0.afterStep)" } ?? "")
    }
    #expect(
      summary == [
        "input:256@0-0", "expand:512@0-2→128 after 1", "pw:64@2-3", "gap:4@3-4", "fc:2@4-4",
      ])
    #expect(p.scratch.map(\.im2col) == [16, 200, 32, 0, 16])
    #expect(p.scratch.map(\.kernel) == [0, 0, 0, 0, 0])
    #expect(p.maxScratch == ScratchBytes(im2col: 200, kernel: 0))
    // In-place bound with scratch: step 0: 256 + 512 + 16 = 784; step 1: 512 + 200 = 712.
    #expect(lowerBound(p.withScratchBuffers) == 784)
    // Without in-place: step 1 holds 512 + 128 + 2·9·8 = 784 as well; step 0 is the peak.
    let plain = try graph().memoryProblem(.tinyEngine(inPlaceDepthwise: false))
    #expect(plain.scratch.map(\.im2col) == [16, 144, 32, 0, 16])
    #expect(lowerBound(plain.withScratchBuffers) == 784)
  }
}
