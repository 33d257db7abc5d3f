import Foundation
import Testing
import _TestSupport

@testable import ModelIR

/// MIT's 13 released configs, read from ../shared/reference/netconfigs (never copied here).
private let netconfigDirectory: String? = sharedReferenceDirectory().map { $0 + "/netconfigs" }

private func releasedConfigFiles() throws -> [String] {
  guard let dir = netconfigDirectory else { return [] }
  return try FileManager.default.contentsOfDirectory(atPath: dir)
    .filter { $0.hasSuffix(".json") }.sorted().map { dir + "/" + $0 }
}

@Suite(.enabled(if: netconfigDirectory != nil, "needs ../shared/reference/netconfigs"))
struct ReleasedConfigTests {
  @Test func allThirteenLoadAndLower() throws {
    let files = try releasedConfigFiles()
    #expect(files.count == 13)
    for file in files {
      let config = try NetConfig(contentsOfFile: file)
      let graph = try config.makeGraph(resolution: config.resolution ?? 224)
      try graph.validate()
      #expect(graph.output.outputShape == [1, 1000], "\(file)")
    }
  }

  /// read → write → read gives the same config and the same graph.
  @Test func roundTrip() throws {
    for file in try releasedConfigFiles() {
      let first = try NetConfig(contentsOfFile: file)
      let second = try NetConfig(jsonData: try first.jsonData())
      #expect(first == second, "\(file)")
      let r = first.resolution ?? 224
      #expect(try first.makeGraph(resolution: r) == second.makeGraph(resolution: r), "\(file)")
    }
  }

  /// The project's own zoo definitions lower to exactly the graphs of MIT's files.
  @Test func zooMatchesReleasedConfigs() throws {
    let dir = try #require(netconfigDirectory)
    for model in ModelZoo.imagenet {
      let file = try #require(model.configFile)
      let released = try NetConfig(contentsOfFile: "\(dir)/\(file).json").makeGraph()
      let ours = try model.graph()
      #expect(ours.nodes == released.nodes, "\(model.id)")
    }
  }

  /// Builders match MIT's files where MIT used the plain scaling rule.
  @Test func buildersMatchReleasedBaselines() throws {
    let dir = try #require(netconfigDirectory)
    let cases: [(String, NetConfig)] = [
      ("mbv2-w0.3-r80_imagenet", scaledMobileNetV2(width: 0.3, resolution: 80)),
      ("mbv2-w0.35-r144_imagenet", scaledMobileNetV2(width: 0.35, resolution: 144)),
      ("proxyless-w0.25-r112_imagenet", scaledProxylessNAS(width: 0.25, resolution: 112)),
      ("proxyless_mobile", scaledProxylessNAS(width: 1.0, resolution: 224)),
    ]
    for (file, built) in cases {
      let released = try NetConfig(contentsOfFile: "\(dir)/\(file).json")
      #expect(
        try built.makeGraph(resolution: 224) == released.makeGraph(resolution: 224), "\(file)")
    }
  }
}

@Suite struct NetConfigErrorTests {
  @Test func malformedJSONNamesTheField() {
    let json = Data(
      #"{"name": "x", "blocks": [], "classifier": {"name": "LinearLayer", "in_features": 8, "out_features": 2}}"#
        .utf8)
    do {
      _ = try NetConfig(jsonData: json, source: "bad.json")
      Issue.record("expected an error")
    } catch {
      #expect(
        "\(error)"
          == "network config 'bad.json' is not in MIT's ProxylessNAS JSON format: missing key "
          + "'first_conv' at top level")
    }
  }

  @Test func missingFileSaysSo() {
    #expect(throws: NetConfigError.unreadable(path: "/nonexistent/x.json")) {
      try NetConfig(contentsOfFile: "/nonexistent/x.json")
    }
  }

  @Test func channelMismatchNamesTheBlock() throws {
    var config = try TinyNASSubnet(
      width: 0.5, resolution: 64, depths: [2, 2, 2, 2, 2, 1],
      blocks: String(repeating: "3,3 ", count: 11)
    ).netConfig()
    guard case .mbConv(var m) = config.blocks[3].conv else {
      Issue.record("block 3 should be an MBConv")
      return
    }
    m.inChannels = 99
    config.blocks[3].conv = .mbConv(m)
    #expect(throws: NetConfigError.self) { try config.makeGraph() }
    do {
      _ = try config.makeGraph()
    } catch {
      #expect(
        "\(error)"
          == "network config field 'blocks[3].mobile_inverted_conv.in_channels' is 99 but the "
          + "previous layer outputs 16 channels")
    }
  }

  @Test func unknownActivationIsRejected() throws {
    var config = scaledMobileNetV2(width: 0.35, resolution: 96)
    config.firstConv.actFunc = "h_swish"
    do {
      _ = try config.makeGraph()
      Issue.record("expected an error")
    } catch {
      #expect(
        "\(error)"
          == "network config field 'first_conv.act_func' activation 'h_swish' unsupported "
          + "(relu, relu6, none)")
    }
  }

  @Test func subnetDepthMismatch() {
    let subnet = TinyNASSubnet(
      width: 0.5, resolution: 96, depths: [2, 2, 2, 2, 2, 1], blocks: "3,3")
    do {
      _ = try subnet.netConfig()
      Issue.record("expected an error")
    } catch {
      #expect(
        "\(error)"
          == "network config field 'blocks' lists 1 (k, e) choices but the depths "
          + "[2, 2, 2, 2, 2, 1] need 11")
    }
  }
}

@Suite struct BuilderTests {
  /// once-for-all's make_divisible, values worked by hand:
  /// 9.6 → int(13.6)//8*8 = 8 < 0.9·9.6 → 16;  19.2 → 16 < 17.28 → 24;  57.6 → 56;  8.4 → 8.
  @Test func makeDivisibleGoldens() {
    #expect(makeDivisible(9.6) == 16)
    #expect(makeDivisible(19.2) == 24)
    #expect(makeDivisible(57.6) == 56)
    #expect(makeDivisible(8.4) == 8)
    #expect(makeDivisible(4.8) == 8)
    #expect(makeDivisible(448) == 448)
    #expect(makeDivisible(172.8) == 176)
  }

  /// First block of a stage never gets a shortcut; later equal-shape blocks do.
  @Test func residualRule() throws {
    let config = try TinyNASSubnet(
      width: 1.0, resolution: 64, depths: [2, 2, 2, 2, 2, 1],
      blocks: String(repeating: "3,3 ", count: 11)
    ).netConfig()
    let hasShortcut = config.blocks.map { $0.shortcut != nil }
    // first block, then (first, second) per stage, then the single stage-6 block
    #expect(
      hasShortcut == [
        false, false, true, false, true, false, true, false, true, false, true, false,
      ])
  }
}
