// Tensor.swift
// A dense, row-major tensor: a `Shape` plus contiguous storage. 4-D activations are NHWC,
// conv weights OHWI ([cOut, kH, kW, cIn]), depthwise weights 1HWO ([1, kH, kW, C]) — see the
// legend in Shape.swift. It is a value type with copy-on-write storage (Swift's `Array`).
// It is not an autograd tensor and has no math: the float kernels live in `Training`, the
// integer ones in `Quantization`, and both work on the `storage` arrays directly.

/// A dense tensor of `Element`s, stored contiguously in row-major order (last dimension fastest).
///
/// Invariant: `storage.count == shape.count`. `storage` is settable so kernels can write into it
/// in place (`op.forward(x.storage, into: &y.storage)`); replacing it with an array of another
/// length is a programmer error caught by a precondition.
public struct Tensor<Element> {
  /// The dimensions, outermost first.
  public private(set) var shape: Shape

  /// The elements in row-major order; `storage.count == shape.count` always.
  public var storage: [Element] {
    didSet {
      precondition(
        storage.count == shape.count,
        "Tensor storage has \(storage.count) elements but shape \(shape) needs \(shape.count)")
    }
  }

  /// A tensor with the given shape and row-major elements.
  ///
  /// - Precondition: `storage.count == shape.count`.
  public init(shape: Shape, storage: [Element]) {
    precondition(
      storage.count == shape.count,
      "Tensor(shape: \(shape)) needs \(shape.count) elements, got \(storage.count)")
    precondition(shape.dims.allSatisfy { $0 >= 0 }, "Tensor shape \(shape) has a negative dim")
    self.shape = shape
    self.storage = storage
  }

  /// A tensor with every element equal to `value`.
  public init(shape: Shape, repeating value: Element) {
    self.init(shape: shape, storage: Array(repeating: value, count: shape.count))
  }

  /// Number of elements.
  public var count: Int { storage.count }

  /// Number of dimensions.
  public var rank: Int { shape.rank }

  /// The row-major offset of a multi-index.
  ///
  /// - Precondition: one index per dimension, each in `0..<dims[i]`.
  public func offset(of indices: [Int]) -> Int {
    precondition(
      indices.count == shape.rank, "\(indices.count) indices for a rank-\(shape.rank) tensor")
    var offset = 0
    for (axis, index) in indices.enumerated() {
      precondition(
        index >= 0 && index < shape.dims[axis],
        "index \(index) out of range 0..<\(shape.dims[axis]) on axis \(axis)")
      offset = offset * shape.dims[axis] + index
    }
    return offset
  }

  /// The element at a multi-index, e.g. `t[n, y, x, c]` for an NHWC tensor.
  public subscript(indices: Int...) -> Element {
    get { storage[offset(of: indices)] }
    set { storage[offset(of: indices)] = newValue }
  }

  /// The same elements viewed with another shape of equal element count.
  public func reshaped(to newShape: Shape) -> Tensor {
    precondition(
      newShape.count == shape.count, "cannot reshape \(shape) to \(newShape): counts differ")
    return Tensor(shape: newShape, storage: storage)
  }
}

extension Tensor where Element: AdditiveArithmetic {
  /// A tensor of zeros.
  public init(zeros shape: Shape) {
    self.init(shape: shape, repeating: .zero)
  }
}

extension Tensor: Sendable where Element: Sendable {}
extension Tensor: Equatable where Element: Equatable {}
extension Tensor: Hashable where Element: Hashable {}

extension Tensor: CustomStringConvertible {
  public var description: String {
    let shown = storage.prefix(8).map { "\($0)" }.joined(separator: ", ")
    return "Tensor\(shape)[\(shown)\(storage.count > 8 ? ", …" : "")]"
  }
}
