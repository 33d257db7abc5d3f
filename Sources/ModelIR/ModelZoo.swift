/// The released MCUNet ImageNet models and their baselines, stated in the project's own terms
/// (the architectures are facts: width, resolution, stage depths and per-block kernel and
/// expand ratio, read off MIT's `mcunet/assets/configs/*.json`), with every number MIT and the
/// TinyEngine READMEs publish for them (paper_facts.md §6, §7, §9). Tests check each entry
/// against MIT's JSON files in `../shared/reference/netconfigs` when that folder exists.

/// Numbers published for a model. kB are KiB (1024 bytes), as in MIT's READMEs.
public struct PublishedNumbers: Hashable, Sendable {
  /// Model-zoo README MACs in millions, to its rounding (one decimal).
  public var macsM: Double?
  /// Model-zoo README parameters in millions, to paper_facts §9's three decimals.
  public var paramsM: Double?
  /// Model-zoo README "Act" (peak input + output activation) in kB, to its rounding.
  public var actKB: Double?
  /// Model-zoo README SRAM / Flash ("profiled with TinyEngine on STM32F746"), kB.
  public var zooSRAMKB: Double?
  public var zooFlashKB: Double?
  /// TinyEngine README (2022-12, STM32H743): peak SRAM and Flash per library, kB.
  public var teH743SRAMKB: Double?
  public var teH743FlashKB: Double?
  public var tflmH743SRAMKB: Double?
  public var tflmH743FlashKB: Double?
  public var cmsisH743SRAMKB: Double?
  /// TinyEngine README (2022-08, STM32F746): activation arena only, kB.
  public var teF746SRAMKB: Double?
  /// ImageNet top-1 of the int8 (or int4) model, %.
  public var top1: Double?

  public init(
    macsM: Double? = nil, paramsM: Double? = nil, actKB: Double? = nil,
    zooSRAMKB: Double? = nil, zooFlashKB: Double? = nil,
    teH743SRAMKB: Double? = nil, teH743FlashKB: Double? = nil,
    tflmH743SRAMKB: Double? = nil, tflmH743FlashKB: Double? = nil, cmsisH743SRAMKB: Double? = nil,
    teF746SRAMKB: Double? = nil, top1: Double? = nil
  ) {
    self.macsM = macsM
    self.paramsM = paramsM
    self.actKB = actKB
    self.zooSRAMKB = zooSRAMKB
    self.zooFlashKB = zooFlashKB
    self.teH743SRAMKB = teH743SRAMKB
    self.teH743FlashKB = teH743FlashKB
    self.tflmH743SRAMKB = tflmH743SRAMKB
    self.tflmH743FlashKB = tflmH743FlashKB
    self.cmsisH743SRAMKB = cmsisH743SRAMKB
    self.teF746SRAMKB = teF746SRAMKB
    self.top1 = top1
  }
}

/// One model of the zoo.
public struct ZooModel: Hashable, Sendable {
  /// The name used in tables (MIT's `net_id` where it has one).
  public var id: String
  /// Width multiplier w (inferred from the channel counts for the MCUNet models, paper_facts §8).
  public var width: Double
  /// MIT's config file stem (`<configFile>.json`), or nil for a derived variant.
  public var configFile: String?
  public var config: NetConfig
  public var precision: Precision
  public var published: PublishedNumbers

  /// The op graph at the model's resolution.
  public func graph() throws -> Graph { try config.makeGraph() }
}

/// A zoo model that MIT's netconfig format cannot state (it has no max pooling), given as its
/// op graph directly.
public struct ZooGraphModel: Hashable, Sendable {
  public var id: String
  /// Where the architecture comes from and how it is defined.
  public var summary: String
  public var graph: Graph
  public var precision: Precision
  public var published: PublishedNumbers
}

/// One entry of the zoo: a netconfig model (`ZooModel`) or a graph-only one (`ZooGraphModel`).
public enum ZooEntry: Hashable, Sendable {
  case netConfig(ZooModel)
  case graph(ZooGraphModel)

  public var id: String {
    switch self {
    case .netConfig(let m): return m.id
    case .graph(let m): return m.id
    }
  }

