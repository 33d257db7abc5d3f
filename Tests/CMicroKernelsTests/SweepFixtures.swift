// SweepFixtures.swift
// Seeded random cases for the bit-exact sweeps (STYLE.md B6.4): inputs, weights, biases, zero
// points, per-channel multipliers sized so that most outputs land inside the clamp, activation
// clamps, padding variants, and a tally proving that the sweeps are not trivially clamped.

import Quantization
import TensorModule
import Testing
import _TestSupport

/// The shapes every spatial sweep visits: odd sizes, a 1×1 edge, and a batch of two.
enum SweepShapes {
  /// `(N, H, W)` of the input.
  static let spatial: [(n: Int, h: Int, w: Int)] = [(1, 9, 7), (1, 5, 5), (1, 1, 1), (2, 4, 6)]
  static let kernels = [1, 3, 5, 7]
  static let strides = [1, 2]
  static let channels = [1, 3, 8, 16, 17]
}

/// Four-sided padding with a name for the failure trace.
struct Padding: CustomStringConvertible, Hashable {
  var top: Int
  var left: Int
  var bottom: Int
  var right: Int
  var name: String

  var description: String { "\(name)(\(top),\(left),\(bottom),\(right))" }

  /// The padding variants of a `k`×`k` window with `stride` on an `h`×`w` input, those that give
  /// at least one output and that differ from each other:
  /// valid (none), same (k/2 all round), TF "SAME" (total split before/after, asymmetric for
  /// stride 2), skewed (k−1 top and right, 1 left, 0 bottom), and wide (k on every side, so border
  /// outputs see only padding) unless `poolRules` (padding must stay below the window).
  static func variants(k: Int, stride: Int, h: Int, w: Int, poolRules: Bool = false) -> [Padding] {
    func tfSame(_ size: Int) -> (Int, Int) {
      let out = (size + stride - 1) / stride
      let total = max((out - 1) * stride + k - size, 0)
      return (total / 2, total - total / 2)
    }
    let (top, bottom) = tfSame(h)
    let (left, right) = tfSame(w)
    var all = [
      Padding(top: 0, left: 0, bottom: 0, right: 0, name: "valid"),
      Padding(top: k / 2, left: k / 2, bottom: k / 2, right: k / 2, name: "same"),
      Padding(top: top, left: left, bottom: bottom, right: right, name: "tfSame"),
      Padding(top: k - 1, left: poolRules ? 0 : 1, bottom: 0, right: k - 1, name: "skewed"),
    ]
    if !poolRules { all.append(Padding(top: k, left: k, bottom: k, right: k, name: "wide")) }
    var seen: Set<[Int]> = []
    return all.filter { p in
      let fits = h + p.top + p.bottom >= k && w + p.left + p.right >= k
      let pads = [p.top, p.left, p.bottom, p.right]
      let allowed = !poolRules || pads.allSatisfy { $0 < k }
      return fits && allowed && seen.insert(pads).inserted
    }
  }
}

/// The fused activation of a random case.
enum Clamp: CaseIterable {
  case none
  case relu
  case relu6

  static func random(using g: inout SeededGenerator) -> Clamp {
    allCases[Int.random(in: 0..<allCases.count, using: &g)]
  }

  /// The clamp range for an output zero point `zp` in a format with range `full` (`relu6` keeps a
  /// random span above zp, as a calibrated ReLU6 would).
  func range(zp: Int32, full: ClosedRange<Int32>, using g: inout SeededGenerator)
    -> ClosedRange<Int32>
  {
    switch self {
    case .none: return full
    case .relu: return zp...full.upperBound
    case .relu6:
      let span = (full.upperBound - full.lowerBound) / 4
      return zp...min(full.upperBound, zp + Int32.random(in: span...(2 * span), using: &g))
    }
  }
}

extension SeededGenerator {
  mutating func int8s(_ count: Int, in range: ClosedRange<Int8>) -> [Int8] {
    (0..<count).map { _ in Int8.random(in: range, using: &self) }
  }

  mutating func int32s(_ count: Int, in range: ClosedRange<Int32>) -> [Int32] {
    (0..<count).map { _ in Int32.random(in: range, using: &self) }
  }

  /// Per-channel multipliers that map an accumulator of `depth` random products with the given
  /// typical magnitude to outputs of about `target` steps (each channel's M scaled by 0.5…1.5).
  mutating func multipliers(count: Int, depth: Int, productRMS: Double, target: Double) throws
    -> [FixedPointMultiplier]
  {
    let accRMS = productRMS * Double(depth).squareRoot()
    return try (0..<count).map { _ in
      try FixedPointMultiplier(target / accRMS * Double.random(in: 0.5...1.5, using: &self))
    }
  }

  /// Nil in one case of four, else biases of the order of the accumulator.
  mutating func bias(count: Int, depth: Int, productRMS: Double) -> [Int32]? {
    if Int.random(in: 0..<4, using: &self) == 0 { return nil }
    let bound = Int32(productRMS * Double(depth).squareRoot())
    return int32s(count, in: -bound...bound)
  }

  mutating func rounding() -> RoundingMode {
    Bool.random(using: &self) ? .doubleRounding : .singleRounding
  }
}

/// Counts outputs strictly inside their clamp range, to prove a sweep exercised the
/// requantization and not only the clamp (and that the clamp was exercised too).
struct ClampTally {
  var inside = 0
  var clamped = 0

  mutating func add<T: BinaryInteger>(_ values: [T], _ range: ClosedRange<Int32>) {
    for v in values {
      if Int32(v) > range.lowerBound && Int32(v) < range.upperBound {
        inside += 1
      } else {
        clamped += 1
      }
    }
  }

  /// Expects at least `minInside` of the outputs unclamped and some clamped.
  func check(minInside: Double = 0.4, sourceLocation: SourceLocation = #_sourceLocation) {
    let total = inside + clamped
    #expect(total > 0, "the sweep produced no outputs", sourceLocation: sourceLocation)
    let fraction = Double(inside) / Double(max(total, 1))
    #expect(
      fraction >= minInside,
      "only \(inside) of \(total) outputs were strictly inside the clamp",
      sourceLocation: sourceLocation)
    #expect(
      clamped > 0, "no output was clamped: the clamp went untested", sourceLocation: sourceLocation)
  }
}

/// RMS of `w·(x + inputOffset)` for uniform int8 weights in [−127, 127] and inputs in
/// [−128, 127] with zero point `zp`: rms(w)·rms(x − zp).
func productRMS(weightBound: Double, inputLow: Double, inputHigh: Double, zp: Int32) -> Double {
  let wRMS = weightBound / 3.0.squareRoot()
  let mean = (inputLow + inputHigh) / 2 - Double(zp)
  let spread = (inputHigh - inputLow) / 12.0.squareRoot()
  return wRMS * (spread * spread + mean * mean).squareRoot()
}

/// Runs `body` inside one more trace frame, so a failure also prints the random choices.
func annotated(_ description: String, _ body: () throws -> Void) rethrows {
  try withEvery("case", in: [description]) { _ in try body() }
}
