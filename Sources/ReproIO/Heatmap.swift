// Heatmap.swift
// A grid of coloured cells with per-cell text and a colour bar, e.g. the SRAM × Flash
// sensitivity grid of MCUNet Fig. 12 ("w0.5 r144" in each cell). Uses viridis, which is
// perceptually uniform and colour-blind safe.

import Foundation

/// Colour-mapped grid: rows top to bottom, columns left to right.
public struct Heatmap: Chart {
  public var title: String
  public var rowLabels: [String]
  public var columnLabels: [String]
  /// `values[row][column]`; NaN cells (infeasible budgets) are drawn light grey.
  public var values: [[Double]]
  /// Optional text per cell, same shape as `values`; nil prints the value.
  public var annotations: [[String]]?
  public var xLabel: String
  public var yLabel: String
  /// Label of the colour bar, with unit.
  public var colorbarLabel: String
  public var size: ChartSize

  /// A heatmap; `values` (and `annotations`) are rowLabels.count × columnLabels.count.
  public init(
    title: String, rowLabels: [String], columnLabels: [String], values: [[Double]],
    annotations: [[String]]? = nil, xLabel: String = "", yLabel: String = "",
    colorbarLabel: String = "", size: ChartSize = ChartSize()
  ) {
    self.title = title
    self.rowLabels = rowLabels
    self.columnLabels = columnLabels
    self.values = values
    self.annotations = annotations
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.colorbarLabel = colorbarLabel
    self.size = size
  }

  /// Viridis at 0, 0.1, …, 1.
  static let viridis: [Color] = [
    0x440154, 0x482475, 0x414487, 0x355F8D, 0x2A788E, 0x21918C, 0x22A884, 0x44BF70, 0x7AD151,
    0xBDDF26, 0xFDE725,
  ].map { Color(hex: $0) }

  /// Viridis colour at `t` in 0...1 (clamped), interpolated linearly between stops.
  static func color(at t: Double) -> Color {
    let position = min(max(t.isFinite ? t : 0, 0), 1) * Double(viridis.count - 1)
    let index = min(Int(position), viridis.count - 2)
    let (a, b, f) = (viridis[index], viridis[index + 1], position - Double(index))
    return Color(
      red: a.red + (b.red - a.red) * f, green: a.green + (b.green - a.green) * f,
      blue: a.blue + (b.blue - a.blue) * f)
  }

  /// Draws the chart.
  public func draw(on canvas: Canvas) throws {
    try validate()
    let scale = colorScale()
    let grid = layout(canvas, top: canvas.drawHeader(title: title, legend: []), scale: scale)
    let cellWidth = grid.width / Double(columnLabels.count)
    let cellHeight = grid.height / Double(rowLabels.count)
    for (row, rowValues) in values.enumerated() {
      for (column, value) in rowValues.enumerated() {
        let cell = Rect(
          x: grid.x + Double(column) * cellWidth, y: grid.y + Double(row) * cellHeight,
          width: cellWidth, height: cellHeight)
        let fillColor = value.isNaN ? Color(hex: 0xEEEEEE) : Self.color(at: scale.fraction(value))
        canvas.fill(cell, fillColor)
        canvas.stroke(cell, Color(hex: 0xFFFFFF), width: 1.5)
        let text = annotations?[row][column] ?? (value.isNaN ? "–" : Axis.compact(value))
        drawCellText(text, in: cell, on: fillColor, canvas)
      }
    }
    drawLabels(grid: grid, canvas)
    drawColorbar(
      scale, in: Rect(x: grid.maxX + 18, y: grid.y, width: 16, height: grid.height), canvas)
  }

  /// Colours span the data (vmin...vmax, as matplotlib does); the colour bar shows the nice
  /// ticks that fall inside that range.
  private func colorScale() -> Axis {
    let finite = values.flatMap { $0 }.filter(\.isFinite)
    var scale = Axis(label: colorbarLabel, covering: finite)
    if let low = finite.min(), let high = finite.max(), high > low {
      let slack = 1e-9 * (high - low)
      (scale.low, scale.high) = (low, high)
      scale.ticks = Axis.niceTicks(low, high, target: 8).filter {
        $0 >= low - slack && $0 <= high + slack
      }
    }
    return scale
  }

