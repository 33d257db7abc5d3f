/// MIT's ProxylessNAS / once-for-all network-config JSON, as released with MCUNet
/// (`mcunet/assets/configs/*.json`): `first_conv`, `blocks` of `MobileInvertedResidualBlock`
/// (`mobile_inverted_conv` + `shortcut`), `feature_mix_layer`, `classifier`, `resolution`.
///
/// Decoding accepts every variant the 13 released files use (`mid_channels` present, null or
/// absent; shortcut channels as an int or a one-element list; `ZeroLayer` blocks); encoding
/// writes the same format back. `makeGraph()` lowers a config to the op graph.
public struct NetConfig: Hashable, Sendable, Codable {
  public var name: String
  public var bn: BatchNormSettings?
  public var firstConv: ConvLayerConfig
  public var blocks: [BlockConfig]
  public var featureMixLayer: ConvLayerConfig?
  public var classifier: LinearLayerConfig
  /// Input resolution r (square r×r images); nil in configs that do not state it.
  public var resolution: Int?

  public init(
    name: String = "ProxylessNASNets", bn: BatchNormSettings? = BatchNormSettings(),
    firstConv: ConvLayerConfig, blocks: [BlockConfig], featureMixLayer: ConvLayerConfig?,
    classifier: LinearLayerConfig, resolution: Int?
  ) {
    self.name = name
    self.bn = bn
    self.firstConv = firstConv
    self.blocks = blocks
    self.featureMixLayer = featureMixLayer
    self.classifier = classifier
    self.resolution = resolution
  }

  enum CodingKeys: String, CodingKey {
    case name, bn, blocks, classifier, resolution
    case firstConv = "first_conv"
    case featureMixLayer = "feature_mix_layer"
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(name, forKey: .name)
    try c.encodeIfPresent(bn, forKey: .bn)
    try c.encode(firstConv, forKey: .firstConv)
    try c.encode(blocks, forKey: .blocks)
    try c.encode(featureMixLayer, forKey: .featureMixLayer)  // explicit null, as MIT writes it
    try c.encode(classifier, forKey: .classifier)
    try c.encodeIfPresent(resolution, forKey: .resolution)
  }
}

/// The `bn` entry: momentum and epsilon of every batch norm in the network.
public struct BatchNormSettings: Hashable, Sendable, Codable {
  public var momentum: Double
  public var eps: Double
  public var wsEps: Double?

  public init(momentum: Double = 0.1, eps: Double = 1e-5, wsEps: Double? = nil) {
    self.momentum = momentum
    self.eps = eps
    self.wsEps = wsEps
  }

  enum CodingKeys: String, CodingKey {
    case momentum, eps
    case wsEps = "ws_eps"
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(momentum, forKey: .momentum)
    try c.encode(eps, forKey: .eps)
    try c.encode(wsEps, forKey: .wsEps)
  }
}

/// A `ConvLayer` (the first conv and the feature-mix layer): conv → BN → activation.
public struct ConvLayerConfig: Hashable, Sendable, Codable {
  public var name: String = "ConvLayer"
  public var kernelSize: Int
  public var stride: Int
  public var dilation: Int = 1
  public var groups: Int = 1
  public var bias: Bool = false
  public var hasShuffle: Bool = false
  public var inChannels: Int
  public var outChannels: Int
  public var useBN: Bool = true
  public var actFunc: String?
  public var dropoutRate: Double = 0
  public var opsOrder: String = "weight_bn_act"

  public init(
    kernelSize: Int, stride: Int, inChannels: Int, outChannels: Int, actFunc: String? = "relu6"
  ) {
    self.kernelSize = kernelSize
    self.stride = stride
    self.inChannels = inChannels
    self.outChannels = outChannels
    self.actFunc = actFunc
  }

