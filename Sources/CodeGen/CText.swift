// CText.swift
// The one fixed style of generated C (Google-ish: 2-space indent, 4-space continuation, at most
// 100 columns): identifiers, wrapped array initializers and wrapped calls. Deterministic, so
// snapshots are stable. Not a C parser or pretty-printer.

import Quantization

/// C identifiers derived from graph names.
enum CIdentifier {
  /// Whether `name` is a C identifier (ASCII letters, digits, `_`; not starting with a digit).
  static func isValid(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first, !isDigit(first) else { return false }
    return name.unicodeScalars.allSatisfy { isAlphanumeric($0) || $0 == "_" }
  }

  /// `l<index>_<name>` with every character outside `[A-Za-z0-9_]` replaced by `_`: unique per
  /// node (the index) and never a keyword (the prefix).
  static func layer(_ index: Int, name: String) -> String {
    let cleaned = String(
      String.UnicodeScalarView(name.unicodeScalars.map { isAlphanumeric($0) ? $0 : "_" }))
    return "l\(index)_\(cleaned)"
  }

  private static func isDigit(_ s: Unicode.Scalar) -> Bool { ("0"..."9").contains(s) }

  private static func isAlphanumeric(_ s: Unicode.Scalar) -> Bool {
    isDigit(s) || ("a"..."z").contains(s) || ("A"..."Z").contains(s)
  }
}

/// Formatting helpers of the generated C.
enum CText {
  /// Maximum line length of generated C.
  static let columns = 100

  /// `static const <type> <name>[<count>] = {…};` with the values wrapped at `columns`.
  static func array<T: BinaryInteger>(
    _ type: String, _ name: String, _ values: [T], isStatic: Bool = true
  ) -> String {
    let head = (isStatic ? "static " : "") + "const \(type) \(name)[\(values.count)] = {"
    var out = head + "\n"
    out.reserveCapacity(values.count * 5 + 64)
    var line = " "
    for (k, v) in values.enumerated() {
      let item = " \(v)" + (k + 1 < values.count ? "," : "")
      if line.utf8.count + item.utf8.count > columns {
        out += line + "\n"
        line = " "
      }
      line += item
    }
    if line.utf8.count > 1 { out += line + "\n" }
    return out + "};\n"
  }

  /// `name(args);` (or with `prefix`/`suffix` around the call) at `indent` spaces, wrapped after
  /// `(` with 4-space continuation lines when it does not fit.
  static func call(
    _ function: String, _ args: [String], indent: Int, prefix: String = "", suffix: String = ";"
  ) -> String {
    let pad = String(repeating: " ", count: indent)
    let single = pad + prefix + function + "(" + args.joined(separator: ", ") + ")" + suffix
    if single.utf8.count <= columns { return single + "\n" }
    var out = pad + prefix + function + "(\n"
    let continuation = pad + "    "
    var line = continuation
    for (k, arg) in args.enumerated() {
      let item = arg + (k + 1 < args.count ? "," : ")" + suffix)
      let separator = line == continuation ? "" : " "
      if line != continuation && line.utf8.count + 1 + item.utf8.count > columns {
        out += line + "\n"
        line = continuation + item
      } else {
        line += separator + item
      }
    }
    return out + line + "\n"
  }

  /// A C comment block: every line of `text` prefixed with `// ` at `indent` spaces.
  static func comment(_ text: String, indent: Int = 0) -> String {
    let pad = String(repeating: " ", count: indent)
    return text.split(separator: "\n", omittingEmptySubsequences: false)
      .map { $0.isEmpty ? pad + "//" : pad + "// " + $0 }.joined(separator: "\n") + "\n"
  }

  /// A C string literal of `text`: quotes and backslashes escaped, non-ASCII and control
  /// characters as octal escapes.
  static func stringLiteral(_ text: String) -> String {
    var out = "\""
    for byte in text.utf8 {
      switch byte {
      case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += "\\" + String(UnicodeScalar(byte))
      case 0x20..<0x7F: out += String(UnicodeScalar(byte))
      default:
        // Always three digits, so a following digit cannot extend the escape.
        let octal = String(byte, radix: 8)
        out += "\\" + String(repeating: "0", count: 3 - octal.count) + octal
      }
    }
    return out + "\""
  }

  /// A shape as `[1, 24, 24, 16]`.
  /// The input/output macros every `model.h` starts with: byte counts and the quantization of
  /// the graph input and output (`<PREFIX>_INPUT_BYTES`, `_INPUT_SCALE`, `_INPUT_ZERO_POINT`,
  /// and the same for the output).
  static func ioMacros(_ q: QuantizedGraph, prefix: String) -> String {
    let graph = q.graph
    let input = q.layers[0].output
    let output = q.layers[graph.nodes.count - 1].output
    let int4 = q.bitWidth == .int4
    // int4: packed two per byte, low nibble first, so the byte counts are (count + 1) / 2.
    let format = int4 ? "int4 packed two per byte (low nibble first)" : "int8"
    let bytes = { (count: Int) in int4 ? (count + 1) / 2 : count }
    var out =
      "/// Input \(shape(graph.input.outputShape.dims)) \(format), NHWC: "
      + "real = (q - \(prefix)_INPUT_ZERO_POINT) * \(prefix)_INPUT_SCALE.\n"
    out += "#define \(prefix)_INPUT_BYTES \(bytes(graph.input.outputElements))\n"
    out += "#define \(prefix)_INPUT_SCALE \(input.scale)f\n"
    out += "#define \(prefix)_INPUT_ZERO_POINT (\(input.zeroPoint))\n"
    out +=
      "/// Output \(shape(graph.output.outputShape.dims)) \(format): "
      + "real = (q - \(prefix)_OUTPUT_ZERO_POINT) * \(prefix)_OUTPUT_SCALE.\n"
    out += "#define \(prefix)_OUTPUT_BYTES \(bytes(graph.output.outputElements))\n"
    out += "#define \(prefix)_OUTPUT_SCALE \(output.scale)f\n"
    out += "#define \(prefix)_OUTPUT_ZERO_POINT (\(output.zeroPoint))\n"
    return out
  }

  static func shape(_ dims: [Int]) -> String {
    "[" + dims.map(String.init).joined(separator: ", ") + "]"
  }
}
