// GroupedBarChart.swift
// Side-by-side bars per category (e.g. peak SRAM of each model under each memory planner), with
// an optional dashed per-category marker (e.g. the lower bound) and labelled reference lines
// (e.g. the 320 kB budget). MCUNet Fig. 1/4-style memory figures.

import Foundation

/// One bar series: one value per category (NaN leaves the slot empty).
public struct BarSeries: Equatable, Sendable {
  public var name: String
  public var values: [Double]
  /// Fill colour; nil takes the next Okabe–Ito colour.
  public var color: Color?

  /// A series of bars.
  public init(name: String, values: [Double], color: Color? = nil) {
    self.name = name
    self.values = values
    self.color = color
  }
}

/// A per-category horizontal mark drawn as a dashed black line across the group.
public struct GroupMarker: Equatable, Sendable {
  /// Legend text, such as "lower bound".
  public var label: String
  /// One value per category; NaN draws nothing.
  public var values: [Double]

  /// A group marker.
  public init(label: String, values: [Double]) {
    self.label = label
    self.values = values
  }
}

/// Grouped bar chart: categories on x, one bar per series in each group, legend on top.
public struct GroupedBarChart: Chart {
  public var title: String
  public var categories: [String]
  public var series: [BarSeries]
  /// Y axis label with unit, such as "peak SRAM (kB)".
  public var yLabel: String
  public var xLabel: String
  public var marker: GroupMarker?
  public var referenceLines: [ReferenceLine]
  /// Whether each bar carries its value in compact form ("312", "1.2M").
  public var showValues: Bool
  public var size: ChartSize

  /// A grouped bar chart; every series and the marker need one value per category.
  public init(
    title: String, categories: [String], series: [BarSeries], yLabel: String,
    xLabel: String = "", marker: GroupMarker? = nil, referenceLines: [ReferenceLine] = [],
    showValues: Bool = false, size: ChartSize = ChartSize()
  ) {
    self.title = title
    self.categories = categories
    self.series = series
    self.yLabel = yLabel
    self.xLabel = xLabel
    self.marker = marker
    self.referenceLines = referenceLines
    self.showValues = showValues
    self.size = size
  }

  /// Draws the chart.
  public func draw(on canvas: Canvas) throws {
    let frame = try layout(canvas)
    frame.drawGrid(canvas)
    for (seriesIndex, bars) in series.enumerated() {
      let color = bars.color ?? Color.series(seriesIndex)
      for (category, value) in bars.values.enumerated() where value.isFinite {
        canvas.fill(barRect(category: category, series: seriesIndex, frame: frame), color)
      }
    }
    if let marker {
      for (category, value) in marker.values.enumerated() where value.isFinite {
        let (left, width) = frame.slot(category)
        let y = frame.py(value)
        canvas.line(
          [(left + width * 0.06, y), (left + width * 0.94, y)], .ink, width: 2, dash: [5, 3])
      }
    }
    frame.drawReferenceLines(referenceLines, canvas)
    if showValues {
      for (seriesIndex, bars) in series.enumerated() {
        for (category, value) in bars.values.enumerated() where value.isFinite {
          let rect = barRect(category: category, series: seriesIndex, frame: frame)
          drawValue(value, above: rect, negative: value < 0, canvas)
        }
      }
    }
    frame.drawAxes(canvas)
  }

  /// Validates the inputs and measures the frame.
  func layout(_ canvas: Canvas) throws -> CartesianFrame {
    guard !categories.isEmpty, !series.isEmpty else {
      throw ReproIOError.invalidChart("'\(title)' needs at least one category and one series")
    }
    let lengths =
      series.map { ($0.name, $0.values.count) }
      + [marker].compactMap { $0 }.map {
        ($0.label, $0.values.count)
      }
    if let bad = lengths.first(where: { $0.1 != categories.count }) {
      throw ReproIOError.invalidChart(
        "'\(title)': '\(bad.0)' has \(bad.1) values for \(categories.count) categories")
    }
    var values = series.flatMap(\.values) + (marker?.values ?? []) + referenceLines.map(\.value)
    if showValues, let top = values.filter(\.isFinite).max(), top > 0 { values.append(top * 1.08) }
    var legend = series.enumerated().map {
      LegendEntry(label: $1.name, color: $1.color ?? Color.series($0), mark: .box)
    }
    if let marker {
      legend.append(LegendEntry(label: marker.label, color: .ink, mark: .dashedLine))
    }
    let top = canvas.drawHeader(title: title, legend: legend)
    return CartesianFrame(
      canvas: canvas, top: top, x: .categories(categories, label: xLabel),
      y: Axis(label: yLabel, covering: values, includeZero: true))
  }

  /// The rectangle of one bar: groups fill 80% of their slot, bars split the group evenly.
  func barRect(category: Int, series seriesIndex: Int, frame: CartesianFrame) -> Rect {
    let (left, width) = frame.slot(category)
    let barWidth = width * 0.8 / Double(series.count)
    let x = left + width * 0.1 + Double(seriesIndex) * barWidth
    let value = series[seriesIndex].values[category]
    let (y0, y1) = (frame.py(0), frame.py(value))
    return Rect(x: x + 0.5, y: min(y0, y1), width: max(1, barWidth - 1), height: abs(y1 - y0))
  }

  /// The value above a bar (below a negative one) on a faint white halo so reference lines
  /// crossing it stay legible; rotated when wider than the bar.
  private func drawValue(_ value: Double, above rect: Rect, negative: Bool, _ canvas: Canvas) {
    let label = Axis.compact(value)
    let fontSize = 10.5
    let width = canvas.textWidth(label, size: fontSize)
    if width <= rect.width + 4 {
      let height = canvas.lineHeight(fontSize)
      let y = negative ? rect.maxY + 1 : rect.y - 1 - height
      canvas.fill(
        Rect(x: rect.midX - width / 2 - 2, y: y, width: width + 4, height: height),
        Color(hex: 0xFFFFFF), alpha: 0.8)
      canvas.text(label, x: rect.midX, y: y + height / 2, size: fontSize, h: .middle, v: .middle)
    } else {
      let y = negative ? rect.maxY + 3 : rect.y - 3
      canvas.text(
        label, x: rect.midX, y: y, size: fontSize, h: negative ? .end : .start, v: .middle,
        angle: -Double.pi / 2)
    }
  }
}