  enum CodingKeys: String, CodingKey {
    case name, stride, dilation, groups, bias
    case kernelSize = "kernel_size"
    case hasShuffle = "has_shuffle"
    case inChannels = "in_channels"
    case outChannels = "out_channels"
    case useBN = "use_bn"
    case actFunc = "act_func"
    case dropoutRate = "dropout_rate"
    case opsOrder = "ops_order"
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    name = try c.decode(String.self, forKey: .name)
    kernelSize = try c.decode(Int.self, forKey: .kernelSize)
    stride = try c.decode(Int.self, forKey: .stride)
    dilation = try c.decodeIfPresent(Int.self, forKey: .dilation) ?? 1
    groups = try c.decodeIfPresent(Int.self, forKey: .groups) ?? 1
    bias = try c.decodeIfPresent(Bool.self, forKey: .bias) ?? false
    hasShuffle = try c.decodeIfPresent(Bool.self, forKey: .hasShuffle) ?? false
    inChannels = try c.decode(Int.self, forKey: .inChannels)
    outChannels = try c.decode(Int.self, forKey: .outChannels)
    useBN = try c.decodeIfPresent(Bool.self, forKey: .useBN) ?? true
    actFunc = try c.decodeIfPresent(String.self, forKey: .actFunc)
    dropoutRate = try c.decodeIfPresent(Double.self, forKey: .dropoutRate) ?? 0
    opsOrder = try c.decodeIfPresent(String.self, forKey: .opsOrder) ?? "weight_bn_act"
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(name, forKey: .name)
    try c.encode(kernelSize, forKey: .kernelSize)
    try c.encode(stride, forKey: .stride)
    try c.encode(dilation, forKey: .dilation)
    try c.encode(groups, forKey: .groups)
    try c.encode(bias, forKey: .bias)
    try c.encode(hasShuffle, forKey: .hasShuffle)
    try c.encode(inChannels, forKey: .inChannels)
    try c.encode(outChannels, forKey: .outChannels)
    try c.encode(useBN, forKey: .useBN)
    try c.encode(actFunc, forKey: .actFunc)
    try c.encode(dropoutRate, forKey: .dropoutRate)
    try c.encode(opsOrder, forKey: .opsOrder)
  }
}

/// The `classifier`: a `LinearLayer`.
public struct LinearLayerConfig: Hashable, Sendable, Codable {
  public var name: String = "LinearLayer"
  public var inFeatures: Int
  public var outFeatures: Int
  public var bias: Bool = true
  public var useBN: Bool = false
  public var actFunc: String?
  public var dropoutRate: Double = 0
  public var opsOrder: String = "weight_bn_act"

  public init(inFeatures: Int, outFeatures: Int, dropoutRate: Double = 0) {
    self.inFeatures = inFeatures
    self.outFeatures = outFeatures
    self.dropoutRate = dropoutRate
  }

  enum CodingKeys: String, CodingKey {
    case name, bias
    case inFeatures = "in_features"
    case outFeatures = "out_features"
    case useBN = "use_bn"
    case actFunc = "act_func"
    case dropoutRate = "dropout_rate"
    case opsOrder = "ops_order"
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    name = try c.decode(String.self, forKey: .name)
    inFeatures = try c.decode(Int.self, forKey: .inFeatures)
    outFeatures = try c.decode(Int.self, forKey: .outFeatures)
    bias = try c.decodeIfPresent(Bool.self, forKey: .bias) ?? true
    useBN = try c.decodeIfPresent(Bool.self, forKey: .useBN) ?? false
    actFunc = try c.decodeIfPresent(String.self, forKey: .actFunc)
    dropoutRate = try c.decodeIfPresent(Double.self, forKey: .dropoutRate) ?? 0
    opsOrder = try c.decodeIfPresent(String.self, forKey: .opsOrder) ?? "weight_bn_act"
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(name, forKey: .name)
    try c.encode(inFeatures, forKey: .inFeatures)
    try c.encode(outFeatures, forKey: .outFeatures)
    try c.encode(bias, forKey: .bias)
    try c.encode(useBN, forKey: .useBN)
    try c.encode(actFunc, forKey: .actFunc)
    try c.encode(dropoutRate, forKey: .dropoutRate)
    try c.encode(opsOrder, forKey: .opsOrder)
  }
}

/// The `mobile_inverted_conv` of a block: an MBConv, or a `ZeroLayer` (a skipped block whose
/// identity shortcut passes the input through, as in ProxylessNAS-Mobile).
public enum BlockConv: Hashable, Sendable, Codable {
  case mbConv(MBConvConfig)
  case zero(stride: Int)

  enum CodingKeys: String, CodingKey { case name, stride }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let name = try c.decode(String.self, forKey: .name)
    switch name {
    case "MBInvertedConvLayer", "MBConvLayer":
      self = .mbConv(try MBConvConfig(from: decoder))
    case "ZeroLayer":
      self = .zero(stride: try c.decodeIfPresent(Int.self, forKey: .stride) ?? 1)
    default:
      throw DecodingError.dataCorruptedError(
        forKey: .name, in: c,
        debugDescription: "unsupported layer '\(name)' in a block; expected MBInvertedConvLayer "
          + "or ZeroLayer")
    }
  }

  public func encode(to encoder: any Encoder) throws {
    switch self {
    case .mbConv(let m):
      try m.encode(to: encoder)
    case .zero(let stride):
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode("ZeroLayer", forKey: .name)
      try c.encode(stride, forKey: .stride)
    }
  }
}

