/// Builders for the three network families the paper compares (Table 2): width- and
/// resolution-scaled MobileNetV2, scaled ProxylessNAS-Mobile, and TinyNAS subnets of the MCUNet
/// search space (paper_facts.md §8), plus the appendix-B models of the library comparison
/// (Fig. 4): scaled MnasNet-B1 and SmallCifar. All but SmallCifar (a `Graph`: MIT's format has
/// no max pooling) return MIT-format `NetConfig`s.

/// once-for-all's `make_divisible(v, 8)`: round to the nearest multiple of 8 (at least 8), and
/// add 8 if that lost more than 10 %.
public func makeDivisible(_ value: Double, divisor: Int = 8) -> Int {
  let d = Double(divisor)
  var v = max(divisor, Int(value + d / 2) / divisor * divisor)
  if Double(v) < 0.9 * value { v += divisor }
  return v
}

/// One MBConv block choice: depthwise kernel k and expand ratio e.
public struct BlockChoice: Hashable, Sendable, Codable {
  public var kernel: Int
  public var expand: Int

  public init(kernel: Int, expand: Int) {
    self.kernel = kernel
    self.expand = expand
  }
}

/// Assembles an MBConv network: first conv, first block (e = 1, k = 3), stages, optional
/// feature-mix layer, classifier. Residuals where stride is 1 and cIn == cOut.
/// `stages[i]` lists its blocks; `nil` entries are ProxylessNAS `ZeroLayer`s (skipped blocks).
func assembleMBNet(
  firstConv: Int, firstBlock: Int, stageWidths: [Int], strides: [Int],
  stages: [[BlockChoice?]], featureMix: Int?, classes: Int, resolution: Int,
  bnEps: Double, dropout: Double = 0
) -> NetConfig {
  var blocks: [BlockConfig] = [
    BlockConfig(
      conv: .mbConv(
        MBConvConfig(
          inChannels: firstConv, outChannels: firstBlock, kernelSize: 3, stride: 1, expandRatio: 1)),
      shortcut: nil)
  ]
  var channels = firstBlock
  for (s, stage) in stages.enumerated() {
    for (i, choice) in stage.enumerated() {
      let stride = i == 0 ? strides[s] : 1
      let out = stageWidths[s]
      guard let choice else {
        blocks.append(
          BlockConfig(conv: .zero(stride: 1), shortcut: ShortcutConfig(channels: channels)))
        continue
      }
      // The first block of a stage never has a shortcut, even where shapes would allow one
      // (ProxylessNAS w0.25, stage 4: 24 → 24 channels at stride 1).
      let residual = i > 0 && stride == 1 && channels == out
      blocks.append(
        BlockConfig(
          conv: .mbConv(
            MBConvConfig(
              inChannels: channels, outChannels: out, kernelSize: choice.kernel, stride: stride,
              expandRatio: Double(choice.expand),
              midChannels: makeDivisible(Double(channels * choice.expand)))),
          shortcut: residual ? ShortcutConfig(channels: channels) : nil))
      channels = out
    }
  }
  var mix: ConvLayerConfig?
  if let featureMix {
    mix = ConvLayerConfig(kernelSize: 1, stride: 1, inChannels: channels, outChannels: featureMix)
    channels = featureMix
  }
  return NetConfig(
    bn: BatchNormSettings(momentum: 0.1, eps: bnEps),
    firstConv: ConvLayerConfig(kernelSize: 3, stride: 2, inChannels: 3, outChannels: firstConv),
    blocks: blocks, featureMixLayer: mix,
    classifier: LinearLayerConfig(inFeatures: channels, outFeatures: classes, dropoutRate: dropout),
    resolution: resolution)
}

/// Width- and resolution-scaled MobileNetV2 (the paper's "S-MbV2"), in MIT's form: first conv
/// 32·w, first block 16·w, stages 24/32/64/96/160/320·w with depths 2,3,4,3,3,1, strides
/// 2,2,2,1,2,1, k = 3, e = 6, feature mix 1280·w, all `makeDivisible`d; classifier dropout 0.2.
public func scaledMobileNetV2(width w: Double, resolution: Int, classes: Int = 1000) -> NetConfig {
  let base = [24, 32, 64, 96, 160, 320]
  let depths = [2, 3, 4, 3, 3, 1]
  let stages = depths.map {
    Array(repeating: Optional(BlockChoice(kernel: 3, expand: 6)), count: $0)
  }
  var config = assembleMBNet(
    firstConv: makeDivisible(32 * w), firstBlock: makeDivisible(16 * w),
    stageWidths: base.map { makeDivisible(Double($0) * w) }, strides: [2, 2, 2, 1, 2, 1],
    stages: stages, featureMix: makeDivisible(1280 * w), classes: classes, resolution: resolution,
    bnEps: 1e-3, dropout: 0.2)
  config.blocks = config.blocks.map(withoutMidChannels)
  return config
}

