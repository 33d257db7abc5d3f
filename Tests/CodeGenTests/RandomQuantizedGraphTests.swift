// RandomQuantizedGraphTests.swift
// Seeded random quantized graphs: deterministic per seed, different across seeds, and calibrated
// so that every layer's int8 output is spread over many values rather than saturated.

import CodeGen
import ModelIR
import Quantization
import TensorModule
import Testing

@Suite struct RandomQuantizedGraphTests {
  @Test func sameSeedSameGraphOtherSeedOtherWeights() throws {
    let a = try Fixtures.quantized(seed: 1)
    let b = try Fixtures.quantized(seed: 1)
    let c = try Fixtures.quantized(seed: 2)
    #expect(a == b)
    #expect(a.layers[1].weights != c.layers[1].weights)
  }

  @Test func everyLayerOutputIsSpreadNotSaturated() throws {
    let q = try Fixtures.quantized(seed: 3)
    var rng = SeededGenerator(seed: 4)
    let input = RandomQuantizedGraph.input(for: q, using: &rng)
    let outputs = try IntegerInterpreter.run(q, input: input)
    for (i, values) in outputs.enumerated().dropFirst() {
      let node = q.graph.nodes[i].name
      let distinct = Set(values).count
      #expect(distinct >= min(8, values.count), "\(node): only \(distinct) distinct values")
      let saturated = values.filter { $0 == 127 }.count
      #expect(saturated * 4 <= values.count, "\(node): \(saturated) of \(values.count) at 127")
    }
  }

  @Test func weightsUseTheInt8RangeAndBiasesAreModest() throws {
    let q = try Fixtures.quantized(seed: 5)
    for (i, layer) in q.layers.enumerated() where !layer.weights.isEmpty {
      #expect(layer.weights.contains { abs(Int($0)) == 127 }, "node \(i)")
      #expect(layer.bias.allSatisfy { abs(Int64($0)) < 1 << 24 }, "node \(i)")
    }
  }
}
