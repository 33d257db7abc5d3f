// SectionSizes.swift
// Flash and static RAM of compiled objects from binutils' `size -A` (the sysv format: one
// `section size addr` row per section), grouped as an MCU linker would place them: code
// (.text*), read-only data (.rodata*, and .data.rel.ro* which holds const data with addresses
// in position-independent code) in Flash, initialized data in both, .bss in SRAM only.

/// Section bytes of one object file (or a sum of several).
public struct SectionSizes: Hashable, Sendable, Codable {
  /// Code bytes (`.text*`).
  public var text: Int
  /// Read-only data bytes (`.rodata*`, `.data.rel.ro*`): weights and constant tables.
  public var rodata: Int
  /// Initialized writable data bytes (`.data*`): Flash for the initial values and SRAM.
  public var data: Int
  /// Zero-initialized bytes (`.bss*`, `COMMON`): SRAM only, e.g. the static arena.
  public var bss: Int

  public init(text: Int = 0, rodata: Int = 0, data: Int = 0, bss: Int = 0) {
    self.text = text
    self.rodata = rodata
    self.data = data
    self.bss = bss
  }

  /// Bytes an MCU stores in Flash: text + rodata + data.
  public var flash: Int { text + rodata + data }

  /// The element-wise sum.
  public static func + (a: SectionSizes, b: SectionSizes) -> SectionSizes {
    SectionSizes(
      text: a.text + b.text, rodata: a.rodata + b.rodata, data: a.data + b.data,
      bss: a.bss + b.bss)
  }

  /// Parses the output of `size -A <object>`; sections it does not classify (debug info,
  /// notes, comments, relocations) are ignored.
  ///
  /// - Throws: `RunnerError.unparsableOutput` when no section row is found.
  public static func parse(sizeOutput: String, command: String) throws -> SectionSizes {
    var sizes = SectionSizes()
    var rows = 0
    for line in sizeOutput.split(separator: "\n") {
      let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
      guard fields.count >= 2, let bytes = Int(fields[1]) else { continue }
      let name = String(fields[0])
      rows += 1
      if name.hasPrefix(".text") {
        sizes.text += bytes
      } else if name.hasPrefix(".rodata") || name.hasPrefix(".data.rel.ro") {
        sizes.rodata += bytes
      } else if name.hasPrefix(".data") {
        sizes.data += bytes
      } else if name.hasPrefix(".bss") || name == "COMMON" {
        sizes.bss += bytes
      }
    }
    guard rows > 0 else {
      throw RunnerError.unparsableOutput(
        command: command, expected: "`size -A` section rows", output: sizeOutput)
    }
    return sizes
  }
}

/// Flash of a generated program, split as ST's model zoo reports it.
public struct FlashReport: Hashable, Sendable, Codable {
  /// The model object (`model.o`): weights and tables in rodata, the invoke code in text, the
  /// arena in bss.
  public var model: SectionSizes
  /// Every kernel object (generic and specialized), summed.
  public var kernels: SectionSizes

  public init(model: SectionSizes, kernels: SectionSizes) {
    self.model = model
    self.kernels = kernels
  }

  /// Flash bytes of model and kernels (the harness `main.o` and libc excluded).
  public var totalFlash: Int { model.flash + kernels.flash }
}
