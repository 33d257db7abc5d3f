// WindowGeometry.swift
// The sliding-window geometry shared by conv2d, depthwise conv and pooling, and its zero
// padding. (`WindowPadding` has the fields of ModelIR's `Padding`; a distinct name keeps modules
// that import both unambiguous until the two are merged into TensorModule.)
// Asymmetric padding covers TensorFlow's "SAME" at stride 2 (the extra row/column goes to the
// bottom/right); MCUNet's PyTorch models use symmetric k/2.

/// Zero padding in pixels on each side of the spatial dimensions.
public struct WindowPadding: Hashable, Sendable, Codable {
  public var top: Int
  public var left: Int
  public var bottom: Int
  public var right: Int

  public init(top: Int, left: Int, bottom: Int, right: Int) {
    precondition(min(top, left, bottom, right) >= 0, "padding must be non-negative")
    self.top = top
    self.left = left
    self.bottom = bottom
    self.right = right
  }

  /// `p` pixels on every side (PyTorch's `padding=p`).
  public static func symmetric(_ p: Int) -> WindowPadding {
    WindowPadding(top: p, left: p, bottom: p, right: p)
  }

  /// No padding (TensorFlow's "VALID").
  public static let valid = WindowPadding(top: 0, left: 0, bottom: 0, right: 0)

  /// TensorFlow's "SAME": output size `ceil(input / stride)`, the odd pixel at bottom/right.
  public static func same(inputHeight: Int, inputWidth: Int, kernel: Int, stride: Int)
    -> WindowPadding
  {
    func split(_ size: Int) -> (Int, Int) {
      let out = (size + stride - 1) / stride
      let total = max((out - 1) * stride + kernel - size, 0)
      return (total / 2, total - total / 2)
    }
    let (top, bottom) = split(inputHeight)
    let (left, right) = split(inputWidth)
    return WindowPadding(top: top, left: left, bottom: bottom, right: right)
  }
}

/// The geometry of a 2-D sliding window over one [H, W] plane: input size, kernel, stride and
/// padding, and the output size they imply.
///
/// `outputHeight = (H + p.top + p.bottom - kH) / s + 1` (floor), likewise for the width.
/// Output pixel (oy, ox) reads input rows `oy·s - p.top + ky` for `ky in 0..<kH`.
public struct WindowGeometry: Hashable, Sendable {
  public let inputHeight: Int
  public let inputWidth: Int
  public let kernelHeight: Int
  public let kernelWidth: Int
  public let stride: Int
  public let padding: WindowPadding

  public init(
    inputHeight: Int, inputWidth: Int, kernelHeight: Int, kernelWidth: Int, stride: Int = 1,
    padding: WindowPadding = .valid
  ) {
    precondition(inputHeight > 0 && inputWidth > 0, "input must be non-empty")
    precondition(kernelHeight > 0 && kernelWidth > 0 && stride > 0, "kernel, stride must be > 0")
    self.inputHeight = inputHeight
    self.inputWidth = inputWidth
    self.kernelHeight = kernelHeight
    self.kernelWidth = kernelWidth
    self.stride = stride
    self.padding = padding
    precondition(
      outputHeight > 0 && outputWidth > 0,
      "kernel \(kernelHeight)x\(kernelWidth) does not fit \(inputHeight)x\(inputWidth) + padding")
  }

  public var outputHeight: Int {
    (inputHeight + padding.top + padding.bottom - kernelHeight) / stride + 1
  }
  public var outputWidth: Int {
    (inputWidth + padding.left + padding.right - kernelWidth) / stride + 1
  }

  /// True when the window is an identity gather: 1×1, stride 1, no padding.
  var isPointwise: Bool {
    kernelHeight == 1 && kernelWidth == 1 && stride == 1 && padding == .valid
  }
}

// MARK: - Valid taps

/// The in-bounds index ranges of the window loops, so that kernels split padding from interior
/// once per row or column instead of testing every tap (`kernelRows(outputRow:)` and friends).
extension WindowGeometry {
  /// Kernel rows ky whose input row `oy·s − pT + ky` lies inside the input.
  func kernelRows(outputRow oy: Int) -> Range<Int> {
    Self.taps(
      output: oy, stride: stride, pad: padding.top, kernel: kernelHeight, input: inputHeight)
  }

  /// Kernel columns kx whose input column `ox·s − pL + kx` lies inside the input.
  func kernelColumns(outputColumn ox: Int) -> Range<Int> {
    Self.taps(
      output: ox, stride: stride, pad: padding.left, kernel: kernelWidth, input: inputWidth)
  }

  /// Output rows oy whose window covers input row iy (through ky = iy + pT − oy·s).
  func outputRows(coveringInputRow iy: Int) -> Range<Int> {
    Self.covering(
      input: iy, stride: stride, pad: padding.top, kernel: kernelHeight, output: outputHeight)
  }

  /// Output columns ox whose window covers input column ix (through kx = ix + pL − ox·s).
  func outputColumns(coveringInputColumn ix: Int) -> Range<Int> {
    Self.covering(
      input: ix, stride: stride, pad: padding.left, kernel: kernelWidth, output: outputWidth)
  }

  /// Output columns ox at which kernel column kx reads inside the input.
  func outputColumns(kernelColumn kx: Int) -> Range<Int> {
    // 0 ≤ ox·s − pL + kx < W  ⇔  ⌈(pL − kx)/s⌉ ≤ ox ≤ ⌊(W − 1 + pL − kx)/s⌋.
    let lower = Self.ceilDivision(padding.left - kx, stride)
    let upper = Self.floorDivision(inputWidth - 1 + padding.left - kx, stride) + 1
    return Self.range(max(lower, 0), min(upper, outputWidth))
  }

  /// Taps k of output position o along one axis: 0 ≤ o·s − pad + k < input.
  private static func taps(output o: Int, stride: Int, pad: Int, kernel: Int, input: Int)
    -> Range<Int>
  {
    let start = o * stride - pad
    return range(max(0, -start), min(kernel, input - start))
  }

  /// Output positions o whose window covers input position i along one axis:
  /// 0 ≤ i + pad − o·s < kernel and 0 ≤ o < output.
  private static func covering(input i: Int, stride: Int, pad: Int, kernel: Int, output: Int)
    -> Range<Int>
  {
    let t = i + pad
    let lower = ceilDivision(t - kernel + 1, stride)
    let upper = floorDivision(t, stride) + 1
    return range(max(lower, 0), min(upper, output))
  }

  /// `lower..<upper`, or an empty range at `lower` when upper < lower.
  private static func range(_ lower: Int, _ upper: Int) -> Range<Int> {
    lower..<max(lower, upper)
  }

  /// ⌊a / b⌋ for b > 0 (Swift's `/` truncates toward zero).
  private static func floorDivision(_ a: Int, _ b: Int) -> Int {
    let (q, r) = a.quotientAndRemainder(dividingBy: b)
    return r < 0 ? q - 1 : q
  }

  /// ⌈a / b⌉ for b > 0.
  private static func ceilDivision(_ a: Int, _ b: Int) -> Int {
    -floorDivision(-a, b)
  }
}
