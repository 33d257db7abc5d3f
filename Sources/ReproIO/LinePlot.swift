// LinePlot.swift
// Line and/or scatter series with optional shaded min/max bands and optional log-x, e.g. search
// progress (best accuracy vs. evaluated candidates, MCUNet Fig. 13) or accuracy vs. latency.

import Foundation

/// How a series is drawn.
public enum SeriesStyle: Sendable {
  case line, points, lineAndPoints
}

/// One series of a `LinePlot`.
public struct LineSeries: Equatable, Sendable {
  public var name: String
  public var x: [Double]
  public var y: [Double]
  /// Optional band edges, one per x, shaded in the series colour.
  public var yMin: [Double]?
  public var yMax: [Double]?
  public var style: SeriesStyle
  /// Line colour; nil takes the next Okabe–Ito colour.
  public var color: Color?

  /// A series; `yMin`/`yMax`, when given, have the length of `x`.
  public init(
    name: String, x: [Double], y: [Double], yMin: [Double]? = nil, yMax: [Double]? = nil,
    style: SeriesStyle = .line, color: Color? = nil
  ) {
    self.name = name
    self.x = x
    self.y = y
    self.yMin = yMin
    self.yMax = yMax
    self.style = style
    self.color = color
  }

  /// A series drawing a stored curve (with its band, if any).
  public init(_ curve: Curve, style: SeriesStyle = .line, color: Color? = nil) {
    self.init(
      name: curve.name, x: curve.x, y: curve.y, yMin: curve.yMin, yMax: curve.yMax, style: style,
      color: color)
  }
}

/// Line/scatter plot with bands, legend and optional log-scaled x axis.
public struct LinePlot: Chart {
  public var title: String
  public var xLabel: String
  public var yLabel: String
  public var series: [LineSeries]
  /// Base-10 logarithmic x axis (points with x <= 0 are skipped).
  public var logX: Bool
  public var referenceLines: [ReferenceLine]
  public var size: ChartSize

  /// A line plot.
  public init(
    title: String, xLabel: String, yLabel: String, series: [LineSeries], logX: Bool = false,
    referenceLines: [ReferenceLine] = [], size: ChartSize = ChartSize()
  ) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.series = series
    self.logX = logX
    self.referenceLines = referenceLines
    self.size = size
  }

  /// Draws the chart.
  public func draw(on canvas: Canvas) throws {
    for line in series {
      let lengths = [
        line.y.count, line.yMin?.count ?? line.x.count, line.yMax?.count ?? line.x.count,
      ]
      guard lengths.allSatisfy({ $0 == line.x.count }) else {
        throw ReproIOError.invalidChart(
          "'\(title)': series '\(line.name)' has arrays of unequal length")
      }
    }
    let legend = series.enumerated().map { index, line in
      LegendEntry(
        label: line.name, color: line.color ?? Color.series(index),
        mark: line.style == .points ? .point : line.style == .line ? .line : .lineAndPoint)
    }
    let top = canvas.drawHeader(title: title, legend: legend)
    let ys =
      series.flatMap { $0.y + ($0.yMin ?? []) + ($0.yMax ?? []) } + referenceLines.map(\.value)
    let frame = CartesianFrame(
      canvas: canvas, top: top,
      x: .numeric(Axis(label: xLabel, covering: series.flatMap(\.x), log: logX)),
      y: Axis(label: yLabel, covering: ys))
    frame.drawGrid(canvas)
    // Clip a little outside the plot so markers at the axis ends stay whole.
    let plot = frame.plot
    canvas.clipped(
      to: Rect(x: plot.x - 5, y: plot.y - 5, width: plot.width + 10, height: plot.height + 10)
    ) {
      for (index, line) in series.enumerated() {
        draw(line, color: line.color ?? Color.series(index), frame: frame, canvas)
      }
    }
    frame.drawReferenceLines(referenceLines, canvas)
    frame.drawAxes(canvas)
  }

  private func draw(_ line: LineSeries, color: Color, frame: CartesianFrame, _ canvas: Canvas) {
    let keep = line.x.indices.filter {
      line.x[$0].isFinite && line.y[$0].isFinite && (!logX || line.x[$0] > 0)
    }
    if let low = line.yMin, let high = line.yMax {
      let upper = keep.map { (frame.px(line.x[$0]), frame.py(high[$0])) }
      let lower = keep.reversed().map { (frame.px(line.x[$0]), frame.py(low[$0])) }
      canvas.fillPolygon(upper + lower, color, alpha: 0.2)
    }
    let points = keep.map { (frame.px(line.x[$0]), frame.py(line.y[$0])) }
    if line.style != .points { canvas.line(points, color, width: 2.2) }
    if line.style != .line {
      for point in points { canvas.circle(point.0, point.1, radius: 3.5, color) }
    }
  }
}
