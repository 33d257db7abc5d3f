// GradientCheck.swift
// Test helpers: seeded random data that is exactly representable in Float32 (so the Float32
// kernels and the Float64 references see identical inputs), central finite differences in
// Float64, and the projection trick that turns an op's output into a scalar loss.

import TensorModule
import Testing
import Training

/// Central finite differences in Float64.
enum FiniteDifference {
  /// ∂f/∂x_i ≈ (f(x + ε·e_i) − f(x − ε·e_i)) / 2ε for every i.
  static func gradient(
    at x: [Double], epsilon: Double = 1e-6, _ f: ([Double]) -> Double
  ) -> [Double] {
    var probe = x
    return x.indices.map { i in
      probe[i] = x[i] + epsilon
      let plus = f(probe)
      probe[i] = x[i] - epsilon
      let minus = f(probe)
      probe[i] = x[i]
      return (plus - minus) / (2 * epsilon)
    }
  }
}

/// Σ a_i·b_i in Float64: the scalar loss L = ⟨y, r⟩ whose gradient with respect to y is r.
func dot(_ a: [Double], _ b: [Double]) -> Double {
  precondition(a.count == b.count, "dot of \(a.count) and \(b.count) elements")
  return zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
}

/// Uniform values in `range`, rounded to Float32 so they are exact in both precisions.
func randomValues(
  _ count: Int, in range: ClosedRange<Double> = -1...1, using generator: inout SeededGenerator
) -> [Double] {
  (0..<count).map { _ in Double(Float(Double.random(in: range, using: &generator))) }
}

extension Array where Element == Double {
  var floats: [Float] { map(Float.init) }
}

extension Array where Element == Float {
  var doubles: [Double] { map(Double.init) }
}

/// The padding variants every window-op sweep covers for a kernel of size `k`.
func paddings(kernel k: Int) -> [WindowPadding] {
  [.valid, .symmetric(k / 2), WindowPadding(top: 0, left: k / 2, bottom: k / 2 + 1, right: 1)]
}

/// Expects `actual` and `expected` to hold the same bits, reporting the mismatch count and the
/// first mismatch instead of both arrays (which would be unreadable, and slow to diff, for the
/// large buffers of the tiled paths).
func expectBitIdentical(
  _ actual: [Float], _ expected: [Float], _ what: String,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  guard actual.count == expected.count else {
    let message = "\(what): \(actual.count) elements, expected \(expected.count)"
    Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
    return
  }
  let mismatches = actual.indices.filter { actual[$0].bitPattern != expected[$0].bitPattern }
  if let first = mismatches.first {
    let message =
      "\(what): \(mismatches.count) of \(actual.count) elements differ; first at \(first): "
      + "\(actual[first]) vs \(expected[first])"
    Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
  }
}
