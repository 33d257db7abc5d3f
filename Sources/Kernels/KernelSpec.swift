// KernelSpec.swift
// Which C kernel serves a node: the generic CMicroKernels function or a specialization that
// CodeGen generates from a template, with its C symbol DERIVED from the spec (STYLE.md B3: never
// typed by hand; TinyEngine's `depthwise_kernel3x3_stride1_inplace_CHW`,
// `convolve_s8_kernel3_inputch3_stride2_pad1`) and the scratch bytes it needs (CMSIS-NN's
// `*_get_buffer_size`). Not the C text: templates live in CodeGen. Not TinyEngine's buffer rules
// (ScratchRules.swift): those size a planner's problem, this is what our kernels really use.

import ModelIR

/// The operator family of a kernel.
public enum KernelOp: String, Hashable, Sendable, Codable, CaseIterable {
  /// Regular convolution (groups = 1) with k > 1 or a stride or padding.
  case conv2d
  /// Depthwise convolution, depth multiplier 1.
  case depthwiseConv2d
  /// 1×1, stride-1, unpadded convolution (ModelIR's `isPointwise`).
  case pointwiseConv2d
  /// Linear layer with per-channel weights.
  case fullyConnected
  /// Element-wise residual addition.
  case add
  /// Average pool over a window.
  case avgPool
  /// Max pool over a window.
  case maxPool
  /// Mean over H and W.
  case globalAvgPool

  /// The stem of the generic CMicroKernels function (`mcu_<stem>_<dtype>`).
  var genericStem: String {
    switch self {
    case .conv2d: return "conv2d"
    case .depthwiseConv2d: return "depthwise_conv2d"
    case .pointwiseConv2d: return "pointwise_conv2d"
    case .fullyConnected: return "fully_connected_per_channel"
    case .add: return "add"
    case .avgPool: return "avgpool"
    case .maxPool: return "maxpool"
    case .globalAvgPool: return "global_avgpool"
    }
  }

  /// The stem of a generated specialization (`mcu_<stem>_<dtype>_<fixed parameters>`).
  var specializedStem: String {
    switch self {
    case .conv2d: return "conv2d"
    case .depthwiseConv2d: return "dwconv"
    case .pointwiseConv2d: return "pwconv"
    case .fullyConnected: return "fc"
    case .add: return "resadd"
    case .avgPool: return "avgpool"
    case .maxPool: return "maxpool"
    case .globalAvgPool: return "gap"
    }
  }
}

/// The element type of a kernel's activations and weights.
public enum KernelDType: String, Hashable, Sendable, Codable, CaseIterable {
  /// int8 activations and weights.
  case s8
  /// Packed int4 (two per byte).
  case s4
}

/// One kernel: the generic library function or a specialization with some parameters fixed at
/// compile time.
///
/// A specialized kernel fixes the parameters that are non-nil (kernel size, stride, symmetric
/// padding, input channels) and reads the others from its run-time arguments. Every
/// specialization folds the input offset into the bias (TinyEngine's `offsetBias`:
/// `b'[c] = b[c] − zp_in·Σw[c]`, exact in integer arithmetic; its padded taps read the raw value
/// `zp_in`, whose product with `w` the fold cancels), so it takes the folded bias and must be
/// bit-exact with the generic kernel on the raw bias. Generic kernels fix nothing.
///
/// Symbols (`symbol`):
/// - generic: `mcu_<stem>_<dtype>[_inplace]`, the CMicroKernels name, e.g. `mcu_conv2d_s8`,
///   `mcu_depthwise_conv2d_s8_inplace`, `mcu_fully_connected_per_channel_s8`;
/// - specialized: `mcu_<short stem>_<dtype>` then `_k<kH>x<kW>`, `_s<stride>`, `_p<pad>`,
///   `_cin<cIn>` for each fixed parameter and `_inplace`, e.g.
///   `mcu_conv2d_s8_k3x3_s2_p1_cin3`, `mcu_dwconv_s8_k5x5_s2_inplace`, `mcu_pwconv_s8`.
public struct KernelSpec: Hashable, Sendable, Codable, CustomStringConvertible {
  public var op: KernelOp
  public var dtype: KernelDType
  /// True for a kernel generated from a template, false for the generic library function.
  public var isSpecialized: Bool
  /// Kernel height fixed at compile time (specializations only).
  public var kernelH: Int?
  /// Kernel width fixed at compile time (specializations only).
  public var kernelW: Int?
  /// Stride fixed at compile time (specializations only).
  public var stride: Int?
  /// Symmetric padding fixed at compile time (specializations only).
  public var padding: Int?
  /// Input channels fixed at compile time (specializations only).
  public var inputChannels: Int?
  /// The output overwrites the input (TinyEngine's in-place depthwise).
  public var inPlace: Bool

  /// The generic kernel of `op` (nothing fixed).
  public static func generic(_ op: KernelOp, dtype: KernelDType = .s8, inPlace: Bool = false)
    -> KernelSpec
  {
    KernelSpec(
      op: op, dtype: dtype, isSpecialized: false, kernelH: nil, kernelW: nil, stride: nil,
      padding: nil, inputChannels: nil, inPlace: inPlace)
  }

