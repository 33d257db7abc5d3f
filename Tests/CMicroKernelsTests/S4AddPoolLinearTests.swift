// S4AddPoolLinearTests.swift
// The packed int4 kernels mcu_add_s4, mcu_avgpool_s4, mcu_global_avgpool_s4 and
// mcu_fully_connected_per_channel_s4: hand-computed goldens through packing, then bit-exact
// sweeps (unpacked values and packed bytes) against IntegerReference's int4 references, in the
// style of the int8 AddS8Tests, PoolS8Tests and FullyConnectedS8Tests.

import CMicroKernels
import Quantization
import TensorModule
import Testing
import _TestSupport

@Suite struct S4AddPoolLinearTests {
  // MARK: - C front ends (packed bytes in, packed bytes out)

  static func add(_ a: PackedInt4, _ b: PackedInt4, params: AddParams) -> [UInt8] {
    var p = CKernels.addParams(params)
    return CKernels.guardedOutput(UInt8.self, count: a.bytes.count, "mcu_add_s4") { out in
      mcu_add_s4(&p, a.bytes, b.bytes, Int32(a.count), out)
    }
  }

  static func avgPool(_ input: PackedInt4, _ inputShape: Shape, _ params: PoolParams) throws
    -> [UInt8]
  {
    let outputShape = try params.validate(inputShape: inputShape, bitWidth: .int4)
    var p = CKernels.poolParams(params)
    var inDims = CKernels.dims(inputShape)
    var outDims = CKernels.dims(outputShape)
    let bytes = (outputShape.count + 1) / 2
    return CKernels.guardedOutput(UInt8.self, count: bytes, "mcu_avgpool_s4") { out in
      mcu_avgpool_s4(&p, &inDims, input.bytes, &outDims, out)
    }
  }

  static func globalPool(_ input: PackedInt4, _ inputShape: Shape, min: Int32, max: Int32)
    -> [UInt8]
  {
    var inDims = CKernels.dims(inputShape)
    let bytes = (inputShape[0] * inputShape[3] + 1) / 2
    return CKernels.guardedOutput(UInt8.self, count: bytes, "mcu_global_avgpool_s4") { out in
      mcu_global_avgpool_s4(&inDims, input.bytes, min, max, out)
    }
  }

  static func fullyConnected(
    input: PackedInt4, inputShape: Shape, filter: PackedInt4, filterShape: Shape,
    bias: [Int32]?, params: FullyConnectedParams
  ) -> [UInt8] {
    var p = CKernels.fcParams(params)
    var inDims = CKernels.dims(inputShape)
    var filterDims = CKernels.dims(filterShape)
    let bytes = (inputShape[0] * filterShape[0] + 1) / 2
    return CKernels.withBias(bias) { b in
      CKernels.withQuant(params.outputMultipliers) { quant in
        CKernels.guardedOutput(UInt8.self, count: bytes, "mcu_fully_connected_per_channel_s4") {
          out in
          mcu_fully_connected_per_channel_s4(
            &p, quant, &inDims, input.bytes, &filterDims, filter.bytes, b, out)
        }
      }
    }
  }

  /// Compares packed C output with the packed reference: values first (readable positions),
  /// then the bytes (the padding nibble of odd counts included).
  static func expectSame(_ actual: [UInt8], _ expected: PackedInt4, _ what: String) throws {
    let values = try PackedInt4(bytes: actual, count: expected.count).unpacked()
    assertBitExact(values, expected.unpacked(), "\(what) values")
    assertBitExact(actual, expected.bytes, "\(what) packed bytes")
  }

  // MARK: - Goldens

  /// Equal scales and zero points 0 make the ADD an exact sum (as AddS8Tests), then the int4
  /// clamp: [1, 2, −3, 7, −8] + [3, −5, 3, 7, −8] = [4, −3, 0, 14 → 7, −16 → −8]; packed
  /// (4, −3) → 0xD4, (0, 7) → 0x70, (−8, pad) → 0x08.
  @Test(arguments: RoundingMode.allCases)
  func int4AddGoldenWithEqualScalesIsClampedSum(mode: RoundingMode) throws {
    let q = QuantParams(scale: 0.25, zeroPoint: 0)
    let params = try AddParams(
      input1: q, input2: q, output: q, roundingMode: mode, bitWidth: .int4)
    #expect(params.activationMin == -8 && params.activationMax == 7)
    let a = try PackedInt4(packing: [1, 2, -3, 7, -8])
    let b = try PackedInt4(packing: [3, -5, 3, 7, -8])
    #expect(IntegerReference.addInt4(a, b, params: params).unpacked() == [4, -3, 0, 7, -8])
    #expect(Self.add(a, b, params: params) == [0xD4, 0x70, 0x08])
  }

