// TensorTests.swift
// Tensor (TensorModule): row-major indexing, initializers, reshape. Kept here because the
// Training change introduced the type; it can move to TensorModuleTests.

import TensorModule
import Testing

@Suite struct TensorTests {
  @Test func rowMajorNHWCIndexing() {
    var t = Tensor<Float>(shape: [2, 3, 4, 5], storage: (0..<120).map(Float.init))
    // offset = ((n·H + y)·W + x)·C + c
    #expect(t[1, 2, 3, 4] == 119)
    #expect(t[1, 0, 2, 1] == Float(((1 * 3 + 0) * 4 + 2) * 5 + 1))
    #expect(t.offset(of: [0, 1, 0, 0]) == 20)
    t[0, 0, 0, 1] = -1
    #expect(t.storage[1] == -1)
  }

  @Test func initializersAndReshape() {
    let z = Tensor<Float>(zeros: [2, 3])
    #expect(z.storage == [0, 0, 0, 0, 0, 0] && z.rank == 2 && z.count == 6)
    let r = Tensor<Int>(shape: [2], repeating: 7)
    #expect(r.storage == [7, 7])
    let t = Tensor<Int>(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6]).reshaped(to: [3, 2])
    #expect(t.shape == [3, 2] && t[2, 1] == 6)
    #expect(Tensor<Int>(shape: [1], storage: [1]) == Tensor<Int>(shape: [1], storage: [1]))
  }
}
