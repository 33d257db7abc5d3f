import Foundation

extension NetConfig {
  /// Reads a config from JSON, with errors that name the file and the field.
  public init(jsonData: Data, source: String = "<data>") throws {
    do {
      self = try JSONDecoder().decode(NetConfig.self, from: jsonData)
    } catch let error as DecodingError {
      throw NetConfigError.malformed(source: source, detail: Self.describe(error))
    }
  }

  /// Reads a config file (MIT's `*.json` format).
  public init(contentsOfFile path: String) throws {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw NetConfigError.unreadable(path: path)
    }
    try self.init(jsonData: data, source: path)
  }

  /// The config as pretty-printed JSON in MIT's format.
  public func jsonData() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try encoder.encode(self)
  }

  /// The config as a JSON string (for HDF5 attributes and manifests).
  public func jsonString() throws -> String {
    String(decoding: try jsonData(), as: UTF8.self)
  }

  private static func describe(_ error: DecodingError) -> String {
    func path(_ ctx: DecodingError.Context) -> String {
      ctx.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    }
    switch error {
    case .keyNotFound(let key, let ctx):
      return "missing key '\(key.stringValue)' at \(path(ctx).isEmpty ? "top level" : path(ctx))"
    case .typeMismatch(let type, let ctx):
      return "wrong type at \(path(ctx)): expected \(type) (\(ctx.debugDescription))"
    case .valueNotFound(let type, let ctx):
      return "null where \(type) is required at \(path(ctx))"
    case .dataCorrupted(let ctx):
      return "\(ctx.debugDescription) at \(path(ctx).isEmpty ? "top level" : path(ctx))"
    @unknown default:
      return "\(error)"
    }
  }

  /// Lowers the config to an op graph at `resolution` (default: the config's own).
  ///
  /// first conv → blocks (expand 1×1 → depthwise k×k → project 1×1, plus the identity add) →
  /// optional feature-mix 1×1 → global average pool → linear. `ZeroLayer` blocks with an
  /// identity shortcut are skipped (they pass their input through).
  public func makeGraph(resolution: Int? = nil, inputChannels: Int = 3) throws -> Graph {
    guard let r = resolution ?? self.resolution else {
      throw NetConfigError.invalid(
        field: "resolution", detail: "the config states no resolution; pass one explicitly")
    }
    var b = GraphBuilder(name: name)
    let input = try b.addInput(height: r, width: r, channels: inputChannels)
    guard firstConv.inChannels == inputChannels else {
      throw NetConfigError.invalid(
        field: "first_conv.in_channels",
        detail: "is \(firstConv.inChannels) but the input has \(inputChannels) channels")
    }
    var x = try b.add(
      .conv2d(try firstConv.attributes(field: "first_conv")), inputs: [input], name: "first_conv")
    var channels = firstConv.outChannels

    for (i, block) in blocks.enumerated() {
      let field = "blocks[\(i)]"
      switch block.conv {
      case .zero(let stride):
        guard block.shortcut != nil, stride == 1 else {
          throw NetConfigError.invalid(
            field: field,
            detail: "a ZeroLayer is only supported with stride 1 and an identity shortcut")
        }
        continue
      case .mbConv(let m):
        guard m.inChannels == channels else {
          throw NetConfigError.invalid(
            field: "\(field).mobile_inverted_conv.in_channels",
            detail: "is \(m.inChannels) but the previous layer outputs \(channels) channels")
        }
        guard [1, 3, 5, 7].contains(m.kernelSize), [1, 2].contains(m.stride) else {
          throw NetConfigError.invalid(
            field: "\(field).mobile_inverted_conv",
            detail:
              "kernel \(m.kernelSize) / stride \(m.stride) unsupported (k ∈ {1,3,5,7}, s ∈ {1,2})")
        }
        if m.useSE == true {
          throw NetConfigError.invalid(
            field: "\(field).mobile_inverted_conv.use_se", detail: "squeeze-excite is not supported"
          )
        }
        let blockInput = x
        let mid = m.expandedChannels
        if m.expandRatio != 1 {
          x = try b.add(
            .conv2d(Conv2DAttributes(outChannels: mid, kernel: 1, stride: 1, activation: .relu6)),
            inputs: [x], name: "\(field).expand")
        }
        x = try b.add(
          .depthwiseConv2d(
            DepthwiseConv2DAttributes(kernel: m.kernelSize, stride: m.stride, activation: .relu6)),
          inputs: [x], name: "\(field).depthwise")
        x = try b.add(
          .conv2d(
            Conv2DAttributes(outChannels: m.outChannels, kernel: 1, stride: 1, activation: .none)),
          inputs: [x], name: "\(field).project")
        if let shortcut = block.shortcut {
          guard m.stride == 1, m.inChannels == m.outChannels, shortcut.channels == m.inChannels
          else {
            throw NetConfigError.invalid(
              field: "\(field).shortcut",
              detail: "an identity shortcut needs stride 1 and in == out channels "
                + "(stride \(m.stride), \(m.inChannels) → \(m.outChannels))")
          }
          x = try b.add(.add(activation: .none), inputs: [blockInput, x], name: "\(field).add")
        }
        channels = m.outChannels
      }
    }
    if let mix = featureMixLayer {
      guard mix.inChannels == channels else {
        throw NetConfigError.invalid(
          field: "feature_mix_layer.in_channels",
          detail: "is \(mix.inChannels) but the last block outputs \(channels) channels")
      }
      x = try b.add(
        .conv2d(try mix.attributes(field: "feature_mix_layer")), inputs: [x], name: "feature_mix")
      channels = mix.outChannels
    }
    x = try b.add(.globalAvgPool, inputs: [x], name: "global_avg_pool")
    guard classifier.inFeatures == channels else {
      throw NetConfigError.invalid(
        field: "classifier.in_features",
        detail: "is \(classifier.inFeatures) but the pooled features have \(channels) channels")
    }
    x = try b.add(
      .linear(
        LinearAttributes(
          outFeatures: classifier.outFeatures, bias: classifier.bias, activation: .none,
          dropout: classifier.dropoutRate)),
      inputs: [x], name: "classifier")
    return b.graph
  }
}

extension ConvLayerConfig {
  func attributes(field: String) throws -> Conv2DAttributes {
    guard groups == 1, dilation == 1 else {
      throw NetConfigError.invalid(
        field: field, detail: "groups \(groups) / dilation \(dilation) unsupported (need 1 / 1)")
    }
    return Conv2DAttributes(
      outChannels: outChannels, kernel: kernelSize, stride: stride, batchNorm: useBN, bias: bias,
      activation: try Activation(configName: actFunc, field: field))
  }
}

extension Activation {
  init(configName: String?, field: String) throws {
    switch configName {
    case nil, "none": self = .none
    case "relu": self = .relu
    case "relu6": self = .relu6
    case let other?:
      throw NetConfigError.invalid(
        field: "\(field).act_func", detail: "activation '\(other)' unsupported (relu, relu6, none)")
    }
  }
}

/// Errors reading or lowering a network config; each names the file or field and the fix.
public enum NetConfigError: Error, Equatable, CustomStringConvertible {
  case unreadable(path: String)
  case malformed(source: String, detail: String)
  case invalid(field: String, detail: String)

  public var description: String {
    switch self {
    case .unreadable(let p):
      return "cannot read network config '\(p)': no such file or not readable; check the path"
    case .malformed(let s, let d):
      return "network config '\(s)' is not in MIT's ProxylessNAS JSON format: \(d)"
    case .invalid(let f, let d):
      return "network config field '\(f)' \(d)"
    }
  }
}