  public var precision: Precision {
    switch self {
    case .netConfig(let m): return m.precision
    case .graph(let m): return m.precision
    }
  }

  public var published: PublishedNumbers {
    switch self {
    case .netConfig(let m): return m.published
    case .graph(let m): return m.published
    }
  }

  /// The MIT-format config, nil for a graph-only model.
  public var config: NetConfig? {
    if case .netConfig(let m) = self { return m.config }
    return nil
  }

  /// The op graph at the model's resolution.
  public func graph() throws -> Graph {
    switch self {
    case .netConfig(let m): return try m.graph()
    case .graph(let m): return m.graph
    }
  }
}

/// The zoo, in the order of MIT's README tables.
public enum ModelZoo {
  /// Looks a netconfig model up by `id` (the released models, their resolution variants and the
  /// netconfig models of appendix B).
  public static func model(_ id: String) -> ZooModel? {
    if let m = all.first(where: { $0.id == id }) { return m }
    for case .netConfig(let m) in appendixB where m.id == id { return m }
    return nil
  }

  /// Looks any entry up by `id`, graph-only models included.
  public static func entry(_ id: String) -> ZooEntry? {
    if let m = model(id) { return .netConfig(m) }
    return appendixB.first { $0.id == id }
  }

  /// Every id `entry(_:)` knows, in zoo order.
  public static var allIDs: [String] {
    var ids = all.map(\.id)
    for e in appendixB where !ids.contains(e.id) { ids.append(e.id) }
    return ids
  }

  /// Every model.
  public static var all: [ZooModel] { imagenet + resolutionVariants }