  /// 2×2 windows, stride 2, on the 4×4 ramp −8…7, by hand: (−8 −7 −4 −3)/4 = −5.5 → −6,
  /// −14/4 = −3.5 → −4, 10/4 = 2.5 → 3, 18/4 = 4.5 → 5 (ties away from zero); packed 0xCA,
  /// 0x53. Global: −8/16 = −0.5 → −1, packed 0x0F.
  @Test func int4AveragePoolGoldensRoundTiesAwayFromZero() throws {
    let ramp = try PackedInt4(packing: (0..<16).map { Int8($0 - 8) })
    let params = PoolParams(
      filterH: 2, filterW: 2, strideH: 2, strideW: 2, activationMin: -8, activationMax: 7)
    let reference = IntegerReference.averagePoolInt4(
      input: ramp, inputShape: [1, 4, 4, 1], params: params)
    #expect(reference.unpacked() == [-6, -4, 3, 5])
    #expect(try Self.avgPool(ramp, [1, 4, 4, 1], params) == [0xCA, 0x53])
    let global = IntegerReference.globalAveragePoolInt4(input: ramp, inputShape: [1, 4, 4, 1])
    #expect(global.unpacked() == [-1])
    #expect(Self.globalPool(ramp, [1, 4, 4, 1], min: -8, max: 7) == [0x0F])
  }

  /// Input [1, 2, 3], zp_in = 1 → [0, 1, 2]; filter [[1, 0, −1], [2, 2, 2]]; M = 1; bias
  /// [5, 0]: [0 + 0 − 2 + 5, 0 + 2 + 4] = [3, 6], packed 0x63.
  @Test func int4FullyConnectedGolden() throws {
    let unit = FixedPointMultiplier(multiplier: 1 << 30, shift: 1)
    let params = FullyConnectedParams(
      inputOffset: -1, outputMultipliers: [unit, unit], activationMin: -8, activationMax: 7)
    let input = try PackedInt4(packing: [1, 2, 3])
    let filter = try PackedInt4(packing: [1, 0, -1, 2, 2, 2])
    let reference = IntegerReference.fullyConnectedPerChannelInt4(
      input: input, inputShape: [1, 3], filter: filter, filterShape: [2, 3], bias: [5, 0],
      params: params)
    #expect(reference.unpacked() == [3, 6])
    let out = Self.fullyConnected(
      input: input, inputShape: [1, 3], filter: filter, filterShape: [2, 3], bias: [5, 0],
      params: params)
    #expect(out == [0x63])
  }

  // MARK: - Sweeps

  @Test func int4AddMatchesReferenceOverSizesScalesActivationsAndRounding() throws {
    var tally = ClampTally()
    var seed: UInt64 = 0x4AD_0000
    try withEvery("size", in: [1, 2, 7, 64, 255]) { size in
      try withEvery("activation", in: Activation.allCases) { activation in
        try withEvery("rounding", in: RoundingMode.allCases) { mode in
          try withEvery("trial", in: 0..<4) { _ in
            seed += 1
            var g = SeededGenerator(seed: seed)
            let s1 = Float.random(in: 0.1...1, using: &g)
            let s2 = Float.random(in: 0.1...1, using: &g)
            let input1 = QuantParams(scale: s1, zeroPoint: Int32.random(in: -8...7, using: &g))
            let input2 = QuantParams(scale: s2, zeroPoint: Int32.random(in: -8...7, using: &g))
            let output = QuantParams(
              scale: (s1 + s2) * Float.random(in: 0.6...1.2, using: &g),
              zeroPoint: Int32.random(in: -2...2, using: &g))
            let params = try AddParams(
              input1: input1, input2: input2, output: output, activation: activation,
              roundingMode: mode, bitWidth: .int4)
            let a = try PackedInt4(packing: g.int8s(size, in: -8...7))
            let b = try PackedInt4(packing: g.int8s(size, in: -8...7))
            let expected = IntegerReference.addInt4(a, b, params: params)
            try annotated("seed \(seed), \(input1), \(input2), \(output)") {
              try Self.expectSame(Self.add(a, b, params: params), expected, "add s4")
            }
            tally.add(expected.unpacked(), params.activationMin...params.activationMax)
          }
        }
      }
    }
    tally.check(minInside: 0.3)
  }

