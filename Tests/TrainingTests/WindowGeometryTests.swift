// WindowGeometryTests.swift
// Output sizes of the sliding window and TensorFlow "SAME" padding, by hand.

import Testing
import Training

@Suite struct WindowGeometryTests {
  /// oH = (H + pT + pB − kH)/s + 1, floored: (9 + 1 + 2 − 5)/2 + 1 = 4; (8 + 0 + 0 − 5)/2 + 1 = 2.
  @Test func outputSizeFloorsAndUsesAsymmetricPadding() {
    let g = WindowGeometry(
      inputHeight: 9, inputWidth: 8, kernelHeight: 5, kernelWidth: 5, stride: 2,
      padding: WindowPadding(top: 1, left: 0, bottom: 2, right: 0))
    #expect(g.outputHeight == 4 && g.outputWidth == 2)
  }

  /// SAME, k = 3, s = 2: H = 5 → out 3, total pad (3 − 1)·2 + 3 − 5 = 2 → (1, 1);
  /// W = 4 → out 2, total (2 − 1)·2 + 3 − 4 = 1 → (0, 1), the odd pixel at the right.
  @Test func tensorFlowSamePadding() {
    let p = WindowPadding.same(inputHeight: 5, inputWidth: 4, kernel: 3, stride: 2)
    #expect(p == WindowPadding(top: 1, left: 0, bottom: 1, right: 1))
    let g = WindowGeometry(
      inputHeight: 5, inputWidth: 4, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: p)
    #expect(g.outputHeight == 3 && g.outputWidth == 2)
  }
}