  /// The 12 released ImageNet configs (9 int8, 3 int4).
  public static var imagenet: [ZooModel] {
    [
      ZooModel(
        id: "mbv2-w0.3", width: 0.3, configFile: "mbv2-w0.3-r80_imagenet",
        config: scaledMobileNetV2(width: 0.3, resolution: 80), precision: .int8,
        published: PublishedNumbers(
          macsM: 7.3, paramsM: 0.634, actKB: 94, top1: 38.6)),
      ZooModel(
        id: "mbv2-w0.35", width: 0.35, configFile: "mbv2-w0.35-r144_imagenet",
        config: scaledMobileNetV2(width: 0.35, resolution: 144), precision: .int8,
        published: PublishedNumbers(
          macsM: 23.5, paramsM: 0.750, actKB: 303, zooSRAMKB: 308, zooFlashKB: 862,
          teF746SRAMKB: 284, top1: 49.0)),
      ZooModel(
        id: "proxyless-w0.25", width: 0.25, configFile: "proxyless-w0.25-r112_imagenet",
        config: scaledProxylessNAS(width: 0.25, resolution: 112), precision: .int8,
        published: PublishedNumbers(macsM: 10.7, paramsM: 0.570, actKB: 98, top1: 43.8)),
      ZooModel(
        id: "proxyless-w0.3", width: 0.3, configFile: "proxyless-w0.3-r176_imagenet",
        config: proxylessW03(resolution: 176), precision: .int8,
        published: PublishedNumbers(
          macsM: 38.3, paramsM: 0.754, actKB: 242, zooSRAMKB: 292, zooFlashKB: 892,
          teH743SRAMKB: 259, teH743FlashKB: 779, tflmH743SRAMKB: 453, tflmH743FlashKB: 1065,
          cmsisH743SRAMKB: 453, teF746SRAMKB: 242, top1: 56.2)),
      ZooModel(
        id: "mcunet-in0", width: 0.6, configFile: "mcunet-10fps_imagenet",
        config: mcunet(
          0.6, 48, [3, 3, 2, 3, 2, 1], "5,4 3,3 3,4 7,5 5,4 5,5 7,5 5,4 3,5 5,4 3,5 3,6 5,4 3,6"),
        precision: .int8,
        published: PublishedNumbers(
          macsM: 6.4, paramsM: 0.750, actKB: 45, zooSRAMKB: 266, zooFlashKB: 889,
          teH743SRAMKB: 49, teH743FlashKB: 842, tflmH743SRAMKB: 161, tflmH743FlashKB: 1072,
          cmsisH743SRAMKB: 161, teF746SRAMKB: 45, top1: 40.4)),
      ZooModel(
        id: "mcunet-in1", width: 0.5, configFile: "mcunet-5fps_imagenet",
        config: mcunet(
          0.5, 96, [2, 2, 2, 3, 3, 1], "3,4 3,3 7,3 3,5 3,5 7,4 5,4 3,3 3,4 7,5 5,4 5,4 3,6"),
        precision: .int8,
        published: PublishedNumbers(
          macsM: 12.8, paramsM: 0.636, actKB: 90, zooSRAMKB: 307, zooFlashKB: 992,
          teH743SRAMKB: 96, teH743FlashKB: 727, tflmH743SRAMKB: 219, tflmH743FlashKB: 937,
          cmsisH743SRAMKB: 219, teF746SRAMKB: 90, top1: 49.9)),
      ZooModel(
        id: "mcunet-in2", width: 0.5, configFile: "mcunet-256kb-1mb_imagenet",
        config: mcunet(
          0.5, 160, [4, 3, 2, 3, 4, 1],
          "5,3 7,6 3,5 5,5 3,5 7,6 5,6 7,4 5,5 3,5 5,5 3,4 5,6 5,4 5,3 3,4 5,5"),
        precision: .int8,
        published: PublishedNumbers(
          macsM: 67.3, paramsM: 0.729, actKB: 325, zooSRAMKB: 242, zooFlashKB: 878,
          teH743SRAMKB: 215, teH743FlashKB: 830, tflmH743SRAMKB: 460, tflmH743FlashKB: 1084,
          cmsisH743SRAMKB: 469, teF746SRAMKB: 200, top1: 60.3)),
      ZooModel(
        id: "mcunet-in3", width: 0.5, configFile: "mcunet-320kb-1mb_imagenet",
        config: mcunet(
          0.5, 176, [4, 3, 3, 3, 3, 1],
          "7,3 3,5 7,5 5,4 5,5 5,5 5,5 3,5 7,6 5,4 5,5 7,5 3,5 3,6 7,5 3,4 7,5"),
        precision: .int8,
        published: PublishedNumbers(
          macsM: 81.8, paramsM: 0.737, actKB: 333, zooSRAMKB: 293, zooFlashKB: 897,
          teH743SRAMKB: 260, teH743FlashKB: 835, tflmH743SRAMKB: 493, tflmH743FlashKB: 1091,
          cmsisH743SRAMKB: 493, teF746SRAMKB: 242, top1: 61.8)),
      ZooModel(
        id: "mcunet-in4", width: 1.0, configFile: "mcunet-512kb-2mb_imagenet",
        config: mcunet(
          1.0, 160, [3, 3, 3, 3, 3, 1],
          "7,3 3,5 5,4 7,5 3,4 7,4 7,3 3,3 7,3 3,4 5,3 5,3 7,4 7,3 5,3 5,4"),
        precision: .int8,
        published: PublishedNumbers(
          macsM: 125.9, paramsM: 1.733, actKB: 413, zooSRAMKB: 456, zooFlashKB: 1876,
          teH743SRAMKB: 416, teH743FlashKB: 1825, top1: 68.0)),
      ZooModel(
        id: "mcunet-256kb-int4", width: 0.9, configFile: "mcunet-256kb-1mb-int4_imagenet",
        config: mcunet(
          0.9, 160, [4, 3, 2, 3, 2, 1],
          "7,3 3,6 5,5 7,3 7,5 5,3 7,4 3,5 7,4 5,6 5,4 7,3 3,5 5,4 5,4"),
        precision: .int4,
        published: PublishedNumbers(
          macsM: 134.5, paramsM: 1.405, actKB: 244, zooSRAMKB: 233, zooFlashKB: 1008, top1: 62.0)),
      ZooModel(
        id: "mcunet-320kb-int4", width: 0.9, configFile: "mcunet-320kb-1mb-int4_imagenet",
        config: mcunet(
          0.9, 176, [3, 4, 3, 3, 2, 1],
          "7,3 5,6 5,6 7,4 3,4 7,4 5,4 7,4 7,6 5,4 5,3 5,3 7,4 3,5 3,3 7,4"),
        precision: .int4,
        published: PublishedNumbers(
          macsM: 170.0, paramsM: 1.400, actKB: 295, zooSRAMKB: 282, zooFlashKB: 1010, top1: 63.5)),
      ZooModel(
        id: "mcunet-512kb-int4", width: 1.5, configFile: "mcunet-512kb-2mb-int4_imagenet",
        config: mcunet(
          1.5, 192, [4, 3, 3, 3, 2, 1],
          "7,3 3,5 3,5 3,5 5,6 7,4 5,5 7,5 7,4 3,4 5,4 3,4 7,3 3,5 7,3 5,4"),
        precision: .int4,
        published: PublishedNumbers(
          macsM: 466.8, paramsM: 3.262, actKB: 495, zooSRAMKB: 498, zooFlashKB: 1986, top1: 70.7)),
    ]
  }

