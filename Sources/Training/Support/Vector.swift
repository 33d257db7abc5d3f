// Vector.swift
// Channel vectors for the hand loops that run over the contiguous channels of NHWC (depthwise
// conv, batch norm): one kernel body, generic over `ChannelVector`, is instantiated for 16, 8,
// 4 and 1 channels and `forEachChannelBlock` picks the widths. The build targets baseline x86-64
// (SSE), so a SIMD16<Float> is four independent 4-lane registers: enough parallel addition
// chains to hide the add latency, which a single 4- or 8-lane accumulator cannot.

/// A block of consecutive channels held in registers: `SIMD16<Float>`, `SIMD8<Float>`,
/// `SIMD4<Float>` or a single `Float`.
protocol ChannelVector {
  /// Channels per block.
  static var width: Int { get }
  static var zero: Self { get }
  /// The block at `base + offset` (no alignment needed).
  static func load(_ base: UnsafePointer<Float>, _ offset: Int) -> Self
  /// Writes the block to `base + offset`.
  func store(_ base: UnsafeMutablePointer<Float>, _ offset: Int)
  /// Every channel set to `value`.
  init(repeating value: Float)
  static func + (lhs: Self, rhs: Self) -> Self
  static func - (lhs: Self, rhs: Self) -> Self
  static func * (lhs: Self, rhs: Self) -> Self
  /// Channel `index` (0 ..< width).
  subscript(index: Int) -> Float { get }
  /// Each channel limited to lower…upper; a NaN stays NaN, as in `ReLU`/`ReLU6`.
  func limited(_ lower: Self, _ upper: Self) -> Self
  /// Each channel kept where lower < gate < upper, else 0 (an activation's gradient gate).
  func gated(by gate: Self, _ lower: Self, _ upper: Self) -> Self
}

// The three SIMD conformances are spelled out on purpose: one shared implementation in a
// constrained `extension ChannelVector where Self: SIMD` compiles to unspecialised SIMD calls
// and made `repro bench train` 2–4× slower (measured 2026-12-01).
extension SIMD16: ChannelVector where Scalar == Float {
  static var width: Int { 16 }
  static var zero: Self { Self() }
  @inline(__always)
  func gated(by gate: Self, _ lower: Self, _ upper: Self) -> Self {
    Self().replacing(with: self, where: (gate .> lower) .& (gate .< upper))
  }
  @inline(__always)
  func limited(_ lower: Self, _ upper: Self) -> Self {
    replacing(with: lower, where: self .< lower).replacing(with: upper, where: self .> upper)
  }
  @inline(__always)
  static func load(_ base: UnsafePointer<Float>, _ offset: Int) -> Self {
    UnsafeRawPointer(base + offset).loadUnaligned(as: Self.self)
  }
  @inline(__always)
  func store(_ base: UnsafeMutablePointer<Float>, _ offset: Int) {
    UnsafeMutableRawPointer(base + offset).storeBytes(of: self, as: Self.self)
  }
}

extension SIMD8: ChannelVector where Scalar == Float {
  static var width: Int { 8 }
  static var zero: Self { Self() }
  @inline(__always)
  func gated(by gate: Self, _ lower: Self, _ upper: Self) -> Self {
    Self().replacing(with: self, where: (gate .> lower) .& (gate .< upper))
  }
  @inline(__always)
  func limited(_ lower: Self, _ upper: Self) -> Self {
    replacing(with: lower, where: self .< lower).replacing(with: upper, where: self .> upper)
  }
  @inline(__always)
  static func load(_ base: UnsafePointer<Float>, _ offset: Int) -> Self {
    UnsafeRawPointer(base + offset).loadUnaligned(as: Self.self)
  }
  @inline(__always)
  func store(_ base: UnsafeMutablePointer<Float>, _ offset: Int) {
    UnsafeMutableRawPointer(base + offset).storeBytes(of: self, as: Self.self)
  }
}

extension SIMD4: ChannelVector where Scalar == Float {
  static var width: Int { 4 }
  static var zero: Self { Self() }
  @inline(__always)
  func gated(by gate: Self, _ lower: Self, _ upper: Self) -> Self {
    Self().replacing(with: self, where: (gate .> lower) .& (gate .< upper))
  }
  @inline(__always)
  func limited(_ lower: Self, _ upper: Self) -> Self {
    replacing(with: lower, where: self .< lower).replacing(with: upper, where: self .> upper)
  }
  @inline(__always)
  static func load(_ base: UnsafePointer<Float>, _ offset: Int) -> Self {
    UnsafeRawPointer(base + offset).loadUnaligned(as: Self.self)
  }
  @inline(__always)
  func store(_ base: UnsafeMutablePointer<Float>, _ offset: Int) {
    UnsafeMutableRawPointer(base + offset).storeBytes(of: self, as: Self.self)
  }
}

extension Float: ChannelVector {
  static var width: Int { 1 }
  init(repeating value: Float) { self = value }
  subscript(index: Int) -> Float { self }
  @inline(__always)
  func gated(by gate: Float, _ lower: Float, _ upper: Float) -> Float {
    gate > lower && gate < upper ? self : 0
  }
  @inline(__always)
  func limited(_ lower: Float, _ upper: Float) -> Float {
    self < lower ? lower : (self > upper ? upper : self)
  }
  @inline(__always)
  static func load(_ base: UnsafePointer<Float>, _ offset: Int) -> Float { base[offset] }
  @inline(__always)
  func store(_ base: UnsafeMutablePointer<Float>, _ offset: Int) { base[offset] = self }
}

/// The channel-block widths of `forEachChannelBlock`, widest first.
enum ChannelBlock {
  case sixteen, eight, one
}

/// Calls `body(width, first)` for consecutive channel blocks covering `0..<count`: blocks of
/// 16 while they fit, then one of 8 if it fits, then single channels. The caller dispatches on
/// the width to its generic kernel (`SIMD16<Float>`, `SIMD8<Float>`, `Float`).
@inline(__always)
func forEachChannelBlock(_ count: Int, _ body: (ChannelBlock, Int) -> Void) {
  var ch = 0
  while ch &+ 16 <= count {
    body(.sixteen, ch)
    ch &+= 16
  }
  if ch &+ 8 <= count {
    body(.eight, ch)
    ch &+= 8
  }
  while ch < count {
    body(.one, ch)
    ch &+= 1
  }
}
