import Testing

/// Element-wise exact comparison of integer sequences (STYLE.md B6.3). On mismatch, records one
/// failure listing the first `listed` positions as `pos, actual, expected` and the total count.
public func assertBitExact<T: BinaryInteger>(
  _ actual: [T], _ expected: [T], _ what: String = "",
  listed: Int = 8, sourceLocation: SourceLocation = #_sourceLocation
) {
  guard actual.count == expected.count else {
    Issue.record(
      Comment(
        rawValue: Trace.annotate(
          "\(what) length differs: actual \(actual.count), expected \(expected.count)")),
      sourceLocation: sourceLocation)
    return
  }
  var lines: [String] = []
  var mismatches = 0
  for i in actual.indices where actual[i] != expected[i] {
    mismatches += 1
    if lines.count < listed {
      lines.append("  pos \(i): actual \(actual[i]), expected \(expected[i])")
    }
  }
  if mismatches > 0 {
    Issue.record(
      Comment(
        rawValue: Trace.annotate(
          "\(what) \(mismatches) of \(actual.count) elements differ:\n"
            + lines.joined(separator: "\n"))),
      sourceLocation: sourceLocation)
  }
}

/// Element-wise `|a - b| <= atol + rtol * |b|` (the tolerance can never go negative); NaN in
/// either side is a mismatch unless both are NaN.
public func assertClose<T: BinaryFloatingPoint>(
  _ actual: [T], _ expected: [T], atol: T = 1e-6, rtol: T = 1e-5, _ what: String = "",
  listed: Int = 8, sourceLocation: SourceLocation = #_sourceLocation
) {
  precondition(atol >= 0 && rtol >= 0, "tolerances must be non-negative")
  guard actual.count == expected.count else {
    Issue.record(
      Comment(
        rawValue: Trace.annotate(
          "\(what) length differs: actual \(actual.count), expected \(expected.count)")),
      sourceLocation: sourceLocation)
    return
  }
  var lines: [String] = []
  var mismatches = 0
  for i in actual.indices {
    let a = actual[i]
    let b = expected[i]
    let ok: Bool
    if a.isNaN || b.isNaN {
      ok = a.isNaN && b.isNaN
    } else {
      ok = abs(a - b) <= atol + rtol * abs(b)
    }
    if !ok {
      mismatches += 1
      if lines.count < listed { lines.append("  pos \(i): actual \(a), expected \(b)") }
    }
  }
  if mismatches > 0 {
    Issue.record(
      Comment(
        rawValue: Trace.annotate(
          "\(what) \(mismatches) of \(actual.count) elements differ (atol \(atol), rtol \(rtol)):\n"
            + lines.joined(separator: "\n"))),
      sourceLocation: sourceLocation)
  }
}

/// Scalar form of `assertClose`.
public func assertClose<T: BinaryFloatingPoint>(
  _ actual: T, _ expected: T, atol: T = 1e-6, rtol: T = 1e-5, _ what: String = "",
  sourceLocation: SourceLocation = #_sourceLocation
) {
  assertClose([actual], [expected], atol: atol, rtol: rtol, what, sourceLocation: sourceLocation)
}

/// Path of the shared reference folder (`../shared/reference` next to the checkout), or nil
/// when it does not exist. Tests that read MIT's released configs use it (DESIGN.md: never
/// copy them into the project).
public func sharedReferenceDirectory(file: String = #filePath) -> String? {
  // file = <repo>/Tests/<Target>/<File>.swift  ->  <repo>/../shared/reference
  var parts = file.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
  guard parts.count > 3 else { return nil }
  parts.removeLast(3)
  let repo = parts.joined(separator: "/")
  let candidate = repo + "/../shared/reference"
  return fileExists(candidate + "/paper_facts.md") ? candidate : nil
}
