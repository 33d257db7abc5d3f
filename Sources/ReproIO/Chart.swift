// Chart.swift
// Figure output through cairo with a real TrueType font (DejaVu Sans via FreeType, independent
// of fontconfig; native-deps.md §3). One drawing routine per chart (`Chart.draw(on:)`) produces
// the PNG (image surface, default 2× for crispness) and the PDF (vector, same layout in points).

import CCairo

/// An sRGB colour with components in 0...1.
public struct Color: Equatable, Sendable {
  public var red: Double
  public var green: Double
  public var blue: Double

  /// A colour from components in 0...1.
  public init(red: Double, green: Double, blue: Double) {
    self.red = red
    self.green = green
    self.blue = blue
  }

  /// A colour from `0xRRGGBB`.
  public init(hex: UInt32) {
    self.init(
      red: Double((hex >> 16) & 0xFF) / 255, green: Double((hex >> 8) & 0xFF) / 255,
      blue: Double(hex & 0xFF) / 255)
  }

  /// Okabe–Ito colour-blind-safe palette in series order (black omitted: it marks bounds).
  public static let okabeIto: [Color] = [
    0x0072B2, 0xE69F00, 0x009E73, 0xD55E00, 0xCC79A7, 0x56B4E9, 0xF0E442,
  ].map { Color(hex: $0) }

  /// The palette colour for series `index` (cycles).
  public static func series(_ index: Int) -> Color { okabeIto[index % okabeIto.count] }

  /// Near-black used for text, bound markers and reference lines.
  public static let ink = Color(hex: 0x222222)

  /// Relative luminance (0 black … 1 white), to choose text colour on a filled cell.
  var luminance: Double { 0.2126 * red + 0.7152 * green + 0.0722 * blue }
}

/// Figure size in points (PDF) and pixels at scale 1 (PNG is `scale` times larger).
public struct ChartSize: Equatable, Sendable {
  public var width: Double
  public var height: Double
  /// PNG pixels per point; 2 gives crisp figures on high-density screens.
  public var scale: Double

  /// A size; the default is 900 × 540 at 2× (a 1800 × 1080 PNG).
  public init(width: Double = 900, height: Double = 540, scale: Double = 2) {
    self.width = width
    self.height = height
    self.scale = scale
  }
}

/// A figure that can be drawn on a `Canvas` and written as PNG or PDF.
public protocol Chart: Sendable {
  /// Size of the figure.
  var size: ChartSize { get }
  /// Draws the whole figure; called once per output file.
  func draw(on canvas: Canvas) throws
}

extension Chart {
  /// Writes the figure atomically as PNG or PDF, chosen by the extension of `path`.
  public func write(to path: String) throws {
    if path.lowercased().hasSuffix(".png") {
      try AtomicFile.replace(path) { temporary in
        try Renderer.withImage(self, path: path) { surface in
          let status = cairo_surface_write_to_png(surface, temporary)
          guard status == CAIRO_STATUS_SUCCESS else {
            throw ReproIOError.drawingFailed(path: path, reason: Renderer.text(status))
          }
        }
      }
    } else if path.lowercased().hasSuffix(".pdf") {
      try AtomicFile.replace(path) { temporary in
        try Renderer.pdf(self, to: temporary, path: path)
      }
    } else {
      throw ReproIOError.cannotWriteFile(path: path, reason: "figures are written as .png or .pdf")
    }
  }
}

/// An ARGB32 raster of a chart (native-endian 0xAARRGGBB per pixel), for tests.
struct Raster {
  let width: Int
  let height: Int
  let pixels: [UInt32]

}

/// Runs a chart's drawing routine on cairo surfaces.
enum Renderer {
  static func text(_ status: cairo_status_t) -> String {
    String(cString: cairo_status_to_string(status))
  }

  /// Draws `chart` on a white image surface and passes it to `body`.
  static func withImage(_ chart: some Chart, path: String, _ body: (OpaquePointer) throws -> Void)
    throws
  {
    let size = chart.size
    guard
      let surface = cairo_image_surface_create(
        CAIRO_FORMAT_ARGB32, Int32((size.width * size.scale).rounded()),
        Int32((size.height * size.scale).rounded()))
    else { throw ReproIOError.drawingFailed(path: path, reason: "no image surface") }
    defer { cairo_surface_destroy(surface) }
    try draw(chart, on: surface, scale: size.scale, path: path)
    cairo_surface_flush(surface)
    try body(surface)
  }

  /// Runs `body` with a canvas on a scratch image surface (to measure a layout in tests).
  static func withScratchCanvas<R>(_ size: ChartSize, _ body: (Canvas) throws -> R) throws -> R {
    guard let surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1) else {
      throw ReproIOError.drawingFailed(path: "<scratch>", reason: "no image surface")
    }
    defer { cairo_surface_destroy(surface) }
    guard let context = cairo_create(surface) else {
      throw ReproIOError.drawingFailed(path: "<scratch>", reason: "no drawing context")
    }
    defer { cairo_destroy(context) }
    return try body(Canvas(context, fonts: try Fonts(), size: size))
  }

  /// The chart as pixels.
  static func raster(_ chart: some Chart) throws -> Raster {
    var raster = Raster(width: 0, height: 0, pixels: [])
    try withImage(chart, path: "<raster>") { surface in
      let width = Int(cairo_image_surface_get_width(surface))
      let height = Int(cairo_image_surface_get_height(surface))
      let stride = Int(cairo_image_surface_get_stride(surface))
      guard let data = cairo_image_surface_get_data(surface) else { return }
      var pixels = [UInt32](repeating: 0, count: width * height)
      for y in 0..<height {
        let row = UnsafeRawPointer(data + y * stride).assumingMemoryBound(to: UInt32.self)
        for x in 0..<width { pixels[y * width + x] = row[x] }
      }
      raster = Raster(width: width, height: height, pixels: pixels)
    }
    return raster
  }

  /// Writes `chart` as a vector PDF (sizes in points) to `temporary`.
  static func pdf(_ chart: some Chart, to temporary: String, path: String) throws {
    guard let surface = cairo_pdf_surface_create(temporary, chart.size.width, chart.size.height)
    else { throw ReproIOError.drawingFailed(path: path, reason: "no PDF surface") }
    defer { cairo_surface_destroy(surface) }
    try draw(chart, on: surface, scale: 1, path: path)
    cairo_surface_finish(surface)
    let status = cairo_surface_status(surface)
    guard status == CAIRO_STATUS_SUCCESS else {
      throw ReproIOError.drawingFailed(path: path, reason: text(status))
    }
  }

  private static func draw(
    _ chart: some Chart, on surface: OpaquePointer, scale: Double, path: String
  )
    throws
  {
    let surfaceStatus = cairo_surface_status(surface)
    guard surfaceStatus == CAIRO_STATUS_SUCCESS else {
      throw ReproIOError.drawingFailed(path: path, reason: text(surfaceStatus))
    }
    let fonts = try Fonts()
    guard let context = cairo_create(surface) else {
      throw ReproIOError.drawingFailed(path: path, reason: "no drawing context")
    }
    defer { cairo_destroy(context) }
    cairo_scale(context, scale, scale)
    cairo_set_source_rgb(context, 1, 1, 1)
    cairo_paint(context)
    try chart.draw(on: Canvas(context, fonts: fonts, size: chart.size))
    let status = cairo_status(context)
    guard status == CAIRO_STATUS_SUCCESS else {
      throw ReproIOError.drawingFailed(path: path, reason: text(status))
    }
  }
}
