// ChartFrame.swift
// Layout and drawing shared by the charts: title, legend row under it, plot area whose margins
// are measured from the actual tick and axis labels (so text never overlaps the plot), light
// grey grid, axes with ticks, and labelled horizontal reference lines.

import Foundation

/// A labelled horizontal line across the plot, such as the "320 kB budget".
public struct ReferenceLine: Equatable, Sendable {
  /// Position on the y axis, in the chart's y units.
  public var value: Double
  /// Text drawn above the line's right end.
  public var label: String

  /// A reference line at `value`.
  public init(value: Double, label: String) {
    self.value = value
    self.label = label
  }
}

/// One legend item: a swatch and its label.
struct LegendEntry {
  enum Mark { case box, line, dashedLine, point, lineAndPoint }
  var label: String
  var color: Color
  var mark: Mark
}

/// Font sizes and spacing shared by all charts (points).
enum Style {
  static let pad = 14.0
  static let titleSize = 17.0
  static let legendSize = 12.5
  static let tickSize = 12.0
  static let labelSize = 13.5
  static let grid = Color(hex: 0xE3E3E3)
  static let axis = Color(hex: 0x555555)
  static let maxCategoryLabel = 26
}

extension Canvas {
  /// Draws the title and the legend rows centred under it; returns the y below them.
  func drawHeader(title: String, legend: [LegendEntry]) -> Double {
    var y = Style.pad
    if !title.isEmpty {
      text(title, x: width / 2, y: y, size: Style.titleSize, bold: true, h: .middle, v: .top)
      y += lineHeight(Style.titleSize) + 4
    }
    let itemWidths = legend.map { 22 + textWidth($0.label, size: Style.legendSize) }
    var rows: [[Int]] = []
    var rowWidth = Double.infinity
    for (index, itemWidth) in itemWidths.enumerated() {
      if rowWidth + 18 + itemWidth > width - 2 * Style.pad {
        rows.append([])
        rowWidth = -18
      }
      rows[rows.count - 1].append(index)
      rowWidth += 18 + itemWidth
    }
    for row in rows {
      let total = row.map { itemWidths[$0] }.reduce(0, +) + 18 * Double(row.count - 1)
      var x = (width - total) / 2
      let midY = y + lineHeight(Style.legendSize) / 2
      for index in row {
        drawLegendMark(legend[index], x: x, midY: midY)
        text(legend[index].label, x: x + 22, y: midY, size: Style.legendSize, v: .middle)
        x += itemWidths[index] + 18
      }
      y += lineHeight(Style.legendSize) + 2
    }
    return y + 8
  }

  private func drawLegendMark(_ entry: LegendEntry, x: Double, midY: Double) {
    switch entry.mark {
    case .box: fill(Rect(x: x, y: midY - 6, width: 16, height: 12), entry.color)
    case .line: line([(x, midY), (x + 16, midY)], entry.color, width: 2.5)
    case .dashedLine: line([(x, midY), (x + 16, midY)], entry.color, width: 2, dash: [4, 2.5])
    case .point: circle(x + 8, midY, radius: 4, entry.color)
    case .lineAndPoint:
      line([(x, midY), (x + 16, midY)], entry.color, width: 2.5)
      circle(x + 8, midY, radius: 3.5, entry.color)
    }
  }

  /// `label` shortened to `limit` characters with an ellipsis.
  func shortened(_ label: String, limit: Int = Style.maxCategoryLabel) -> String {
    label.count <= limit ? label : String(label.prefix(limit - 1)) + "…"
  }
}

/// The x axis of a cartesian chart: numeric, or one slot per category.
enum XAxis {
  case numeric(Axis)
  case categories([String], label: String)
}

/// A measured plot area with its axes; draws grid, axes and reference lines.
struct CartesianFrame {
  let plot: Rect
  let x: XAxis
  let y: Axis
  /// Rotation of category labels (0, or -35° when they do not fit side by side).
  let labelAngle: Double

  /// Measures tick and axis labels and places the plot below `top`.
  init(canvas: Canvas, top: Double, x: XAxis, y: Axis) {
    self.x = x
    self.y = y
    let tickWidth = y.tickLabels.map { canvas.textWidth($0, size: Style.tickSize) }.max() ?? 0
    var left = Style.pad + canvas.lineHeight(Style.labelSize) + 8 + tickWidth + 6
    var right = canvas.width - Style.pad
    let tickHeight = canvas.lineHeight(Style.tickSize)
    var labelsHeight = tickHeight
    var angle = 0.0
    var xLabel = ""
    switch x {
    case .numeric(let axis):
      xLabel = axis.label
      right -= (axis.tickLabels.last.map { canvas.textWidth($0, size: Style.tickSize) } ?? 0) / 2
    case .categories(let names, let label):
      xLabel = label
      let widths = names.map { canvas.textWidth(canvas.shortened($0), size: Style.tickSize) }
      let slot = (right - left) / Double(max(1, names.count))
      if let widest = widths.max(), widest > slot * 0.92 {
        angle = -35 * Double.pi / 180
        labelsHeight = widest * sin(-angle) + tickHeight * cos(angle)
        let overhang = (widths.first ?? 0) * cos(angle) - slot / 2
        left = max(left, Style.pad + overhang)
      }
    }
    let labelHeight = xLabel.isEmpty ? 0 : canvas.lineHeight(Style.labelSize) + 4
    let bottom = canvas.height - Style.pad - labelHeight - labelsHeight - 8
    plot = Rect(x: left, y: top, width: right - left, height: max(10, bottom - top))
    labelAngle = angle
  }

