import TensorModule

/// The activation fused into an op (BN is folded before it; ReLU6 becomes a clamp in int8).
public enum Activation: String, Hashable, Sendable, Codable {
  case none
  case relu
  case relu6
}

/// Explicit spatial padding in pixels. MIT's networks pad symmetrically by `k / 2`
/// (PyTorch `get_same_padding`), which the TF exporter writes as an explicit PAD op.
public struct Padding: Hashable, Sendable, Codable {
  public var top: Int
  public var left: Int
  public var bottom: Int
  public var right: Int

  public init(top: Int, left: Int, bottom: Int, right: Int) {
    self.top = top
    self.left = left
    self.bottom = bottom
    self.right = right
  }

  /// `k / 2` on every side: the padding of every conv in the MCUNet search space.
  public static func same(kernel: Int) -> Padding {
    Padding(top: kernel / 2, left: kernel / 2, bottom: kernel / 2, right: kernel / 2)
  }

  public static let zero = Padding(top: 0, left: 0, bottom: 0, right: 0)

  public var isZero: Bool { top == 0 && left == 0 && bottom == 0 && right == 0 }
}

/// A standard convolution (groups = 1). A 1×1, stride-1 convolution is a pointwise conv.
///
/// Input [1, H, W, cIn]; filter [cOut, kH, kW, cIn] (OHWI); output [1, oH, oW, cOut] with
/// oH = (H + p.top + p.bottom − kH) / s + 1.
public struct Conv2DAttributes: Hashable, Sendable, Codable {
  public var outChannels: Int
  public var kernelH: Int
  public var kernelW: Int
  public var stride: Int
  public var padding: Padding
  /// The layer has a batch-norm (γ, β) after the convolution (folded for deployment).
  public var batchNorm: Bool
  /// The layer has its own bias vector (before any BN folding).
  public var bias: Bool
  public var activation: Activation

  public init(
    outChannels: Int, kernel: Int, stride: Int, padding: Padding? = nil,
    batchNorm: Bool = true, bias: Bool = false, activation: Activation
  ) {
    self.outChannels = outChannels
    self.kernelH = kernel
    self.kernelW = kernel
    self.stride = stride
    self.padding = padding ?? .same(kernel: kernel)
    self.batchNorm = batchNorm
    self.bias = bias
    self.activation = activation
  }

  /// 1×1, stride 1, no padding.
  public var isPointwise: Bool { kernelH == 1 && kernelW == 1 && stride == 1 && padding.isZero }
}

/// A depthwise convolution with depth multiplier 1.
///
/// Input [1, H, W, C]; filter [1, kH, kW, C] (1HWO); output [1, oH, oW, C].
public struct DepthwiseConv2DAttributes: Hashable, Sendable, Codable {
  public var kernelH: Int
  public var kernelW: Int
  public var stride: Int
  public var padding: Padding
  public var batchNorm: Bool
  public var bias: Bool
  public var activation: Activation

  public init(
    kernel: Int, stride: Int, padding: Padding? = nil, batchNorm: Bool = true,
    bias: Bool = false, activation: Activation
  ) {
    self.kernelH = kernel
    self.kernelW = kernel
    self.stride = stride
    self.padding = padding ?? .same(kernel: kernel)
    self.batchNorm = batchNorm
    self.bias = bias
    self.activation = activation
  }
}

/// Pooling (average or max) over a kH×kW window.
public struct PoolAttributes: Hashable, Sendable, Codable {
  public var kernelH: Int
  public var kernelW: Int
  public var stride: Int
  public var padding: Padding

  public init(kernel: Int, stride: Int, padding: Padding = .zero) {
    self.kernelH = kernel
    self.kernelW = kernel
    self.stride = stride
    self.padding = padding
  }
}

/// A fully connected layer: input flattened to [1, cIn]; weights [cOut, cIn]; output [1, cOut].
public struct LinearAttributes: Hashable, Sendable, Codable {
  public var outFeatures: Int
  public var bias: Bool
  public var activation: Activation
  /// Dropout applied to the input during training (0 at inference).
  public var dropout: Double

  public init(
    outFeatures: Int, bias: Bool = true, activation: Activation = .none, dropout: Double = 0
  ) {
    self.outFeatures = outFeatures
    self.bias = bias
    self.activation = activation
    self.dropout = dropout
  }
}

/// One operation of the graph. Every op produces exactly one tensor.
public enum Op: Hashable, Sendable, Codable {
  /// The graph input, an image [1, H, W, C].
  case input(height: Int, width: Int, channels: Int)
  case conv2d(Conv2DAttributes)
  case depthwiseConv2d(DepthwiseConv2DAttributes)
  /// Element-wise residual addition of two tensors of the same shape.
  case add(activation: Activation)
  case avgPool(PoolAttributes)
  /// Maximum over each window; padded positions never win (TFLite's MAX_POOL_2D). The output
  /// keeps the input's quantization (scale and zero point).
  case maxPool(PoolAttributes)
  /// Mean over H and W: [1, H, W, C] → [1, 1, 1, C].
  case globalAvgPool
  case linear(LinearAttributes)

  /// A short lower-case name for tables and diagrams.
  public var kindName: String {
    switch self {
    case .input: return "input"
    case .conv2d(let a): return a.isPointwise ? "pointwise" : "conv2d"
    case .depthwiseConv2d: return "depthwise"
    case .add: return "add"
    case .avgPool: return "avgpool"
    case .maxPool: return "maxpool"
    case .globalAvgPool: return "gap"
    case .linear: return "linear"
    }
  }

  /// Number of data inputs the op takes.
  public var arity: Int {
    switch self {
    case .input: return 0
    case .add: return 2
    default: return 1
    }
  }
}
