// DatasetError.swift
// Errors of the loaders and the proxy preparation (STYLE.md B5.2): each names the file or folder
// at fault and says what to do about it.

/// Why a dataset could not be read or prepared.
public enum DatasetError: Error, CustomStringConvertible, Equatable {
  /// A file that should exist does not.
  case fileNotFound(path: String, hint: String)
  /// A folder that should exist does not.
  case missingDirectory(path: String, hint: String)
  /// A folder exists but holds nothing usable.
  case emptyDirectory(path: String, hint: String)
  /// A file could not be read or written (permissions, disk full, …).
  case ioFailed(path: String, reason: String)
  /// An image file could not be decoded.
  case corruptImage(path: String, reason: String)
  /// An image file is valid but in a format the loaders do not read.
  case unsupportedImage(path: String, reason: String)
  /// A WAV file is malformed or not 16-bit mono PCM.
  case invalidWAV(path: String, reason: String)
  /// An IDX (MNIST-style) file is malformed.
  case invalidIDX(path: String, reason: String)
  /// A NumPy `.npy` file is malformed or of an unsupported dtype/order.
  case invalidNPY(path: String, reason: String)
  /// A split list (`validation_list.txt`, `testing_list.txt`) names a file that is not there.
  case invalidList(path: String, line: Int, reason: String)
  /// An argument is out of its valid range.
  case invalidArgument(String)

  static let prepareHint = "run Scripts/prepare-data.sh (or `swift run repro prepare-data`)"

  public var description: String {
    switch self {
    case .fileNotFound(let path, let hint):
      return "file not found: \(path); \(hint)"
    case .missingDirectory(let path, let hint):
      return "folder not found: \(path); \(hint)"
    case .emptyDirectory(let path, let hint):
      return "folder holds no usable files: \(path); \(hint)"
    case .ioFailed(let path, let reason):
      return "cannot access \(path): \(reason)"
    case .corruptImage(let path, let reason):
      return "corrupt image \(path): \(reason); delete or replace the file"
        + " (for a prepared proxy, delete its folder and \(DatasetError.prepareHint))"
    case .unsupportedImage(let path, let reason):
      return "unsupported image \(path): \(reason); convert it to 8-bit PNG or baseline JPEG"
    case .invalidWAV(let path, let reason):
      return "invalid WAV \(path): \(reason); convert it with"
        + " `sox IN.wav -r 16000 -c 1 -b 16 -e signed-integer OUT.wav`"
    case .invalidIDX(let path, let reason):
      return "invalid IDX file \(path): \(reason); reinstall it with"
        + " `apt-get install --reinstall dataset-fashion-mnist`"
    case .invalidNPY(let path, let reason):
      return "invalid .npy file \(path): \(reason); \(DatasetError.prepareHint) to extract it again"
    case .invalidList(let path, let line, let reason):
      return "\(path):\(line): \(reason); the list must name files relative to the dataset root"
        + " (e.g. `right/a69b9b3e_nohash_0.wav`)"
    case .invalidArgument(let message):
      return message
    }
  }
}
