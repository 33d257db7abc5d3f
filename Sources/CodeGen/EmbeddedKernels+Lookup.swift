// EmbeddedKernels+Lookup.swift
// Finds the embedded CMicroKernels source that defines a kernel, by its definition line
// (`mcu_status <symbol>(` at the start of a line), so CodeGen copies only the sources a program
// calls and no symbol-to-file table can drift from the C.

extension EmbeddedKernels {
  /// The source file that defines the function `symbol`, or nil.
  public static func source(defining symbol: String) -> File? {
    let definition = "\nmcu_status \(symbol)("
    return sources.first { $0.contents.contains(definition) }
  }
}