  /// The two extra rows of TinyEngine's STM32H743 table: released baselines re-run at r = 64.
  public static var resolutionVariants: [ZooModel] {
    [
      ZooModel(
        id: "proxyless-w0.3-r64", width: 0.3, configFile: nil, config: proxylessW03(resolution: 64),
        precision: .int8,
        published: PublishedNumbers(
          teH743SRAMKB: 35, teH743FlashKB: 777, tflmH743SRAMKB: 128, tflmH743FlashKB: 1065,
          cmsisH743SRAMKB: 136, top1: 37.0)),
      ZooModel(
        id: "mbv2-w0.3-r64", width: 0.3, configFile: nil,
        config: scaledMobileNetV2(width: 0.3, resolution: 64), precision: .int8,
        published: PublishedNumbers(
          teH743SRAMKB: 61, teH743FlashKB: 690, tflmH743SRAMKB: 173, tflmH743FlashKB: 940,
          cmsisH743SRAMKB: 173, top1: 34.1)),
    ]
  }

  /// The four models of the paper's library comparison (Fig. 4, appendix B), in its order:
  /// SmallCifar (graph-only: it max-pools), MobileNetV2 w0.35 r64, ProxylessNAS w0.3 r64 (the
  /// TinyEngine-README variant above, the same entry) and MnasNet w0.2 r96. Not part of `all`,
  /// so the memory experiment's model list stays MIT's.
  public static var appendixB: [ZooEntry] {
    [
      .graph(
        ZooGraphModel(
          id: "smallcifar",
          summary: "32×32×3, 3 × {conv 5×5 + ReLU, maxpool 2×2 s2}, 32/32/64 ch, linear 1024→10 "
            + "(the μTVM blog's CIFAR-10 model, paper App. B)",
          graph: smallCifar(), precision: .int8, published: PublishedNumbers())),
      .netConfig(
        ZooModel(
          id: "mbv2-w0.35-r64", width: 0.35, configFile: nil,
          config: scaledMobileNetV2(width: 0.35, resolution: 64), precision: .int8,
          published: PublishedNumbers())),
      .netConfig(resolutionVariants[0]),
      .netConfig(
        ZooModel(
          id: "mnasnet-w0.2-r96", width: 0.2, configFile: nil,
          config: scaledMnasNet(width: 0.2, resolution: 96), precision: .int8,
          published: PublishedNumbers())),
    ]
  }

  private static func smallCifar() -> Graph {
    do {
      return try smallCifarGraph()
    } catch {
      preconditionFailure("built-in zoo entry smallcifar is inconsistent: \(error)")
    }
  }

  /// MIT's ProxylessNAS w0.3 has 64 channels in stage 5 (the scaling rule gives 56).
  private static func proxylessW03(resolution: Int) -> NetConfig {
    scaledProxylessNAS(width: 0.3, resolution: resolution, stageWidths: [16, 16, 24, 32, 64, 96])
  }

  private static func mcunet(_ w: Double, _ r: Int, _ depths: [Int], _ blocks: String) -> NetConfig
  {
    let subnet = TinyNASSubnet(width: w, resolution: r, depths: depths, blocks: blocks)
    do {
      return try subnet.netConfig()
    } catch {
      preconditionFailure("built-in zoo entry w\(w) r\(r) is inconsistent: \(error)")
    }
  }
}