  /// Raw parameters with small left shifts, where the two rounding modes often differ (see
  /// AddS8Tests), and odd sizes so the last byte's padding nibble is checked.
  @Test func int4AddMatchesReferenceForRawParametersAcrossLeftShiftsAndRounding() throws {
    var tally = ClampTally()
    var seed: UInt64 = 0x4AD_1000
    try withEvery("leftShift", in: [0, 2, 20]) { leftShift in
      try withEvery("rounding", in: RoundingMode.allCases) { mode in
        try withEvery("trial", in: 0..<16) { _ in
          seed += 1
          var g = SeededGenerator(seed: seed)
          let zpOut = Int32.random(in: -2...2, using: &g)
          let clamp = Clamp.random(using: &g).range(zp: zpOut, full: -8...7, using: &g)
          let params = AddParams(
            input1Offset: Int32.random(in: -7...8, using: &g),
            input2Offset: Int32.random(in: -7...8, using: &g),
            outputOffset: zpOut, leftShift: leftShift,
            input1Multiplier: try .smallerThanOne(Double.random(in: 0.2...0.99, using: &g)),
            input2Multiplier: try .smallerThanOne(Double.random(in: 0.2...0.99, using: &g)),
            outputMultiplier: try .smallerThanOne(
              Double.random(in: 0.2...0.6, using: &g) / Double(1 << leftShift)),
            activationMin: clamp.lowerBound, activationMax: clamp.upperBound, roundingMode: mode)
          let size = 63 + Int(seed % 2)
          let a = try PackedInt4(packing: g.int8s(size, in: -8...7))
          let b = try PackedInt4(packing: g.int8s(size, in: -8...7))
          let expected = IntegerReference.addInt4(a, b, params: params)
          try annotated("seed \(seed), size \(size)") {
            try Self.expectSame(Self.add(a, b, params: params), expected, "add s4")
          }
          tally.add(expected.unpacked(), params.activationMin...params.activationMax)
        }
      }
    }
    tally.check(minInside: 0.3)
  }

  /// The header allows output == input1 or input2 (each byte is read before it is written).
  @Test(arguments: [1, 2])
  func int4AddInPlaceOverEitherInputMatchesOutOfPlace(aliased: Int) throws {
    var g = SeededGenerator(seed: 0x4AD_FFFF)
    let params = try AddParams(
      input1: QuantParams(scale: 0.5, zeroPoint: 3),
      input2: QuantParams(scale: 0.3, zeroPoint: -2),
      output: QuantParams(scale: 0.7, zeroPoint: 1), bitWidth: .int4)
    let a = try PackedInt4(packing: g.int8s(33, in: -8...7))
    let b = try PackedInt4(packing: g.int8s(33, in: -8...7))
    var p = CKernels.addParams(params)
    var data = aliased == 1 ? a.bytes : b.bytes
    let other = aliased == 1 ? b.bytes : a.bytes
    let status = data.withUnsafeMutableBufferPointer { buffer in
      aliased == 1
        ? mcu_add_s4(&p, buffer.baseAddress, other, 33, buffer.baseAddress)
        : mcu_add_s4(&p, other, buffer.baseAddress, 33, buffer.baseAddress)
    }
    #expect(status == MCU_OK)
    try Self.expectSame(data, IntegerReference.addInt4(a, b, params: params), "in-place add s4")
  }

  @Test func int4AveragePoolMatchesReferenceOverWindowStrideChannelShapeAndPaddingSweep() throws {
    var tally = ClampTally()
    var seed: UInt64 = 0x4A0_0000
    try withEvery("k", in: [1, 2, 3, 5, 7]) { k in
      try withEvery("stride", in: SweepShapes.strides) { stride in
        try withEvery("C", in: SweepShapes.channels) { channels in
          try withEvery("shape", in: SweepShapes.spatial) { s in
            let paddings = Padding.variants(k: k, stride: stride, h: s.h, w: s.w, poolRules: true)
            try withEvery("pad", in: paddings) { padding in
              seed += 1
              var g = SeededGenerator(seed: seed)
              let inputShape: Shape = [s.n, s.h, s.w, channels]
              let input = try PackedInt4(packing: g.int8s(inputShape.count, in: -8...7))
              let narrow = Bool.random(using: &g)
              let params = PoolParams(
                filterH: k, filterW: k, strideH: stride, strideW: stride, padTop: padding.top,
                padLeft: padding.left, padBottom: padding.bottom, padRight: padding.right,
                activationMin: narrow ? -2 : -8, activationMax: narrow ? 2 : 7)
              let expected = IntegerReference.averagePoolInt4(
                input: input, inputShape: inputShape, params: params)
              try annotated("seed \(seed), clamp \(params.activationMin)...\(params.activationMax)")
              {
                try Self.expectSame(
                  try Self.avgPool(input, inputShape, params), expected, "avgpool s4")
              }
              tally.add(expected.unpacked(), params.activationMin...params.activationMax)
            }
          }
        }
      }
    }
    tally.check()
  }

