// SoftmaxCrossEntropyTests.swift
// Softmax cross-entropy: hand values with and without label smoothing, stability on huge
// logits, and the gradient against Float64 finite differences.

import Foundation
import TensorModule
import Testing
import _TestSupport

@testable import Training

@Suite struct SoftmaxCrossEntropyTests {
  // Row 0: logits (ln 3, 0) → p = (¾, ¼), label 0. Row 1: logits (0, 0) → p = (½, ½), label 1.
  static let logits: [Float] = [Float(log(3.0)), 0, 0, 0]
  static let labels = [0, 1]

  /// loss = (−ln ¾ + ln 2)/2 = (0.2876821 + 0.6931472)/2; dz = (p − onehot)/2.
  @Test func goldenWithoutSmoothing() {
    let ce = SoftmaxCrossEntropy(classes: 2)
    var dz = [Float](repeating: .nan, count: 4)
    let loss = ce.forwardBackward(logits: Self.logits, labels: Self.labels, dLogits: &dz)
    assertClose(loss, 0.4904146, atol: 1e-6)
    assertClose(dz, [-0.125, 0.125, 0.25, -0.25], atol: 1e-6)
  }

  /// ε = 0.2, K = 2: targets (0.9, 0.1) and (0.1, 0.9). Row 0: −0.9·ln ¾ − 0.1·ln ¼ =
  /// 0.2589139 + 0.1386294 = 0.3975433; row 1 stays ln 2 (uniform p). dz = (p − q)/2.
  @Test func goldenWithLabelSmoothing() {
    let ce = SoftmaxCrossEntropy(classes: 2, labelSmoothing: 0.2)
    var dz = [Float](repeating: .nan, count: 4)
    let loss = ce.forwardBackward(logits: Self.logits, labels: Self.labels, dLogits: &dz)
    assertClose(loss, 0.5453452, atol: 1e-6)
    assertClose(dz, [-0.075, 0.075, 0.2, -0.2], atol: 1e-6)
  }

  /// Logits of 1000 would overflow exp in Float; the max-shift keeps loss = 1000 and dz finite.
  @Test func stableForHugeLogits() {
    let ce = SoftmaxCrossEntropy(classes: 2)
    var dz = [Float](repeating: .nan, count: 2)
    let loss = ce.forwardBackward(logits: [1000, 0], labels: [1], dLogits: &dz)
    assertClose(loss, 1000, atol: 1e-3)
    assertClose(dz, [1, -1], atol: 1e-6)
  }

  @Test func predictionsAndCorrectCount() {
    let ce = SoftmaxCrossEntropy(classes: 3)
    let logits: [Float] = [0, 2, 1, 5, 5, 0, -1, -2, -3]
    #expect(ce.predictions(logits: logits) == [1, 0, 0])
    #expect(ce.correctCount(logits: logits, labels: [1, 1, 0]) == 2)
  }

  @Test func gradientMatchesFiniteDifferences() {
    var rng = SeededGenerator(seed: 71)
    withEvery("smoothing", in: [0.0, 0.1, 0.3]) { eps in
      withEvery("classes", in: [2, 5, 10]) { k in
        let ce = SoftmaxCrossEntropy(classes: k, labelSmoothing: Float(eps))
        let z = randomValues(3 * k, in: -4...4, using: &rng)
        let labels = (0..<3).map { ($0 * 7 + k) % k }
        var dz = [Float](repeating: .nan, count: z.count)
        let loss = ce.forwardBackward(logits: z.floats, labels: labels, dLogits: &dz)
        let reference = { (z: [Double]) in
          Reference.softmaxCrossEntropy(
            logits: z, labels: labels, classes: k, labelSmoothing: Double(Float(eps)))
        }
        assertClose(Double(loss), reference(z), atol: 1e-6, rtol: 1e-6)
        assertClose(dz.doubles, FiniteDifference.gradient(at: z, reference), atol: 1e-6, rtol: 1e-4)
      }
    }
  }
}
