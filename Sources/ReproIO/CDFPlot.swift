// CDFPlot.swift
// Empirical CDFs of raw samples per series, e.g. the FLOPs distribution of the models that fit
// each W×R search space (MCUNet Fig. 3), with marked points such as "(50.3M, 80%)".

import Foundation

/// Raw samples of one CDF series.
public struct CDFSeries: Equatable, Sendable {
  public var name: String
  public var samples: [Double]
  /// Line colour; nil takes the next Okabe–Ito colour.
  public var color: Color?

  /// A series of samples (non-finite samples are ignored).
  public init(name: String, samples: [Double], color: Color? = nil) {
    self.name = name
    self.samples = samples
    self.color = color
  }
}

/// A marked point on a CDF plot.
public struct CDFMark: Equatable, Sendable {
  /// Sample value (x).
  public var x: Double
  /// Cumulative fraction in 0...1 (y).
  public var fraction: Double
  /// Text beside the point; nil writes "(x, y%)" as "(50.3M, 80%)".
  public var label: String?

  /// A marked point.
  public init(x: Double, fraction: Double, label: String? = nil) {
    self.x = x
    self.fraction = fraction
    self.label = label
  }
}

/// Empirical CDF plot: cumulative probability (in %) against the sample value.
public struct CDFPlot: Chart {
  public var title: String
  public var xLabel: String
  public var yLabel: String
  public var series: [CDFSeries]
  public var marks: [CDFMark]
  /// Base-10 logarithmic x axis (samples <= 0 are skipped).
  public var logX: Bool
  public var size: ChartSize

  /// A CDF plot.
  public init(
    title: String, xLabel: String, series: [CDFSeries], marks: [CDFMark] = [],
    yLabel: String = "cumulative probability (%)", logX: Bool = false,
    size: ChartSize = ChartSize()
  ) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.series = series
    self.marks = marks
    self.logX = logX
    self.size = size
  }

  /// The empirical CDF of `samples` as (sorted finite values, fraction of samples <= each).
  ///
  /// The last fraction is 1. The same arrays suit a `Curve` in the results file.
  public static func empiricalCDF(_ samples: [Double]) -> (x: [Double], y: [Double]) {
    let sorted = samples.filter(\.isFinite).sorted()
    let n = Double(sorted.count)
    return (sorted, sorted.indices.map { Double($0 + 1) / n })
  }

  /// Draws the chart.
  public func draw(on canvas: Canvas) throws {
    let data = series.map { line in line.samples.filter { $0.isFinite && (!logX || $0 > 0) } }
    guard data.contains(where: { !$0.isEmpty }) else {
      throw ReproIOError.invalidChart("'\(title)' has no finite samples to plot")
    }
    let legend = series.enumerated().map {
      LegendEntry(label: $1.name, color: $1.color ?? Color.series($0), mark: .line)
    }
    let top = canvas.drawHeader(title: title, legend: legend)
    let frame = CartesianFrame(
      canvas: canvas, top: top,
      x: .numeric(Axis(label: xLabel, covering: data.flatMap { $0 } + marks.map(\.x), log: logX)),
      y: Axis(label: yLabel, covering: [0, 100]))
    frame.drawGrid(canvas)
    canvas.clipped(to: frame.plot) {
      for (index, samples) in data.enumerated() where !samples.isEmpty {
        let (xs, ys) = Self.empiricalCDF(samples)
        var points = [(frame.plot.x, frame.py(0)), (frame.px(xs[0]), frame.py(0))]
        for (i, x) in xs.enumerated() {
          points.append((frame.px(x), frame.py(i == 0 ? 0 : 100 * ys[i - 1])))
          points.append((frame.px(x), frame.py(100 * ys[i])))
        }
        points.append((frame.plot.maxX, frame.py(100)))
        canvas.line(points, series[index].color ?? Color.series(index), width: 2.2)
      }
    }
    for mark in marks { draw(mark, frame: frame, canvas) }
    frame.drawAxes(canvas)
  }

  private func draw(_ mark: CDFMark, frame: CartesianFrame, _ canvas: Canvas) {
    let (x, y) = (frame.px(mark.x), frame.py(100 * mark.fraction))
    let guide = Color(hex: 0x777777)
    canvas.line([(frame.plot.x, y), (x, y), (x, frame.plot.maxY)], guide, width: 1, dash: [2, 3])
    canvas.circle(x, y, radius: 4.5, .ink)
    let label =
      mark.label
      ?? "(\(Axis.compact(mark.x)), \(Axis.compact((100 * mark.fraction * 10).rounded() / 10))%)"
    let width = canvas.textWidth(label, size: Style.tickSize)
    let fitsRight = x + 8 + width <= frame.plot.maxX
    let fitsBelow = y + 6 + canvas.lineHeight(Style.tickSize) <= frame.plot.maxY
    canvas.text(
      label, x: fitsRight ? x + 8 : x - 8, y: fitsBelow ? y + 4 : y - 4, size: Style.tickSize,
      bold: true, h: fitsRight ? .start : .end, v: fitsBelow ? .top : .bottom)
  }
}
