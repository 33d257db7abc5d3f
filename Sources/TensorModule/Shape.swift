// Shape vocabulary, fixed once for the whole suite (STYLE.md B3):
//   N      batch
//   H, W   spatial height and width
//   C      channels (cIn / cOut for the input and output of an op)
//   kH, kW kernel height and width
//   s      stride
//   p      padding (top/left/bottom/right when asymmetric)
// Layout is NHWC everywhere; conv weights are OHWI ([cOut, kH, kW, cIn]); depthwise weights
// are 1HWO ([1, kH, kW, C]).

/// The layout of a 4-D activation tensor. Only NHWC is used; the enum exists so that the layout
/// is stated in signatures instead of assumed.
public enum Layout: String, Sendable, Codable {
  case nhwc
}

/// A dense tensor shape, outermost dimension first.
public struct Shape: Hashable, Sendable, Codable, CustomStringConvertible,
  ExpressibleByArrayLiteral
{
  public var dims: [Int]

  public init(_ dims: [Int]) { self.dims = dims }
  public init(arrayLiteral elements: Int...) { self.dims = elements }

  /// Number of elements (1 for a scalar shape).
  public var count: Int { dims.reduce(1, *) }
  public var rank: Int { dims.count }
  public subscript(i: Int) -> Int { dims[i] }

  public var description: String { "[" + dims.map(String.init).joined(separator: ", ") + "]" }
}
