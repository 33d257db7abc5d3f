// ChartTests.swift
// Renders each chart kind to PNG and PDF and checks the files (PNG signature and IHDR size,
// PDF header), the raster (enough dark text pixels, series colours where bars and cells are),
// nice ticks, and the error messages. Set REPROIO_FIGURE_DIR to keep the figures for viewing.

import Foundation
import Testing

@testable import ReproIO

/// Peak SRAM of five models under three planners, a lower bound and the 320 kB budget.
let memoryChart = GroupedBarChart(
  title: "Peak SRAM by memory planner",
  categories: [
    "mcunet-in0", "mcunet-in1", "mcunet-320kb-in", "mbv2-w0.35-r144-imagenet",
    "proxylessnas-w0.3-r176-imagenet",
  ],
  series: [
    BarSeries(name: "interpreter (TFLM)", values: [210, 330, 460, 380, 300]),
    BarSeries(name: "TinyEngine", values: [150, 260, 310, 290, 230]),
    BarSeries(name: "exact", values: [140, 250, 300, 270, .nan]),
  ],
  yLabel: "peak SRAM (kB)", xLabel: "model",
  marker: GroupMarker(label: "lower bound", values: [60, 110, 140, 120, 100]),
  referenceLines: [ReferenceLine(value: 320, label: "320 kB budget")], showValues: true)

let progressPlot = LinePlot(
  title: "Search progress", xLabel: "evaluated subnets", yLabel: "best top-1 (%)",
  series: [
    LineSeries(
      name: "evolution", x: [1, 10, 100, 1000], y: [40, 52, 58, 61], yMin: [38, 50, 57, 60],
      yMax: [42, 54, 59, 62]),
    LineSeries(name: "random", x: [1, 10, 100, 1000], y: [40, 47, 52, 54], style: .lineAndPoints),
    LineSeries(name: "paper", x: [20, 200], y: [55, 60], style: .points),
  ],
  logX: true, referenceLines: [ReferenceLine(value: 61.5, label: "paper best")])

let flopsCDF = CDFPlot(
  title: "FLOPs of models that fit 320 kB", xLabel: "MACs",
  series: [
    CDFSeries(name: "w0.3-r160", samples: (0..<200).map { 20e6 + Double($0 * $0) * 1e3 }),
    CDFSeries(name: "w0.5-r144", samples: (0..<200).map { 35e6 + Double($0 * 211 % 200) * 2e5 }),
  ],
  marks: [CDFMark(x: 50.3e6, fraction: 0.8)])

let sensitivityMap = Heatmap(
  title: "Chosen (w, r) per SRAM × Flash budget", rowLabels: ["512 kB", "320 kB", "256 kB"],
  columnLabels: ["512 kB", "1 MB", "2 MB"],
  values: [[60.1, 65.2, 68.4], [57.3, 62.0, 63.5], [.nan, 58.9, 60.2]],
  // One two-line cell: annotations may carry the value under the choice.
  annotations: [
    ["w0.5 r144", "w0.7 r176", "w1.0 r224\n68.4%"], ["w0.4 r128", "w0.5 r160", "w0.6 r176"],
    ["–", "w0.4 r144", "w0.5 r144"],
  ],
  xLabel: "Flash budget", yLabel: "SRAM budget", colorbarLabel: "top-1 (%)")

/// Folder for figure files: $REPROIO_FIGURE_DIR (kept) or a temporary one.
func figureFolder() throws -> (String, cleanup: () -> Void) {
  if let kept = ProcessInfo.processInfo.environment["REPROIO_FIGURE_DIR"] {
    try ensureDirectory(kept)
    return (kept, {})
  }
  let folder = try TestFolder()
  return (folder.path, folder.remove)
}

/// (width, height) from a PNG's IHDR chunk, after checking the signature.
func pngSize(_ path: String) throws -> (Int, Int) {
  let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
  try #require(bytes.count > 24)
  #expect(bytes.prefix(8) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
  #expect(Array(bytes[12..<16]) == Array("IHDR".utf8))
  let be = { (offset: Int) in bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) } }
  return (be(16), be(20))
}

/// Pixels darker than mid-grey on every channel: text, axes, reference lines.
func darkPixels(_ raster: Raster) -> Int {
  raster.pixels.filter { p in (p >> 16) & 0xFF < 90 && (p >> 8) & 0xFF < 90 && p & 0xFF < 90 }
    .count
}

/// Pixels exactly of `color`.
func pixels(of color: UInt32, in raster: Raster) -> Int {
  raster.pixels.filter { $0 & 0xFF_FFFF == color }.count
}

@Suite struct ChartTests {
  static let charts: [String: any Chart] = [
    "memory": memoryChart, "progress": progressPlot, "flops_cdf": flopsCDF,
    "sensitivity": sensitivityMap,
  ]

  @Test(arguments: ["memory", "progress", "flops_cdf", "sensitivity"])
  func chartWritesPNGAndPDF(name: String) throws {
    let chart = try #require(Self.charts[name])
    let (folder, cleanup) = try figureFolder()
    defer { cleanup() }
    try chart.write(to: folder + "/\(name).png")
    try chart.write(to: folder + "/\(name).pdf")
    let (width, height) = try pngSize(folder + "/\(name).png")
    #expect(width == 1800 && height == 1080)
    let pdf = try Data(contentsOf: URL(fileURLWithPath: folder + "/\(name).pdf"))
    #expect(pdf.starts(with: Array("%PDF".utf8)))
    #expect(String(decoding: pdf, as: UTF8.self).contains("/FontName /"), "embeds its font")
    #expect(String(decoding: pdf, as: UTF8.self).contains("DejaVuSans"))
    let raster = try Renderer.raster(chart)
    #expect(raster.width == 1800 && raster.height == 1080)
    #expect(darkPixels(raster) > 8_000, "title, ticks and labels are drawn in near-black")
  }

