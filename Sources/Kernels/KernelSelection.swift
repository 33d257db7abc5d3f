// KernelSelection.swift
// Chooses the kernel of every node: a specialization from `KernelCatalog` where the node's shape
// matches one, the generic CMicroKernels function otherwise (fall back, never fail: STYLE.md
// B5.5, TFLM PR #1275). Not the arithmetic checks (Quantization) nor the bias-overflow fallback
// (CodeGen, which knows the weights).

import ModelIR

/// Whether selection may use specializations.
public struct KernelSelectionOptions: Hashable, Sendable, Codable {
  /// False selects the generic kernel for every node (the baseline that specializations are
  /// measured and checked against).
  public var specialize: Bool
  /// Input-channel counts whose pointwise layers get a kernel with cIn fixed at compile time
  /// (`mcu_pwconv_s8_cin<c>`); others use `mcu_pwconv_s8` with a run-time cIn. `nil` (the
  /// default) fixes every count the model has, as TinyEngine's code generator does per layer.
  public var pointwiseChannels: Set<Int>?

  /// Creates options; specializations are on by default, with every pointwise cIn fixed.
  public init(specialize: Bool = true, pointwiseChannels: Set<Int>? = nil) {
    self.specialize = specialize
    self.pointwiseChannels = pointwiseChannels
  }

  /// Generic kernels only.
  public static let genericOnly = KernelSelectionOptions(specialize: false)
}

/// The specializations CodeGen has templates for, chosen where they pay on MCUNet graphs
/// (paper_facts §10, TinyEngine's `OpGenerator.py` and `operators/conv2d.py`):
/// - in-place depthwise, k ∈ {3, 5, 7} × stride ∈ {1, 2} (every depthwise layer of the search
///   space): the k×k taps are unrolled with constant offsets;
/// - pointwise (most of the MACs of an MBConv network): bias folded, 2 pixels × 2 channels per
///   inner loop, so each loaded byte serves two MACs; cIn fixed for `pointwiseChannels`;
/// - the first layer, 3×3 stride 2 padding 1 on 3 channels: the 27-tap window is gathered once
///   per pixel and reused by every output channel;
/// - the classifier (linear): the pointwise template on one pixel, bias folded, cIn fixed;
/// - the residual add: parameters hoisted out of the loop, one-step requantization.
public enum KernelCatalog {
  /// Square depthwise kernel sizes with an in-place specialization.
  public static let depthwiseKernels = [3, 5, 7]
  /// Depthwise strides with an in-place specialization.
  public static let depthwiseStrides = [1, 2]

  /// A regular-convolution shape with a specialization (square kernel, symmetric padding).
  public struct ConvShape: Hashable, Sendable, Codable {
    public var kernel: Int
    public var stride: Int
    public var padding: Int
    public var inputChannels: Int

    public init(kernel: Int, stride: Int, padding: Int, inputChannels: Int) {
      self.kernel = kernel
      self.stride = stride
      self.padding = padding
      self.inputChannels = inputChannels
    }
  }

  /// TinyEngine's fixed-cIn pointwise kernels (`convolve_1x1_s8_ch8/16/24/48`), for
  /// `KernelSelectionOptions(pointwiseChannels:)`. Our default fixes every cIn of the model
  /// instead: a constant trip count lets gcc's -O2 vectoriser turn the dot products into SIMD
  /// code (measured with `repro engine`, README: the "+ fixed channel counts" step).
  public static let pointwiseChannels: Set<Int> = [8, 16, 24, 48]

  /// Regular-convolution shapes the catalog lists (and the kernel tests compile): the first
  /// layer of every MCUNet model and SmallCifar's 5×5 layers. Selection specializes every
  /// square, symmetrically padded convolution (the template takes any shape).
  public static let convShapes = [
    ConvShape(kernel: 3, stride: 2, padding: 1, inputChannels: 3),
    ConvShape(kernel: 5, stride: 1, padding: 2, inputChannels: 3),
    ConvShape(kernel: 5, stride: 1, padding: 2, inputChannels: 32),
  ]