  /// The cell grid: the space left by the title, row labels, column labels and colour bar.
  private func layout(_ canvas: Canvas, top: Double, scale: Axis) -> Rect {
    let rowWidth = rowLabels.map { canvas.textWidth($0, size: Style.tickSize) }.max() ?? 0
    let barTicks = scale.tickLabels.map { canvas.textWidth($0, size: Style.tickSize) }.max() ?? 0
    let labelHeight = canvas.lineHeight(Style.labelSize)
    let left = Style.pad + (yLabel.isEmpty ? 0 : labelHeight + 6) + rowWidth + 8
    let right =
      canvas.width - Style.pad - (colorbarLabel.isEmpty ? 0 : labelHeight + 6)
      - barTicks - 8 - 16 - 18
    let bottom =
      canvas.height - Style.pad - (xLabel.isEmpty ? 0 : labelHeight + 4)
      - canvas.lineHeight(Style.tickSize) - 6
    return Rect(x: left, y: top, width: right - left, height: bottom - top)
  }

  /// Row and column labels beside the grid, and the axis labels.
  private func drawLabels(grid: Rect, _ canvas: Canvas) {
    let cellWidth = grid.width / Double(columnLabels.count)
    let cellHeight = grid.height / Double(rowLabels.count)
    for (row, label) in rowLabels.enumerated() {
      canvas.text(
        label, x: grid.x - 8, y: grid.y + (Double(row) + 0.5) * cellHeight, size: Style.tickSize,
        h: .end, v: .middle)
    }
    for (column, label) in columnLabels.enumerated() {
      canvas.text(
        label, x: grid.x + (Double(column) + 0.5) * cellWidth, y: grid.maxY + 6,
        size: Style.tickSize, h: .middle, v: .top)
    }
    if !xLabel.isEmpty {
      canvas.text(
        xLabel, x: grid.midX, y: canvas.height - Style.pad, size: Style.labelSize, h: .middle,
        v: .bottom)
    }
    if !yLabel.isEmpty {
      canvas.text(
        yLabel, x: Style.pad, y: grid.midY, size: Style.labelSize, h: .middle, v: .top,
        angle: -Double.pi / 2)
    }
  }

  /// Cell text, one line per "\n", shrunk to fit; white on dark cells, ink on light ones.
  private func drawCellText(_ text: String, in cell: Rect, on fill: Color, _ canvas: Canvas) {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let widest = lines.map { canvas.textWidth($0, size: 13) }.max() ?? 0
    let size = min(
      13, 13 * (cell.width - 8) / max(1, widest), cell.height * 0.8 / (1.25 * Double(lines.count)))
    let color = fill.luminance < 0.5 ? Color(hex: 0xFFFFFF) : Color.ink
    let top = cell.midY - canvas.lineHeight(size) * Double(lines.count) / 2
    for (index, line) in lines.enumerated() {
      canvas.text(
        line, x: cell.midX, y: top + canvas.lineHeight(size) * (Double(index) + 0.5), size: size,
        color: color, h: .middle, v: .middle)
    }
  }

  private func drawColorbar(_ scale: Axis, in bar: Rect, _ canvas: Canvas) {
    let steps = 64
    for step in 0..<steps {
      let t = Double(step) / Double(steps)
      canvas.fill(
        Rect(
          x: bar.x, y: bar.maxY - (t + 1 / Double(steps)) * bar.height, width: bar.width,
          height: bar.height / Double(steps) + 0.5), Self.color(at: t + 0.5 / Double(steps)))
    }
    canvas.stroke(bar, Style.axis, width: 0.8)
    for (tick, label) in zip(scale.ticks, scale.tickLabels) {
      let y = bar.maxY - scale.fraction(tick) * bar.height
      canvas.line([(bar.maxX, y), (bar.maxX + 4, y)], Style.axis)
      canvas.text(label, x: bar.maxX + 7, y: y, size: Style.tickSize, v: .middle)
    }
    if !colorbarLabel.isEmpty {
      canvas.text(
        colorbarLabel, x: canvas.width - Style.pad, y: bar.midY, size: Style.labelSize,
        h: .middle, v: .bottom, angle: -Double.pi / 2)
    }
  }

  private func validate() throws {
    guard !rowLabels.isEmpty, !columnLabels.isEmpty else {
      throw ReproIOError.invalidChart("'\(title)' needs at least one row and one column")
    }
    let shapeOK = { (grid: [[Any]]) in
      grid.count == rowLabels.count && grid.allSatisfy { $0.count == columnLabels.count }
    }
    guard shapeOK(values), annotations.map(shapeOK) ?? true else {
      throw ReproIOError.invalidChart(
        "'\(title)': values and annotations must be \(rowLabels.count) rows × "
          + "\(columnLabels.count) columns")
    }
  }
}
