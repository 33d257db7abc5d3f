// Parameter.swift
// A trainable tensor as the optimizer sees it: its values, its gradient and its role. The role
// decides weight-decay exclusion (biases and batch-norm γ/β are usually not decayed).

import TensorModule

/// A trainable parameter: value and gradient buffers of the same size, plus its role.
public struct Parameter: Hashable, Sendable {
  /// What a parameter is for; the optimizer uses it to decide weight decay.
  public enum Role: String, Hashable, Sendable, Codable {
    /// Conv, depthwise, pointwise or linear weights.
    case weight
    /// An additive bias of a conv or linear layer.
    case bias
    /// Batch-norm γ.
    case normScale
    /// Batch-norm β.
    case normShift
  }

  public var name: String
  public var role: Role
  public var shape: Shape
  /// Values in row-major order, `shape.count` of them.
  public var value: [Float]
  /// ∂loss/∂value, accumulated by the backward passes; zero it once per step.
  public var gradient: [Float]

  /// A parameter with the given values and a zero gradient.
  public init(name: String, role: Role, shape: Shape, value: [Float]) {
    precondition(value.count == shape.count, "\(name): \(value.count) values for \(shape)")
    self.name = name
    self.role = role
    self.shape = shape
    self.value = value
    self.gradient = Array(repeating: 0, count: value.count)
  }

  /// Sets the gradient to zero (keeps the buffer).
  public mutating func zeroGradient() {
    for i in gradient.indices { gradient[i] = 0 }
  }
}