  /// A specialization of `op` fixing the given parameters.
  public static func specialized(
    _ op: KernelOp, dtype: KernelDType = .s8, kernel: Int? = nil, stride: Int? = nil,
    padding: Int? = nil, inputChannels: Int? = nil, inPlace: Bool = false
  ) -> KernelSpec {
    KernelSpec(
      op: op, dtype: dtype, isSpecialized: true, kernelH: kernel, kernelW: kernel, stride: stride,
      padding: padding, inputChannels: inputChannels, inPlace: inPlace)
  }

  /// The C function name, derived from the fields (see the type's documentation).
  public var symbol: String {
    guard isSpecialized else {
      return "mcu_\(op.genericStem)_\(dtype.rawValue)" + (inPlace ? "_inplace" : "")
    }
    var parts = ["mcu", op.specializedStem, dtype.rawValue]
    if let kernelH, let kernelW { parts.append("k\(kernelH)x\(kernelW)") }
    if let stride { parts.append("s\(stride)") }
    if let padding { parts.append("p\(padding)") }
    if let inputChannels { parts.append("cin\(inputChannels)") }
    if inPlace { parts.append("inplace") }
    return parts.joined(separator: "_")
  }

  /// Whether the kernel takes the folded bias `b − zp_in·Σw` instead of the raw bias: every
  /// specialization of a weighted op does.
  public var foldsBias: Bool {
    guard isSpecialized else { return false }
    switch op {
    case .conv2d, .depthwiseConv2d, .pointwiseConv2d, .fullyConnected: return true
    case .add, .avgPool, .maxPool, .globalAvgPool: return false
    }
  }

  /// The generic kernel that computes the same result (itself when already generic): the
  /// fallback when a specialization cannot be used (STYLE.md B5.5).
  public var genericFallback: KernelSpec { .generic(op, dtype: dtype, inPlace: inPlace) }

  public var description: String { symbol }
}

// MARK: - Scratch

extension KernelSpec {
  /// Taps of a specialized conv's window, rounded up to a multiple of 16 so that its dot
  /// products are one constant-trip loop the compiler vectorises; the extra taps are zero in
  /// the window and in the (equally padded) weights.
  public static func paddedWindow(_ taps: Int) -> Int { (taps + 15) / 16 * 16 }

  /// Scratch bytes this kernel needs to run node `i` of `graph` (0 for most kernels).
  ///
  /// - in-place depthwise (generic and specialized): one padded int8 channel plane,
  ///   `(H + pt + pb)·(W + pl + pr)` (TinyEngine keeps it as int16, twice that);
  /// - specialized conv: two im2col columns of `paddedWindow(k·k·cIn)` int16 taps, TinyEngine's
  ///   2-column int16 `sbuf`;
  /// - specialized pointwise with a fixed cIn: two weight rows widened to int16, `4·cIn`
  ///   bytes (TinyEngine's 1×1 `sbuf` is as large: two int16 input columns);
  /// - specialized linear with a fixed cIn: the input widened to int16, `2·cIn` bytes;
  /// - everything else: 0 (direct loops).
  ///
  /// The int16 copies make every dot product int16 × int16 (or int8 widened in the loop):
  /// pairs of products summed into int32 lanes (SSE2 `pmaddwd`, Arm `SMLAD`), which is where
  /// TinyEngine's and CMSIS-NN's kernels get their speed too.
  public func scratchBytes(forNode i: Int, in graph: Graph) -> Int {
    let node = graph.nodes[i]
    guard let producer = node.inputs.first else { return 0 }
    let input = graph.nodes[producer].outputShape
    switch node.op {
    case .depthwiseConv2d(let a) where inPlace:
      let paddedH = input[1] + a.padding.top + a.padding.bottom
      let paddedW = input[2] + a.padding.left + a.padding.right
      return paddedH * paddedW
    case .conv2d where isSpecialized && op == .conv2d:
      let taps = (kernelH ?? 1) * (kernelW ?? 1) * (inputChannels ?? input[3])
      return 2 * 2 * Self.paddedWindow(taps)
    case .conv2d where isSpecialized && op == .pointwiseConv2d:
      return inputChannels.map { 2 * 2 * $0 } ?? 0
    case .linear where isSpecialized:
      return inputChannels.map { 2 * $0 } ?? 0
    default:
      return 0
    }
  }

  /// Whether the kernel's C signature ends with a scratch pointer: in-place depthwise kernels
  /// and the specializations that widen an operand to int16 (`scratchBytes`).
  public var scratchArgument: Bool {
    if inPlace { return true }
    guard isSpecialized else { return false }
    switch op {
    case .conv2d: return true
    case .pointwiseConv2d, .fullyConnected: return inputChannels != nil
    case .depthwiseConv2d, .add, .avgPool, .maxPool, .globalAvgPool: return false
    }
  }
}
