// WindowGeometryTests.swift
// Output sizes of the sliding window and TensorFlow "SAME" padding, by hand; the in-bounds tap
// ranges the window kernels loop over, against a brute-force scan.

import Testing
import _TestSupport

@testable import Training

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

  /// Every tap range equals the set a brute-force scan of the bounds test finds, over kernels,
  /// strides, paddings, and inputs smaller than the kernel.
  @Test func tapRangesMatchBruteForce() {
    withEvery("k", in: [1, 2, 3, 5, 7]) { k in
      withEvery("stride", in: [1, 2, 3]) { s in
        withEvery("padding", in: [0, k / 2, k - 1]) { pad in
          withEvery("size", in: [1, 2, 3, 6, 9]) { size in
            guard size + 2 * pad >= k else { return }
            let g = WindowGeometry(
              inputHeight: size, inputWidth: size + 1, kernelHeight: k, kernelWidth: k,
              stride: s, padding: WindowPadding(top: pad, left: pad, bottom: pad, right: pad + 1))
            let (h, w) = (g.inputHeight, g.inputWidth)
            for oy in 0..<g.outputHeight {
              let expected = (0..<k).filter { (0..<h).contains(oy * s - pad + $0) }
              #expect(Array(g.kernelRows(outputRow: oy)) == expected, "oy \(oy)")
            }
            for ox in 0..<g.outputWidth {
              let expected = (0..<k).filter { (0..<w).contains(ox * s - pad + $0) }
              #expect(Array(g.kernelColumns(outputColumn: ox)) == expected, "ox \(ox)")
            }
            for iy in 0..<h {
              let expected = (0..<g.outputHeight).filter { (0..<k).contains(iy + pad - $0 * s) }
              #expect(Array(g.outputRows(coveringInputRow: iy)) == expected, "iy \(iy)")
            }
            for ix in 0..<w {
              let expected = (0..<g.outputWidth).filter { (0..<k).contains(ix + pad - $0 * s) }
              #expect(Array(g.outputColumns(coveringInputColumn: ix)) == expected, "ix \(ix)")
            }
            for kx in 0..<k {
              let expected = (0..<g.outputWidth).filter { (0..<w).contains($0 * s - pad + kx) }
              #expect(Array(g.outputColumns(kernelColumn: kx)) == expected, "kx \(kx)")
            }
          }
        }
      }
    }
  }
}
