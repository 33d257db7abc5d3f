// FileSystem.swift
// The file-system calls of the loaders (read, list) and of the proxy preparation (write,
// create, rename, remove), in one place with DatasetError messages that name the path.
// Writing is the documented exception of Datasets to STYLE.md B2 rule 3: only ProxyWriter and
// prepareProxies call the writing half.

import Foundation

/// Reading and (for proxy preparation only) writing files.
enum FileSystem {
  /// The whole file as bytes.
  static func read(_ path: String, hint: String = DatasetError.prepareHint) throws -> [UInt8] {
    guard exists(path) else { throw DatasetError.fileNotFound(path: path, hint: hint) }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw DatasetError.ioFailed(path: path, reason: "the file cannot be read (permissions?)")
    }
    return [UInt8](data)
  }

  /// Whether anything exists at `path`.
  static func exists(_ path: String) -> Bool {
    FileManager.default.fileExists(atPath: path)
  }

  /// Whether `path` is a directory.
  static func isDirectory(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
      && isDirectory.boolValue
  }

  /// Names of the entries of a directory (not hidden ones), sorted by code point like Python's
  /// `sorted(os.listdir(...))`.
  static func list(_ path: String, hint: String = DatasetError.prepareHint) throws -> [String] {
    guard isDirectory(path) else { throw DatasetError.missingDirectory(path: path, hint: hint) }
    do {
      let names = try FileManager.default.contentsOfDirectory(atPath: path)
      return names.filter { !$0.hasPrefix(".") }.sorted {
        $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars)
      }
    } catch {
      throw DatasetError.ioFailed(path: path, reason: "\(error)")
    }
  }

  /// Files under `path` (recursively, sorted, relative to `path`) whose lower-cased extension
  /// is in `extensions`.
  static func files(
    under path: String, extensions: Set<String>, hint: String = DatasetError.prepareHint
  ) throws -> [String] {
    var result: [String] = []
    for name in try list(path, hint: hint) {
      let full = join(path, name)
      if isDirectory(full) {
        result += try files(under: full, extensions: extensions, hint: hint).map { join(name, $0) }
      } else if extensions.contains(fileExtension(name)) {
        result.append(name)
      }
    }
    return result
  }

  /// The lower-cased extension without the dot (`"JPEG"` → `"jpeg"`), or "".
  static func fileExtension(_ name: String) -> String {
    guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
    return name[name.index(after: dot)...].lowercased()
  }

  /// `a/b` without doubling the slash.
  static func join(_ a: String, _ b: String) -> String {
    if a.isEmpty { return b }
    return a.hasSuffix("/") ? a + b : a + "/" + b
  }

  // MARK: - Writing (proxy preparation only)

  /// Writes `bytes` to `path`, replacing any file there.
  static func write(_ bytes: [UInt8], to path: String) throws {
    do {
      try Data(bytes).write(to: URL(fileURLWithPath: path))
    } catch {
      throw DatasetError.ioFailed(path: path, reason: "\(error)")
    }
  }

  /// Creates a directory and its parents (no error when it exists).
  static func createDirectory(_ path: String) throws {
    do {
      try FileManager.default.createDirectory(
        atPath: path, withIntermediateDirectories: true)
    } catch {
      throw DatasetError.ioFailed(path: path, reason: "\(error)")
    }
  }

  /// Removes a file or a directory tree if it exists.
  static func remove(_ path: String) throws {
    guard exists(path) else { return }
    do {
      try FileManager.default.removeItem(atPath: path)
    } catch {
      throw DatasetError.ioFailed(path: path, reason: "\(error)")
    }
  }

  /// Renames `from` to `to` (same file system; atomic for directories on POSIX).
  static func move(_ from: String, to: String) throws {
    do {
      try FileManager.default.moveItem(atPath: from, toPath: to)
    } catch {
      throw DatasetError.ioFailed(path: to, reason: "cannot rename \(from): \(error)")
    }
  }
}