  /// Non-square windows and strides, so that the kernel never mixes up the two axes.
  @Test func int4AveragePoolMatchesReferenceForNonSquareWindowsAndStrides() throws {
    var seed: UInt64 = 0x4A1_0000
    let windows = [(h: 2, w: 3), (h: 3, w: 1), (h: 1, w: 5)]
    let strides = [(h: 1, w: 2), (h: 2, w: 1), (h: 3, w: 2)]
    try withEvery("window", in: windows) { k in
      try withEvery("stride", in: strides) { stride in
        seed += 1
        var g = SeededGenerator(seed: seed)
        let inputShape: Shape = [1, 9, 7, 3]
        let input = try PackedInt4(packing: g.int8s(inputShape.count, in: -8...7))
        let params = PoolParams(
          filterH: k.h, filterW: k.w, strideH: stride.h, strideW: stride.w, padTop: k.h - 1,
          padLeft: k.w / 2, padBottom: 0, padRight: k.w - 1, activationMin: -8,
          activationMax: 7)
        let expected = IntegerReference.averagePoolInt4(
          input: input, inputShape: inputShape, params: params)
        try annotated("seed \(seed)") {
          try Self.expectSame(try Self.avgPool(input, inputShape, params), expected, "avgpool s4")
        }
      }
    }
  }

  @Test func int4GlobalAveragePoolMatchesReferenceOverShapesAndChannels() throws {
    var seed: UInt64 = 0x46A_0000
    let shapes = [(n: 1, h: 7, w: 7), (n: 1, h: 1, w: 1), (n: 2, h: 9, w: 7), (n: 1, h: 3, w: 5)]
    try withEvery("shape", in: shapes) { s in
      try withEvery("C", in: SweepShapes.channels) { channels in
        try withEvery("clamp", in: [-8...7, -3...3] as [ClosedRange<Int32>]) { clamp in
          seed += 1
          var g = SeededGenerator(seed: seed)
          let inputShape: Shape = [s.n, s.h, s.w, channels]
          // A per-channel mean keeps the averages spread out instead of all near zero.
          let means = (0..<channels).map { _ in Int.random(in: -6...6, using: &g) }
          let values = (0..<inputShape.count).map { i in
            Int8(min(max(means[i % channels] + Int.random(in: -3...3, using: &g), -8), 7))
          }
          let input = try PackedInt4(packing: values)
          let expected = IntegerReference.globalAveragePoolInt4(
            input: input, inputShape: inputShape, activationMin: clamp.lowerBound,
            activationMax: clamp.upperBound)
          try annotated("seed \(seed)") {
            try Self.expectSame(
              Self.globalPool(input, inputShape, min: clamp.lowerBound, max: clamp.upperBound),
              expected, "global avgpool s4")
          }
        }
      }
    }
  }

  @Test func int4FullyConnectedMatchesReferenceOverDepthWidthAndBatchSweep() throws {
    var tally = ClampTally()
    var seed: UInt64 = 0x4FC_0000
    try withEvery("cIn", in: SweepShapes.channels + [100, 1280]) { cIn in
      try withEvery("cOut", in: [1, 4, 5, 10]) { cOut in
        try withEvery("N", in: [1, 2]) { batch in
          seed += 1
          var g = SeededGenerator(seed: seed)
          let zpIn = Int32.random(in: -8...7, using: &g)
          let rms = productRMS(weightBound: 7, inputLow: -8, inputHigh: 7, zp: zpIn)
          let zpOut = Int32.random(in: -2...2, using: &g)
          let clamp = Clamp.random(using: &g).range(zp: zpOut, full: -8...7, using: &g)
          let params = FullyConnectedParams(
            inputOffset: -zpIn, outputOffset: zpOut,
            outputMultipliers: try g.multipliers(
              count: cOut, depth: cIn, productRMS: rms, target: 3),
            activationMin: clamp.lowerBound, activationMax: clamp.upperBound,
            roundingMode: g.rounding())
          let input = try PackedInt4(packing: g.int8s(batch * cIn, in: -8...7))
          let filter = try PackedInt4(packing: g.int8s(cOut * cIn, in: -7...7))
          let bias = g.bias(count: cOut, depth: cIn, productRMS: rms)
          let inputShape: Shape = [batch, cIn]
          let filterShape: Shape = [cOut, cIn]
          let expected = IntegerReference.fullyConnectedPerChannelInt4(
            input: input, inputShape: inputShape, filter: filter, filterShape: filterShape,
            bias: bias, params: params)
          try annotated("seed \(seed), zpIn \(zpIn), \(params.roundingMode)") {
            let actual = Self.fullyConnected(
              input: input, inputShape: inputShape, filter: filter, filterShape: filterShape,
              bias: bias, params: params)
            try Self.expectSame(actual, expected, "fully connected s4")
          }
          tally.add(expected.unpacked(), clamp)
        }
      }
    }
    tally.check()
  }
}