  /// Canvas x of a numeric value (numeric x axes only).
  func px(_ value: Double) -> Double {
    guard case .numeric(let axis) = x else { return plot.x }
    return plot.x + axis.fraction(value) * plot.width
  }

  /// Canvas y of a value on the y axis.
  func py(_ value: Double) -> Double { plot.maxY - y.fraction(value) * plot.height }

  /// The horizontal span of category `index`: (left edge, width).
  func slot(_ index: Int) -> (Double, Double) {
    guard case .categories(let names, _) = x else { return (plot.x, plot.width) }
    let width = plot.width / Double(max(1, names.count))
    return (plot.x + Double(index) * width, width)
  }

  /// Light grey grid lines at the y ticks (and numeric x ticks).
  func drawGrid(_ canvas: Canvas) {
    for tick in y.ticks {
      canvas.line([(plot.x, py(tick)), (plot.maxX, py(tick))], Style.grid, width: 0.8)
    }
    if case .numeric(let axis) = x {
      for tick in axis.ticks {
        canvas.line([(px(tick), plot.y), (px(tick), plot.maxY)], Style.grid, width: 0.8)
      }
    }
  }

  /// Axis lines, ticks, tick labels and axis labels.
  func drawAxes(_ canvas: Canvas) {
    canvas.line([(plot.x, plot.y), (plot.x, plot.maxY), (plot.maxX, plot.maxY)], Style.axis)
    for (tick, label) in zip(y.ticks, y.tickLabels) {
      canvas.line([(plot.x - 4, py(tick)), (plot.x, py(tick))], Style.axis)
      canvas.text(
        label, x: plot.x - 7, y: py(tick), size: Style.tickSize, h: .end, v: .middle)
    }
    let tickTop = plot.maxY + 6
    var xLabel = ""
    switch x {
    case .numeric(let axis):
      xLabel = axis.label
      for (tick, label) in zip(axis.ticks, axis.tickLabels) {
        canvas.line([(px(tick), plot.maxY), (px(tick), plot.maxY + 4)], Style.axis)
        canvas.text(label, x: px(tick), y: tickTop, size: Style.tickSize, h: .middle, v: .top)
      }
    case .categories(let names, let label):
      xLabel = label
      for (index, name) in names.enumerated() {
        let (left, width) = slot(index)
        let center = left + width / 2
        canvas.line([(center, plot.maxY), (center, plot.maxY + 4)], Style.axis)
        canvas.text(
          canvas.shortened(name), x: center, y: tickTop, size: Style.tickSize,
          h: labelAngle == 0 ? .middle : .end, v: .top, angle: labelAngle)
      }
    }
    if !xLabel.isEmpty {
      canvas.text(
        xLabel, x: plot.midX, y: canvas.height - Style.pad, size: Style.labelSize, h: .middle,
        v: .bottom)
    }
    canvas.text(
      y.label, x: Style.pad, y: plot.midY, size: Style.labelSize, h: .middle, v: .top,
      angle: -Double.pi / 2)
  }

  /// Dashed ink lines with their label above the right end.
  func drawReferenceLines(_ lines: [ReferenceLine], _ canvas: Canvas) {
    for line in lines where line.value.isFinite {
      let lineY = py(line.value)
      canvas.line([(plot.x, lineY), (plot.maxX, lineY)], .ink, width: 1.3, dash: [6, 4])
      let textWidth = canvas.textWidth(line.label, size: Style.tickSize)
      let above = lineY - canvas.lineHeight(Style.tickSize) - 2 >= plot.y
      let box = Rect(
        x: plot.maxX - textWidth - 8,
        y: above ? lineY - canvas.lineHeight(Style.tickSize) - 2 : lineY + 2,
        width: textWidth + 6, height: canvas.lineHeight(Style.tickSize))
      canvas.fill(box, Color(hex: 0xFFFFFF), alpha: 0.85)
      canvas.text(
        line.label, x: box.x + 3, y: box.midY, size: Style.tickSize, h: .start, v: .middle)
    }
  }
}