  @Test func barsHaveTheirSeriesColourWhereTheLayoutPutsThem() throws {
    let raster = try Renderer.raster(memoryChart)
    let frame = try Renderer.withScratchCanvas(memoryChart.size) { try memoryChart.layout($0) }
    for (category, seriesIndex, colour) in [
      (0, 0, 0x0072B2), (1, 2, 0x009E73), (3, 1, 0xE69F00),
    ] as [(Int, Int, UInt32)] {
      let bar = memoryChart.barRect(category: category, series: seriesIndex, frame: frame)
      let scale = memoryChart.size.scale
      let pixel = raster.pixels[Int(bar.midY * scale) * raster.width + Int(bar.midX * scale)]
      #expect(pixel & 0xFF_FFFF == colour, "bar \(category)/\(seriesIndex)")
    }
    #expect(frame.labelAngle != 0, "long model names are rotated")
    #expect(frame.y.ticks.last ?? 0 >= 460)
  }

  @Test func seriesColoursAppearInLinesCDFAndHeatmap() throws {
    let lines = try Renderer.raster(progressPlot)
    #expect(pixels(of: 0x0072B2, in: lines) > 1_000)
    #expect(pixels(of: 0xE69F00, in: lines) > 1_000)
    let cdf = try Renderer.raster(flopsCDF)
    #expect(pixels(of: 0x0072B2, in: cdf) > 1_000 && pixels(of: 0xE69F00, in: cdf) > 1_000)
    let heat = try Renderer.raster(sensitivityMap)
    #expect(pixels(of: 0xEEEEEE, in: heat) > 10_000, "the infeasible cell is light grey")
    #expect(pixels(of: 0x440154, in: heat) > 10_000 && pixels(of: 0xFDE725, in: heat) > 100)
  }

  @Test func niceTicksUseOneTwoFiveSteps() {
    #expect(Axis.niceTicks(0, 460) == [0, 100, 200, 300, 400, 500])
    #expect(
      Axis(label: "", covering: [0, 1]).tickLabels == ["0", "0.2", "0.4", "0.6", "0.8", "1.0"])
    #expect(Axis(label: "", covering: [0, 1.5e6]).tickLabels == ["0", "0.5M", "1.0M", "1.5M"])
    #expect(Axis(label: "", covering: [3, 3]).tickLabels == ["2.6", "2.8", "3.0", "3.2", "3.4"])
    #expect(Axis.logTicks(1, 1000) == [1, 10, 100, 1000])
    #expect(Axis.logTicks(2, 50) == [1, 2, 5, 10, 20, 50, 100])
    #expect(Axis.compact(50.3e6) == "50.3M" && Axis.compact(0.25) == "0.25")
  }

  @Test func inconsistentInputsAndUnknownFormatsAreExplained() throws {
    var chart = memoryChart
    chart.series[1].values.removeLast()
    #expect(
      #expect(throws: ReproIOError.self) { try Renderer.raster(chart) }?.description
        == "invalid chart: 'Peak SRAM by memory planner': 'TinyEngine' has 4 values for 5 "
        + "categories")
    #expect(
      #expect(throws: ReproIOError.self) { try memoryChart.write(to: "/tmp/memory.svg") }?
        .description
        == "cannot write '/tmp/memory.svg': figures are written as .png or .pdf. Check that the "
        + "folder exists and is writable (--out).")
  }

  @Test func degenerateInputsStillDraw() throws {
    let charts: [any Chart] = [
      GroupedBarChart(
        title: "", categories: ["only"], series: [BarSeries(name: "none", values: [.nan])],
        yLabel: "bytes"),
      GroupedBarChart(
        title: "negative", categories: ["a", "b"], series: [BarSeries(name: "d", values: [-3, 2])],
        yLabel: "delta (pp)", showValues: true),
      LinePlot(title: "empty", xLabel: "x", yLabel: "y", series: []),
      LinePlot(
        title: "one point", xLabel: "x", yLabel: "y",
        series: [LineSeries(name: "p", x: [0], y: [5], style: .points)], logX: true),
      Heatmap(title: "1×1", rowLabels: ["r"], columnLabels: ["c"], values: [[1]]),
    ]
    for chart in charts {
      #expect(try Renderer.raster(chart).width == 1800)
    }
    let empty = CDFPlot(
      title: "no data", xLabel: "MACs", series: [CDFSeries(name: "s", samples: [])])
    #expect(
      #expect(throws: ReproIOError.self) { try Renderer.raster(empty) }?.description
        == "invalid chart: 'no data' has no finite samples to plot")
  }

  @Test func missingFontNamesTheDebianPackage() {
    let error = #expect(throws: ReproIOError.self) { _ = try Fonts.load("/nonexistent/Font.ttf") }
    #expect(
      error?.description
        == "cannot load the figure font '/nonexistent/Font.ttf': the file does not exist. Install "
        + "it with 'apt-get install fonts-dejavu-core'.")
  }
}