/// MnasNet-B1 (Tan et al. 2019, Fig. 7 without squeeze-excitation; torchvision's `mnasnet1_0`)
/// as (expand, kernel, stride, repeats, channels) per stage, after the stem conv 3×3 s2 with 32
/// channels and the SepConv (depthwise 3×3 + pointwise) to 16 channels.
public let mnasNetB1Stages: [(expand: Int, kernel: Int, stride: Int, repeats: Int, channels: Int)] =
  [
    (3, 3, 2, 3, 24), (3, 5, 2, 3, 40), (6, 5, 2, 3, 80), (6, 3, 1, 2, 96), (6, 5, 2, 4, 192),
    (6, 3, 1, 1, 320),
  ]

/// Width- and resolution-scaled MnasNet-B1 in MIT's form, as the paper's appendix-B
/// "MnasNet w0.2 r96": stem conv 3×3 s2 with 32·w channels, SepConv (an e = 1, k = 3 block) with
/// 16·w, the stages of `mnasNetB1Stages` with channels ·w (every block of a stage repeats its
/// (k, e); identity shortcuts where stride is 1 and channels match), feature mix (the 1×1 head)
/// 1280·w, global average pool, linear; every width `makeDivisible`d as in `scaledMobileNetV2`
/// (which also scales the head, where torchvision keeps 1280), mid channels cIn·e, ReLU6
/// throughout as in every MIT-format block (MnasNet uses ReLU), classifier dropout 0.2.
public func scaledMnasNet(width w: Double, resolution: Int, classes: Int = 1000) -> NetConfig {
  let stages = mnasNetB1Stages.map {
    Array(repeating: Optional(BlockChoice(kernel: $0.kernel, expand: $0.expand)), count: $0.repeats)
  }
  var config = assembleMBNet(
    firstConv: makeDivisible(32 * w), firstBlock: makeDivisible(16 * w),
    stageWidths: mnasNetB1Stages.map { makeDivisible(Double($0.channels) * w) },
    strides: mnasNetB1Stages.map(\.stride), stages: stages, featureMix: makeDivisible(1280 * w),
    classes: classes, resolution: resolution, bnEps: 1e-3, dropout: 0.2)
  config.blocks = config.blocks.map(withoutMidChannels)
  return config
}

/// SmallCifar, the μTVM blog's CIFAR-10 model the paper compares libraries on (appendix B):
/// input 32×32×3, three times {conv 5×5 stride 1 'same' padding 2 with bias + ReLU, max pool 2×2
/// stride 2} with 32, 32 and 64 channels, then linear 1024 → 10 with bias. No batch norm.
///
/// MACs 32·32·32·75 + 16·16·32·800 + 8·8·64·800 + 1024·10 = 12 298 240; params 89 578.
public func smallCifarGraph(classes: Int = 10) throws -> Graph {
  var b = GraphBuilder(name: "smallcifar")
  var x = try b.addInput(height: 32, width: 32, channels: 3)
  for (i, channels) in [32, 32, 64].enumerated() {
    x = try b.add(
      .conv2d(
        Conv2DAttributes(
          outChannels: channels, kernel: 5, stride: 1, batchNorm: false, bias: true,
          activation: .relu)),
      inputs: [x], name: "conv\(i + 1)")
    x = try b.add(
      .maxPool(PoolAttributes(kernel: 2, stride: 2)), inputs: [x], name: "pool\(i + 1)")
  }
  x = try b.add(
    .linear(LinearAttributes(outFeatures: classes, bias: true)), inputs: [x], name: "classifier")
  return b.graph
}

/// ProxylessNAS-Mobile's searched architecture (Cai et al. 2019), stage by stage; `nil` marks
/// the two `ZeroLayer` blocks of stage 1.
public let proxylessMobileStages: [[BlockChoice?]] = [
  [BlockChoice(kernel: 5, expand: 3), BlockChoice(kernel: 3, expand: 3), nil, nil],
  [
    BlockChoice(kernel: 7, expand: 3), BlockChoice(kernel: 3, expand: 3),
    BlockChoice(kernel: 5, expand: 3), BlockChoice(kernel: 5, expand: 3),
  ],
  [
    BlockChoice(kernel: 7, expand: 6), BlockChoice(kernel: 5, expand: 3),
    BlockChoice(kernel: 5, expand: 3), BlockChoice(kernel: 5, expand: 3),
  ],
  [
    BlockChoice(kernel: 5, expand: 6), BlockChoice(kernel: 5, expand: 3),
    BlockChoice(kernel: 5, expand: 3), BlockChoice(kernel: 5, expand: 3),
  ],
  [
    BlockChoice(kernel: 7, expand: 6), BlockChoice(kernel: 7, expand: 6),
    BlockChoice(kernel: 7, expand: 3), BlockChoice(kernel: 7, expand: 3),
  ],
  [BlockChoice(kernel: 7, expand: 6)],
]

