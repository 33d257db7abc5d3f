// AtomicFile.swift
// Folder creation and atomic file replacement (temporary file in the same folder + rename(2)),
// used for every file ReproIO writes: an interrupted write never leaves a half-written file.

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Creates the folder `path` and any missing parents (like `mkdir -p`), then checks that it is
/// writable.
///
/// - Throws: `ReproIOError.cannotCreateDirectory` naming the component that failed, or
///   `.directoryNotWritable`.
public func ensureDirectory(_ path: String) throws {
  guard !path.isEmpty else {
    throw ReproIOError.cannotCreateDirectory(path: path, reason: "the path is empty")
  }
  var prefix = path.hasPrefix("/") ? "/" : ""
  for component in path.split(separator: "/") {
    let parent = prefix
    prefix += component
    if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
      let code = errno
      let reason =
        code == ENOTDIR && !parent.isEmpty
        ? "'\(String(parent.dropLast()))' is a file, not a folder" : FileSystem.describe(code)
      throw ReproIOError.cannotCreateDirectory(path: path, reason: reason)
    }
    prefix += "/"
  }
  guard FileSystem.isDirectory(path) else {
    throw ReproIOError.cannotCreateDirectory(path: path, reason: "a file with that name exists")
  }
  guard access(path, W_OK | X_OK) == 0 else {
    throw ReproIOError.directoryNotWritable(path: path)
  }
}

/// Atomic replacement of files: content is written to a temporary file beside the target, which
/// is renamed over the target only once complete.
public enum AtomicFile {
  /// Writes `text` as UTF-8 to `path` atomically.
  public static func write(_ text: String, to path: String) throws {
    try write(Array(text.utf8), to: path)
  }

  /// Writes `bytes` to `path` atomically (mode 0644 minus the umask).
  public static func write(_ bytes: [UInt8], to path: String) throws {
    try replace(path) { temporary in
      let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
      guard fd >= 0 else {
        throw ReproIOError.cannotWriteFile(path: path, reason: FileSystem.describe(errno))
      }
      defer { close(fd) }
      var written = 0
      while written < bytes.count {
        let n = bytes.withUnsafeBytes { buffer in
          systemWrite(fd, buffer.baseAddress.map { $0 + written }, bytes.count - written)
        }
        guard n > 0 else {
          throw ReproIOError.cannotWriteFile(path: path, reason: FileSystem.describe(errno))
        }
        written += n
      }
      guard fsync(fd) == 0 else {
        throw ReproIOError.cannotWriteFile(path: path, reason: FileSystem.describe(errno))
      }
    }
  }

  /// Calls `produce` with a temporary path beside `path`, then renames the result to `path`.
  ///
  /// If `produce` throws, the temporary file is removed, the error rethrown and
  /// any existing file at `path` is left untouched.
  public static func replace(_ path: String, with produce: (String) throws -> Void) throws {
    let (folder, name) = FileSystem.split(path)
    guard !name.isEmpty else {
      throw ReproIOError.cannotWriteFile(path: path, reason: "the path names no file")
    }
    try FileSystem.checkWritableFolder(folder, for: path)
    let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
    let temporary = folder + "/." + name + ".tmp-\(getpid())-" + suffix
    do {
      try produce(temporary)
    } catch {
      unlink(temporary)
      throw error
    }
    guard rename(temporary, path) == 0 else {
      let reason = FileSystem.describe(errno)
      unlink(temporary)
      throw ReproIOError.cannotWriteFile(path: path, reason: reason)
    }
  }
}

/// `write(2)`, named apart from `AtomicFile.write`.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
  write(fd, buffer, count)
}

/// Small POSIX helpers shared by the writers.
enum FileSystem {
  /// `strerror` text with a lower-case first letter, to sit inside a sentence.
  static func describe(_ code: Int32) -> String {
    let text = String(cString: strerror(code))
    return text.prefix(1).lowercased() + text.dropFirst()
  }

  static func isDirectory(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
  }

  static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

  /// (folder, file name); the folder is "." for a bare name.
  static func split(_ path: String) -> (String, String) {
    guard let slash = path.lastIndex(of: "/") else { return (".", path) }
    let folder = String(path[..<slash])
    return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
  }

  /// Throws `cannotWriteFile` for `target` unless `folder` exists, is a folder and is writable.
  static func checkWritableFolder(_ folder: String, for target: String) throws {
    if isDirectory(folder) {
      guard access(folder, W_OK | X_OK) == 0 else {
        throw ReproIOError.cannotWriteFile(path: target, reason: "folder '\(folder)' is read-only")
      }
      return
    }
    var ancestor = folder
    while !exists(ancestor), ancestor.contains("/"), ancestor != "/" {
      ancestor = split(ancestor).0
    }
    let reason =
      exists(ancestor) && !isDirectory(ancestor)
      ? "'\(ancestor)' is a file, not a folder"
      : "folder '\(folder)' does not exist (create it with ensureDirectory)"
    throw ReproIOError.cannotWriteFile(path: target, reason: reason)
  }
}
