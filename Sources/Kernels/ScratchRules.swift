import ModelIR

/// Scratch memory a kernel needs while it runs, beside its input and output tensors (the
/// `*_get_buffer_size` companion of CMSIS-NN kernels, TinyEngine's `get_sbuf_size` /
/// `get_kbuf_size`).
public struct ScratchBytes: Hashable, Sendable {
  /// Input-side buffer: im2col columns, or the padded channel of an in-place depthwise conv.
  public var im2col: Int
  /// Kernel-side buffer: weights widened to int16.
  public var kernel: Int

  public init(im2col: Int, kernel: Int) {
    self.im2col = im2col
    self.kernel = kernel
  }

  public static let none = ScratchBytes(im2col: 0, kernel: 0)
  public var total: Int { im2col + kernel }
}

/// Which kernel library's buffer rules apply.
public enum KernelLibrary: String, Hashable, Sendable, Codable, CaseIterable {
  /// TensorFlow Lite Micro's portable reference kernels: no scratch buffers.
  case tflmReference
  /// TinyEngine's int8 kernels (operators/conv2d.py, depthwiseConv2d.py):
  /// conv (any k): k·k·cIn·2·2 bytes of int16 im2col (two columns); k > 1 also copies the
  /// weights to int16 (2 bytes each); in-place depthwise: one padded input channel as int16,
  /// 2·(H + 2p)·(W + 2p); depthwise not in place: 2·k·k·C. A linear layer is a 1×1 conv.
  case tinyEngine
}

extension Graph {
  /// Scratch bytes node `i` needs under `library`; `inPlaceDepthwise` selects TinyEngine's
  /// in-place depthwise kernel.
  public func scratch(ofNode i: Int, library: KernelLibrary, inPlaceDepthwise: Bool = true)
    -> ScratchBytes
  {
    guard library == .tinyEngine else { return .none }
    let node = nodes[i]
    guard let input = node.inputs.first.map({ nodes[$0].outputShape }) else { return .none }
    switch node.op {
    case .conv2d(let a):
      let cIn = input[3]
      let weights = a.outChannels * a.kernelH * a.kernelW * cIn
      return ScratchBytes(
        im2col: a.kernelH * a.kernelW * cIn * 2 * 2, kernel: a.kernelH > 1 ? weights * 2 : 0)
    case .depthwiseConv2d(let a):
      if inPlaceDepthwise {
        let h = input[1] + a.padding.top + a.padding.bottom
        let w = input[2] + a.padding.left + a.padding.right
        return ScratchBytes(im2col: 2 * h * w, kernel: 0)
      }
      return ScratchBytes(im2col: 2 * a.kernelH * a.kernelW * input[3], kernel: 0)
    case .linear:
      return ScratchBytes(im2col: input.count * 2 * 2, kernel: 0)
    case .input, .add, .avgPool, .maxPool, .globalAvgPool:
      return .none
    }
  }
}