/// Width- and resolution-scaled ProxylessNAS-Mobile ("S-Proxyless"): first conv 32·w, first
/// block 16·w, stages 32/40/80/96/192/320·w, strides 2,2,2,1,2,1, feature mix 1280·w.
/// `stageWidths` overrides the scaled widths (MIT's released w0.3 model has 64 channels in
/// stage 5 where `makeDivisible(192 · 0.3)` gives 56).
public func scaledProxylessNAS(
  width w: Double, resolution: Int, classes: Int = 1000, stageWidths: [Int]? = nil
) -> NetConfig {
  let base = [32, 40, 80, 96, 192, 320]
  var config = assembleMBNet(
    firstConv: makeDivisible(32 * w), firstBlock: makeDivisible(16 * w),
    stageWidths: stageWidths ?? base.map { makeDivisible(Double($0) * w) },
    strides: [2, 2, 2, 1, 2, 1], stages: proxylessMobileStages,
    featureMix: makeDivisible(1280 * w), classes: classes, resolution: resolution, bnEps: 1e-3)
  config.blocks = config.blocks.map(withoutMidChannels)
  return config
}

/// The baselines' configs leave `mid_channels` null (OFA then uses round(cIn · e)).
private func withoutMidChannels(_ block: BlockConfig) -> BlockConfig {
  guard case .mbConv(var m) = block.conv else { return block }
  m.midChannels = nil
  return BlockConfig(conv: .mbConv(m), shortcut: block.shortcut)
}

/// A subnet of the MCUNet (TinyNAS) search space, paper_facts.md §8.
///
/// First conv 3×3 s2 with 32·w channels, first block (k3, e1) with 16·w, six stages with base
/// widths 24/40/80/96/192/320 scaled by w, strides 2,2,2,1,2,1, `depths[s]` blocks in stage s
/// (stage 6 always has 1), `blocks` the (k, e) of every stage block in order, no feature-mix
/// layer, global average pool, linear classifier.
public struct TinyNASSubnet: Hashable, Sendable, Codable {
  public static let baseWidths = [24, 40, 80, 96, 192, 320]
  public static let strides = [2, 2, 2, 1, 2, 1]

  public var width: Double
  public var resolution: Int
  public var depths: [Int]
  public var blocks: [BlockChoice]
  public var classes: Int

  public init(
    width: Double, resolution: Int, depths: [Int], blocks: [BlockChoice], classes: Int = 1000
  ) {
    self.width = width
    self.resolution = resolution
    self.depths = depths
    self.blocks = blocks
    self.classes = classes
  }

  /// Convenience: blocks written as "k,e k,e …" (e.g. "7,3 3,5 7,5").
  public init(
    width: Double, resolution: Int, depths: [Int], blocks spec: String, classes: Int = 1000
  ) {
    let choices = spec.split(separator: " ").compactMap { pair -> BlockChoice? in
      let parts = pair.split(separator: ",").compactMap { Int($0) }
      return parts.count == 2 ? BlockChoice(kernel: parts[0], expand: parts[1]) : nil
    }
    self.init(
      width: width, resolution: resolution, depths: depths, blocks: choices, classes: classes)
  }

  /// The MIT-format config of this subnet; throws if depths and blocks disagree.
  public func netConfig() throws -> NetConfig {
    guard depths.count == 6, depths.allSatisfy({ $0 >= 1 }), depths[5] == 1 else {
      throw NetConfigError.invalid(
        field: "depths",
        detail: "must list 6 stage depths ≥ 1 with the last equal to 1, got \(depths)")
    }
    guard blocks.count == depths.reduce(0, +) else {
      throw NetConfigError.invalid(
        field: "blocks",
        detail:
          "lists \(blocks.count) (k, e) choices but the depths \(depths) need \(depths.reduce(0, +))"
      )
    }
    var stages: [[BlockChoice?]] = []
    var next = 0
    for d in depths {
      stages.append(blocks[next..<(next + d)].map { Optional($0) })
      next += d
    }
    return assembleMBNet(
      firstConv: makeDivisible(32 * width), firstBlock: makeDivisible(16 * width),
      stageWidths: Self.baseWidths.map { makeDivisible(Double($0) * width) },
      strides: Self.strides, stages: stages, featureMix: nil, classes: classes,
      resolution: resolution, bnEps: 1e-5)
  }
}