  /// Every specialization, in a stable order.
  public static var specializations: [KernelSpec] {
    let depthwise = depthwiseKernels.flatMap { k in
      depthwiseStrides.map { s in
        KernelSpec.specialized(.depthwiseConv2d, kernel: k, stride: s, inPlace: true)
      }
    }
    let conv = convShapes.map {
      KernelSpec.specialized(
        .conv2d, kernel: $0.kernel, stride: $0.stride, padding: $0.padding,
        inputChannels: $0.inputChannels)
    }
    let pointwise = pointwiseChannels.sorted().map {
      KernelSpec.specialized(.pointwiseConv2d, inputChannels: $0)
    }
    return conv + depthwise + [.specialized(.pointwiseConv2d)] + pointwise
  }
}

extension Graph {
  /// The kernel that runs node `i`, or nil when there is none (the graph input, or an op
  /// without a kernel at `precision`).
  ///
  /// - Parameters:
  ///   - precision: int8 selects `s8` kernels; int4 the packed generic `s4` kernels.
  ///   - inPlace: the node is a depthwise conv whose output shares its input's buffer.
  ///   - options: whether specializations may be used.
  public func kernel(
    forNode i: Int, precision: Precision = .int8, inPlace: Bool = false,
    options: KernelSelectionOptions = KernelSelectionOptions()
  ) -> KernelSpec? {
    let node = nodes[i]
    guard precision == .int8 else { return int4Kernel(node.op, inPlace: inPlace) }
    let specialize = options.specialize
    switch node.op {
    case .input:
      return nil
    case .conv2d(let a) where a.isPointwise:
      guard specialize else { return .generic(.pointwiseConv2d) }
      let cIn = nodes[node.inputs[0]].outputShape[3]
      return .specialized(
        .pointwiseConv2d,
        inputChannels: options.pointwiseChannels.map { $0.contains(cIn) } ?? true ? cIn : nil)
    case .conv2d(let a):
      let cIn = nodes[node.inputs[0]].outputShape[3]
      return specialize ? convSpecialization(a, inputChannels: cIn) : .generic(.conv2d)
    case .depthwiseConv2d(let a):
      guard specialize, inPlace, a.kernelH == a.kernelW,
        KernelCatalog.depthwiseKernels.contains(a.kernelH),
        KernelCatalog.depthwiseStrides.contains(a.stride)
      else { return .generic(.depthwiseConv2d, inPlace: inPlace) }
      return .specialized(.depthwiseConv2d, kernel: a.kernelH, stride: a.stride, inPlace: true)
    case .linear:
      guard specialize else { return .generic(.fullyConnected) }
      let cIn = nodes[node.inputs[0]].outputElements
      return .specialized(
        .fullyConnected,
        inputChannels: options.pointwiseChannels.map { $0.contains(cIn) } ?? true ? cIn : nil)
    case .add:
      return specialize ? .specialized(.add) : .generic(.add)
    case .avgPool:
      return .generic(.avgPool)
    case .maxPool:
      return .generic(.maxPool)
    case .globalAvgPool:
      return .generic(.globalAvgPool)
    }
  }

  private func convSpecialization(_ a: Conv2DAttributes, inputChannels: Int) -> KernelSpec {
    let p = a.padding
    let symmetric = p.top == p.left && p.top == p.bottom && p.top == p.right
    let shape = KernelCatalog.ConvShape(
      kernel: a.kernelH, stride: a.stride, padding: p.top, inputChannels: inputChannels)
    guard a.kernelH == a.kernelW, symmetric else { return .generic(.conv2d) }
    return .specialized(
      .conv2d, kernel: shape.kernel, stride: shape.stride, padding: shape.padding,
      inputChannels: shape.inputChannels)
  }

  /// The packed int4 kernels are CMicroKernels' generic `*_s4` functions for every op, out of
  /// place only (no in-place depthwise and no specializations for int4).
  private func int4Kernel(_ op: Op, inPlace: Bool) -> KernelSpec? {
    switch op {
    case .input: return nil
    case .conv2d(let a): return .generic(a.isPointwise ? .pointwiseConv2d : .conv2d, dtype: .s4)
    case .depthwiseConv2d: return inPlace ? nil : .generic(.depthwiseConv2d, dtype: .s4)
    case .linear: return .generic(.fullyConnected, dtype: .s4)
    case .add: return .generic(.add, dtype: .s4)
    case .avgPool: return .generic(.avgPool, dtype: .s4)
    case .maxPool: return .generic(.maxPool, dtype: .s4)
    case .globalAvgPool: return .generic(.globalAvgPool, dtype: .s4)
    }
  }
}
