import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Where a results file came from: the commit, the toolchain, the machine, the time.
public struct Provenance: Sendable {
  public var gitCommit: String
  public var swiftVersion: String
  public var host: String
  public var startedAt: String

  /// Reads the current commit from `.git` under `repository` (no process is spawned).
  public static func current(repository: String = FileManager.default.currentDirectoryPath)
    -> Provenance
  {
    Provenance(
      gitCommit: gitCommit(repository: repository) ?? "unknown",
      swiftVersion: compilerVersion, host: hostDescription, startedAt: timestamp())
  }

  /// ISO-8601 UTC time now.
  public static func timestamp() -> String {
    let f = ISO8601DateFormatter()
    f.timeZone = TimeZone(identifier: "UTC")
    return f.string(from: Date())
  }

  static func gitCommit(repository: String) -> String? {
    let git = repository + "/.git"
    guard let head = try? String(contentsOfFile: git + "/HEAD", encoding: .utf8)
    else { return nil }
    let line = head.trimmingCharacters(in: .whitespacesAndNewlines)
    guard line.hasPrefix("ref: ") else { return line }
    let ref = String(line.dropFirst(5))
    if let sha = try? String(contentsOfFile: git + "/" + ref, encoding: .utf8) {
      return sha.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    guard let packed = try? String(contentsOfFile: git + "/packed-refs", encoding: .utf8)
    else { return nil }
    for entry in packed.split(separator: "\n") where entry.hasSuffix(" " + ref) {
      return String(entry.prefix { $0 != " " })
    }
    return nil
  }

  static var compilerVersion: String {
    #if compiler(>=6.4)
      return "≥ 6.4"
    #elseif compiler(>=6.3)
      return "6.3"
    #elseif compiler(>=6.2)
      return "6.2"
    #else
      return "< 6.2"
    #endif
  }

  static var hostDescription: String {
    var info = utsname()
    guard uname(&info) == 0 else { return "unknown" }
    func field<T>(_ value: T) -> String {
      withUnsafeBytes(of: value) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
    }
    let cores = ProcessInfo.processInfo.activeProcessorCount
    return "\(field(info.sysname)) \(field(info.release)) \(field(info.machine)), \(cores) cores"
  }
}
