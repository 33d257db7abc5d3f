// AddS8Tests.swift
// mcu_add_s8: a hand-computed golden (equal scales make the ADD exact), bit-exact against
// IntegerReference.add over sizes × random scales and zero points × activation × rounding, and
// the documented aliasing of output and input.

import CMicroKernels
import Quantization
import TensorModule
import Testing
import _TestSupport

@Suite struct AddS8Tests {
  static func run(_ a: [Int8], _ b: [Int8], params: AddParams) -> [Int8] {
    var p = CKernels.addParams(params)
    return CKernels.guardedOutput(Int8.self, count: a.count, "mcu_add_s8") { out in
      mcu_add_s8(&p, a, b, Int32(a.count), out)
    }
  }

  /// Equal scales s and zero points 0: twiceMax = 2s, m1 = m2 = 1/2, mOut = 2^−19, so by hand
  /// out = (x1·2^19 + x2·2^19)·2^−19 = x1 + x2 exactly, then clamped: 100 + 100 → 127.
  @Test(arguments: RoundingMode.allCases)
  func int8AddGoldenWithEqualScalesIsExactSum(mode: RoundingMode) throws {
    let q = QuantParams(scale: 0.25, zeroPoint: 0)
    let params = try AddParams(input1: q, input2: q, output: q, roundingMode: mode)
    let out = Self.run([1, 2, -3, 100, -100], [10, -20, 30, 100, -100], params: params)
    #expect(out == [11, -18, 27, 127, -128])
  }

  @Test func int8AddMatchesReferenceOverSizesScalesActivationsAndRounding() throws {
    var tally = ClampTally()
    var seed: UInt64 = 0xAD_0000
    try withEvery("size", in: [1, 2, 7, 64, 255]) { size in
      try withEvery("activation", in: Activation.allCases) { activation in
        try withEvery("rounding", in: RoundingMode.allCases) { mode in
          try withEvery("trial", in: 0..<4) { _ in
            seed += 1
            var g = SeededGenerator(seed: seed)
            let s1 = Float.random(in: 0.01...0.1, using: &g)
            let s2 = Float.random(in: 0.01...0.1, using: &g)
            let input1 = QuantParams(scale: s1, zeroPoint: Int32.random(in: -128...127, using: &g))
            let input2 = QuantParams(scale: s2, zeroPoint: Int32.random(in: -128...127, using: &g))
            let output = QuantParams(
              scale: (s1 + s2) * Float.random(in: 0.6...1.2, using: &g),
              zeroPoint: Int32.random(in: -20...20, using: &g))
            let params = try AddParams(
              input1: input1, input2: input2, output: output, activation: activation,
              roundingMode: mode)
            let a = g.int8s(size, in: -128...127)
            let b = g.int8s(size, in: -128...127)
            let expected = IntegerReference.add(a, b, params: params)
            annotated("seed \(seed), \(input1), \(input2), \(output)") {
              assertBitExact(Self.run(a, b, params: params), expected, "add vs IntegerReference")
            }
            tally.add(expected, params.activationMin...params.activationMax)
          }
        }
      }
    }
    tally.check(minInside: 0.3)
  }

  /// Parameters stored directly (as read from a model file) with small left shifts: with 20 the
  /// low bits are zero and the two rounding modes almost never differ, with 0 or 2 they often
  /// do, so this sweep is the one that pins the rounding of all three multiplies.
  @Test func int8AddMatchesReferenceForRawParametersAcrossLeftShiftsAndRounding() throws {
    var tally = ClampTally()
    var seed: UInt64 = 0xAD_1000
    try withEvery("leftShift", in: [0, 2, 20]) { leftShift in
      try withEvery("rounding", in: RoundingMode.allCases) { mode in
        try withEvery("trial", in: 0..<16) { _ in
          seed += 1
          var g = SeededGenerator(seed: seed)
          let zpOut = Int32.random(in: -20...20, using: &g)
          let clamp = Clamp.random(using: &g).range(zp: zpOut, full: -128...127, using: &g)
          let params = AddParams(
            input1Offset: Int32.random(in: -127...128, using: &g),
            input2Offset: Int32.random(in: -127...128, using: &g),
            outputOffset: zpOut, leftShift: leftShift,
            input1Multiplier: try .smallerThanOne(Double.random(in: 0.2...0.99, using: &g)),
            input2Multiplier: try .smallerThanOne(Double.random(in: 0.2...0.99, using: &g)),
            outputMultiplier: try .smallerThanOne(
              Double.random(in: 0.1...0.4, using: &g) / Double(1 << leftShift)),
            activationMin: clamp.lowerBound, activationMax: clamp.upperBound, roundingMode: mode)
          let a = g.int8s(64, in: -128...127)
          let b = g.int8s(64, in: -128...127)
          let expected = IntegerReference.add(a, b, params: params)
          annotated("seed \(seed)") {
            assertBitExact(Self.run(a, b, params: params), expected, "add vs IntegerReference")
          }
          tally.add(expected, params.activationMin...params.activationMax)
        }
      }
    }
    tally.check(minInside: 0.3)
  }

  /// The header allows output == input1 (element-wise, read before write).
  @Test func int8AddInPlaceOverFirstInputMatchesOutOfPlace() throws {
    var g = SeededGenerator(seed: 0xAD_FFFF)
    let params = try AddParams(
      input1: QuantParams(scale: 0.05, zeroPoint: 3),
      input2: QuantParams(scale: 0.02, zeroPoint: -7),
      output: QuantParams(scale: 0.06, zeroPoint: 1))
    let a = g.int8s(33, in: -128...127)
    let b = g.int8s(33, in: -128...127)
    var p = CKernels.addParams(params)
    var data = a
    let status = data.withUnsafeMutableBufferPointer { buffer in
      mcu_add_s8(&p, buffer.baseAddress, b, Int32(buffer.count), buffer.baseAddress)
    }
    #expect(status == MCU_OK)
    assertBitExact(data, IntegerReference.add(a, b, params: params), "in-place add")
  }
}
