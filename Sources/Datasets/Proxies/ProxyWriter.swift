// ProxyWriter.swift
// Writes one proxy dataset into the data cache, atomically: every file goes under
// `<root>.partial/`, then `PROXY.json` (the manifest), then the folder is renamed to `<root>`.
// A folder with a manifest is therefore complete; an interrupted run leaves only `.partial`,
// which the next run deletes. This (with prepareProxies) is the documented exception of Datasets
// to STYLE.md B2 rule 3: dataset preparation writes files.

import Foundation

/// One file of a proxy, in memory: its path relative to the dataset root and its bytes.
public struct ProxyFile: Sendable, Equatable {
  public var relativePath: String
  public var contents: [UInt8]

  public init(relativePath: String, contents: [UInt8]) {
    self.relativePath = relativePath
    self.contents = contents
  }
}

/// The provenance record written last into every proxy (`PROXY.json`).
public struct ProxyManifest: Codable, Sendable, Equatable {
  /// Bumped when a generator changes its output; an older proxy is then regenerated.
  public static let formatVersion = 1

  public var kind: String
  public var profile: String
  public var formatVersion: Int
  public var seed: UInt64
  /// The generator's configuration as JSON (sorted keys), compared to decide reuse.
  public var configuration: String
  /// Where the real data came from (packages, files).
  public var sources: [String]
  /// Files per split and class, e.g. `train/person: 2000`.
  public var counts: [String: Int]
  /// Wall-clock seconds the generation took (informational; not compared).
  public var seconds: Double

  /// Whether `other` describes the same data (everything but the timing).
  public func sameData(as other: ProxyManifest) -> Bool {
    kind == other.kind && profile == other.profile && formatVersion == other.formatVersion
      && seed == other.seed && configuration == other.configuration
  }
}

/// Writes a proxy dataset into `root` through a staging folder.
public struct ProxyWriter: Sendable {
  /// The final dataset folder.
  public let root: String
  /// The staging folder files are written to until `finish`.
  public let staging: String

  /// Removes a stale staging folder and creates a fresh one.
  public init(root: String) throws {
    self.root = root
    staging = root + ".partial"
    try FileSystem.remove(staging)
    try FileSystem.createDirectory(staging)
  }

  /// The manifest of a complete proxy at `root`, or nil.
  public static func manifest(at root: String) -> ProxyManifest? {
    guard let bytes = try? FileSystem.read(FileSystem.join(root, "PROXY.json")) else { return nil }
    return try? JSONDecoder().decode(ProxyManifest.self, from: Data(bytes))
  }

  /// The staging path of a relative path (for external tools that write files themselves).
  public func stagingPath(_ relativePath: String) -> String {
    FileSystem.join(staging, relativePath)
  }

  /// Writes one file, creating its folder.
  public func write(_ file: ProxyFile) throws {
    let path = stagingPath(file.relativePath)
    if let slash = path.lastIndex(of: "/") {
      let folder = String(path[..<slash])
      // One stat per file; creating (which walks every parent) only for a new folder.
      if !FileSystem.isDirectory(folder) { try FileSystem.createDirectory(folder) }
    }
    try FileSystem.write(file.contents, to: path)
  }

  /// Writes the manifest and moves the staging folder to `root` (replacing an old proxy).
  public func finish(_ manifest: ProxyManifest) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    let json = (try? encoder.encode(manifest)).map { [UInt8]($0) } ?? []
    try write(ProxyFile(relativePath: "PROXY.json", contents: json))
    try FileSystem.remove(root)
    try FileSystem.move(staging, to: root)
  }

  /// Deletes the staging folder (after a failure).
  public func abandon() {
    try? FileSystem.remove(staging)
  }

  /// A configuration as canonical JSON text (sorted keys), for `ProxyManifest.configuration`.
  static func canonicalJSON(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
  }
}