/// An `MBInvertedConvLayer`: 1×1 expand (skipped when `expand_ratio` is 1) → k×k depthwise
/// with stride → 1×1 linear projection, each followed by BN; ReLU6 after the first two.
public struct MBConvConfig: Hashable, Sendable, Codable {
  public var name: String = "MBInvertedConvLayer"
  public var inChannels: Int
  public var outChannels: Int
  public var kernelSize: Int
  public var stride: Int
  public var expandRatio: Double
  /// Explicit expanded width; nil means `round(inChannels · expandRatio)` (OFA's rule).
  public var midChannels: Int?
  public var actFunc: String? = "relu6"
  public var useSE: Bool? = false

  public init(
    inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int, expandRatio: Double,
    midChannels: Int? = nil
  ) {
    self.inChannels = inChannels
    self.outChannels = outChannels
    self.kernelSize = kernelSize
    self.stride = stride
    self.expandRatio = expandRatio
    self.midChannels = midChannels
  }

  /// Width of the depthwise layer.
  public var expandedChannels: Int {
    if expandRatio == 1 { return inChannels }
    return midChannels ?? Int((Double(inChannels) * expandRatio).rounded(.toNearestOrEven))
  }

  enum CodingKeys: String, CodingKey {
    case name, stride
    case inChannels = "in_channels"
    case outChannels = "out_channels"
    case kernelSize = "kernel_size"
    case expandRatio = "expand_ratio"
    case midChannels = "mid_channels"
    case actFunc = "act_func"
    case useSE = "use_se"
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    name = try c.decode(String.self, forKey: .name)
    inChannels = try c.decode(Int.self, forKey: .inChannels)
    outChannels = try c.decode(Int.self, forKey: .outChannels)
    kernelSize = try c.decode(Int.self, forKey: .kernelSize)
    stride = try c.decode(Int.self, forKey: .stride)
    expandRatio = try c.decode(Double.self, forKey: .expandRatio)
    midChannels = try c.decodeIfPresent(Int.self, forKey: .midChannels)
    actFunc = try c.decodeIfPresent(String.self, forKey: .actFunc) ?? "relu6"
    useSE = try c.decodeIfPresent(Bool.self, forKey: .useSE)
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(name, forKey: .name)
    try c.encode(inChannels, forKey: .inChannels)
    try c.encode(outChannels, forKey: .outChannels)
    try c.encode(kernelSize, forKey: .kernelSize)
    try c.encode(stride, forKey: .stride)
    if expandRatio == expandRatio.rounded() {
      try c.encode(Int(expandRatio), forKey: .expandRatio)
    } else {
      try c.encode(expandRatio, forKey: .expandRatio)
    }
    try c.encode(midChannels, forKey: .midChannels)
    try c.encode(actFunc, forKey: .actFunc)
    try c.encodeIfPresent(useSE, forKey: .useSE)
  }
}

/// An identity shortcut (`IdentityLayer`).
public struct ShortcutConfig: Hashable, Sendable, Codable {
  public var channels: Int

  public init(channels: Int) { self.channels = channels }

  enum CodingKeys: String, CodingKey {
    case name
    case inChannels = "in_channels"
    case outChannels = "out_channels"
    case useBN = "use_bn"
    case actFunc = "act_func"
    case dropoutRate = "dropout_rate"
    case opsOrder = "ops_order"
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let name = try c.decode(String.self, forKey: .name)
    guard name == "IdentityLayer" else {
      throw DecodingError.dataCorruptedError(
        forKey: .name, in: c,
        debugDescription: "unsupported shortcut '\(name)'; only IdentityLayer is supported")
    }
    // MCUNet's configs write the channels as a one-element list, ProxylessNAS's as an int.
    if let list = try? c.decode([Int].self, forKey: .inChannels), let first = list.first {
      channels = first
    } else {
      channels = try c.decode(Int.self, forKey: .inChannels)
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode("IdentityLayer", forKey: .name)
    try c.encode([channels], forKey: .inChannels)
    try c.encode([channels], forKey: .outChannels)
    try c.encode(false, forKey: .useBN)
    try c.encodeNil(forKey: .actFunc)
    try c.encode(0, forKey: .dropoutRate)
    try c.encode("weight_bn_act", forKey: .opsOrder)
  }
}

/// One `MobileInvertedResidualBlock`.
public struct BlockConfig: Hashable, Sendable, Codable {
  public var conv: BlockConv
  public var shortcut: ShortcutConfig?

  public init(conv: BlockConv, shortcut: ShortcutConfig?) {
    self.conv = conv
    self.shortcut = shortcut
  }

  enum CodingKeys: String, CodingKey {
    case name
    case conv = "mobile_inverted_conv"
    case shortcut
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    conv = try c.decode(BlockConv.self, forKey: .conv)
    shortcut = try c.decodeIfPresent(ShortcutConfig.self, forKey: .shortcut)
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode("MobileInvertedResidualBlock", forKey: .name)
    try c.encode(conv, forKey: .conv)
    try c.encode(shortcut, forKey: .shortcut)
  }
}
