// MemoryPlan+Diagram.swift
// ASCII dump of a plan for debugging and reports, in the layout of TFLM's
// GreedyMemoryPlanner::PrintMemoryPlan (one row per step, address across; STYLE.md B4).
// Not a plot: ReproIO draws figures.

extension MemoryPlan {
  /// A text picture of the plan, one row per step.
  ///
  /// Time runs down; the arena's addresses `0 ..< arenaBytes` run across `columns` characters.
  /// Each buffer is drawn with its legend symbol over the bytes it occupies at that step (with
  /// shrink), `.` marks free bytes and `!` a column two buffers claim (only a real overlap can
  /// cause it). Each row ends with the step's live bytes; a legend lists symbol, name, kind,
  /// requested bytes, occupied range, lifetime and shrink, then the peak, and an invalid plan
  /// ends with its validation error. A buffer narrower than one column may not show.
  ///
  /// Rows follow TFLM's `PrintMemoryPlan` rather than putting time on x: models have hundreds of
  /// steps but a terminal has a fixed width.
  public func asciiDiagram(columns: Int = 72) -> String {
    precondition(columns >= 1, "columns must be >= 1")
    let buffers = problem.buffers
    let arena = arenaBytes
    let bound = lowerBound(problem)
    let scale = max(arena, 1)
    let symbols = buffers.indices.map(Self.symbol)
    let stepWidth = max(4, String(max(problem.stepCount - 1, 0)).count)
    var lines: [String] = []

    let proof = provenOptimal ? " (proven optimal)" : ""
    lines.append(
      "plan \(planner): arena \(arena) B, lower bound \(bound) B\(proof), "
        + "\(buffers.count) buffers, \(problem.stepCount) steps, alignment \(problem.alignment)")
    let left = "0"
    let right = String(arena)
    let axis =
      columns >= left.count + right.count + 1
      ? left + String(repeating: " ", count: columns - left.count - right.count) + right
      : pad(left, columns)
    lines.append(padLeft("step", stepWidth) + " |" + axis + "| live B")

    for step in 0..<max(problem.stepCount, 0) {
      var row = [Character](repeating: ".", count: columns)
      for (index, buffer) in buffers.enumerated() where index < offsets.count {
        let bytes = problem.occupiedBytes(of: buffer, atStep: step)
        guard bytes > 0 else { continue }
        let start = max(0, offsets[index]) * columns / scale
        let end = min(columns, max(0, offsets[index] + bytes) * columns / scale)
        guard start < end else { continue }
        for column in start..<end {
          row[column] = row[column] == "." ? symbols[index] : "!"
        }
      }
      lines.append(
        padLeft(String(step), stepWidth) + " |" + String(row) + "| "
          + String(liveBytes(atStep: step)))
    }

    lines.append("legend (symbol, name, kind, bytes, occupied [offset, end), steps, shrink):")
    let ranges = buffers.indices.map { index -> String in
      guard index < offsets.count else { return "[?, ?)" }
      let end = offsets[index] + problem.occupiedBytes(of: buffers[index])
      return "[\(offsets[index]), \(end))"
    }
    let sizes = buffers.map { "\($0.size) B" }
    let nameWidth = buffers.map(\.name.count).max() ?? 0
    let kindWidth = buffers.map(\.kind.rawValue.count).max() ?? 0
    let sizeWidth = sizes.map(\.count).max() ?? 0
    let rangeWidth = ranges.map(\.count).max() ?? 0
    for (index, buffer) in buffers.enumerated() {
      var line = "  \(symbols[index])  " + pad(buffer.name, nameWidth) + "  "
      line += pad(buffer.kind.rawValue, kindWidth) + "  " + padLeft(sizes[index], sizeWidth)
      line +=
        "  " + pad(ranges[index], rangeWidth) + "  steps \(buffer.firstStep)...\(buffer.lastStep)"
      if let shrink = buffer.shrink {
        line += ", shrinks to \(shrink.size) B after step \(shrink.afterStep)"
      }
      lines.append(line)
    }
    let profile = problem.liveProfile()
    if let peak = profile.max(), let step = profile.firstIndex(of: peak) {
      lines.append("peak live \(peak) B at step \(step)")
    }
    if let error = validationError {
      lines.append("INVALID: \(error)")
    }
    return lines.map { trimTrailing($0) }.joined(separator: "\n") + "\n"
  }

  /// TFLM's ordinal characters: 0-9, a-z, A-Z, then `*`.
  static func symbol(_ index: Int) -> Character {
    let digits = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return index < digits.count ? digits[index] : "*"
  }
}

private func pad(_ text: String, _ width: Int) -> String {
  text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

private func padLeft(_ text: String, _ width: Int) -> String {
  text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
}

private func trimTrailing(_ text: String) -> String {
  var text = text
  while text.last == " " { text.removeLast() }
  return text
}
